//===- BertToLinalg.cpp - The convert-bert-to-linalg pass -----------------===//

#include "bertc/Conversion/Passes.h"

#include "Patterns.h"
#include "dialects/Bert/IR/Bert.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace bertc {
#define GEN_PASS_DEF_CONVERTBERTTOLINALGPASS
#include "bertc/Conversion/Passes.h.inc"
} // namespace bertc

using namespace mlir;

void bertc::populateBertToLinalgPatterns(RewritePatternSet &patterns) {
  bert_to_linalg::populateDensePatterns(patterns);
  bert_to_linalg::populateNormalizationPatterns(patterns);
  bert_to_linalg::populateAttentionPatterns(patterns);
  bert_to_linalg::populateLossPatterns(patterns);
}

namespace {
struct ConvertBertToLinalgPass
    : bertc::impl::ConvertBertToLinalgPassBase<ConvertBertToLinalgPass> {
  void runOnOperation() override {
    ConversionTarget target(getContext());
    target.addIllegalDialect<bertc::bert::BertDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(&getContext());
    bertc::populateBertToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
