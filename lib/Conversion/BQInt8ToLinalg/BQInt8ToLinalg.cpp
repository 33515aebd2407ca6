//===- BQInt8ToLinalg.cpp - The convert-bq-int8-to-linalg pass ------------===//
//
// Q8BERT's inference ops (SEMANTICS.md 1.5) as linalg on integer tensors:
//
//   quant.scast(bq.quantize x)   clamp(roundeven(x * s), -M, M), NaN -> 0
//   bq.dequantize(quant.scast a) sitofp(a) / s
//   bq.int8_matmul               either the bias broadcast, then a plain i32
//                                reduction (kernel=generic), or, for a
//                                constant weight, the activation packed
//                                (tag `bertc.packed_activations`) and the
//                                weight prepacked in the layout of the
//                                vnni / avx2 kernel of bert-lower-linears
//                                (tag `bertc.int8_linear`), from zero, then
//                                the bias added (it fuses into the
//                                dequantization that reads the sums);
//                                products of the same x and quantizer
//                                (Q, K, V) share one packing.
//
//===----------------------------------------------------------------------===//

#include "bertc/Conversion/Passes.h"
#include "bertc/Utils/Tags.h"

#include "bertc/Support/QuantMath.h"
#include "bertc/Utils/LinalgBuilders.h"
#include "dialects/BQ/IR/BQ.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace bertc {
#define GEN_PASS_DEF_CONVERTBQINT8TOLINALGPASS
#include "bertc/Conversion/Passes.h.inc"
} // namespace bertc

using namespace mlir;
using namespace bertc;

namespace {

using IT = utils::IteratorType;


/// Which int8 product the matmuls are prepared for.
enum class Kernel { Generic, Avx2, Vnni };

/// Activations (and weight bytes) per 32-bit x word of each kernel.
int64_t groupOf(Kernel kernel) { return kernel == Kernel::Vnni ? 4 : 2; }

float scaleOf(Type quantizedTensor) {
  auto type = cast<quant::UniformQuantizedType>(
      cast<RankedTensorType>(quantizedTensor).getElementType());
  return scaleFromStep(type.getScale());
}

Value constantInt(OpBuilder &b, Location l, Type type, int64_t value) {
  return arith::ConstantOp::create(b, l, b.getIntegerAttr(type, value));
}

/// A fresh [sizes of `like`'s leading axes..., last] tensor. Not a
/// tensor.empty, which cse would share between products.
Value freshTensor(OpBuilder &b, Location l, Value like, int64_t last,
                  Type element) {
  auto likeType = cast<RankedTensorType>(like.getType());
  SmallVector<int64_t> shape(likeType.getShape());
  shape.back() = last;
  SmallVector<Value> dynamic;
  for (int64_t i = 0; i + 1 < likeType.getRank(); ++i)
    if (likeType.isDynamicDim(i))
      dynamic.push_back(tensor::DimOp::create(b, l, like, i));
  return bufferization::AllocTensorOp::create(
      b, l, RankedTensorType::get(shape, element), dynamic);
}

/// An elementwise generic over `input` computing `body(x)` into `element`.
Value buildMap(OpBuilder &b, Location l, Value input, Type element,
               function_ref<Value(OpBuilder &, Location, Value)> body) {
  auto type = cast<RankedTensorType>(input.getType());
  Value init = tensor::EmptyOp::create(b, l, tensor::getMixedSizes(b, l, input),
                                       element);
  unsigned rank = type.getRank();
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  return linalg::GenericOp::create(
             b, l, TypeRange{init.getType()}, ValueRange{input},
             ValueRange{init}, ArrayRef<AffineMap>{identity, identity},
             SmallVector<IT>(rank, IT::parallel),
             [&](OpBuilder &ib, Location il, ValueRange args) {
               linalg::YieldOp::create(ib, il,
                                       ValueRange{body(ib, il, args[0])});
             })
      .getResult(0);
}

//===----------------------------------------------------------------------===//
// quantize and dequantize
//===----------------------------------------------------------------------===//

/// QuantMath's quantizeValue with a compile-time scale.
Value buildQuantizedCode(OpBuilder &b, Location l, Value x, float scale,
                         IntegerType storage) {
  Value multiplier = arith::ConstantOp::create(b, l, b.getF32FloatAttr(scale));
  return bertc::buildQuantizedCode(b, l, x, multiplier, storage);
}

/// The f32 input and scale of an 8-bit quantizer read as its storage, if
/// `value` is one: quant.scast(bq.quantize(x)).
struct QuantizerOf {
  Value input;
  float scale;
};

std::optional<QuantizerOf> matchQuantizer(Value value) {
  auto storageCast = value.getDefiningOp<quant::StorageCastOp>();
  if (!storageCast)
    return std::nullopt;
  auto quantize = storageCast.getInput().getDefiningOp<bq::QuantizeOp>();
  if (!quantize || !cast<RankedTensorType>(value.getType())
                        .getElementType()
                        .isSignlessInteger(8))
    return std::nullopt;
  return QuantizerOf{quantize.getInput(),
                     scaleOf(quantize.getOutput().getType())};
}

/// quant.scast(bq.quantize(x)) to the storage type: one elementwise pass.
struct QuantizeToStorage : OpRewritePattern<quant::StorageCastOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(quant::StorageCastOp op,
                                PatternRewriter &rewriter) const override {
    auto quantize = op.getInput().getDefiningOp<bq::QuantizeOp>();
    auto storage = dyn_cast<IntegerType>(
        cast<RankedTensorType>(op.getType()).getElementType());
    if (!quantize || !storage)
      return rewriter.notifyMatchFailure(op, "not the storage of a quantize");
    unsigned bits = storage.getWidth();
    if (bits > 24) // the clamp below is exact in f32 up to 24 bits
      return rewriter.notifyMatchFailure(op, "run-time quantizers up to 24 bits");
    float scale = scaleOf(quantize.getOutput().getType());
    Value result = buildMap(
        rewriter, op.getLoc(), quantize.getInput(), storage,
        [&](OpBuilder &b, Location l, Value x) {
          return buildQuantizedCode(b, l, x, scale, storage);
        });
    rewriter.replaceOp(op, result);
    if (quantize->use_empty())
      rewriter.eraseOp(quantize);
    return success();
  }
};

