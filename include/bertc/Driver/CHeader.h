//===- CHeader.h - The C header that documents a compiled model -*- C++ -*-===//

#ifndef BERTC_DRIVER_CHEADER_H
#define BERTC_DRIVER_CHEADER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>

namespace bertc::driver {

/// The C header of the module's entry point (docs/ABI.md): model sizes,
/// status codes, and a static inline wrapper that validates every argument
/// before calling the compiled code. Fails if the module lacks the
/// attributes the importer records.
llvm::Expected<std::string> generateCHeader(mlir::ModuleOp module,
                                            llvm::StringRef guardName);

} // namespace bertc::driver

#endif // BERTC_DRIVER_CHEADER_H
