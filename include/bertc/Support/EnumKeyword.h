//===- EnumKeyword.h - Enum attributes as bare keywords ---------*- C++ -*-===//
//
// The printer that ODS generates for an EnumAttr with format `$value` puts a
// space before the keyword, so ops print `zero( plus_one)`. bertc's enum
// attributes declare a custom format and use these helpers instead, which
// print and parse exactly one keyword.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_SUPPORT_ENUMKEYWORD_H
#define BERTC_SUPPORT_ENUMKEYWORD_H

#include "mlir/IR/OpImplementation.h"

#include <optional>

namespace bertc {

/// Parses one keyword naming a case of `EnumT` and wraps it in `AttrT`.
template <typename AttrT, typename EnumT>
mlir::Attribute
parseEnumKeyword(mlir::AsmParser &parser, llvm::StringRef what,
                 std::optional<EnumT> (*symbolize)(llvm::StringRef)) {
  llvm::SMLoc loc = parser.getCurrentLocation();
  llvm::StringRef keyword;
  if (mlir::failed(parser.parseKeyword(&keyword)))
    return {};
  std::optional<EnumT> value = symbolize(keyword);
  if (!value) {
    parser.emitError(loc) << "unknown " << what << " '" << keyword << "'";
    return {};
  }
  return AttrT::get(parser.getContext(), *value);
}

} // namespace bertc

/// Defines parse/print of an enum attribute whose ODS sets
/// `hasCustomAssemblyFormat = 1`.
#define BERTC_DEFINE_ENUM_KEYWORD_FORMAT(Attr, Enum, what)                     \
  ::mlir::Attribute Attr::parse(::mlir::AsmParser &parser, ::mlir::Type) {     \
    return ::bertc::parseEnumKeyword<Attr, Enum>(parser, what,              \
                                                  &symbolize##Enum);                \
  }                                                                            \
  void Attr::print(::mlir::AsmPrinter &printer) const {                        \
    printer << stringify##Enum(getValue());                                    \
  }

#endif // BERTC_SUPPORT_ENUMKEYWORD_H
