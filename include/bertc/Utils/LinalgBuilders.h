//===- LinalgBuilders.h - Small builders for linalg on tensors --*- C++ -*-===//
//
// The few shapes of linalg.generic that bertc's lowerings and gradient rules
// need: elementwise maps, reductions over the last axis, and elementwise maps
// that read one value per row. All work on ranked tensors with dynamic sizes.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_UTILS_LINALGBUILDERS_H
#define BERTC_UTILS_LINALGBUILDERS_H

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

namespace bertc {

/// Computes one scalar from the scalar arguments of a linalg body.
using ScalarBody = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// An empty tensor with `like`'s sizes and `elementType`.
mlir::Value buildEmptyLike(mlir::OpBuilder &builder, mlir::Location loc,
                           mlir::Value like, mlir::Type elementType);

/// A tensor of `like`'s shape (minus `dropTrailing` trailing axes) filled
/// with `value`.
mlir::Value buildFilled(mlir::OpBuilder &builder, mlir::Location loc,
                        mlir::Value like, unsigned dropTrailing,
                        mlir::Value value);

/// body(inputs...) elementwise over same-shaped tensors; the result has the
/// first input's shape and `resultElement` (default: its element type).
mlir::Value buildElementwise(mlir::OpBuilder &builder, mlir::Location loc,
                             mlir::ValueRange inputs, ScalarBody body,
                             mlir::Type resultElement = {});

/// Reduces the last axis of `input` [..., N] to [...]: the accumulator starts
/// at `init` and becomes combine(value, accumulator).
mlir::Value buildLastAxisReduction(mlir::OpBuilder &builder,
                                   mlir::Location loc, mlir::Value input,
                                   mlir::Value init, ScalarBody combine);

/// body(x, row values...) elementwise over `input` [..., N], where each of
/// `rowValues` is a [...] tensor read once per row.
mlir::Value buildRowwise(mlir::OpBuilder &builder, mlir::Location loc,
                         mlir::Value input, mlir::ValueRange rowValues,
                         ScalarBody body);

/// The size of the last axis of `input` as an f32 value.
mlir::Value buildLastAxisSizeF32(mlir::OpBuilder &builder, mlir::Location loc,
                                 mlir::Value input);

/// acc + lhs * rhs for the body of a matmul-like reduction, with the fastmath
/// flags `reassoc` and `contract`: they let LLVM vectorize the reduction and
/// fuse it into FMAs (the summation order then differs from a sequential
/// loop by rounding only, as it does between BLAS libraries).
mlir::Value buildMultiplyAccumulate(mlir::OpBuilder &builder,
                                    mlir::Location loc, mlir::Value lhs,
                                    mlir::Value rhs, mlir::Value acc);

/// A linalg.generic computing init + sum lhs * rhs over the iteration space
/// of `maps` (lhs, rhs, init) with `iterators`, with the fastmath body of
/// buildMultiplyAccumulate: every matmul-like product of the lowering.
mlir::Value buildContraction(mlir::OpBuilder &builder, mlir::Location loc,
                             mlir::Value lhs, mlir::Value rhs,
                             mlir::Value init,
                             llvm::ArrayRef<mlir::AffineMap> maps,
                             llvm::ArrayRef<mlir::utils::IteratorType> iterators);

/// Attention scores [B, heads, L, L] as BERT feeds them to softmax (or
/// BiBERT to bool): s / root + (1 - mask[b, j]) * -10000, in f32; integer
/// scores (BiBERT's XNOR dots) are converted first. `mask` [B, L] may be
/// null (no key masked).
mlir::Value buildScaledMaskedScores(mlir::OpBuilder &builder,
                                    mlir::Location loc, mlir::Value scores,
                                    mlir::Value mask, float root);

/// sum over the last axis of `input` [..., N] -> [...].
mlir::Value buildRowSum(mlir::OpBuilder &builder, mlir::Location loc,
                        mlir::Value input);

/// Sums every axis of `input` [..., N] but the last: [N]. The reduction a
/// bias or a LayerNorm parameter gets its gradient from.
mlir::Value buildSumOverRows(mlir::OpBuilder &builder, mlir::Location loc,
                             mlir::Value input);

/// body(x, column values...) elementwise over `input` [..., N], where each
/// of `columnValues` is an [N] vector indexed by the last axis.
mlir::Value buildColumnwise(mlir::OpBuilder &builder, mlir::Location loc,
                            mlir::Value input, mlir::ValueRange columnValues,
                            ScalarBody body);

/// softmax over the last axis of `input` (max-subtracted, as PyTorch).
mlir::Value buildSoftmax(mlir::OpBuilder &builder, mlir::Location loc,
                         mlir::Value input);

/// LayerNorm's normalisation of the last axis, without gamma and beta:
/// `normalized` = (x - mean) / deviation with the biased variance, and the
/// per-row `deviation` = sqrt(var + epsilon) [...]. Shared by the lowering
/// and the gradient, so that both see the same x-hat.
struct NormalizedRows {
  mlir::Value normalized, deviation;
};
NormalizedRows buildNormalizedRows(mlir::OpBuilder &builder,
                                   mlir::Location loc, mlir::Value x,
                                   mlir::Value epsilon);

/// A zero f32 tensor with `like`'s sizes and type (static where `like`'s
/// type is).
mlir::Value buildZerosLike(mlir::OpBuilder &builder, mlir::Location loc,
                           mlir::Value like);

/// The maximum over the last axis of `input` [..., N] -> [...].
mlir::Value buildRowMax(mlir::OpBuilder &builder, mlir::Location loc,
                        mlir::Value input);

/// A tensor of `shape` (dynamic sizes from `dynamicSizes`) filled with 0.
mlir::Value buildZeros(mlir::OpBuilder &builder, mlir::Location loc,
                       llvm::ArrayRef<int64_t> shape,
                       mlir::ValueRange dynamicSizes);

/// [B, L, heads * d] viewed as [B, L, heads, d] (tensor.expand_shape).
mlir::Value buildSplitHeads(mlir::OpBuilder &builder, mlir::Location loc,
                            mlir::Value x, int64_t heads);

/// [B, L, heads, d] back to [B, L, heads * d] (tensor.collapse_shape).
mlir::Value buildMergeHeads(mlir::OpBuilder &builder, mlir::Location loc,
                            mlir::Value x);

/// An f32 constant.
mlir::Value buildF32(mlir::OpBuilder &builder, mlir::Location loc, float value);

/// max |x| over every element of `x` as an f32 scalar (0 for an empty
/// tensor; NaN is ignored).
mlir::Value buildMaxMagnitude(mlir::OpBuilder &builder, mlir::Location loc,
                              mlir::Value x);

/// clamp(roundeven(x * scale), -M, M) as `storage` (M = 2^(b-1) - 1),
/// NaN -> 0: QuantMath's quantizeValue on one f32 scalar inside a body.
/// Exact in f32 up to 24 storage bits; wider storage saturates at the
/// largest f32 below 2^(b-1).
mlir::Value buildQuantizedCode(mlir::OpBuilder &builder, mlir::Location loc,
                               mlir::Value x, mlir::Value scale,
                               mlir::IntegerType storage);

/// Reads element (row, column) of an embedding table inside a linalg body.
using TableReader = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::Value row, mlir::Value column)>;

