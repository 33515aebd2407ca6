//===- BQGradients.cpp - Straight-through estimators of bq ops ------------===//
//
// Each quantizer's backward rule (SEMANTICS.md 1.8 and 2.9), emitted as
// linalg on tensors so that the training-mode lowering can splice it into a
// backward pass and lower it with the rest of the graph.
//
//===----------------------------------------------------------------------===//

#include "dialects/BQ/IR/BQ.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"

using namespace mlir;
using namespace bertc::bq;

//===----------------------------------------------------------------------===//
// Builders for the window and row-centring rules
//===----------------------------------------------------------------------===//

using ScalarBody = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// An elementwise linalg.generic over same-shaped f32 tensors.
static Value buildElementwise(OpBuilder &builder, Location loc,
                              ValueRange inputs, ScalarBody body) {
  auto type = cast<RankedTensorType>(inputs.front().getType());
  Value init = tensor::EmptyOp::create(
      builder, loc, tensor::getMixedSizes(builder, loc, inputs.front()),
      type.getElementType());
  unsigned rank = type.getRank();
  SmallVector<AffineMap> maps(inputs.size() + 1,
                              builder.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      builder, loc, TypeRange{type}, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args.drop_back());
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  return generic.getResult(0);
}

/// g where x lies in the STE window (|x| <= 1 or |x| < 1), else 0.
static Value buildWindowedGradient(OpBuilder &builder, Location loc, Value x,
                                   Value gradient, SteWindow window) {
  auto predicate = window == SteWindow::Inclusive ? arith::CmpFPredicate::OLE
                                                  : arith::CmpFPredicate::OLT;
  return buildElementwise(
      builder, loc, {x, gradient},
      [&](OpBuilder &b, Location l, ValueRange args) -> Value {
        Value magnitude = math::AbsFOp::create(b, l, args[0]);
        Value one = arith::ConstantOp::create(b, l, b.getF32FloatAttr(1.0f));
        Value zero = arith::ConstantOp::create(b, l, b.getF32FloatAttr(0.0f));
        Value inside = arith::CmpFOp::create(b, l, predicate, magnitude, one);
        return arith::SelectOp::create(b, l, inside, args[1], zero);
      });
}

/// x - rowmean(x) for a rank-2 tensor, rows along axis 0.
static Value buildRowCentered(OpBuilder &builder, Location loc, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  Type f32 = type.getElementType();
  MLIRContext *context = builder.getContext();
  AffineExpr row = getAffineDimExpr(0, context);
  AffineMap full = builder.getMultiDimIdentityMap(2);
  AffineMap perRow = AffineMap::get(2, 0, {row}, context);

  OpFoldResult rows = tensor::getMixedSize(builder, loc, x, 0);
  Value zeros = linalg::FillOp::create(
                    builder, loc,
                    ValueRange{arith::ConstantOp::create(
                        builder, loc, builder.getF32FloatAttr(0.0f))},
                    ValueRange{tensor::EmptyOp::create(
                        builder, loc, ArrayRef<OpFoldResult>{rows}, f32)})
                    .getResult(0);
  Value sums =
      linalg::GenericOp::create(
          builder, loc, TypeRange{zeros.getType()}, ValueRange{x},
          ValueRange{zeros}, ArrayRef<AffineMap>{full, perRow},
          ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                        utils::IteratorType::reduction},
          [](OpBuilder &b, Location l, ValueRange args) {
            linalg::YieldOp::create(
                b, l, ValueRange{arith::AddFOp::create(b, l, args[0], args[1])});
          })
          .getResult(0);

  Value columns = tensor::DimOp::create(builder, loc, x, 1);
  Value columnsF32 = arith::UIToFPOp::create(
      builder, loc, f32,
      arith::IndexCastUIOp::create(builder, loc, builder.getI64Type(), columns));
  Value init = tensor::EmptyOp::create(
      builder, loc, tensor::getMixedSizes(builder, loc, x), f32);
  return linalg::GenericOp::create(
             builder, loc, TypeRange{type}, ValueRange{x, sums},
             ValueRange{init}, ArrayRef<AffineMap>{full, perRow, full},
             ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                           utils::IteratorType::parallel},
             [&](OpBuilder &b, Location l, ValueRange args) {
               Value mean = arith::DivFOp::create(b, l, args[1], columnsF32);
               linalg::YieldOp::create(
                   b, l, ValueRange{arith::SubFOp::create(b, l, args[0], mean)});
             })
      .getResult(0);
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
