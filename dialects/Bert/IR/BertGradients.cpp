//===- BertGradients.cpp - Reverse-mode rules of the bert ops -------------===//
//
// Each op's derivative, emitted as bert ops and linalg on tensors so that the
// backward pass lowers with the rest of the graph. Forward quantities the
// rules need (softmax probabilities, LayerNorm's x-hat) are recomputed from
// the op's operands with the same builders the lowering uses, so that the
// backward pass sees the values the forward computed.
//
//===----------------------------------------------------------------------===//

#include "dialects/Bert/IR/Bert.h"

#include "bertc/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"

#include <cmath>

using namespace mlir;
using namespace bertc;
using namespace bertc::bert;
using IT = utils::IteratorType;

static Value mul(OpBuilder &b, Location l, Value x, Value y) {
  return arith::MulFOp::create(b, l, x, y);
}
static Value add(OpBuilder &b, Location l, Value x, Value y) {
  return arith::AddFOp::create(b, l, x, y);
}
static Value sub(OpBuilder &b, Location l, Value x, Value y) {
  return arith::SubFOp::create(b, l, x, y);
}

/// A map of the (b, h, i, j, e) iteration space of the per-head products
/// onto the axes `dims`.
static AffineMap headMap(MLIRContext *context, ArrayRef<unsigned> dims) {
  SmallVector<AffineExpr> exprs;
  for (unsigned dim : dims)
    exprs.push_back(getAffineDimExpr(dim, context));
  return AffineMap::get(5, 0, exprs, context);
}

/// `value` cast to `type` where a static size became dynamic on the way.
static Value castTo(OpBuilder &builder, Location loc, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return tensor::CastOp::create(builder, loc, type, value);
}

//===----------------------------------------------------------------------===//
// linear
//===----------------------------------------------------------------------===//

/// `value` [r..., c] as a matrix [r0 * ... , c] (itself when rank 2).
static Value asRowsMatrix(OpBuilder &builder, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  unsigned rank = type.getRank();
  if (rank == 2)
    return value;
  ReassociationIndices rowsGroup, featuresGroup = {int64_t(rank) - 1};
  for (unsigned i = 0; i + 1 < rank; ++i)
    rowsGroup.push_back(i);
  SmallVector<ReassociationIndices> groups = {rowsGroup, featuresGroup};
  return tensor::CollapseShapeOp::create(builder, loc, value, groups);
}

/// `matrix` [a, b] transposed to [b, a].
static Value buildTransposed(OpBuilder &builder, Location loc, Value matrix) {
  auto type = cast<RankedTensorType>(matrix.getType());
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(builder, loc, matrix);
  Value empty = tensor::EmptyOp::create(builder, loc, {sizes[1], sizes[0]},
                                        type.getElementType());
  Value transposed = linalg::TransposeOp::create(builder, loc, matrix, empty,
                                                 ArrayRef<int64_t>{1, 0})
                         .getResult()[0];
  return castTo(builder, loc, transposed,
                RankedTensorType::get({type.getDimSize(1), type.getDimSize(0)},
                                      type.getElementType()));
}

/// y = x W^T + b:  dx = g W,  dW = sum_rows g^T x,  db = sum_rows g.
///
/// Both products are bert.linear ops, so that they run on the GEMM kernels
/// (bert-lower-linears) like the forward: dx = linear(g, W^T) and, with g
/// and x as [rows, features] matrices, dW = linear(g^T, x^T): its "weight"
/// x^T [K, rows] is x itself to the lowering, a [rows, K] operand whose
/// reduction length, the batch's rows, is known at run time only.
LogicalResult LinearOp::buildGradients(OpBuilder &builder,
                                       ValueRange resultGradients,
                                       SmallVectorImpl<Value> &operandGradients) {
  Location loc = getLoc();
  Value g = resultGradients[0];
  Value x = getInput(), w = getWeight();
  operandGradients.assign(getNumOperands(), Value());

  // dx: a linear with the transposed weight [K, N], no bias.
  operandGradients[0] = LinearOp::create(builder, loc, x.getType(), g,
                                         buildTransposed(builder, loc, w),
                                         Value());

  // dW [N, K] = g^T [N, rows] . x [rows, K].
  Value gRows = asRowsMatrix(builder, loc, g);
  Value xRows = asRowsMatrix(builder, loc, x);
  RankedTensorType weightType = getWeight().getType();
  operandGradients[1] = LinearOp::create(
      builder, loc,
      RankedTensorType::get(weightType.getShape(), builder.getF32Type()),
      buildTransposed(builder, loc, gRows), buildTransposed(builder, loc, xRows),
      Value());
  operandGradients[1] = castTo(builder, loc, operandGradients[1], w.getType());

  if (Value bias = getBias())
    operandGradients[2] =
        castTo(builder, loc, buildSumOverRows(builder, loc, g), bias.getType());
  return success();
}

