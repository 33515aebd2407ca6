//===- LinalgBuilders.cpp - Small builders for linalg on tensors ----------===//

#include "bertc/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace bertc;
using bertc::ScalarBody;

Value bertc::buildF32(OpBuilder &builder, Location loc, float value) {
  return arith::ConstantOp::create(builder, loc, builder.getF32FloatAttr(value));
}

Value bertc::buildMultiplyAccumulate(OpBuilder &builder, Location loc,
                                     Value lhs, Value rhs, Value acc) {
  auto flags = arith::FastMathFlagsAttr::get(
      builder.getContext(),
      arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
  Value product = arith::MulFOp::create(builder, loc, lhs, rhs, flags);
  return arith::AddFOp::create(builder, loc, acc, product, flags);
}

Value bertc::buildContraction(OpBuilder &builder, Location loc, Value lhs,
                              Value rhs, Value init, ArrayRef<AffineMap> maps,
                              ArrayRef<utils::IteratorType> iterators) {
  return linalg::GenericOp::create(
             builder, loc, TypeRange{init.getType()}, ValueRange{lhs, rhs},
             ValueRange{init}, maps, iterators,
             [](OpBuilder &b, Location l, ValueRange args) {
               linalg::YieldOp::create(
                   b, l, buildMultiplyAccumulate(b, l, args[0], args[1], args[2]));
             })
      .getResult(0);
}

Value bertc::buildEmptyLike(OpBuilder &builder, Location loc, Value like,
                            Type elementType) {
  return tensor::EmptyOp::create(builder, loc,
                                 tensor::getMixedSizes(builder, loc, like),
                                 elementType);
}

Value bertc::buildFilled(OpBuilder &builder, Location loc, Value like,
                         unsigned dropTrailing, Value value) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(builder, loc, like);
  sizes.resize(sizes.size() - dropTrailing);
  Value empty = tensor::EmptyOp::create(builder, loc, sizes, value.getType());
  return linalg::FillOp::create(builder, loc, ValueRange{value},
                                ValueRange{empty})
      .getResult(0);
}

/// A linalg.generic whose body computes `body(inputs)` and yields it.
static Value buildGeneric(OpBuilder &builder, Location loc, ValueRange inputs,
                          Value init, ArrayRef<AffineMap> maps,
                          ArrayRef<utils::IteratorType> iterators,
                          ScalarBody body) {
  auto generic = linalg::GenericOp::create(
      builder, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        linalg::YieldOp::create(nested, nestedLoc,
                                ValueRange{body(nested, nestedLoc, args)});
      });
  return generic.getResult(0);
}

