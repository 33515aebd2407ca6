//===- FuseElementwise.cpp - Elementwise chains as one loop ---------------===//
//
// A binary linear's epilogue was three passes over [L, N] (counts to i32
// dots, dots to alpha * d + b), and the float graph has such chains too
// (bias, residual, activation). Upstream's elementwise fusion merges them,
// but, run as is, it also fuses elementwise producers into the operands of
// matmul-like generics, recomputing them for every (m, n, k): it made
// BERT-base 40x slower. Here only an all-parallel producer into an
// all-parallel consumer is fused, and tagged kernels are left alone.
//
//===----------------------------------------------------------------------===//

#include "bertc/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace bertc {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "bertc/Transforms/Passes.h.inc"
} // namespace bertc

using namespace mlir;

namespace {

/// True for a generic whose loops are all parallel and that no kernel pass
/// claims (tagged products and their counts stay separate).
static bool isPlainElementwise(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!generic || generic.getNumLoops() != generic.getNumParallelLoops())
    return false;
  return llvm::none_of(generic->getAttrs(), [](NamedAttribute attr) {
    return attr.getName().strref().starts_with("bertc.");
  });
}

struct FuseElementwisePass
    : bertc::impl::FuseElementwisePassBase<FuseElementwisePass> {
  using FuseElementwisePassBase::FuseElementwisePassBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(
        patterns, [](OpOperand *fused) {
          Operation *producer = fused->get().getDefiningOp();
          return isPlainElementwise(producer) &&
                 isPlainElementwise(fused->getOwner()) &&
                 producer->hasOneUse();
        });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