//===----------------------------------------------------------------------===//
// layer_norm
//===----------------------------------------------------------------------===//

/// y = x-hat gamma + beta with x-hat = (x - mean) / deviation:
///   dgamma = sum_rows g x-hat,  dbeta = sum_rows g,
///   dx = (gy - mean(gy) - x-hat mean(gy x-hat)) / deviation, gy = g gamma.
LogicalResult
LayerNormOp::buildGradients(OpBuilder &builder, ValueRange resultGradients,
                            SmallVectorImpl<Value> &operandGradients) {
  Location loc = getLoc();
  Value g = resultGradients[0];
  Value epsilon = arith::ConstantOp::create(builder, loc, getEpsilonAttr());
  NormalizedRows rows = buildNormalizedRows(builder, loc, getInput(), epsilon);
  Value width = buildLastAxisSizeF32(builder, loc, g);
  auto rowMean = [&](Value values) {
    Value sums = buildRowSum(builder, loc, values);
    return buildElementwise(builder, loc, {sums},
                            [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                              return arith::DivFOp::create(b, l, args[0], width);
                            });
  };
  Value scaled = buildColumnwise(
      builder, loc, g, {getGamma()},
      [](OpBuilder &b, Location l, ValueRange args) { return mul(b, l, args[0], args[1]); });
  Value scaledTimesNormalized = buildElementwise(
      builder, loc, {scaled, rows.normalized},
      [](OpBuilder &b, Location l, ValueRange args) { return mul(b, l, args[0], args[1]); });
  Value meanScaled = rowMean(scaled);
  Value meanProjection = rowMean(scaledTimesNormalized);
  Value projection = buildRowwise(
      builder, loc, rows.normalized, {meanProjection},
      [](OpBuilder &b, Location l, ValueRange args) { return mul(b, l, args[0], args[1]); });
  Value difference = buildElementwise(
      builder, loc, {scaled, projection},
      [](OpBuilder &b, Location l, ValueRange args) { return sub(b, l, args[0], args[1]); });
  Value dx = buildRowwise(
      builder, loc, difference, {meanScaled, rows.deviation},
      [](OpBuilder &b, Location l, ValueRange args) -> Value {
        return arith::DivFOp::create(b, l, sub(b, l, args[0], args[1]), args[2]);
      });
  Value gTimesNormalized = buildElementwise(
      builder, loc, {g, rows.normalized},
      [](OpBuilder &b, Location l, ValueRange args) { return mul(b, l, args[0], args[1]); });
  operandGradients.assign(getNumOperands(), Value());
  operandGradients[0] = dx;
  operandGradients[1] = castTo(
      builder, loc, buildSumOverRows(builder, loc, gTimesNormalized),
      getGamma().getType());
  operandGradients[2] = castTo(builder, loc, buildSumOverRows(builder, loc, g),
                               getBeta().getType());
  return success();
}

//===----------------------------------------------------------------------===//
// gelu and softmax
//===----------------------------------------------------------------------===//

