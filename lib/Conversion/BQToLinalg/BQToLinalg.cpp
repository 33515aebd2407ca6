//===- BQToLinalg.cpp - The convert-bq-to-linalg pass ---------------------===//
//
// BiBERT's bit-level ops as linalg on tensors (SEMANTICS.md section 3):
//
//   pack_bits      one reduction over the 64 bits of each word, the
//                  comparison with 0 fused in: binarizing and packing an
//                  activation is one pass over it.
//   xnor_matmul    counts = sum_w popcount(lhs XOR rhs), then
//                  length - 2 * counts. A constant rank-2 rhs (a weight,
//                  packed at compile time by the folders) is transposed to
//                  [words, N] here and the product tagged
//                  `bertc.xnor_linear` for bert-lower-linears' kernel.
//   bitwise_affine_matmul
//                  sum_w 2 * popcount(lhs AND rhs) - popcount(lhs).
//   unpack_bits, binarize (activation form), bool: elementwise.
//
//===----------------------------------------------------------------------===//

#include "bertc/Conversion/Passes.h"

#include "bertc/Support/QuantMath.h"
#include "bertc/Utils/LinalgBuilders.h"
#include "bertc/Utils/PackedDots.h"
#include "bertc/Utils/Tags.h"
#include "dialects/BQ/IR/BQ.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/DialectConversion.h"

namespace bertc {
#define GEN_PASS_DEF_CONVERTBQTOLINALGPASS
#include "bertc/Conversion/Passes.h.inc"
} // namespace bertc

using namespace mlir;
using namespace bertc;
using namespace bertc::bq;

namespace {

using IT = utils::IteratorType;

/// Dynamic sizes of `like`'s leading axes plus `last` as the last one.
static Value emptyWithLast(OpBuilder &b, Location l, Value like, int64_t last,
                           Type element) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, l, like);
  sizes.back() = b.getIndexAttr(last);
  return tensor::EmptyOp::create(b, l, sizes, element);
}

static Value zeroFilled(OpBuilder &b, Location l, Value empty) {
  Type element = cast<ShapedType>(empty.getType()).getElementType();
  Value zero = arith::ConstantOp::create(b, l, b.getZeroAttr(element));
  return linalg::FillOp::create(b, l, ValueRange{zero}, ValueRange{empty})
      .getResult(0);
}

/// Identity maps over `rank` loops for elementwise generics.
static SmallVector<AffineMap> identityMaps(MLIRContext *context, unsigned rank,
                                           unsigned count) {
  return SmallVector<AffineMap>(count,
                                AffineMap::getMultiDimIdentityMap(rank, context));
}

//===----------------------------------------------------------------------===//
// pack_bits
//===----------------------------------------------------------------------===//

struct PackBitsLowering : OpConversionPattern<PackBitsOp> {
  using OpConversionPattern::OpConversionPattern;

