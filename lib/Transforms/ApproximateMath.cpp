//===- ApproximateMath.cpp - Polynomial erf, exp and tanh -----------------===//

#include "bertc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/StringSet.h"

namespace bertc {
#define GEN_PASS_DEF_APPROXIMATEMATHPASS
#include "bertc/Transforms/Passes.h.inc"
} // namespace bertc

using namespace mlir;

namespace {

/// f32 erf as one rational function of x clamped to [-4, 4]: x P(x^2) /
/// Q(x^2), degrees 6 and 4 (the fit Eigen and XLA use for f32 erf;
/// |error| < 5e-7 against erf in f64 over all f32 inputs, where upstream's
/// three-interval approximation has 3e-7). Upstream picks its interval's
/// coefficients with two blends per coefficient: GELU's erf was a quarter
/// of the FFN1 kernel's time in a Q8BERT model, and this is about half
/// the instructions (2 clamps, 11 FMAs, 2 multiplies, 1 division). NaN
/// stays NaN (the clamps are compare-and-select); +-inf give +-1.
struct ErfAsOneRational : OpRewritePattern<math::ErfOp> {
  // Ahead of upstream's erf pattern (benefit 1).
  explicit ErfAsOneRational(MLIRContext *context)
      : OpRewritePattern(context, /*benefit=*/2) {}

  LogicalResult matchAndRewrite(math::ErfOp op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!getElementTypeOrSelf(type).isF32())
      return failure();
    Location l = op.getLoc();
    auto constant = [&](float value) -> Value {
      auto scalar = rewriter.getF32FloatAttr(value);
      if (auto vector = dyn_cast<VectorType>(type))
        return arith::ConstantOp::create(
            rewriter, l, DenseElementsAttr::get(vector, scalar.getValue()));
      return arith::ConstantOp::create(rewriter, l, scalar);
    };
    // Horner's rule in x^2, highest coefficient first.
    auto polynomial = [&](Value x2, ArrayRef<float> coefficients) {
      Value sum = constant(coefficients.front());
      for (float coefficient : coefficients.drop_front())
        sum = math::FmaOp::create(rewriter, l, sum, x2, constant(coefficient));
      return sum;
    };
    Value four = constant(4.0f), minusFour = constant(-4.0f);
    Value x = op.getOperand();
    Value above = arith::CmpFOp::create(rewriter, l, arith::CmpFPredicate::OGT,
                                        x, four);
    x = arith::SelectOp::create(rewriter, l, above, four, x);
    Value below = arith::CmpFOp::create(rewriter, l, arith::CmpFPredicate::OLT,
                                        x, minusFour);
    x = arith::SelectOp::create(rewriter, l, below, minusFour, x);
    Value x2 = arith::MulFOp::create(rewriter, l, x, x);
    Value numerator = arith::MulFOp::create(
        rewriter, l, x,
        polynomial(x2, {-2.72614225801306e-10f, 2.77068142495902e-08f,
                        -2.10102402082508e-06f, -5.69250639462346e-05f,
                        -7.34990630326855e-04f, -2.95459980854025e-03f,
                        -1.60960333262415e-02f}));
    Value denominator =
        polynomial(x2, {-1.45660718464996e-05f, -2.13374055278905e-04f,
                        -1.68282697438203e-03f, -7.37332916720468e-03f,
                        -1.42647390514189e-02f});
    rewriter.replaceOpWithNewOp<arith::DivFOp>(op, numerator, denominator);
    return success();
  }
};

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
    if (chosen.contains("math.erf"))
      patterns.add<ErfAsOneRational>(&getContext());
    populateMathPolynomialApproximationPatterns(
        patterns, [&](StringRef name) { return chosen.contains(name); });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