/// erf form: d/dx [x Phi(x)] = Phi(x) + x phi(x). tanh form: with
/// t = tanh(u), u = sqrt(2/pi) (x + 0.044715 x^3):
/// (1 + t) / 2 + x (1 - t^2) sqrt(2/pi) (1 + 3 0.044715 x^2) / 2.
LogicalResult GeluOp::buildGradients(OpBuilder &builder,
                                     ValueRange resultGradients,
                                     SmallVectorImpl<Value> &operandGradients) {
  bool useErf = getApproximation() == GeluApproximation::Erf;
  Value dx = buildElementwise(
      builder, getLoc(), {getInput(), resultGradients[0]},
      [&](OpBuilder &b, Location l, ValueRange args) -> Value {
        Value x = args[0];
        auto f32 = [&](double value) {
          return buildF32(b, l, static_cast<float>(value));
        };
        Value slope;
        if (useErf) {
          Value cdf = mul(b, l, f32(0.5),
                          add(b, l, f32(1),
                              math::ErfOp::create(b, l, mul(b, l, x, f32(M_SQRT1_2)))));
          Value density =
              mul(b, l, f32(0.5 * M_2_SQRTPI * M_SQRT1_2),
                  math::ExpOp::create(b, l, mul(b, l, f32(-0.5), mul(b, l, x, x))));
          slope = add(b, l, cdf, mul(b, l, x, density));
        } else {
          Value square = mul(b, l, x, x);
          Value inner = mul(b, l, x, add(b, l, f32(1), mul(b, l, f32(0.044715), square)));
          Value t = math::TanhOp::create(b, l, mul(b, l, f32(std::sqrt(2.0 / M_PI)), inner));
          Value innerSlope = mul(b, l, f32(std::sqrt(2.0 / M_PI)),
                                 add(b, l, f32(1), mul(b, l, f32(3 * 0.044715), square)));
          Value tanhSlope = sub(b, l, f32(1), mul(b, l, t, t));
          slope = mul(b, l, f32(0.5),
                      add(b, l, add(b, l, f32(1), t),
                          mul(b, l, x, mul(b, l, tanhSlope, innerSlope))));
        }
        return mul(b, l, args[1], slope);
      });
  operandGradients.assign(1, dx);
  return success();
}

/// y = softmax(x):  dx = y (g - sum_row(g y)).
LogicalResult
SoftmaxOp::buildGradients(OpBuilder &builder, ValueRange resultGradients,
                          SmallVectorImpl<Value> &operandGradients) {
  Location loc = getLoc();
  Value y = getOutput(), g = resultGradients[0];
  Value products = buildElementwise(
      builder, loc, {g, y},
      [](OpBuilder &b, Location l, ValueRange args) { return mul(b, l, args[0], args[1]); });
  Value projections = buildRowSum(builder, loc, products);
  Value centered = buildRowwise(
      builder, loc, g, {projections},
      [](OpBuilder &b, Location l, ValueRange args) { return sub(b, l, args[0], args[1]); });
  operandGradients.assign(1, buildElementwise(builder, loc, {y, centered},
                                              [](OpBuilder &b, Location l, ValueRange args) {
                                                return mul(b, l, args[0], args[1]);
                                              }));
  return success();
}

//===----------------------------------------------------------------------===//
// embedding
//===----------------------------------------------------------------------===//