  /// One word per step: a 64-lane vector read (padded past the end with a
  /// value that packs as 0), one comparison, and the 64 i1 lanes bitcast to
  /// an i64 (a mask move on x86: vcmpps into k registers and kmovq with
  /// AVX-512). A bit-by-bit loop was half of a binary BERT layer's time.
  LogicalResult
  matchAndRewrite(PackBitsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inputType = cast<RankedTensorType>(op.getInput().getType());
    Type element = inputType.getElementType();
    bool isFloat = element.isF32();
    if (!isFloat && !element.isSignlessInteger())
      return rewriter.notifyMatchFailure(op, "packs f32 or integer tensors");
    bool nonnegative = op.getRule() == PackRule::NonNegative;
    unsigned rank = inputType.getRank();
    Value input = adaptor.getInput();
    Value length = tensor::DimOp::create(rewriter, loc, input, rank - 1);
    auto index = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(rewriter, loc, v);
    };
    // ceil(L / 64) words.
    Value words = arith::DivUIOp::create(
        rewriter, loc, arith::AddIOp::create(rewriter, loc, length, index(63)),
        index(64));
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, input);
    int64_t staticWords = op.getType().getShape().back();
    sizes.back() = ShapedType::isDynamic(staticWords)
                       ? getAsOpFoldResult(words)
                       : OpFoldResult(rewriter.getIndexAttr(staticWords));
    Value result = tensor::EmptyOp::create(rewriter, loc, sizes,
                                           rewriter.getI64Type());
    SmallVector<Value> lower(rank, index(0)), upper, steps(rank, index(1));
    for (unsigned i = 0; i + 1 < rank; ++i)
      upper.push_back(tensor::DimOp::create(rewriter, loc, input, i));
    upper.push_back(words);
    auto lanes = VectorType::get({64}, element);
    auto scalar = [&](int64_t v) -> TypedAttr {
      if (isFloat)
        return rewriter.getF32FloatAttr(v);
      return rewriter.getIntegerAttr(element, v);
    };
    Value padding = arith::ConstantOp::create(rewriter, loc,
                                              scalar(nonnegative ? -1 : 0));
    Value zeros = arith::ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(lanes, scalar(0)));
    scf::LoopNest nest = scf::buildLoopNest(
        rewriter, loc, lower, upper, steps, ValueRange{result},
        [&](OpBuilder &b, Location l, ValueRange at,
            ValueRange carried) -> scf::ValueVector {
          SmallVector<Value> read(at.begin(), at.end());
          read.back() = arith::MulIOp::create(
              b, l, at.back(), arith::ConstantIndexOp::create(b, l, 64));
          Value values = vector::TransferReadOp::create(
              b, l, lanes, input, read, padding, ArrayRef<bool>{false});
          Value set =
              isFloat
                  ? Value(arith::CmpFOp::create(
                        b, l,
                        nonnegative ? arith::CmpFPredicate::OGE
                                    : arith::CmpFPredicate::OGT,
                        values, zeros))
                  : Value(arith::CmpIOp::create(
                        b, l,
                        nonnegative ? arith::CmpIPredicate::sge
                                    : arith::CmpIPredicate::sgt,
                        values, zeros));
          Value word = vector::BitCastOp::create(
              b, l, VectorType::get({1}, b.getI64Type()), set);
          Value scalar = vector::ExtractOp::create(b, l, word, ArrayRef<int64_t>{0});
          return {tensor::InsertOp::create(b, l, scalar, carried[0], at)};
        });
    rewriter.replaceOp(op, nest.results[0]);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// unpack_bits
//===----------------------------------------------------------------------===//

