//===- Passes.h - bertc quantization passes ---------------------*- C++ -*-===//

#ifndef BERTC_QUANTIZATION_PASSES_H
#define BERTC_QUANTIZATION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace bertc {

#define GEN_PASS_DECL
#include "bertc/Quantization/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "bertc/Quantization/Passes.h.inc"

} // namespace bertc

#endif // BERTC_QUANTIZATION_PASSES_H