/// dtable[v, :] = sum of g[t, :] over the tokens t with id v (a scatter-add,
/// one row per token, in place in the accumulator), except padding_idx's
/// row, which stays 0 as in nn.Embedding. Ids are clamped as the forward
/// clamps them.
LogicalResult
EmbeddingOp::buildGradients(OpBuilder &builder, ValueRange resultGradients,
                            SmallVectorImpl<Value> &operandGradients) {
  Location loc = getLoc();
  Value ids = getIds(), g = resultGradients[0], table = getTable();
  auto idsType = getIds().getType();
  // Flatten the token axes: ids [T], g [T, H].
  if (idsType.getRank() != 1) {
    ReassociationIndices all;
    for (int64_t axis = 0; axis < idsType.getRank(); ++axis)
      all.push_back(axis);
    ids = tensor::CollapseShapeOp::create(builder, loc, ids,
                                          ArrayRef<ReassociationIndices>{all});
    ReassociationIndices last = {idsType.getRank()};
    g = tensor::CollapseShapeOp::create(builder, loc, g,
                                        ArrayRef<ReassociationIndices>{all, last});
  }
  Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
  Value one = arith::ConstantIndexOp::create(builder, loc, 1);
  Value tokens = tensor::DimOp::create(builder, loc, ids, 0);
  Value vocab = tensor::DimOp::create(builder, loc, table, 0);
  Value lastRow = arith::SubIOp::create(builder, loc, vocab, one);
  OpFoldResult hidden = tensor::getMixedSizes(builder, loc, table)[1];
  std::optional<int64_t> padding = getPaddingIdx();

  auto loop = scf::ForOp::create(
      builder, loc, zero, tokens, one, ValueRange{buildZerosLike(builder, loc, table)},
      [&](OpBuilder &b, Location l, Value token, ValueRange carried) {
        Value accumulator = carried[0];
        Value id = tensor::ExtractOp::create(b, l, ids, ValueRange{token});
        Value row = arith::IndexCastOp::create(b, l, b.getIndexType(), id);
        row = arith::MaxSIOp::create(b, l, row, zero);
        row = arith::MinSIOp::create(b, l, row, lastRow);
        OpFoldResult oneSize = b.getIndexAttr(1);
        SmallVector<OpFoldResult> strides(2, oneSize);
        auto rowType = RankedTensorType::get(
            {getTable().getType().getDimSize(1)}, b.getF32Type());
        Value gradientRow = tensor::ExtractSliceOp::create(
            b, l, rowType, g, ArrayRef<OpFoldResult>{token, b.getIndexAttr(0)},
            ArrayRef<OpFoldResult>{oneSize, hidden}, strides);
        Value tableRow = tensor::ExtractSliceOp::create(
            b, l, rowType, accumulator,
            ArrayRef<OpFoldResult>{row, b.getIndexAttr(0)},
            ArrayRef<OpFoldResult>{oneSize, hidden}, strides);
        Value keep = arith::ConstantIntOp::create(b, l, 0, 1);
        if (padding)
          keep = arith::CmpIOp::create(
              b, l, arith::CmpIPredicate::eq, row,
              arith::ConstantIndexOp::create(b, l, *padding));
        Value sum = buildElementwise(
            b, l, {tableRow, gradientRow},
            [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
              return arith::SelectOp::create(nb, nl, keep, args[0],
                                             add(nb, nl, args[0], args[1]));
            });
        Value updated = tensor::InsertSliceOp::create(
            b, l, sum, accumulator, ArrayRef<OpFoldResult>{row, b.getIndexAttr(0)},
            ArrayRef<OpFoldResult>{oneSize, hidden}, strides);
        scf::YieldOp::create(b, l, updated);
      });
  operandGradients.assign(getNumOperands(), Value());
  operandGradients[0] = loop.getResult(0);
  return success();
}

//===----------------------------------------------------------------------===//
// attention
//===----------------------------------------------------------------------===//

Value bertc::bert::buildAttentionProbabilities(OpBuilder &builder,
                                               Location loc, Value scores,
                                               AttentionProbabilities kind,
                                               const DropoutSite &dropout) {
  auto indicator = [&](Value x, arith::CmpFPredicate predicate) {
    return buildElementwise(builder, loc, {x},
                            [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                              Value test = arith::CmpFOp::create(
                                  b, l, predicate, args[0], buildF32(b, l, 0));
                              return arith::UIToFPOp::create(b, l, b.getF32Type(),
                                                             test);
                            });
  };
  auto drop = [&](Value x) { return buildDropout(builder, loc, x, dropout); };
  switch (kind) {
  case AttentionProbabilities::Softmax:
    return drop(buildSoftmax(builder, loc, scores));
  case AttentionProbabilities::Bool:
    return indicator(drop(scores), arith::CmpFPredicate::OGT);
  case AttentionProbabilities::BoolPaper:
    return indicator(drop(scores), arith::CmpFPredicate::OGE);
  case AttentionProbabilities::SignSoftmax:
    return indicator(drop(buildSoftmax(builder, loc, scores)),
                     arith::CmpFPredicate::OGT);
  }
  llvm_unreachable("unknown attention probabilities");
}