Value bertc::buildElementwise(OpBuilder &builder, Location loc,
                              ValueRange inputs, ScalarBody body,
                              Type resultElement) {
  Value first = inputs.front();
  auto type = cast<RankedTensorType>(first.getType());
  Value init = buildEmptyLike(builder, loc, first,
                              resultElement ? resultElement
                                            : type.getElementType());
  unsigned rank = type.getRank();
  SmallVector<AffineMap> maps(inputs.size() + 1,
                              builder.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return buildGeneric(builder, loc, inputs, init, maps, iterators,
                      [&](OpBuilder &b, Location l, ValueRange args) {
                        return body(b, l, args.drop_back());
                      });
}

/// The map from a rank-n iteration space to its first n - 1 dimensions.
static AffineMap dropLastDim(OpBuilder &builder, unsigned rank) {
  // getMajorSubMap(0) is the null map, not the map to no results.
  if (rank == 1)
    return AffineMap::get(1, 0, builder.getContext());
  return AffineMap::getMultiDimIdentityMap(rank, builder.getContext())
      .getMajorSubMap(rank - 1);
}

Value bertc::buildLastAxisReduction(OpBuilder &builder, Location loc,
                                    Value input, Value init,
                                    ScalarBody combine) {
  unsigned rank = cast<RankedTensorType>(input.getType()).getRank();
  Value accumulator = buildFilled(builder, loc, input, 1, init);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.back() = utils::IteratorType::reduction;
  return buildGeneric(
      builder, loc, ValueRange{input}, accumulator,
      {builder.getMultiDimIdentityMap(rank), dropLastDim(builder, rank)},
      iterators, combine);
}

Value bertc::buildRowwise(OpBuilder &builder, Location loc, Value input,
                          ValueRange rowValues, ScalarBody body) {
  auto type = cast<RankedTensorType>(input.getType());
  unsigned rank = type.getRank();
  SmallVector<Value> inputs = {input};
  inputs.append(rowValues.begin(), rowValues.end());
  SmallVector<AffineMap> maps = {builder.getMultiDimIdentityMap(rank)};
  maps.append(rowValues.size(), dropLastDim(builder, rank));
  maps.push_back(builder.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  Value init = buildEmptyLike(builder, loc, input, type.getElementType());
  return buildGeneric(builder, loc, inputs, init, maps, iterators,
                      [&](OpBuilder &b, Location l, ValueRange args) {
                        return body(b, l, args.drop_back());
                      });
}

Value bertc::buildLastAxisSizeF32(OpBuilder &builder, Location loc,
                                  Value input) {
  auto type = cast<RankedTensorType>(input.getType());
  Value size = tensor::DimOp::create(builder, loc, input, type.getRank() - 1);
  Value asInteger =
      arith::IndexCastUIOp::create(builder, loc, builder.getI64Type(), size);
  return arith::UIToFPOp::create(builder, loc, builder.getF32Type(), asInteger);
}

Value bertc::buildScaledMaskedScores(OpBuilder &builder, Location loc,
                                     Value scores, Value mask, float root) {
  MLIRContext *context = builder.getContext();
  AffineExpr b, h, i, j;
  bindDims(context, b, h, i, j);
  AffineMap full = AffineMap::get(4, 0, {b, h, i, j}, context);
  SmallVector<Value> inputs = {scores};
  SmallVector<AffineMap> maps = {full};
  if (mask) {
    inputs.push_back(mask);
    maps.push_back(AffineMap::get(4, 0, {b, j}, context));
  }
  maps.push_back(full);
  Value init = buildEmptyLike(builder, loc, scores, builder.getF32Type());
  return linalg::GenericOp::create(
             builder, loc, TypeRange{init.getType()}, inputs, ValueRange{init},
             maps,
             SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
             [&](OpBuilder &ob, Location l, ValueRange args) {
               Value score = args[0];
               if (isa<IntegerType>(score.getType()))
                 score = arith::SIToFPOp::create(ob, l, ob.getF32Type(), score);
               Value scaled =
                   arith::DivFOp::create(ob, l, score, buildF32(ob, l, root));
               if (mask) {
                 Value unmasked = arith::SubFOp::create(
                     ob, l, buildF32(ob, l, 1.0f), args[1]);
                 Value penalty = arith::MulFOp::create(
                     ob, l, unmasked, buildF32(ob, l, -10000.0f));
                 scaled = arith::AddFOp::create(ob, l, scaled, penalty);
               }
               linalg::YieldOp::create(ob, l, ValueRange{scaled});
             })
      .getResult(0);
}

Value bertc::buildTableLookup(OpBuilder &builder, Location loc, Value ids,
                              Value vocab, Value hidden,
                              RankedTensorType resultType, TableReader read) {
  int64_t rank = resultType.getRank();
  SmallVector<Value> dynamicSizes;
  for (int64_t i = 0; i + 1 < rank; ++i)
    if (resultType.isDynamicDim(i))
      dynamicSizes.push_back(tensor::DimOp::create(builder, loc, ids, i));
  if (resultType.isDynamicDim(rank - 1))
    dynamicSizes.push_back(hidden);
  Value empty = tensor::EmptyOp::create(builder, loc, resultType.getShape(),
                                        resultType.getElementType(),
                                        dynamicSizes);
  AffineMap idsMap = AffineMap::getMultiDimIdentityMap(rank, builder.getContext())
                         .getMajorSubMap(rank - 1);
  return linalg::GenericOp::create(
             builder, loc, TypeRange{resultType}, ValueRange{ids},
             ValueRange{empty},
             ArrayRef<AffineMap>{idsMap, builder.getMultiDimIdentityMap(rank)},
             SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
             [&](OpBuilder &b, Location l, ValueRange args) {
               Value id =
                   arith::IndexCastOp::create(b, l, b.getIndexType(), args[0]);
               Value zero = arith::ConstantIndexOp::create(b, l, 0);
               Value last = arith::SubIOp::create(
                   b, l, vocab, arith::ConstantIndexOp::create(b, l, 1));
               Value row = arith::MinSIOp::create(
                   b, l, arith::MaxSIOp::create(b, l, id, zero), last);
               Value column = linalg::IndexOp::create(b, l, rank - 1);
               linalg::YieldOp::create(b, l, read(b, l, row, column));
             })
      .getResult(0);
}

Value bertc::buildMaxMagnitude(OpBuilder &b, Location l, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  unsigned rank = type.getRank();
  Value zero = arith::ConstantOp::create(b, l, b.getF32FloatAttr(0));
  auto scalarType = RankedTensorType::get({}, b.getF32Type());
  Value empty = tensor::EmptyOp::create(b, l, scalarType.getShape(),
                                        b.getF32Type());
  Value init = linalg::FillOp::create(b, l, ValueRange{zero}, ValueRange{empty})
                   .getResult(0);
  Value reduced =
      linalg::GenericOp::create(
          b, l, TypeRange{scalarType}, ValueRange{x}, ValueRange{init},
          ArrayRef<AffineMap>{b.getMultiDimIdentityMap(rank),
                              AffineMap::get(rank, 0, {}, b.getContext())},
          SmallVector<utils::IteratorType>(rank, utils::IteratorType::reduction),
          [](OpBuilder &ib, Location il, ValueRange args) {
            Value magnitude = math::AbsFOp::create(ib, il, args[0]);
            linalg::YieldOp::create(
                ib, il,
                ValueRange{arith::MaxNumFOp::create(ib, il, args[1], magnitude)});
          })
          .getResult(0);
  return tensor::ExtractOp::create(b, l, reduced, ValueRange{});
}

Value bertc::buildQuantizedCode(OpBuilder &b, Location l, Value x, Value scale,
                                IntegerType storage) {
  unsigned bits = storage.getWidth();
  // M in f32: exact up to 24 bits; above, the largest f32 below 2^(b-1).
  float level = bits <= 24 ? float((int64_t(1) << (bits - 1)) - 1)
                           : std::nextafter(std::ldexp(1.0f, int(bits) - 1), 0.0f);
  auto f32 = [&](float v) -> Value {
    return arith::ConstantOp::create(b, l, b.getF32FloatAttr(v));
  };
  Value scaled = arith::MulFOp::create(b, l, x, scale);
  Value rounded = math::RoundEvenOp::create(b, l, scaled);
  Value clamped = arith::MinimumFOp::create(
      b, l, arith::MaximumFOp::create(b, l, rounded, f32(-level)), f32(level));
  Value code = arith::FPToSIOp::create(b, l, storage, clamped);
  Value isNan =
      arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, scaled, scaled);
  Value zero = arith::ConstantOp::create(b, l, b.getIntegerAttr(storage, 0));
  return arith::SelectOp::create(b, l, isNan, zero, code);
}

Value bertc::buildRowSum(OpBuilder &builder, Location loc, Value input) {
  return buildLastAxisReduction(
      builder, loc, input, buildF32(builder, loc, 0),
      [](OpBuilder &b, Location l, ValueRange args) -> Value {
        return arith::AddFOp::create(b, l, args[0], args[1]);
      });
}

/// The map from a rank-n iteration space to its last dimension.
static AffineMap lastDim(OpBuilder &builder, unsigned rank) {
  return AffineMap::get(rank, 0, {builder.getAffineDimExpr(rank - 1)},
                        builder.getContext());
}

Value bertc::buildSumOverRows(OpBuilder &builder, Location loc, Value input) {
  unsigned rank = cast<RankedTensorType>(input.getType()).getRank();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(builder, loc, input);
  Value empty = tensor::EmptyOp::create(builder, loc, {sizes.back()},
                                        builder.getF32Type());
  Value zeros = linalg::FillOp::create(builder, loc,
                                       ValueRange{buildF32(builder, loc, 0)},
                                       ValueRange{empty})
                    .getResult(0);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  iterators.back() = utils::IteratorType::parallel;
  return buildGeneric(builder, loc, ValueRange{input}, zeros,
                      {builder.getMultiDimIdentityMap(rank), lastDim(builder, rank)},
                      iterators,
                      [](OpBuilder &b, Location l, ValueRange args) -> Value {
                        return arith::AddFOp::create(b, l, args[0], args[1]);
                      });
}

Value bertc::buildColumnwise(OpBuilder &builder, Location loc, Value input,
                             ValueRange columnValues, ScalarBody body) {
  auto type = cast<RankedTensorType>(input.getType());
  unsigned rank = type.getRank();
  SmallVector<Value> inputs = {input};
  inputs.append(columnValues.begin(), columnValues.end());
  SmallVector<AffineMap> maps = {builder.getMultiDimIdentityMap(rank)};
  maps.append(columnValues.size(), lastDim(builder, rank));
  maps.push_back(builder.getMultiDimIdentityMap(rank));
  Value init = buildEmptyLike(builder, loc, input, type.getElementType());
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return buildGeneric(builder, loc, inputs, init, maps, iterators,
                      [&](OpBuilder &b, Location l, ValueRange args) {
                        return body(b, l, args.drop_back());
                      });
}

Value bertc::buildSoftmax(OpBuilder &builder, Location loc, Value input) {
  Value maxima = buildRowMax(builder, loc, input);
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

bertc::NormalizedRows bertc::buildNormalizedRows(OpBuilder &builder,
                                                 Location loc, Value x,
                                                 Value epsilon) {
  Value width = buildLastAxisSizeF32(builder, loc, x);
  auto divideByWidth = [&](Value sums) {
    return buildElementwise(builder, loc, {sums},
                            [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                              return arith::DivFOp::create(b, l, args[0], width);
                            });
  };
  Value mean = divideByWidth(buildRowSum(builder, loc, x));
  Value centered = buildRowwise(
      builder, loc, x, {mean},
      [](OpBuilder &b, Location l, ValueRange args) -> Value {
        return arith::SubFOp::create(b, l, args[0], args[1]);
      });
  Value squares = buildElementwise(
      builder, loc, {centered},
      [](OpBuilder &b, Location l, ValueRange args) -> Value {
        return arith::MulFOp::create(b, l, args[0], args[0]);
      });
  Value variance = divideByWidth(buildRowSum(builder, loc, squares));
  Value deviation = buildElementwise(
      builder, loc, {variance},
      [&](OpBuilder &b, Location l, ValueRange args) -> Value {
        return math::SqrtOp::create(b, l,
                                    arith::AddFOp::create(b, l, args[0], epsilon));
      });
  Value normalized = buildRowwise(
      builder, loc, centered, {deviation},
      [](OpBuilder &b, Location l, ValueRange args) -> Value {
        return arith::DivFOp::create(b, l, args[0], args[1]);
      });
  return {normalized, deviation};
}

Value bertc::buildZeros(OpBuilder &builder, Location loc,
                        ArrayRef<int64_t> shape, ValueRange dynamicSizes) {
  Value empty = tensor::EmptyOp::create(builder, loc, shape,
                                        builder.getF32Type(), dynamicSizes);
  return linalg::FillOp::create(builder, loc,
                                ValueRange{buildF32(builder, loc, 0)},
                                ValueRange{empty})
      .getResult(0);
}

Value bertc::buildSplitHeads(OpBuilder &builder, Location loc, Value x,
                             int64_t heads) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t headSize = type.getDimSize(2) / heads;
  auto split = RankedTensorType::get(
      {type.getDimSize(0), type.getDimSize(1), heads, headSize},
      type.getElementType());
  Value batch = tensor::DimOp::create(builder, loc, x, 0);
  Value length = tensor::DimOp::create(builder, loc, x, 1);
  return tensor::ExpandShapeOp::create(
      builder, loc, split, x, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}},
      ArrayRef<OpFoldResult>{batch, length, builder.getIndexAttr(heads),
                             builder.getIndexAttr(headSize)});
}

