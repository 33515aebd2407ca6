//===- Passes.h - bertc conversion passes -----------------------*- C++ -*-===//

#ifndef BERTC_CONVERSION_PASSES_H
#define BERTC_CONVERSION_PASSES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

namespace bertc {

#define GEN_PASS_DECL
#include "bertc/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "bertc/Conversion/Passes.h.inc"

/// Adds the patterns that lower each bert op to linalg on tensors.
void populateBertToLinalgPatterns(mlir::RewritePatternSet &patterns);

} // namespace bertc

#endif // BERTC_CONVERSION_PASSES_H
