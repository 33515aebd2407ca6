//===- Normalization.cpp - layer_norm, softmax, gelu, dropout to linalg ---===//

#include "Patterns.h"

#include "bertc/Utils/LinalgBuilders.h"
#include "dialects/Bert/IR/Bert.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

using namespace mlir;
using namespace bertc;

static Value add(OpBuilder &b, Location l, Value x, Value y) {
  return arith::AddFOp::create(b, l, x, y);
}

namespace {

/// (x - mean) / sqrt(var + eps) * gamma + beta over the last axis, with the
/// biased variance (torch.nn.LayerNorm).
struct LayerNormLowering : OpConversionPattern<bert::LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(bert::LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value epsilon = arith::ConstantOp::create(rewriter, loc, op.getEpsilonAttr());
    Value normalized =
        buildNormalizedRows(rewriter, loc, adaptor.getInput(), epsilon)
            .normalized;
    rewriter.replaceOp(op, buildAffine(rewriter, loc, normalized,
                                       adaptor.getGamma(), adaptor.getBeta()));
    return success();
  }

  /// y * gamma + beta with gamma, beta indexed by the last axis.
  static Value buildAffine(OpBuilder &builder, Location loc, Value y,
                           Value gamma, Value beta) {
    return buildColumnwise(
        builder, loc, y, {gamma, beta},
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value scaled = arith::MulFOp::create(b, l, args[0], args[1]);
          return add(b, l, scaled, args[2]);
        });
  }
};

struct SoftmaxLowering : OpConversionPattern<bert::SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(bert::SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, buildSoftmax(rewriter, op.getLoc(),
                                                        adaptor.getInput()));
    return success();
  }
};

/// GELU, erf form x/2 (1 + erf(x / sqrt 2)) or the tanh approximation
/// x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
struct GeluLowering : OpConversionPattern<bert::GeluOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(bert::GeluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    bool useErf = op.getApproximation() == bert::GeluApproximation::Erf;
    Value result = buildElementwise(
        rewriter, op.getLoc(), {adaptor.getInput()},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value x = args[0];
          Value curve;
          if (useErf) {
            Value scaled = arith::MulFOp::create(
                b, l, x, buildF32(b, l, static_cast<float>(M_SQRT1_2)));
            curve = math::ErfOp::create(b, l, scaled);
          } else {
            Value cube = arith::MulFOp::create(
                b, l, x, arith::MulFOp::create(b, l, x, x));
            Value inner = add(b, l, x,
                              arith::MulFOp::create(b, l, cube,
                                                    buildF32(b, l, 0.044715f)));
            Value scaled = arith::MulFOp::create(
                b, l, inner,
                buildF32(b, l, static_cast<float>(std::sqrt(2.0 / M_PI))));
            curve = math::TanhOp::create(b, l, scaled);
          }
          Value half = arith::MulFOp::create(b, l, x, buildF32(b, l, 0.5f));
          return arith::MulFOp::create(b, l, half,
                                       add(b, l, curve, buildF32(b, l, 1.0f)));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// The stateless mask of bertc/Utils/Dropout.h, one elementwise generic.
struct DropoutLowering : OpConversionPattern<bert::DropoutOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(bert::DropoutOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    DropoutSite site = op.getSite();
    site.seed = adaptor.getSeed();
    Value result = buildDropout(rewriter, op.getLoc(), adaptor.getInput(), site);
    if (result.getType() != op.getType())
      result = tensor::CastOp::create(rewriter, op.getLoc(), op.getType(), result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void bertc::bert_to_linalg::populateNormalizationPatterns(
    RewritePatternSet &patterns) {
  patterns.add<LayerNormLowering, SoftmaxLowering, GeluLowering,
               DropoutLowering>(
      patterns.getContext());
}
