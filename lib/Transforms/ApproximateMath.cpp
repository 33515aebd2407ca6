//===- ApproximateMath.cpp - Polynomial erf, exp and tanh -----------------===//

#include "bertc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/StringSet.h"

namespace bertc {
#define GEN_PASS_DEF_APPROXIMATEMATHPASS
#include "bertc/Transforms/Passes.h.inc"
} // namespace bertc

using namespace mlir;

namespace {
struct ApproximateMathPass
    : bertc::impl::ApproximateMathPassBase<ApproximateMathPass> {
  using ApproximateMathPassBase::ApproximateMathPassBase;

  void runOnOperation() override {
    // The upstream predicate sees full op names ("math.erf").
    llvm::StringSet<> chosen;
    for (const std::string &name : functions)
      chosen.insert("math." + name);
    if (chosen.empty())
      for (StringRef name : {"math.erf", "math.exp", "math.tanh"})
        chosen.insert(name);
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(
        patterns, [&](StringRef name) { return chosen.contains(name); });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