/// dS/sqrt(d) from dP, the gradient of the weights P, for each kind:
/// softmax's Jacobian (sign(softmax)'s STE passes probabilities unchanged,
/// all of them lying inside its window unless dropout scales them above
/// 1), or bool's window on the scores.
/// Dropout D is linear with itself as its gradient: softmax kinds take
/// D(dP) into the Jacobian; bool sees the window on D(S) and returns D of
/// the windowed gradient. `weights` is P when it is plain softmax(S).
static Value buildScoreGradient(OpBuilder &builder, Location loc, Value dp,
                                Value scores, Value weights,
                                AttentionProbabilities kind, float root,
                                const DropoutSite &dropout) {
  auto drop = [&](Value x) { return buildDropout(builder, loc, x, dropout); };
  Value inverseRoot = buildF32(builder, loc, 1.0f / root);
  if (kind == AttentionProbabilities::Bool ||
      kind == AttentionProbabilities::BoolPaper) {
    auto predicate = kind == AttentionProbabilities::Bool
                         ? arith::CmpFPredicate::OLT
                         : arith::CmpFPredicate::OLE;
    return drop(buildElementwise(
        builder, loc, {dp, drop(scores)},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value inside = arith::CmpFOp::create(
              b, l, predicate, math::AbsFOp::create(b, l, args[1]),
              buildF32(b, l, 1));
          return arith::SelectOp::create(b, l, inside,
                                         mul(b, l, args[0], inverseRoot),
                                         buildF32(b, l, 0));
        }));
  }
  Value p = kind == AttentionProbabilities::Softmax && !dropout.active()
                ? weights
                : buildSoftmax(builder, loc, scores);
  // sign(D(softmax)): the STE's inclusive window |x| <= 1 can close only
  // where dropout scales a probability above 1.
  if (kind == AttentionProbabilities::SignSoftmax && dropout.active())
    dp = buildElementwise(builder, loc, {dp, drop(p)},
                          [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                            Value inside = arith::CmpFOp::create(
                                b, l, arith::CmpFPredicate::OLE, args[1],
                                buildF32(b, l, 1));
                            return arith::SelectOp::create(b, l, inside, args[0],
                                                           buildF32(b, l, 0));
                          });
  dp = drop(dp);
  Value projections = buildRowSum(
      builder, loc,
      buildElementwise(builder, loc, {dp, p},
                       [](OpBuilder &b, Location l, ValueRange args) {
                         return mul(b, l, args[0], args[1]);
                       }));
  Value ds = buildRowwise(
      builder, loc, dp, {projections},
      [&](OpBuilder &b, Location l, ValueRange args) { return sub(b, l, args[0], args[1]); });
  return buildElementwise(builder, loc, {ds, p},
                          [&](OpBuilder &b, Location l, ValueRange args) {
                            return mul(b, l, mul(b, l, args[0], args[1]), inverseRoot);
                          });
}

