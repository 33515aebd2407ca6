//===- ExactConstantDivision.cpp - a / c as an exact multiplication -------===//
//
// Q8BERT's dequantization divides an int32 sum, as f32, by a constant
// scale. fptrunc(fpext(a) * (1 / c in f64)) gives the same f32 for every
// such a (bertc::divisionOfIntegersIsMultiplication), at the cost of a
// widening, a multiply and a narrowing instead of a division, whose
// vector form has a fraction of their throughput.
//
//===----------------------------------------------------------------------===//

#include "bertc/Support/QuantMath.h"
#include "bertc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace bertc {
#define GEN_PASS_DEF_EXACTCONSTANTDIVISIONPASS
#include "bertc/Transforms/Passes.h.inc"
} // namespace bertc

using namespace mlir;

namespace {

/// The f32 divisor of `division` if it is a constant (a scalar, or a splat
/// of a shaped value).
std::optional<float> constantDivisor(arith::DivFOp division) {
  Attribute value;
  if (!matchPattern(division.getRhs(), m_Constant(&value)))
    return std::nullopt;
  if (auto splat = dyn_cast<SplatElementsAttr>(value))
    value = splat.getSplatValue<Attribute>();
  auto real = dyn_cast<FloatAttr>(value);
  if (!real || !real.getType().isF32())
    return std::nullopt;
  return real.getValue().convertToFloat();
}

/// Whether `value` is an integer of at most 32 bits converted to f32: its
/// magnitude is at most 2^31.
bool isConvertedInt32(Value value) {
  auto conversion = value.getDefiningOp<arith::SIToFPOp>();
  return conversion &&
         getElementTypeOrSelf(conversion.getIn().getType())
                 .getIntOrFloatBitWidth() <= 32;
}

struct DivisionToMultiplication : OpRewritePattern<arith::DivFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::DivFOp division,
                                PatternRewriter &rewriter) const override {
    std::optional<float> divisor = constantDivisor(division);
    if (!divisor || !isConvertedInt32(division.getLhs()) ||
        !bertc::divisionOfIntegersIsMultiplication(*divisor))
      return rewriter.notifyMatchFailure(division, "not an exact case");
    Location loc = division.getLoc();
    Type f32 = division.getType();
    auto shaped = dyn_cast<ShapedType>(f32);
    Type f64 = shaped ? Type(shaped.clone(rewriter.getF64Type()))
                      : Type(rewriter.getF64Type());
    TypedAttr reciprocal =
        rewriter.getF64FloatAttr(1.0 / static_cast<double>(*divisor));
    if (shaped)
      reciprocal = SplatElementsAttr::get(cast<ShapedType>(f64), reciprocal);
    Value wide = arith::ExtFOp::create(rewriter, loc, f64, division.getLhs());
    Value factor = arith::ConstantOp::create(rewriter, loc, reciprocal);
    Value product = arith::MulFOp::create(rewriter, loc, wide, factor);
    rewriter.replaceOpWithNewOp<arith::TruncFOp>(division, f32, product);
    return success();
  }
};

struct ExactConstantDivisionPass
    : bertc::impl::ExactConstantDivisionPassBase<ExactConstantDivisionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DivisionToMultiplication>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
