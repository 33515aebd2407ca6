//===- Passes.h - bertc transformation passes -------------------*- C++ -*-===//

#ifndef BERTC_TRANSFORMS_PASSES_H
#define BERTC_TRANSFORMS_PASSES_H

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace bertc {

#define GEN_PASS_DECL
#include "bertc/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "bertc/Transforms/Passes.h.inc"

} // namespace bertc

#endif // BERTC_TRANSFORMS_PASSES_H