/// Per head, with S = Q K^T / sqrt(d) + M, P the weights made of S (softmax
/// for BERT; SEMANTICS.md 2.9's bool for Bi-Attention), O = P V and G the
/// gradient of O:
///   dV = P^T G,  dP = G V^T,  dS from dP (buildScoreGradient),
///   dQ = dS K / sqrt(d),  dK = dS^T Q / sqrt(d);  the mask gets none.
/// P is recomputed from Q and K as the lowering computes it.
LogicalResult
AttentionOp::buildGradients(OpBuilder &builder, ValueRange resultGradients,
                            SmallVectorImpl<Value> &operandGradients) {
  Location loc = getLoc();
  auto type = getType();
  int64_t hidden = type.getDimSize(2);
  if (ShapedType::isDynamic(hidden))
    return emitOpError() << "needs a static hidden size for its gradient";
  int64_t heads = getHeads(), headSize = hidden / heads;
  MLIRContext *context = getContext();
  Value q = buildSplitHeads(builder, loc, getQuery(), heads);
  Value k = buildSplitHeads(builder, loc, getKey(), heads);
  Value v = buildSplitHeads(builder, loc, getValue(), heads);
  Value g = buildSplitHeads(builder, loc, resultGradients[0], heads);
  Value batch = tensor::DimOp::create(builder, loc, getQuery(), 0);
  Value length = tensor::DimOp::create(builder, loc, getQuery(), 1);
  int64_t dyn = ShapedType::kDynamic;
  Value scoreZeros = buildZeros(builder, loc, {dyn, heads, dyn, dyn},
                                {batch, length, length});
  auto headZeros = [&] {
    return buildZeros(builder, loc, {dyn, dyn, heads, headSize}, {batch, length});
  };
  auto map = [&](ArrayRef<unsigned> dims) { return headMap(context, dims); };
  const IT lastReduced[] = {IT::parallel, IT::parallel, IT::parallel,
                            IT::parallel, IT::reduction};

  // Iteration (b, h, i, j, e) for the [B, h, L, L] products.
  Value scores = buildContraction(builder, loc, q, k, scoreZeros,
                                  {map({0, 2, 1, 4}), map({0, 3, 1, 4}),
                                   map({0, 1, 2, 3})},
                                  lastReduced);
  float root = static_cast<float>(std::sqrt(double(headSize)));
  scores = buildScaledMaskedScores(builder, loc, scores, getMask(), root);
  Value p = buildAttentionProbabilities(builder, loc, scores, getProbabilities(),
                                        getDropoutSite());
  Value dp = buildContraction(builder, loc, g, v, scoreZeros,
                              {map({0, 2, 1, 4}), map({0, 3, 1, 4}),
                               map({0, 1, 2, 3})},
                              lastReduced);
  Value ds = buildScoreGradient(builder, loc, dp, scores, p,
                                getProbabilities(), root, getDropoutSite());

  // The [B, L, h, d] gradients iterate (b, h, i, j, e) with e innermost:
  // e runs along rows of Q, K, V, G and the result, so each step is a
  // vectorizable scalar-times-row update (a reduction innermost would read
  // them with strides).
  const IT rowsReduced[] = {IT::parallel, IT::parallel, IT::reduction,
                            IT::parallel, IT::parallel};
  const IT columnsReduced[] = {IT::parallel, IT::parallel, IT::parallel,
                               IT::reduction, IT::parallel};
  Value dq = buildContraction(builder, loc, ds, k, headZeros(),
                              {map({0, 1, 2, 3}), map({0, 3, 1, 4}),
                               map({0, 2, 1, 4})},
                              columnsReduced);
  Value dk = buildContraction(builder, loc, ds, q, headZeros(),
                              {map({0, 1, 2, 3}), map({0, 2, 1, 4}),
                               map({0, 3, 1, 4})},
                              rowsReduced);
  Value dv = buildContraction(builder, loc, p, g, headZeros(),
                              {map({0, 1, 2, 3}), map({0, 2, 1, 4}),
                               map({0, 3, 1, 4})},
                              rowsReduced);
  operandGradients.assign(getNumOperands(), Value());
  operandGradients[0] = castTo(builder, loc, buildMergeHeads(builder, loc, dq), type);
  operandGradients[1] = castTo(builder, loc, buildMergeHeads(builder, loc, dk), type);
  operandGradients[2] = castTo(builder, loc, buildMergeHeads(builder, loc, dv), type);
  return success();
}

//===----------------------------------------------------------------------===//
// dropout
//===----------------------------------------------------------------------===//

/// Dropout is x * m / (1 - p) with a mask m that does not depend on x: its
/// gradient is the same op on the incoming gradient (the mask recomputed
/// from the seed, stream and index). The seed gets none.
LogicalResult DropoutOp::buildGradients(OpBuilder &builder,
                                        ValueRange resultGradients,
                                        SmallVectorImpl<Value> &operandGradients) {
  operandGradients.assign(getNumOperands(), Value());
  operandGradients[0] = DropoutOp::create(builder, getLoc(), getType(),
                                          resultGradients[0], getSeed(),
                                          getStreamAttr(), getRateAttr());
  return success();
}

//===----------------------------------------------------------------------===//
// cross_entropy
//===----------------------------------------------------------------------===//