Value bertc::buildMergeHeads(OpBuilder &builder, Location loc, Value x) {
  return tensor::CollapseShapeOp::create(
      builder, loc, x, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
}

Value bertc::buildZerosLike(OpBuilder &builder, Location loc, Value like) {
  auto type = cast<RankedTensorType>(like.getType());
  Value zeros = buildFilled(builder, loc, like, 0, buildF32(builder, loc, 0));
  if (zeros.getType() != type)
    zeros = tensor::CastOp::create(builder, loc, type, zeros);
  return zeros;
}

Value bertc::buildRowMax(OpBuilder &builder, Location loc, Value input) {
  return buildLastAxisReduction(
      builder, loc, input,
      buildF32(builder, loc, -std::numeric_limits<float>::infinity()),
      [](OpBuilder &b, Location l, ValueRange args) -> Value {
        return arith::MaximumFOp::create(b, l, args[0], args[1]);
      });
}

Value bertc::buildElementCountF32(OpBuilder &builder, Location loc, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  Value count = arith::ConstantIndexOp::create(builder, loc, 1);
  for (int64_t axis = 0; axis < type.getRank(); ++axis)
    count = arith::MulIOp::create(builder, loc, count,
                                  tensor::DimOp::create(builder, loc, x, axis));
  Value asInteger =
      arith::IndexCastUIOp::create(builder, loc, builder.getI64Type(), count);
  return arith::UIToFPOp::create(builder, loc, builder.getF32Type(), asInteger);
}

Value bertc::buildTotalSum(OpBuilder &builder, Location loc, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  auto scalarType = RankedTensorType::get({}, builder.getF32Type());
  Value init = linalg::FillOp::create(
                   builder, loc, buildF32(builder, loc, 0),
                   tensor::EmptyOp::create(builder, loc, scalarType, ValueRange{})
                       .getResult())
                   .getResult(0);
  SmallVector<AffineMap> maps = {
      builder.getMultiDimIdentityMap(rank),
      AffineMap::get(rank, 0, {}, builder.getContext())};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  Value total = buildGeneric(builder, loc, {x}, init, maps, iterators,
                             [](OpBuilder &b, Location l, ValueRange args) -> Value {
                               return arith::AddFOp::create(b, l, args[0], args[1]);
                             });
  return tensor::ExtractOp::create(builder, loc, total, ValueRange{});
}

Value bertc::buildLogSoftmax(OpBuilder &builder, Location loc, Value input) {
  Value maxima = buildRowMax(builder, loc, input);
  Value sums = buildRowSum(
      builder, loc,
      buildRowwise(builder, loc, input, {maxima},
                   [](OpBuilder &b, Location l, ValueRange args) -> Value {
                     return math::ExpOp::create(
                         b, l, arith::SubFOp::create(b, l, args[0], args[1]));
                   }));
  return buildRowwise(
      builder, loc, input, {maxima, sums},
      [](OpBuilder &b, Location l, ValueRange args) -> Value {
        Value shifted = arith::SubFOp::create(b, l, args[0], args[1]);
        return arith::SubFOp::create(b, l, shifted,
                                     math::LogOp::create(b, l, args[2]));
      });
}

Value bertc::buildKeptByDistance(OpBuilder &builder, Location loc, Value x) {
  Value kept = arith::CmpFOp::create(builder, loc, arith::CmpFPredicate::OGT, x,
                                     buildF32(builder, loc, -100.0f));
  return arith::UIToFPOp::create(builder, loc, builder.getF32Type(), kept);
}

/// f(x) / norm, f zeroing the entries the distance filters out.
static Value buildFilteredScaled(OpBuilder &builder, Location loc, Value x,
                                 Value norm) {
  return buildElementwise(
      builder, loc, {x}, [&](OpBuilder &b, Location l, ValueRange args) -> Value {
        Value kept = arith::MulFOp::create(
            b, l, args[0], buildKeptByDistance(b, l, args[0]));
        return arith::DivFOp::create(b, l, kept, norm);
      });
}

/// sqrt(sum f(x)^2).
static Value buildFilteredNorm(OpBuilder &builder, Location loc, Value x) {
  Value squares = buildElementwise(
      builder, loc, {x}, [](OpBuilder &b, Location l, ValueRange args) -> Value {
        Value kept = arith::MulFOp::create(
            b, l, args[0], buildKeptByDistance(b, l, args[0]));
        return arith::MulFOp::create(b, l, kept, kept);
      });
  return math::SqrtOp::create(builder, loc, buildTotalSum(builder, loc, squares));
}

bertc::NormalizedDifference
bertc::buildNormalizedDifference(OpBuilder &builder, Location loc,
                                 Value student, Value teacher) {
  NormalizedDifference result;
  result.studentNorm = buildFilteredNorm(builder, loc, student);
  result.teacherNorm = buildFilteredNorm(builder, loc, teacher);
  result.u = buildFilteredScaled(builder, loc, student, result.studentNorm);
  result.v = buildFilteredScaled(builder, loc, teacher, result.teacherNorm);
  result.difference = buildElementwise(
      builder, loc, {result.u, result.v},
      [](OpBuilder &b, Location l, ValueRange args) -> Value {
        return arith::SubFOp::create(b, l, args[0], args[1]);
      });
  Value squares = buildElementwise(
      builder, loc, {result.difference},
      [](OpBuilder &b, Location l, ValueRange args) -> Value {
        return arith::MulFOp::create(b, l, args[0], args[0]);
      });
  result.distance =
      math::SqrtOp::create(builder, loc, buildTotalSum(builder, loc, squares));
  return result;
}
