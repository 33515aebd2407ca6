//===- BQDialect.cpp - The bq dialect -------------------------------------===//

#include "dialects/BQ/IR/BQ.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "dialects/Interfaces/InlineEverything.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace bertc::bq;

#include "dialects/BQ/IR/BQOpsDialect.cpp.inc"

#include "dialects/BQ/IR/BQEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/BQ/IR/BQAttrs.cpp.inc"

#include "dialects/BQ/IR/BQInterfaces.cpp.inc"

void BQDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/BQ/IR/BQAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialects/BQ/IR/BQOps.cpp.inc"
      >();
  addInterfaces<bertc::InlineEverything>();
}

/// Folding quantizers of constants yields integer storage values for a
/// quantized tensor (held by bq.constant) or plain tensors (arith.constant).
Operation *BQDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  auto tensorType = dyn_cast<RankedTensorType>(type);
  if (!elements || !tensorType)
    return nullptr;
  if (isa<quant::UniformQuantizedType>(tensorType.getElementType()))
    return ConstantOp::create(builder, loc, tensorType, elements);
  if (elements.getType() != type)
    return nullptr;
  return arith::ConstantOp::create(builder, loc, type, cast<TypedAttr>(value));
}