/// loss = mean_b (logsumexp(z_b) - z_b[y_b]):  dz = g (softmax(z) - onehot(y)) / B.
LogicalResult
CrossEntropyOp::buildGradients(OpBuilder &builder, ValueRange resultGradients,
                               SmallVectorImpl<Value> &operandGradients) {
  Location loc = getLoc();
  Value scale = tensor::ExtractOp::create(builder, loc, resultGradients[0],
                                          ValueRange{});
  Value rows = tensor::DimOp::create(builder, loc, getLogits(), 0);
  Value rowsF32 = arith::UIToFPOp::create(
      builder, loc, builder.getF32Type(),
      arith::IndexCastUIOp::create(builder, loc, builder.getI64Type(), rows));
  scale = arith::DivFOp::create(builder, loc, scale, rowsF32);
  Type labelType = getLabels().getType().getElementType();
  Value dz = buildRowwise(
      builder, loc, buildSoftmax(builder, loc, getLogits()), {getLabels()},
      [&](OpBuilder &b, Location l, ValueRange args) -> Value {
        Value column = arith::IndexCastOp::create(
            b, l, labelType, linalg::IndexOp::create(b, l, 1));
        Value isLabel =
            arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, column, args[1]);
        Value shifted = arith::SelectOp::create(
            b, l, isLabel, sub(b, l, args[0], buildF32(b, l, 1)), args[0]);
        return mul(b, l, shifted, scale);
      });
  operandGradients.assign(getNumOperands(), Value());
  operandGradients[0] = dz;
  return success();
}

//===----------------------------------------------------------------------===//
// BiBERT distillation: soft cross-entropy, head similarity, distance
//===----------------------------------------------------------------------===//

/// g / (rows * columns) of a [B, C] tensor, as an f32 scalar.
static Value scalePerElement(OpBuilder &builder, Location loc, Value gradient,
                             Value x) {
  Value scale = tensor::ExtractOp::create(builder, loc, gradient, ValueRange{});
  return arith::DivFOp::create(builder, loc, scale,
                               buildElementCountF32(builder, loc, x));
}

/// loss = -(1/(BC)) sum p_t log_softmax(z), p_t = softmax(t):
///   dz = g (softmax(z) - p_t) / (BC),
///   dt = -g p_t (log_softmax(z) - sum_c p_t log_softmax(z)) / (BC).
LogicalResult
SoftCrossEntropyOp::buildGradients(OpBuilder &builder, ValueRange resultGradients,
                                   SmallVectorImpl<Value> &operandGradients) {
  Location loc = getLoc();
  Value scale = scalePerElement(builder, loc, resultGradients[0], getLogits());
  Value targets = buildSoftmax(builder, loc, getTargets());
  Value dz = buildElementwise(
      builder, loc, {buildSoftmax(builder, loc, getLogits()), targets},
      [&](OpBuilder &b, Location l, ValueRange args) -> Value {
        return mul(b, l, sub(b, l, args[0], args[1]), scale);
      });
  Value logProbabilities = buildLogSoftmax(builder, loc, getLogits());
  Value expected = buildRowSum(
      builder, loc,
      buildElementwise(builder, loc, {targets, logProbabilities},
                       [](OpBuilder &b, Location l, ValueRange args) {
                         return mul(b, l, args[0], args[1]);
                       }));
  Value centred = buildRowwise(
      builder, loc, logProbabilities, {expected},
      [](OpBuilder &b, Location l, ValueRange args) { return sub(b, l, args[0], args[1]); });
  Value dt = buildElementwise(
      builder, loc, {targets, centred},
      [&](OpBuilder &b, Location l, ValueRange args) -> Value {
        return mul(b, l, mul(b, l, args[0], args[1]),
                   arith::NegFOp::create(b, l, scale));
      });
  operandGradients.assign({dz, dt});
  return success();
}

