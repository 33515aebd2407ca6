//===- Loss.cpp - bert's losses and distances to linalg -------------------===//

#include "Patterns.h"

#include "bertc/Utils/LinalgBuilders.h"
#include "dialects/Bert/IR/Bert.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"


using namespace mlir;
using namespace bertc;

namespace {

/// loss = (1/B) sum_b (m_b + log sum_c exp(z_bc - m_b) - z_b[y_b]), m_b the
/// row maximum (log_softmax as PyTorch computes it). Labels are clamped
/// into [0, C) so that reads stay in bounds; entry points reject them.
struct CrossEntropyLowering : OpConversionPattern<bert::CrossEntropyOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(bert::CrossEntropyOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value logits = adaptor.getLogits(), labels = adaptor.getLabels();
    Value maxima = buildRowMax(rewriter, loc, logits);
    Value sums = buildRowSum(
        rewriter, loc,
        buildRowwise(rewriter, loc, logits, {maxima},
                     [](OpBuilder &b, Location l, ValueRange args) -> Value {
                       return math::ExpOp::create(
                           b, l, arith::SubFOp::create(b, l, args[0], args[1]));
                     }));
    Value classes = tensor::DimOp::create(rewriter, loc, logits, 1);
    Value lastClass = arith::SubIOp::create(
        rewriter, loc, classes, arith::ConstantIndexOp::create(rewriter, loc, 1));
    // Per row: log-sum-exp minus the label's logit.
    Value perRow = buildElementwise(
        rewriter, loc, {maxima, sums, labels},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value row = linalg::IndexOp::create(b, l, 0);
          Value label = arith::IndexCastOp::create(b, l, b.getIndexType(), args[2]);
          label = arith::MaxSIOp::create(
              b, l, label, arith::ConstantIndexOp::create(b, l, 0));
          label = arith::MinSIOp::create(b, l, label, lastClass);
          Value picked =
              tensor::ExtractOp::create(b, l, logits, ValueRange{row, label});
          Value logSumExp =
              arith::AddFOp::create(b, l, args[0], math::LogOp::create(b, l, args[1]));
          return arith::SubFOp::create(b, l, logSumExp, picked);
        });
    Value total = buildLastAxisReduction(
        rewriter, loc, perRow, buildF32(rewriter, loc, 0),
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          return arith::AddFOp::create(b, l, args[0], args[1]);
        });
    Value rows = arith::UIToFPOp::create(
        rewriter, loc, rewriter.getF32Type(),
        arith::IndexCastUIOp::create(
            rewriter, loc, rewriter.getI64Type(),
            tensor::DimOp::create(rewriter, loc, logits, 0)));
    Value mean = buildElementwise(
        rewriter, loc, {total},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          return arith::DivFOp::create(b, l, args[0], rows);
        });
    rewriter.replaceOp(op, mean);
    return success();
  }
};

/// A rank-0 f32 tensor holding `scalar`.
static Value toRankZero(OpBuilder &builder, Location loc, Value scalar) {
  return tensor::FromElementsOp::create(
      builder, loc, RankedTensorType::get({}, builder.getF32Type()),
      ValueRange{scalar});
}

/// -(1/(BC)) sum softmax(t) log_softmax(z).
struct SoftCrossEntropyLowering
    : OpConversionPattern<bert::SoftCrossEntropyOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(bert::SoftCrossEntropyOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value logits = adaptor.getLogits();
    Value products = buildElementwise(
        rewriter, loc,
        {buildSoftmax(rewriter, loc, adaptor.getTargets()),
         buildLogSoftmax(rewriter, loc, logits)},
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          return arith::MulFOp::create(b, l, args[0], args[1]);
        });
    Value mean = arith::DivFOp::create(rewriter, loc,
                                       buildTotalSum(rewriter, loc, products),
                                       buildElementCountF32(rewriter, loc, logits));
    rewriter.replaceOp(
        op, toRankZero(rewriter, loc, arith::NegFOp::create(rewriter, loc, mean)));
    return success();
  }
};

struct NormalizedDistanceLowering
    : OpConversionPattern<bert::NormalizedDistanceOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(bert::NormalizedDistanceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    NormalizedDifference parts = buildNormalizedDifference(
        rewriter, loc, adaptor.getStudent(), adaptor.getTeacher());
    rewriter.replaceOp(op, toRankZero(rewriter, loc, parts.distance));
    return success();
  }
};

} // namespace

void bertc::bert_to_linalg::populateLossPatterns(RewritePatternSet &patterns) {
  patterns.add<CrossEntropyLowering, SoftCrossEntropyLowering,
               NormalizedDistanceLowering>(patterns.getContext());
}
