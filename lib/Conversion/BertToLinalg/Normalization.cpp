//===- Normalization.cpp - layer_norm, softmax and gelu to linalg ---------===//

#include "Patterns.h"

#include "bertc/Utils/LinalgBuilders.h"
#include "dialects/Bert/IR/Bert.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace bertc;

static Value add(OpBuilder &b, Location l, Value x, Value y) {
  return arith::AddFOp::create(b, l, x, y);
}

/// sum over the last axis of `input`.
static Value buildRowSum(OpBuilder &builder, Location loc, Value input) {
  return buildLastAxisReduction(
      builder, loc, input, buildF32(builder, loc, 0),
      [](OpBuilder &b, Location l, ValueRange args) {
        return add(b, l, args[0], args[1]);
      });
}

Value bertc::bert_to_linalg::buildSoftmax(OpBuilder &builder, Location loc,
                                          Value input) {
  Value maxima = buildLastAxisReduction(
      builder, loc, input,
      buildF32(builder, loc, -std::numeric_limits<float>::infinity()),
      [](OpBuilder &b, Location l, ValueRange args) -> Value {
        return arith::MaximumFOp::create(b, l, args[0], args[1]);
      });
  Value exponentials = buildRowwise(
      builder, loc, input, {maxima},
      [](OpBuilder &b, Location l, ValueRange args) -> Value {
        return math::ExpOp::create(b, l,
                                   arith::SubFOp::create(b, l, args[0], args[1]));
      });
  Value sums = buildRowSum(builder, loc, exponentials);
  return buildRowwise(builder, loc, exponentials, {sums},
                      [](OpBuilder &b, Location l, ValueRange args) -> Value {
                        return arith::DivFOp::create(b, l, args[0], args[1]);
                      });
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
    Value x = adaptor.getInput();
    Value width = buildLastAxisSizeF32(rewriter, loc, x);
    auto divideByWidth = [&](Value sums) {
      return buildElementwise(rewriter, loc, {sums},
                              [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                                return arith::DivFOp::create(b, l, args[0], width);
                              });
    };
    Value mean = divideByWidth(buildRowSum(rewriter, loc, x));
    Value centered = buildRowwise(
        rewriter, loc, x, {mean},
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          return arith::SubFOp::create(b, l, args[0], args[1]);
        });
    Value squares = buildElementwise(
        rewriter, loc, {centered},
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          return arith::MulFOp::create(b, l, args[0], args[0]);
        });
    Value variance = divideByWidth(buildRowSum(rewriter, loc, squares));
    Value epsilon = arith::ConstantOp::create(rewriter, loc, op.getEpsilonAttr());
    Value normalized = buildRowwise(
        rewriter, loc, centered, {variance},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value deviation =
              math::SqrtOp::create(b, l, add(b, l, args[1], epsilon));
          return arith::DivFOp::create(b, l, args[0], deviation);
        });
    rewriter.replaceOp(op, buildAffine(rewriter, loc, normalized,
                                       adaptor.getGamma(), adaptor.getBeta()));
    return success();
  }

  /// y * gamma + beta with gamma, beta indexed by the last axis.
  static Value buildAffine(OpBuilder &builder, Location loc, Value y,
                           Value gamma, Value beta) {
    auto type = cast<RankedTensorType>(y.getType());
    unsigned rank = type.getRank();
    AffineMap full = builder.getMultiDimIdentityMap(rank);
    AffineMap last = AffineMap::get(
        rank, 0, {getAffineDimExpr(rank - 1, builder.getContext())},
        builder.getContext());
    Value init = buildEmptyLike(builder, loc, y, type.getElementType());
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    return linalg::GenericOp::create(
               builder, loc, TypeRange{type}, ValueRange{y, gamma, beta},
               ValueRange{init}, ArrayRef<AffineMap>{full, last, last, full},
               iterators,
               [](OpBuilder &b, Location l, ValueRange args) {
                 Value scaled = arith::MulFOp::create(b, l, args[0], args[1]);
                 linalg::YieldOp::create(b, l,
                                         ValueRange{add(b, l, scaled, args[2])});
               })
        .getResult(0);
  }
};

struct SoftmaxLowering : OpConversionPattern<bert::SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(bert::SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, bert_to_linalg::buildSoftmax(rewriter, op.getLoc(),
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

} // namespace

void bertc::bert_to_linalg::populateNormalizationPatterns(
    RewritePatternSet &patterns) {
  patterns.add<LayerNormLowering, SoftmaxLowering, GeluLowering>(
      patterns.getContext());
}