struct UnpackBitsLowering : OpConversionPattern<UnpackBitsOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(UnpackBitsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    if (!type.getElementType().isF32() ||
        ShapedType::isDynamic(type.getShape().back()))
      return rewriter.notifyMatchFailure(
          op, "unpacks to f32 tensors with a static last axis");
    unsigned rank = type.getRank();
    MLIRContext *context = getContext();
    SmallVector<AffineExpr> wordIndex;
    for (unsigned i = 0; i + 1 < rank; ++i)
      wordIndex.push_back(getAffineDimExpr(i, context));
    wordIndex.push_back(getAffineDimExpr(rank - 1, context).floorDiv(64));
    Value init = emptyWithLast(rewriter, loc, adaptor.getInput(),
                               type.getShape().back(), rewriter.getF32Type());
    bool sign = op.getEncoding() == BitEncoding::Sign;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{adaptor.getInput()},
        ValueRange{init},
        {AffineMap::get(rank, 0, wordIndex, context),
         AffineMap::getMultiDimIdentityMap(rank, context)},
        SmallVector<IT>(rank, IT::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value k = arith::IndexCastOp::create(
              b, l, b.getI64Type(), linalg::IndexOp::create(b, l, rank - 1));
          Value position = arith::RemUIOp::create(
              b, l, k, arith::ConstantOp::create(b, l, b.getI64IntegerAttr(64)));
          Value shifted = arith::ShRUIOp::create(b, l, args[0], position);
          Value bit = arith::AndIOp::create(
              b, l, shifted, arith::ConstantOp::create(b, l, b.getI64IntegerAttr(1)));
          Value value = arith::UIToFPOp::create(b, l, b.getF32Type(), bit);
          if (sign) // 2b - 1
            value = arith::SubFOp::create(
                b, l, arith::AddFOp::create(b, l, value, value),
                arith::ConstantOp::create(b, l, b.getF32FloatAttr(1)));
          linalg::YieldOp::create(b, l, ValueRange{value});
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// xnor_matmul and bitwise_affine_matmul
//===----------------------------------------------------------------------===//

/// The loops and maps of a packed matmul: lhs [batch..., M..., W] against
/// rhs [N, W] (shared) or [batch..., N, W] (batched), giving
/// [batch..., M..., N]; loops (result axes..., w).
struct PackedMatmulMaps {
  SmallVector<AffineMap> maps; // lhs, rhs, result
  SmallVector<IT> iterators;
};

static PackedMatmulMaps packedMatmulMaps(MLIRContext *context,
                                         unsigned resultRank,
                                         unsigned rhsRank,
                                         bool rhsTransposed) {
  unsigned loops = resultRank + 1;
  AffineExpr w = getAffineDimExpr(resultRank, context);
  AffineExpr n = getAffineDimExpr(resultRank - 1, context);
  SmallVector<AffineExpr> lhs, rhs, result;
  for (unsigned i = 0; i + 1 < resultRank; ++i)
    lhs.push_back(getAffineDimExpr(i, context));
  lhs.push_back(w);
  // A batched rhs shares the batch axes (all but the last two of result).
  for (unsigned i = 0; i + 2 < rhsRank; ++i)
    rhs.push_back(getAffineDimExpr(i, context));
  if (rhsTransposed) {
    rhs.push_back(w);
    rhs.push_back(n);
  } else {
    rhs.push_back(n);
    rhs.push_back(w);
  }
  for (unsigned i = 0; i < resultRank; ++i)
    result.push_back(getAffineDimExpr(i, context));
  SmallVector<IT> iterators(resultRank, IT::parallel);
  iterators.push_back(IT::reduction);
  return {{AffineMap::get(loops, 0, lhs, context),
           AffineMap::get(loops, 0, rhs, context),
           AffineMap::get(loops, 0, result, context)},
          iterators};
}

/// A constant [N, W] i64 weight as a new constant [W, N], or null.
static Value transposeConstantWords(OpBuilder &b, Location l, Value rhs) {
  DenseIntElementsAttr words;
  if (!matchPattern(rhs, m_Constant(&words)))
    return {};
  auto type = cast<RankedTensorType>(words.getType());
  int64_t n = type.getDimSize(0), w = type.getDimSize(1);
  SmallVector<APInt> values(words.getValues<APInt>());
  SmallVector<APInt> transposed(values.size());
  for (int64_t row = 0; row < n; ++row)
    for (int64_t word = 0; word < w; ++word)
      transposed[word * n + row] = values[row * w + word];
  auto transposedType = RankedTensorType::get({w, n}, type.getElementType());
  return arith::ConstantOp::create(
      b, l, DenseIntElementsAttr::get(transposedType, transposed));
}

/// sum over words of `step(lhs word, rhs word)` into an i64 accumulator.
static Value buildPackedReduction(
    OpBuilder &b, Location l, Value lhs, Value rhs, RankedTensorType result,
    bool rhsTransposed,
    function_ref<Value(OpBuilder &, Location, Value, Value)> step) {
  auto countType = RankedTensorType::get(result.getShape(), b.getI64Type());
  SmallVector<OpFoldResult> sizes;
  for (int64_t i = 0; i + 1 < result.getRank(); ++i)
    sizes.push_back(tensor::getMixedSize(b, l, lhs, i));
  // N comes from the rhs: [..., N, W], or [W, N] once transposed.
  auto rhsRank = cast<RankedTensorType>(rhs.getType()).getRank();
  sizes.push_back(
      tensor::getMixedSize(b, l, rhs, rhsTransposed ? rhsRank - 1 : rhsRank - 2));
  // A fresh allocation (not a tensor.empty, which cse would share between
  // products), zero-filled right before the product: bert-lower-linears
  // then drops the fill and lets its kernel overwrite the counts.
  SmallVector<Value> dynamicSizes;
  for (OpFoldResult size : sizes)
    if (auto value = dyn_cast<Value>(size))
      dynamicSizes.push_back(value);
  Value init = zeroFilled(
      b, l, bufferization::AllocTensorOp::create(b, l, countType, dynamicSizes));
  PackedMatmulMaps layout = packedMatmulMaps(b.getContext(), result.getRank(),
                                             rhsRank, rhsTransposed);
  return linalg::GenericOp::create(
             b, l, TypeRange{countType}, ValueRange{lhs, rhs},
             ValueRange{init}, layout.maps, layout.iterators,
             [&](OpBuilder &ib, Location il, ValueRange args) {
               Value term = step(ib, il, args[0], args[1]);
               linalg::YieldOp::create(
                   ib, il, ValueRange{arith::AddIOp::create(ib, il, args[2], term)});
             })
      .getResult(0);
}

/// i32(offset + scale * count), elementwise.
static Value buildAffineCounts(OpBuilder &b, Location l, Value counts,
                               RankedTensorType result, int64_t offset,
                               int64_t scale) {
  Value init = tensor::EmptyOp::create(
      b, l, tensor::getMixedSizes(b, l, counts), b.getI32Type());
  unsigned rank = result.getRank();
  return linalg::GenericOp::create(
             b, l, TypeRange{result}, ValueRange{counts}, ValueRange{init},
             identityMaps(b.getContext(), rank, 2),
             SmallVector<IT>(rank, IT::parallel),
             [&](OpBuilder &ib, Location il, ValueRange args) {
               Value count =
                   arith::TruncIOp::create(ib, il, ib.getI32Type(), args[0]);
               Value scaled = arith::MulIOp::create(
                   ib, il, count,
                   arith::ConstantOp::create(ib, il, ib.getI32IntegerAttr(scale)));
               Value value = arith::AddIOp::create(
                   ib, il, scaled,
                   arith::ConstantOp::create(ib, il, ib.getI32IntegerAttr(offset)));
               linalg::YieldOp::create(ib, il, ValueRange{value});
             })
      .getResult(0);
}

/// Per-head operands [batch..., M, W] and [batch..., N, W] (attention), as
/// opposed to a rank-2 rhs shared by every row (a weight).
static bool isBatchedPair(Value lhs, Value rhs) {
  int64_t rank = cast<RankedTensorType>(rhs.getType()).getRank();
  return rank > 2 && cast<RankedTensorType>(lhs.getType()).getRank() == rank;
}

/// A batched packed rhs [batch..., N, W] as [batch..., W, N] (one small
/// transpose per product), so that bert-lower-attention's kernel reads a
/// vector of N words per reduction step.
static Value transposeBatchedWords(OpBuilder &b, Location l, Value rhs) {
  auto type = cast<RankedTensorType>(rhs.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> permutation;
  for (int64_t i = 0; i + 2 < rank; ++i)
    permutation.push_back(i);
  permutation.push_back(rank - 1);
  permutation.push_back(rank - 2);
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, l, rhs);
  std::swap(sizes[rank - 1], sizes[rank - 2]);
  Value init = tensor::EmptyOp::create(b, l, sizes, type.getElementType());
  return linalg::TransposeOp::create(b, l, rhs, init, permutation).getResult()[0];
}

/// Marks a batched packed product for bert-lower-attention's kernels:
/// `kind` says which step it accumulates ("xnor" or "bamm").
static void tagHeadProduct(Value counts, StringRef kind) {
  Operation *op = counts.getDefiningOp();
  MLIRContext *context = op->getContext();
  op->setAttr(tags::kHeadProduct, UnitAttr::get(context));
  op->setAttr("bertc.packed", StringAttr::get(context, kind));
}

struct XnorMatmulLowering : OpConversionPattern<XnorMatmulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(XnorMatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto result = cast<RankedTensorType>(op.getType());
    Value rhs = adaptor.getRhs();
    bool batched = isBatchedPair(adaptor.getLhs(), rhs);
    bool shared = cast<RankedTensorType>(rhs.getType()).getRank() == 2;
    Value transposed = batched  ? transposeBatchedWords(rewriter, loc, rhs)
                       : shared ? transposeConstantWords(rewriter, loc, rhs)
                                : Value();
    Value counts =
        buildPackedReduction(rewriter, loc, adaptor.getLhs(),
                             transposed ? transposed : rhs, result,
                             /*rhsTransposed=*/bool(transposed),
                             buildXorPopcount);
    if (transposed && !batched)
      counts.getDefiningOp()->setAttr(tags::kXnorLinear,
                                      rewriter.getUnitAttr());
    else if (transposed)
      tagHeadProduct(counts, "xnor");
    // a . w = length - 2 * popcount(a XOR w); padding bits are 0 in both.
    rewriter.replaceOp(op, buildAffineCounts(rewriter, loc, counts, result,
                                             op.getLength(), -2));
    return success();
  }
};

struct BitwiseAffineMatmulLowering
    : OpConversionPattern<BitwiseAffineMatmulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(BitwiseAffineMatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // m . v = 2 * popcount(m AND v) - popcount(m), word by word.
    auto result = cast<RankedTensorType>(op.getType());
    Value rhs = adaptor.getRhs();
    bool batched = isBatchedPair(adaptor.getLhs(), rhs);
    if (batched)
      rhs = transposeBatchedWords(rewriter, op.getLoc(), rhs);
    Value counts = buildPackedReduction(rewriter, op.getLoc(), adaptor.getLhs(),
                                        rhs, result, batched,
                                        buildBitwiseAffineTerm);
    if (batched)
      tagHeadProduct(counts, "bamm");
    rewriter.replaceOp(op, buildAffineCounts(rewriter, op.getLoc(), counts,
                                             result, 0, 1));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Elementwise: binarize and bool
//===----------------------------------------------------------------------===//

/// An f32 elementwise generic computing `body(x)`.
static Value buildUnary(OpBuilder &b, Location l, Value input,
                        function_ref<Value(OpBuilder &, Location, Value)> body) {
  auto type = cast<RankedTensorType>(input.getType());
  Value init = tensor::EmptyOp::create(b, l, tensor::getMixedSizes(b, l, input),
                                       type.getElementType());
  return linalg::GenericOp::create(
             b, l, TypeRange{type}, ValueRange{input}, ValueRange{init},
             identityMaps(b.getContext(), type.getRank(), 2),
             SmallVector<IT>(type.getRank(), IT::parallel),
             [&](OpBuilder &ib, Location il, ValueRange args) {
               linalg::YieldOp::create(ib, il, ValueRange{body(ib, il, args[0])});
             })
      .getResult(0);
}

/// `predicate(x, 0) ? onTrue : onFalse` as f32.
static Value selectByComparison(OpBuilder &b, Location l, Value x,
                                arith::CmpFPredicate predicate, float onTrue,
                                float onFalse) {
  Value zero = arith::ConstantOp::create(b, l, b.getF32FloatAttr(0));
  Value test = arith::CmpFOp::create(b, l, predicate, x, zero);
  return arith::SelectOp::create(
      b, l, test, arith::ConstantOp::create(b, l, b.getF32FloatAttr(onTrue)),
      arith::ConstantOp::create(b, l, b.getF32FloatAttr(onFalse)));
}

/// The sign of x under `zero`'s policy for sign(0), as f32.
static Value buildSign(OpBuilder &b, Location l, Value x, SignZeroPolicy zero) {
  if (zero == SignZeroPolicy::PlusOne) // x >= 0 -> +1, else -1
    return selectByComparison(b, l, x, arith::CmpFPredicate::OGE, 1, -1);
  // torch.sign: +1, -1, or 0 for 0.
  Value positive = selectByComparison(b, l, x, arith::CmpFPredicate::OGT, 1, 0);
  Value negative = selectByComparison(b, l, x, arith::CmpFPredicate::OLT, 1, 0);
  return arith::SubFOp::create(b, l, positive, negative);
}

/// The row sums of f(x) over the last axis, f applied per element.
static Value buildRowSumOf(OpBuilder &b, Location l, Value x,
                           function_ref<Value(OpBuilder &, Location, Value)> f) {
  return buildLastAxisReduction(
      b, l, x, buildF32(b, l, 0),
      [&](OpBuilder &ib, Location il, ValueRange args) -> Value {
        return arith::AddFOp::create(ib, il, f(ib, il, args[0]), args[1]);
      });
}

/// A weight computed at run time (training): alpha_o sign(W_o - mean W_o),
/// alpha_o = mean|W_o| of the un-centred row (SEMANTICS.md 2.2). Constant
/// weights never get here: they fold at compile time.
static Value buildBinarizedWeight(OpBuilder &b, Location l, Value weight,
                                  SignZeroPolicy zero) {
  Value columns = buildLastAxisSizeF32(b, l, weight);
  Value sums = buildRowSumOf(b, l, weight,
                             [](OpBuilder &, Location, Value x) { return x; });
  Value magnitudes = buildRowSumOf(b, l, weight, [](OpBuilder &ib, Location il,
                                                    Value x) -> Value {
    return math::AbsFOp::create(ib, il, x);
  });
  return buildRowwise(
      b, l, weight, {sums, magnitudes},
      [&](OpBuilder &ib, Location il, ValueRange args) -> Value {
        Value mean = arith::DivFOp::create(ib, il, args[1], columns);
        Value alpha = arith::DivFOp::create(ib, il, args[2], columns);
        Value centred = arith::SubFOp::create(ib, il, args[0], mean);
        return arith::MulFOp::create(ib, il, alpha,
                                     buildSign(ib, il, centred, zero));
      });
}

struct BinarizeLowering : OpConversionPattern<BinarizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(BinarizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SignZeroPolicy zero = op.getZero();
    if (op.getForm() == BinarizeForm::Weight) {
      rewriter.replaceOp(op, buildBinarizedWeight(rewriter, op.getLoc(),
                                                  adaptor.getInput(), zero));
      return success();
    }
    Value result = buildUnary(rewriter, op.getLoc(), adaptor.getInput(),
                              [&](OpBuilder &b, Location l, Value x) -> Value {
                                return buildSign(b, l, x, zero);
                              });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct BoolLowering : OpConversionPattern<BoolOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(BoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto predicate = op.getRule() == BoolRule::GreaterEqual
                         ? arith::CmpFPredicate::OGE
                         : arith::CmpFPredicate::OGT;
    rewriter.replaceOp(
        op, buildUnary(rewriter, op.getLoc(), adaptor.getInput(),
                       [&](OpBuilder &b, Location l, Value x) {
                         return selectByComparison(b, l, x, predicate, 1, 0);
                       }));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// threshold
//===----------------------------------------------------------------------===//

/// One elementwise generic: `dot >= at_least[n] || dot < below[n] ? 1 : -1`
/// as i8, thresholds broadcast along the last axis.
struct ThresholdLowering : OpConversionPattern<ThresholdOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ThresholdOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value dots = adaptor.getDots();
    auto type = cast<RankedTensorType>(dots.getType());
    unsigned rank = type.getRank();
    MLIRContext *context = getContext();
    AffineMap full = AffineMap::getMultiDimIdentityMap(rank, context);
    AffineMap last = AffineMap::get(
        rank, 0, {getAffineDimExpr(rank - 1, context)}, context);
    SmallVector<Value> inputs = {dots, adaptor.getAtLeast()};
    SmallVector<AffineMap> maps = {full, last};
    bool hasBelow = static_cast<bool>(adaptor.getBelow());
    if (hasBelow) {
      inputs.push_back(adaptor.getBelow());
      maps.push_back(last);
    }
    maps.push_back(full);
    Value init = tensor::EmptyOp::create(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, dots),
        rewriter.getI8Type());
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{op.getType()}, inputs, ValueRange{init}, maps,
        SmallVector<IT>(rank, IT::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value set = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge,
                                            args[0], args[1]);
          if (hasBelow)
            set = arith::OrIOp::create(
                b, l, set,
                arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, args[0],
                                      args[2]));
          Value plus = arith::ConstantOp::create(b, l, b.getI8IntegerAttr(1));
          Value minus = arith::ConstantOp::create(b, l, b.getI8IntegerAttr(-1));
          linalg::YieldOp::create(
              b, l, ValueRange{arith::SelectOp::create(b, l, set, plus, minus)});
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct ConvertBQToLinalgPass
    : bertc::impl::ConvertBQToLinalgPassBase<ConvertBQToLinalgPass> {
  void runOnOperation() override {
    ConversionTarget target(getContext());
    target.addIllegalOp<PackBitsOp, UnpackBitsOp, XnorMatmulOp,
                        BitwiseAffineMatmulOp, BinarizeOp, BoolOp, ThresholdOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(&getContext());
    patterns.add<PackBitsLowering, UnpackBitsLowering, XnorMatmulLowering,
                 BitwiseAffineMatmulLowering, BinarizeLowering, BoolLowering,
                 ThresholdLowering>(
        &getContext());
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