/// bq.dequantize(quant.scast(acc)) from integer storage: sitofp(acc) / s.
struct DequantizeFromStorage : OpRewritePattern<bq::DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(bq::DequantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto storageCast = op.getInput().getDefiningOp<quant::StorageCastOp>();
    if (!storageCast ||
        !isa<IntegerType>(
            cast<RankedTensorType>(storageCast.getInput().getType())
                .getElementType()))
      return rewriter.notifyMatchFailure(op, "input is not integer storage");
    float scale = scaleOf(op.getInput().getType());
    Value result = buildMap(
        rewriter, op.getLoc(), storageCast.getInput(), rewriter.getF32Type(),
        [&](OpBuilder &b, Location l, Value code) -> Value {
          Value value = arith::SIToFPOp::create(b, l, b.getF32Type(), code);
          Value divisor =
              arith::ConstantOp::create(b, l, b.getF32FloatAttr(scale));
          return arith::DivFOp::create(b, l, value, divisor);
        });
    rewriter.replaceOp(op, result);
    if (storageCast->use_empty())
      rewriter.eraseOp(storageCast);
    return success();
  }
};

/// fake_quant: clamp(roundeven(x * s), -M, M) / s in f32 (requantized
/// outputs at inference; the folders make it of quantize + dequantize).
struct FakeQuantLowering : OpRewritePattern<bq::FakeQuantOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(bq::FakeQuantOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getBits() > 24)
      return rewriter.notifyMatchFailure(op, "fake quantizers up to 24 bits");
    Value scale = op.getScale();
    IntegerType storage = rewriter.getIntegerType(op.getBits());
    Value result = buildMap(
        rewriter, op.getLoc(), op.getInput(), rewriter.getF32Type(),
        [&](OpBuilder &b, Location l, Value x) -> Value {
          Value code = bertc::buildQuantizedCode(b, l, x, scale, storage);
          Value value = arith::SIToFPOp::create(b, l, b.getF32Type(), code);
          return arith::DivFOp::create(b, l, value, scale);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// int8_matmul
//===----------------------------------------------------------------------===//

/// [..., N] i32 initialized with bias[n] (or 0).
Value broadcastBias(OpBuilder &b, Location l, Value like, int64_t n,
                    Value bias) {
  Value init = freshTensor(b, l, like, n, b.getI32Type());
  if (!bias)
    return linalg::FillOp::create(b, l, constantInt(b, l, b.getI32Type(), 0),
                                  init)
        .getResult(0);
  auto type = cast<RankedTensorType>(init.getType());
  unsigned rank = type.getRank();
  MLIRContext *context = b.getContext();
  AffineMap last =
      AffineMap::get(rank, 0, {getAffineDimExpr(rank - 1, context)}, context);
  return linalg::GenericOp::create(
             b, l, TypeRange{type}, ValueRange{bias}, ValueRange{init},
             ArrayRef<AffineMap>{last, b.getMultiDimIdentityMap(rank)},
             SmallVector<IT>(rank, IT::parallel),
             [&](OpBuilder &ib, Location il, ValueRange args) {
               linalg::YieldOp::create(ib, il, ValueRange{args[0]});
             })
      .getResult(0);
}

/// sums[..., n] + bias[n] (wrapping, as the int32 accumulator adds): after a
/// product that starts from zero, the kernel overwrites its output and this
/// add fuses into the dequantization that reads the sums, so no [M, N] copy
/// of the bias is written and read back.
Value addColumnBias(OpBuilder &b, Location l, Value sums, Value bias) {
  auto type = cast<RankedTensorType>(sums.getType());
  unsigned rank = type.getRank();
  MLIRContext *context = b.getContext();
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  AffineMap last =
      AffineMap::get(rank, 0, {getAffineDimExpr(rank - 1, context)}, context);
  return linalg::GenericOp::create(
             b, l, TypeRange{type}, ValueRange{sums, bias}, ValueRange{sums},
             ArrayRef<AffineMap>{identity, last, identity},
             SmallVector<IT>(rank, IT::parallel),
             [&](OpBuilder &ib, Location il, ValueRange args) {
               linalg::YieldOp::create(
                   ib, il,
                   ValueRange{arith::AddIOp::create(ib, il, args[0], args[1])});
             })
      .getResult(0);
}

/// out[..., n] += sum_k step(x[..., k], w[k or (n, k)]) over the loops
/// (leading axes..., n, k); `wByRow`: w is [N, K], else [K, N].
Value buildProduct(OpBuilder &b, Location l, Value x, Value w, Value out,
                   bool wByRow,
                   function_ref<Value(OpBuilder &, Location, Value, Value)> step,
                   StringRef tag = {}, StringRef tagValue = {}) {
  auto outType = cast<RankedTensorType>(out.getType());
  unsigned rank = outType.getRank(), loops = rank + 1;
  MLIRContext *context = b.getContext();
  AffineExpr n = getAffineDimExpr(rank - 1, context),
             k = getAffineDimExpr(rank, context);
  SmallVector<AffineExpr> xExprs, outExprs;
  for (unsigned i = 0; i + 1 < rank; ++i) {
    xExprs.push_back(getAffineDimExpr(i, context));
    outExprs.push_back(getAffineDimExpr(i, context));
  }
  xExprs.push_back(k);
  outExprs.push_back(n);
  SmallVector<AffineExpr> wExprs =
      wByRow ? SmallVector<AffineExpr>{n, k} : SmallVector<AffineExpr>{k, n};
  SmallVector<IT> iterators(rank, IT::parallel);
  iterators.push_back(IT::reduction);
  auto product = linalg::GenericOp::create(
      b, l, TypeRange{outType}, ValueRange{x, w}, ValueRange{out},
      ArrayRef<AffineMap>{AffineMap::get(loops, 0, xExprs, context),
                          AffineMap::get(loops, 0, wExprs, context),
                          AffineMap::get(loops, 0, outExprs, context)},
      iterators, [&](OpBuilder &ib, Location il, ValueRange args) {
        Value term = step(ib, il, args[0], args[1]);
        linalg::YieldOp::create(
            ib, il, ValueRange{arith::AddIOp::create(ib, il, args[2], term)});
      });
  if (!tag.empty())
    product->setAttr(tag, b.getStringAttr(tagValue));
  return product.getResult(0);
}

/// Field `index` of `width` bits of `word`, sign- or zero-extended to i32.
Value field(OpBuilder &b, Location l, Value word, int64_t index, unsigned width,
            bool isSigned) {
  Type wordType = word.getType();
  Value shifted = arith::ShRUIOp::create(
      b, l, word, constantInt(b, l, wordType, index * width));
  Value narrow =
      arith::TruncIOp::create(b, l, b.getIntegerType(width), shifted);
  if (isSigned)
    return arith::ExtSIOp::create(b, l, b.getI32Type(), narrow);
  return arith::ExtUIOp::create(b, l, b.getI32Type(), narrow);
}

/// The dot of one packed x word with one packed w element, in i32:
/// vnni: 4 x (unsigned byte of x) * (signed byte of w);
/// avx2: 2 x (signed i16 of x) * (signed byte of w).
Value packedDot(OpBuilder &b, Location l, Kernel kernel, Value x, Value w) {
  int64_t group = groupOf(kernel);
  unsigned xWidth = kernel == Kernel::Vnni ? 8 : 16;
  Value sum;
  for (int64_t t = 0; t < group; ++t) {
    Value term = arith::MulIOp::create(
        b, l, field(b, l, x, t, xWidth, /*isSigned=*/kernel != Kernel::Vnni),
        field(b, l, w, t, 8, /*isSigned=*/true));
    sum = sum ? arith::AddIOp::create(b, l, sum, term).getResult() : term;
  }
  return sum;
}

/// x [..., K] i8 as [..., K / g] i32 words in the kernel's layout: vnni
/// packs the bytes x + 128 (unsigned), avx2 the i16 values of x. With
/// `quantizer`, x is its f32 input and quantizing happens in the same pass.
Value packActivations(OpBuilder &b, Location l, Kernel kernel, Value x,
                      std::optional<float> quantizer = std::nullopt) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t group = groupOf(kernel), k = type.getShape().back();
  unsigned rank = type.getRank();
  SmallVector<int64_t> grouped(type.getShape());
  grouped.back() = k / group;
  grouped.push_back(group);
  SmallVector<ReassociationIndices> reassociation;
  for (unsigned i = 0; i + 1 < rank; ++i)
    reassociation.push_back({int64_t(i)});
  reassociation.push_back({int64_t(rank - 1), int64_t(rank)});
  Value split = tensor::ExpandShapeOp::create(
      b, l, RankedTensorType::get(grouped, type.getElementType()), x,
      reassociation);
  Value init = linalg::FillOp::create(
                   b, l, constantInt(b, l, b.getI32Type(), 0),
                   freshTensor(b, l, x, k / group, b.getI32Type()))
                   .getResult(0);
  MLIRContext *context = b.getContext();
  SmallVector<AffineExpr> outExprs;
  for (unsigned i = 0; i < rank; ++i)
    outExprs.push_back(getAffineDimExpr(i, context));
  SmallVector<IT> iterators(rank, IT::parallel);
  iterators.push_back(IT::reduction);
  unsigned width = kernel == Kernel::Vnni ? 8 : 16;
  return linalg::GenericOp::create(
             b, l, TypeRange{init.getType()}, ValueRange{split},
             ValueRange{init},
             ArrayRef<AffineMap>{b.getMultiDimIdentityMap(rank + 1),
                                 AffineMap::get(rank + 1, 0, outExprs, context)},
             iterators,
             [&](OpBuilder &ib, Location il, ValueRange args) {
               Type i32 = ib.getI32Type();
               Value value = args[0];
               if (quantizer)
                 value = buildQuantizedCode(ib, il, value, *quantizer,
                                            ib.getI8Type());
               Value bits;
               if (kernel == Kernel::Vnni) {
                 // x + 128 as an unsigned byte: the sign bit flipped.
                 Value shifted = arith::XOrIOp::create(
                     ib, il, value, constantInt(ib, il, ib.getI8Type(), -128));
                 bits = arith::ExtUIOp::create(ib, il, i32, shifted);
               } else {
                 Value wide = arith::ExtSIOp::create(ib, il, ib.getI16Type(), value);
                 bits = arith::ExtUIOp::create(ib, il, i32, wide);
               }
               Value position = arith::IndexCastOp::create(
                   ib, il, i32, linalg::IndexOp::create(ib, il, rank));
               Value shift = arith::MulIOp::create(
                   ib, il, position, constantInt(ib, il, i32, width));
               Value placed = arith::ShLIOp::create(ib, il, bits, shift);
               linalg::YieldOp::create(
                   ib, il, ValueRange{arith::OrIOp::create(ib, il, args[1], placed)});
             },
             ArrayRef<NamedAttribute>{
                 b.getNamedAttr(bertc::tags::kPackedActivations, b.getUnitAttr())})
      .getResult(0);
}

/// The weight codes [N, K] prepacked at compile time as [K / g, N] words of
/// the kernel's layout, and the bias with vnni's compensation for the +128
/// shift folded in: bias[n] - 128 * sum_k W[n, k] (wrapping, as the int32
/// accumulator does).
struct PackedWeight {
  Value words, bias;
};

std::optional<PackedWeight> prepackWeight(OpBuilder &b, Location l,
                                          Kernel kernel, Value weight,
                                          Value bias) {
  DenseIntElementsAttr codes, biasValues;
  if (!matchPattern(weight, m_Constant(&codes)))
    return std::nullopt;
  if (bias && !matchPattern(bias, m_Constant(&biasValues)))
    return std::nullopt;
  auto type = cast<RankedTensorType>(codes.getType());
  int64_t n = type.getDimSize(0), k = type.getDimSize(1);
  int64_t group = groupOf(kernel);
  SmallVector<int64_t> w;
  for (const APInt &value : codes.getValues<APInt>())
    w.push_back(value.getSExtValue());
  SmallVector<APInt> words;
  unsigned wordBits = kernel == Kernel::Vnni ? 32 : 16;
  for (int64_t kg = 0; kg < k / group; ++kg)
    for (int64_t col = 0; col < n; ++col) {
      uint64_t word = 0;
      for (int64_t t = 0; t < group; ++t)
        word |= (uint64_t(w[col * k + kg * group + t]) & 0xff) << (8 * t);
      words.push_back(APInt(wordBits, word));
    }
  auto wordsType = RankedTensorType::get({k / group, n},
                                         b.getIntegerType(wordBits));
  Value packed = arith::ConstantOp::create(
      b, l, DenseIntElementsAttr::get(wordsType, words));
  SmallVector<APInt> adjusted;
  for (int64_t col = 0; col < n; ++col) {
    int64_t value =
        biasValues ? (*(biasValues.getValues<APInt>().begin() + col)).getSExtValue()
                   : 0;
    if (kernel == Kernel::Vnni) {
      int64_t sum = 0;
      for (int64_t i = 0; i < k; ++i)
        sum += w[col * k + i];
      value -= 128 * sum;
    }
    adjusted.push_back(APInt(32, uint64_t(value), /*isSigned=*/true));
  }
  auto biasType = RankedTensorType::get({n}, b.getI32Type());
  Value adjustedBias = arith::ConstantOp::create(
      b, l, DenseIntElementsAttr::get(biasType, adjusted));
  return PackedWeight{packed, adjustedBias};
}

struct Int8MatmulLowering : OpRewritePattern<bq::Int8MatmulOp> {
  Int8MatmulLowering(MLIRContext *context, Kernel kernel)
      : OpRewritePattern(context), kernel(kernel) {}

  LogicalResult matchAndRewrite(bq::Int8MatmulOp op,
                                PatternRewriter &rewriter) const override {
    Location l = op.getLoc();
    auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
    auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
    if (rhsType.getRank() != 2)
      return rewriter.notifyMatchFailure(op, "a shared [N, K] rhs");
    int64_t n = rhsType.getDimSize(0), k = lhsType.getShape().back();
    if (ShapedType::isDynamic(n) || ShapedType::isDynamic(k))
      return rewriter.notifyMatchFailure(op, "static N and K");
    if (kernel != Kernel::Generic && k % groupOf(kernel) == 0 &&
        lhsType.getRank() >= 2) {
      if (std::optional<PackedWeight> packed =
              prepackWeight(rewriter, l, kernel, op.getRhs(), op.getBias())) {
        // Quantizing x is fused into packing it when x is quantized here.
        std::optional<QuantizerOf> quantizer = matchQuantizer(op.getLhs());
        Value x = quantizer ? packActivations(rewriter, l, kernel,
                                              quantizer->input, quantizer->scale)
                            : packActivations(rewriter, l, kernel, op.getLhs());
        Value zeros = broadcastBias(rewriter, l, op.getLhs(), n, Value());
        Kernel chosen = kernel;
        Value sums = buildProduct(
            rewriter, l, x, packed->words, zeros, /*wByRow=*/false,
            [&](OpBuilder &b, Location il, Value xs, Value ws) {
              return packedDot(b, il, chosen, xs, ws);
            },
            bertc::tags::kInt8Linear, kernel == Kernel::Vnni ? "vnni" : "avx2");
        rewriter.replaceOp(op, addColumnBias(rewriter, l, sums, packed->bias));
        return success();
      }
    }
    Value out = broadcastBias(rewriter, l, op.getLhs(), n, op.getBias());
    rewriter.replaceOp(
        op, buildProduct(rewriter, l, op.getLhs(), op.getRhs(), out,
                         /*wByRow=*/true,
                         [](OpBuilder &b, Location il, Value x, Value w) -> Value {
                           Type i32 = b.getI32Type();
                           return arith::MulIOp::create(
                               b, il, arith::ExtSIOp::create(b, il, i32, x),
                               arith::ExtSIOp::create(b, il, i32, w));
                         }));
    return success();
  }

  Kernel kernel;
};

/// Whether a and b are the same activations grouped the same way (each
/// packing expands x into [..., K / g, g] with an expand_shape of its own).
bool sameGroupedActivations(Value a, Value b) {
  if (a == b)
    return true;
  auto first = a.getDefiningOp<tensor::ExpandShapeOp>();
  auto second = b.getDefiningOp<tensor::ExpandShapeOp>();
  return first && second && first.getSrc() == second.getSrc() &&
         first.getType() == second.getType() &&
         first.getReassociationIndices() == second.getReassociationIndices();
}

/// Whether `later` computes what `earlier` does: the same activations, the
/// same body (the same quantizer), into inits that are both fresh zeros.
bool samePacking(linalg::GenericOp earlier, linalg::GenericOp later) {
  Value earlierInit = earlier.getDpsInitOperand(0)->get();
  Value laterInit = later.getDpsInitOperand(0)->get();
  Value earlierInput = earlier.getDpsInputOperand(0)->get();
  Value laterInput = later.getDpsInputOperand(0)->get();
  if (!sameGroupedActivations(earlierInput, laterInput))
    return false;
  DenseMap<Value, Value> marked; // block arguments matched by the walk
  return OperationEquivalence::isEquivalentTo(
      earlier, later,
      [&](Value a, Value b) {
        return success(a == b || marked.lookup(a) == b ||
                       (a == earlierInput && b == laterInput) ||
                       (a == earlierInit && b == laterInit));
      },
      [&](Value a, Value b) { marked[a] = b; },
      OperationEquivalence::IgnoreLocations);
}

/// Q, K and V read the same x, and calibration gives their inputs the same
/// threshold: each product packed its own copy. The later packings of
/// the same activations by the same quantizer in a block are replaced by
/// the first (their inits are fresh tensors, which cse keeps apart).
void shareEqualPackings(Operation *root) {
  SmallVector<linalg::GenericOp> packings;
  root->walk([&](linalg::GenericOp op) {
    if (op->hasAttr(bertc::tags::kPackedActivations))
      packings.push_back(op);
  });
  SmallVector<linalg::GenericOp> kept;
  for (linalg::GenericOp packing : packings) {
    auto same = llvm::find_if(kept, [&](linalg::GenericOp earlier) {
      return earlier->getBlock() == packing->getBlock() &&
             earlier->isBeforeInBlock(packing) &&
             samePacking(earlier, packing);
    });
    if (same == kept.end()) {
      kept.push_back(packing);
      continue;
    }
    packing.getResult(0).replaceAllUsesWith(same->getResult(0));
    packing.erase();
  }
}

struct ConvertBQInt8ToLinalgPass
    : bertc::impl::ConvertBQInt8ToLinalgPassBase<ConvertBQInt8ToLinalgPass> {
  using ConvertBQInt8ToLinalgPassBase::ConvertBQInt8ToLinalgPassBase;

  void runOnOperation() override {
    std::optional<Kernel> chosen =
        llvm::StringSwitch<std::optional<Kernel>>(kernel)
            .Case("generic", Kernel::Generic)
            .Case("avx2", Kernel::Avx2)
            .Case("vnni", Kernel::Vnni)
            .Default(std::nullopt);
    if (!chosen) {
      getOperation().emitError("convert-bq-int8-to-linalg: kernel must be "
                               "generic, avx2 or vnni, not '")
          << kernel << "'";
      return signalPassFailure();
    }
    // The products first, so that they fuse their activations' quantizers
    // into packing (quantizers with other users stay for the second phase).
    RewritePatternSet products(&getContext());
    products.add<Int8MatmulLowering>(&getContext(), *chosen);
    if (failed(applyPatternsGreedily(getOperation(), std::move(products))))
      return signalPassFailure();
    shareEqualPackings(getOperation());
    RewritePatternSet quantizers(&getContext());
    quantizers.add<QuantizeToStorage, DequantizeFromStorage, FakeQuantLowering>(
        &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(quantizers))))
      return signalPassFailure();
    // Whatever is left has no lowering: say so instead of failing later.
    WalkResult left = getOperation().walk([](Operation *op) {
      if (isa<bq::QuantizeOp, bq::DequantizeOp, bq::FakeQuantOp,
              bq::Int8MatmulOp>(op)) {
        op->emitError("convert-bq-int8-to-linalg: no lowering for this op "
                      "(run-time quantizers need 8- to 24-bit storage read "
                      "through quant.scast; int8_matmul a static N and K)");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
