//===- BQ.h - The bq dialect ------------------------------------*- C++ -*-===//
//
// Include this header to use the bq dialect's ops, enums and interfaces.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_DIALECTS_BQ_IR_BQ_H
#define BERTC_DIALECTS_BQ_IR_BQ_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/BQ/IR/BQOpsDialect.h.inc"

#include "dialects/BQ/IR/BQEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/BQ/IR/BQAttrs.h.inc"

#include "dialects/BQ/IR/BQInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialects/BQ/IR/BQOps.h.inc"

#endif // BERTC_DIALECTS_BQ_IR_BQ_H
