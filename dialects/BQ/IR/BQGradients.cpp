//===- BQGradients.cpp - Straight-through estimators of bq ops ------------===//
//
// Each quantizer's backward rule (SEMANTICS.md 1.8 and 2.9), emitted as
// linalg on tensors so that the training-mode lowering can splice it into a
// backward pass and lower it with the rest of the graph.
//
//===----------------------------------------------------------------------===//

#include "dialects/BQ/IR/BQ.h"

#include "bertc/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"

using namespace mlir;
using namespace bertc;
using namespace bertc::bq;

//===----------------------------------------------------------------------===//
// Builders for the window and row-centring rules
//===----------------------------------------------------------------------===//

/// g where x lies in the STE window (|x| <= 1 or |x| < 1), else 0.
static Value buildWindowedGradient(OpBuilder &builder, Location loc, Value x,
                                   Value gradient, SteWindow window) {
  auto predicate = window == SteWindow::Inclusive ? arith::CmpFPredicate::OLE
                                                  : arith::CmpFPredicate::OLT;
  return buildElementwise(
      builder, loc, {x, gradient},
      [&](OpBuilder &b, Location l, ValueRange args) -> Value {
        Value magnitude = math::AbsFOp::create(b, l, args[0]);
        Value inside =
            arith::CmpFOp::create(b, l, predicate, magnitude, buildF32(b, l, 1));
        return arith::SelectOp::create(b, l, inside, args[1], buildF32(b, l, 0));
      });
}

/// x - rowmean(x), rows being all but the last axis.
static Value buildRowCentered(OpBuilder &builder, Location loc, Value x) {
  Value sums = buildLastAxisReduction(
      builder, loc, x, buildF32(builder, loc, 0),
      [](OpBuilder &b, Location l, ValueRange args) -> Value {
        return arith::AddFOp::create(b, l, args[0], args[1]);
      });
  Value columns = buildLastAxisSizeF32(builder, loc, x);
  return buildRowwise(builder, loc, x, {sums},
                      [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                        Value mean = arith::DivFOp::create(b, l, args[1], columns);
                        return arith::SubFOp::create(b, l, args[0], mean);
                      });
}

//===----------------------------------------------------------------------===//
// The interface implementations
//===----------------------------------------------------------------------===//

/// Q8BERT's FakeLinearQuantizationWithSTE: the identity, clamped region too.
Value FakeQuantOp::buildInputGradient(OpBuilder &, Value resultGradient) {
  return resultGradient;
}

/// BiBERT: the activation sign passes g inside the window; the weight
/// binarizer windows on the centred weights and then back-propagates through
/// the (non-detached) row centring; alpha is detached.
Value BinarizeOp::buildInputGradient(OpBuilder &builder, Value resultGradient) {
  Location loc = getLoc();
  if (getForm() == BinarizeForm::Activation)
    return buildWindowedGradient(builder, loc, getInput(), resultGradient,
                                 getWindow());
  Value centered = buildRowCentered(builder, loc, getInput());
  Value windowed = buildWindowedGradient(builder, loc, centered,
                                         resultGradient, getWindow());
  return buildRowCentered(builder, loc, windowed);
}

/// ZMeanBinaryQuantizer: g inside the window around the threshold 0.
Value BoolOp::buildInputGradient(OpBuilder &builder, Value resultGradient) {
  return buildWindowedGradient(builder, getLoc(), getInput(), resultGradient,
                               getWindow());
}