/// S = X X^T / sqrt(d) per head:  dX = (G + G^T) X / sqrt(d).
LogicalResult
HeadSimilarityOp::buildGradients(OpBuilder &builder, ValueRange resultGradients,
                                 SmallVectorImpl<Value> &operandGradients) {
  Location loc = getLoc();
  auto type = getInput().getType();
  int64_t heads = getHeads(), headSize = type.getDimSize(2) / heads;
  MLIRContext *context = getContext();
  Value x = buildSplitHeads(builder, loc, getInput(), heads);
  Value g = resultGradients[0];
  Value batch = tensor::DimOp::create(builder, loc, getInput(), 0);
  Value length = tensor::DimOp::create(builder, loc, getInput(), 1);
  int64_t dyn = ShapedType::kDynamic;
  Value zeros =
      buildZeros(builder, loc, {dyn, dyn, heads, headSize}, {batch, length});
  auto map = [&](ArrayRef<unsigned> dims) { return headMap(context, dims); };
  // (b, h, i, j, e), j reduced, e innermost: G's rows, then its columns
  // (G^T), accumulate into the same dX.
  const IT columnsReduced[] = {IT::parallel, IT::parallel, IT::parallel,
                               IT::reduction, IT::parallel};
  Value dx = buildContraction(builder, loc, g, x, zeros,
                              {map({0, 1, 2, 3}), map({0, 3, 1, 4}),
                               map({0, 2, 1, 4})},
                              columnsReduced);
  dx = buildContraction(builder, loc, g, x, dx,
                        {map({0, 1, 3, 2}), map({0, 3, 1, 4}), map({0, 2, 1, 4})},
                        columnsReduced);
  Value inverseRoot = buildF32(
      builder, loc, 1.0f / static_cast<float>(std::sqrt(double(headSize))));
  dx = buildElementwise(builder, loc, {dx},
                        [&](OpBuilder &b, Location l, ValueRange args) {
                          return mul(b, l, args[0], inverseRoot);
                        });
  operandGradients.assign(
      1, castTo(builder, loc, buildMergeHeads(builder, loc, dx), type));
  return success();
}

/// l = ||u - v||, u = f(S)/||f(S)||, v = f(T)/||f(T)||, w = (u - v)/l
/// (0 where l = 0):  dS = g (w - u <u, w>) / ||f(S)||,
/// dT = g (v <v, w> - w) / ||f(T)||, both 0 where f filtered the entry.
LogicalResult NormalizedDistanceOp::buildGradients(
    OpBuilder &builder, ValueRange resultGradients,
    SmallVectorImpl<Value> &operandGradients) {
  Location loc = getLoc();
  NormalizedDifference parts =
      buildNormalizedDifference(builder, loc, getStudent(), getTeacher());
  Value g = tensor::ExtractOp::create(builder, loc, resultGradients[0],
                                      ValueRange{});
  Value zero = buildF32(builder, loc, 0);
  Value nonZero = arith::CmpFOp::create(builder, loc, arith::CmpFPredicate::ONE,
                                        parts.distance, zero);
  Value inverse = arith::SelectOp::create(
      builder, loc, nonZero,
      arith::DivFOp::create(builder, loc, buildF32(builder, loc, 1),
                            parts.distance),
      zero);
  Value w = buildElementwise(builder, loc, {parts.difference},
                             [&](OpBuilder &b, Location l, ValueRange args) {
                               return mul(b, l, args[0], inverse);
                             });
  auto projection = [&](Value normalized) {
    return buildTotalSum(
        builder, loc,
        buildElementwise(builder, loc, {normalized, w},
                         [](OpBuilder &b, Location l, ValueRange args) {
                           return mul(b, l, args[0], args[1]);
                         }));
  };
  // sign +1: (w - u <u,w>) for the student; -1: (v <v,w> - w), the teacher.
  auto gradient = [&](Value x, Value normalized, Value norm, float sign) {
    Value along = projection(normalized);
    Value factor = arith::DivFOp::create(builder, loc, g, norm);
    return buildElementwise(
        builder, loc, {x, normalized, w},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value direction = sub(b, l, args[2], mul(b, l, args[1], along));
          Value signedDirection = mul(b, l, direction, buildF32(b, l, sign));
          return mul(b, l, mul(b, l, signedDirection, factor),
                     buildKeptByDistance(b, l, args[0]));
        });
  };
  operandGradients.assign(
      {gradient(getStudent(), parts.u, parts.studentNorm, 1.0f),
       gradient(getTeacher(), parts.v, parts.teacherNorm, -1.0f)});
  return success();
}