/// An embedding lookup: out[i..., h] = read(clamp(ids[i...], 0, vocab - 1),
/// h) as a `resultType` tensor ([ids..., H]; its dynamic sizes come from
/// ids, and `hidden` for H). Entry points reject out-of-range ids before
/// running; the clamp keeps the reads in bounds for callers that bypass
/// them.
mlir::Value buildTableLookup(mlir::OpBuilder &builder, mlir::Location loc,
                             mlir::Value ids, mlir::Value vocab,
                             mlir::Value hidden,
                             mlir::RankedTensorType resultType,
                             TableReader read);

/// The number of elements of `x` as an f32 scalar.
mlir::Value buildElementCountF32(mlir::OpBuilder &builder, mlir::Location loc,
                                 mlir::Value x);

/// The sum of every element of `x` as an f32 scalar.
mlir::Value buildTotalSum(mlir::OpBuilder &builder, mlir::Location loc,
                          mlir::Value x);

/// log_softmax over the last axis (z - max - log sum exp(z - max), as
/// PyTorch computes it).
mlir::Value buildLogSoftmax(mlir::OpBuilder &builder, mlir::Location loc,
                            mlir::Value input);

/// BiBERT's normalised distance ||u - v|| with u = f(S)/||f(S)||,
/// v = f(T)/||f(T)||, f zeroing entries <= -100, every norm over the whole
/// tensor (SEMANTICS.md 2.8). The forward and its gradient share it.
struct NormalizedDifference {
  mlir::Value u, v;          // the normalised tensors
  mlir::Value difference;    // u - v
  mlir::Value studentNorm;   // ||f(S)||, f32 scalar
  mlir::Value teacherNorm;   // ||f(T)||, f32 scalar
  mlir::Value distance;      // ||u - v||, f32 scalar
};
NormalizedDifference buildNormalizedDifference(mlir::OpBuilder &builder,
                                               mlir::Location loc,
                                               mlir::Value student,
                                               mlir::Value teacher);

/// 1 where x > -100 (the entries the distance keeps), else 0: inside a body.
mlir::Value buildKeptByDistance(mlir::OpBuilder &builder, mlir::Location loc,
                                mlir::Value x);

} // namespace bertc

#endif // BERTC_UTILS_LINALGBUILDERS_H
