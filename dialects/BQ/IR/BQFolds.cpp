//===- BQFolds.cpp - Folders and canonicalizations of the bq dialect ------===//
//
// Folding a quantizer of a constant is how bertc quantizes, binarizes and
// packs weights at compile time; the arithmetic is QuantMath's, so folded
// constants equal what the kernels compute at run time.
//
//===----------------------------------------------------------------------===//

#include "dialects/BQ/IR/BQ.h"

#include "bertc/Support/QuantMath.h"
#include "bertc/Utils/ConstantData.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

using namespace mlir;
using namespace bertc;
using namespace bertc::bq;

//===----------------------------------------------------------------------===//
// Reading and writing constant tensors
//===----------------------------------------------------------------------===//

/// The values of a constant of any float or integer element type, widened to
/// double (exact for f32 and for integers up to 2^53).
static std::optional<SmallVector<double>> getNumericValues(Attribute attr) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense)
    return std::nullopt;
  SmallVector<double> values;
  values.reserve(dense.getNumElements());
  if (isa<FloatType>(dense.getElementType())) {
    for (const APFloat &value : dense.getValues<APFloat>())
      values.push_back(value.convertToDouble());
    return values;
  }
  if (dense.getElementType().isSignlessInteger()) {
    for (const APInt &value : dense.getValues<APInt>())
      values.push_back(static_cast<double>(value.getSExtValue()));
    return values;
  }
  return std::nullopt;
}

/// The values of an integer constant, sign-extended.
static std::optional<SmallVector<int64_t>> getIntValues(Attribute attr) {
  auto dense = dyn_cast_or_null<DenseIntElementsAttr>(attr);
  if (!dense)
    return std::nullopt;
  SmallVector<int64_t> values;
  values.reserve(dense.getNumElements());
  for (const APInt &value : dense.getValues<APInt>())
    values.push_back(value.getSExtValue());
  return values;
}

/// A dense attribute of `shape` and integer `elementType` holding `values`.
static DenseElementsAttr makeIntElements(ArrayRef<int64_t> shape,
                                         Type elementType,
                                         ArrayRef<int64_t> values) {
  unsigned width = elementType.getIntOrFloatBitWidth();
  SmallVector<APInt> bits;
  bits.reserve(values.size());
  for (int64_t value : values)
    bits.emplace_back(width, static_cast<uint64_t>(value), /*isSigned=*/true,
                      /*implicitTrunc=*/true);
  return DenseElementsAttr::get(RankedTensorType::get(shape, elementType),
                                bits);
}

/// A dense attribute of the float or integer tensor `type` holding `values`.
static DenseElementsAttr makeNumericElements(RankedTensorType type,
                                             ArrayRef<double> values) {
  Type elementType = type.getElementType();
  if (auto floatType = dyn_cast<FloatType>(elementType)) {
    SmallVector<APFloat> floats;
    floats.reserve(values.size());
    for (double value : values) {
      APFloat converted(value);
      bool losesInfo = false;
      converted.convert(floatType.getFloatSemantics(),
                        APFloat::rmNearestTiesToEven, &losesInfo);
      floats.push_back(converted);
    }
    return DenseElementsAttr::get(type, floats);
  }
  SmallVector<int64_t> ints(values.begin(), values.end());
  return makeIntElements(type.getShape(), elementType, ints);
}

static float scaleOf(quant::UniformQuantizedType type) {
  return scaleFromStep(type.getScale());
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

/// quantize(dequantize(q)) = q when every storage value is exact in f32
/// (q / s * s rounds back to q), i.e. up to 24 storage bits.
static bool isExactRoundTrip(quant::UniformQuantizedType type) {
  return type.getStorageTypeIntegralWidth() <= 24;
}

OpFoldResult QuantizeOp::fold(FoldAdaptor adaptor) {
  auto resultType = getOutput().getType();
  auto quantType = cast<quant::UniformQuantizedType>(resultType.getElementType());
  if (auto dequantize = getInput().getDefiningOp<DequantizeOp>())
    if (dequantize.getInput().getType() == resultType &&
        isExactRoundTrip(quantType))
      return dequantize.getInput();

  std::optional<SmallVector<float>> values = getF32Values(adaptor.getInput());
  if (!values || !resultType.hasStaticShape())
    return {};
  float scale = scaleOf(quantType);
  unsigned bits = quantType.getStorageTypeIntegralWidth();
  SmallVector<int64_t> codes;
  codes.reserve(values->size());
  for (float value : *values)
    codes.push_back(quantizeValue(value, scale, bits));
  return makeIntElements(resultType.getShape(), quantType.getStorageType(),
                         codes);
}

OpFoldResult DequantizeOp::fold(FoldAdaptor adaptor) {
  std::optional<SmallVector<int64_t>> codes = getIntValues(adaptor.getInput());
  auto resultType = getOutput().getType();
  if (!codes || !resultType.hasStaticShape())
    return {};
  float scale = scaleOf(cast<quant::UniformQuantizedType>(
      getInput().getType().getElementType()));
  SmallVector<float> values;
  values.reserve(codes->size());
  for (int64_t code : *codes)
    values.push_back(dequantizeValue(code, scale));
  return DenseElementsAttr::get(resultType, ArrayRef<float>(values));
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

namespace {
/// dequantize(quantize(x)) of one quantized type is fake quantization:
/// rewrite it to the single op whose STE and lowering are known.
struct DequantizeOfQuantizeToFakeQuant : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(DequantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto quantize = op.getInput().getDefiningOp<QuantizeOp>();
    if (!quantize)
      return rewriter.notifyMatchFailure(op, "input is not a bq.quantize");
    if (quantize.getInput().getType() != op.getOutput().getType())
      return rewriter.notifyMatchFailure(op, "shapes differ");
    auto quantType = cast<quant::UniformQuantizedType>(
        op.getInput().getType().getElementType());
    Value scale = arith::ConstantOp::create(
        rewriter, op.getLoc(), rewriter.getF32FloatAttr(scaleOf(quantType)));
    rewriter.replaceOpWithNewOp<FakeQuantOp>(
        op, quantize.getInput(), scale,
        rewriter.getI64IntegerAttr(quantType.getStorageTypeIntegralWidth()));
    return success();
  }
};
} // namespace

namespace {
/// quant.scast of a bq.constant to its storage type is the storage constant
/// itself: the int8 kernels take plain i8 weights.
struct StorageCastOfConstant : OpRewritePattern<quant::StorageCastOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(quant::StorageCastOp op,
                                PatternRewriter &rewriter) const override {
    auto constant = op.getInput().getDefiningOp<ConstantOp>();
    if (!constant)
      return rewriter.notifyMatchFailure(op, "input is not a bq.constant");
    auto value = dyn_cast<TypedAttr>(constant.getValue());
    if (!value || value.getType() != op.getType())
      return rewriter.notifyMatchFailure(op, "not a cast to the storage type");
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, value);
    return success();
  }
};
} // namespace

void BQDialect::getCanonicalizationPatterns(RewritePatternSet &results) const {
  results.add<StorageCastOfConstant>(getContext());
}

void DequantizeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                               MLIRContext *context) {
  results.add<DequantizeOfQuantizeToFakeQuant>(context);
}

OpFoldResult FakeQuantOp::fold(FoldAdaptor adaptor) {
  unsigned bits = static_cast<unsigned>(getBits());
  // fq is idempotent for a given scale while codes are exact in f32.
  if (auto inner = getInput().getDefiningOp<FakeQuantOp>())
    if (inner.getScale() == getScale() && inner.getBits() == getBits() &&
        bits <= 24)
      return getInput();

  auto scaleAttr = dyn_cast_or_null<FloatAttr>(adaptor.getScale());
  std::optional<SmallVector<float>> values = getF32Values(adaptor.getInput());
  if (!scaleAttr || !values || !getType().hasStaticShape())
    return {};
  auto scale = static_cast<float>(scaleAttr.getValueAsDouble());
  for (float &value : *values)
    value = fakeQuantizeValue(value, scale, bits);
  return DenseElementsAttr::get(getType(), ArrayRef<float>(*values));
}

//===----------------------------------------------------------------------===//
// Binarization
//===----------------------------------------------------------------------===//

OpFoldResult BinarizeOp::fold(FoldAdaptor adaptor) {
  std::optional<SmallVector<float>> values = getF32Values(adaptor.getInput());
  auto type = getType();
  if (!values || !type.hasStaticShape())
    return {};
  bool zeroIsPlusOne = getZero() == SignZeroPolicy::PlusOne;
  SmallVector<float> result(values->size());
  if (getForm() == BinarizeForm::Activation) {
    for (size_t i = 0; i < values->size(); ++i)
      result[i] = signValue((*values)[i], zeroIsPlusOne);
  } else {
    size_t columns = type.getShape().back();
    for (size_t start = 0; start < values->size(); start += columns)
      binarizeWeightRow(ArrayRef<float>(*values).slice(start, columns),
                        zeroIsPlusOne,
                        MutableArrayRef<float>(result).slice(start, columns));
  }
  return DenseElementsAttr::get(type, ArrayRef<float>(result));
}

OpFoldResult BoolOp::fold(FoldAdaptor adaptor) {
  std::optional<SmallVector<float>> values = getF32Values(adaptor.getInput());
  if (!values || !getType().hasStaticShape())
    return {};
  bool inclusive = getRule() == BoolRule::GreaterEqual;
  for (float &value : *values)
    value = boolValue(value, inclusive);
  return DenseElementsAttr::get(getType(), ArrayRef<float>(*values));
}

//===----------------------------------------------------------------------===//
// Bit packing
//===----------------------------------------------------------------------===//

OpFoldResult PackBitsOp::fold(FoldAdaptor adaptor) {
  std::optional<SmallVector<double>> values =
      getNumericValues(adaptor.getInput());
  auto inputType = getInput().getType();
  auto resultType = getOutput().getType();
  if (!values || !inputType.hasStaticShape() || !resultType.hasStaticShape())
    return {};
  bool nonNegative = getRule() == PackRule::NonNegative;
  int64_t length = inputType.getShape().back();
  int64_t words = packedWordCount(length);
  int64_t rows = length == 0 ? 0 : values->size() / length;
  SmallVector<uint64_t> packed(rows * words);
  for (int64_t row = 0; row < rows; ++row) {
    ArrayRef<double> rowValues = ArrayRef<double>(*values).slice(row * length, length);
    packBits(
        length,
        [&](int64_t k) {
          return nonNegative ? rowValues[k] >= 0.0 : rowValues[k] > 0.0;
        },
        MutableArrayRef<uint64_t>(packed).slice(row * words, words));
  }
  SmallVector<int64_t> asSigned(packed.begin(), packed.end());
  return makeIntElements(resultType.getShape(), resultType.getElementType(),
                         asSigned);
}

OpFoldResult UnpackBitsOp::fold(FoldAdaptor adaptor) {
  std::optional<SmallVector<int64_t>> words = getIntValues(adaptor.getInput());
  auto resultType = getOutput().getType();
  if (!words || !resultType.hasStaticShape())
    return {};
  int64_t length = resultType.getShape().back();
  int64_t wordCount = packedWordCount(length);
  int64_t rows = wordCount == 0 ? 0 : words->size() / wordCount;
  bool boolean = getEncoding() == BitEncoding::Boolean;
  SmallVector<double> values;
  values.reserve(rows * length);
  SmallVector<uint64_t> rowWords(wordCount);
  for (int64_t row = 0; row < rows; ++row) {
    for (int64_t w = 0; w < wordCount; ++w)
      rowWords[w] = static_cast<uint64_t>((*words)[row * wordCount + w]);
    for (int64_t k = 0; k < length; ++k) {
      bool bit = bitAt(rowWords, k);
      values.push_back(bit ? 1.0 : (boolean ? 0.0 : -1.0));
    }
  }
  return makeNumericElements(resultType, values);
}

//===----------------------------------------------------------------------===//
// Matmuls
//===----------------------------------------------------------------------===//

namespace {
/// The loop structure shared by the matmul folders: `batches` independent
/// products of `m` lhs rows by `n` rhs rows, each row `rowSize` long.
struct MatmulGeometry {
  int64_t batches, m, n, rowSize;

  static std::optional<MatmulGeometry> of(ShapedType lhs, ShapedType rhs) {
    if (!lhs.hasStaticShape() || !rhs.hasStaticShape())
      return std::nullopt;
    int64_t rowSize = lhs.getShape().back();
    if (rowSize == 0) // empty reductions are left to the lowering
      return std::nullopt;
    int64_t lhsRows = lhs.getNumElements() / rowSize;
    int64_t rhsRows = rhs.getNumElements() / rowSize;
    if (rhs.getRank() == 2)
      return MatmulGeometry{1, lhsRows, rhsRows, rowSize};
    int64_t n = rhs.getShape()[rhs.getRank() - 2];
    if (n == 0 || rhsRows == 0)
      return std::nullopt;
    int64_t batches = rhsRows / n;
    return MatmulGeometry{batches, lhsRows / batches, n, rowSize};
  }

  /// Calls dot(lhsRowStart, rhsRowStart) for every output, in result order.
  template <typename Dot>
  SmallVector<int64_t> evaluate(Dot dot) const {
    SmallVector<int64_t> result;
    result.reserve(batches * m * n);
    for (int64_t b = 0; b < batches; ++b)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j)
          result.push_back(
              dot((b * m + i) * rowSize, (b * n + j) * rowSize));
    return result;
  }
};
} // namespace

/// Folds a packed matmul of two constants with `dot` on word rows.
template <typename OpTy, typename Dot>
static OpFoldResult foldPackedMatmul(OpTy op, Attribute lhsAttr,
                                     Attribute rhsAttr, Dot dot) {
  std::optional<SmallVector<int64_t>> lhs = getIntValues(lhsAttr);
  std::optional<SmallVector<int64_t>> rhs = getIntValues(rhsAttr);
  auto geometry =
      MatmulGeometry::of(op.getLhs().getType(), op.getRhs().getType());
  auto resultType = op.getResult().getType();
  if (!lhs || !rhs || !geometry || !resultType.hasStaticShape())
    return {};
  SmallVector<uint64_t> lhsWords(lhs->begin(), lhs->end());
  SmallVector<uint64_t> rhsWords(rhs->begin(), rhs->end());
  int64_t words = geometry->rowSize;
  SmallVector<int64_t> result = geometry->evaluate([&](int64_t l, int64_t r) {
    return dot(ArrayRef<uint64_t>(lhsWords).slice(l, words),
               ArrayRef<uint64_t>(rhsWords).slice(r, words));
  });
  return makeIntElements(resultType.getShape(), resultType.getElementType(),
                         result);
}

OpFoldResult XnorMatmulOp::fold(FoldAdaptor adaptor) {
  int64_t length = getLength();
  return foldPackedMatmul(*this, adaptor.getLhs(), adaptor.getRhs(),
                          [&](ArrayRef<uint64_t> a, ArrayRef<uint64_t> b) {
                            return xnorDot(a, b, length);
                          });
}

OpFoldResult BitwiseAffineMatmulOp::fold(FoldAdaptor adaptor) {
  return foldPackedMatmul(*this, adaptor.getLhs(), adaptor.getRhs(),
                          [](ArrayRef<uint64_t> m, ArrayRef<uint64_t> v) {
                            return bitwiseAffineDot(m, v);
                          });
}

OpFoldResult Int8MatmulOp::fold(FoldAdaptor adaptor) {
  std::optional<SmallVector<int64_t>> lhs = getIntValues(adaptor.getLhs());
  std::optional<SmallVector<int64_t>> rhs = getIntValues(adaptor.getRhs());
  std::optional<SmallVector<int64_t>> bias;
  if (getBias()) {
    bias = getIntValues(adaptor.getBias());
    if (!bias)
      return {};
  }
  auto geometry = MatmulGeometry::of(getLhs().getType(), getRhs().getType());
  auto resultType = getResult().getType();
  if (!lhs || !rhs || !geometry || !resultType.hasStaticShape())
    return {};
  SmallVector<int8_t> lhsCodes(lhs->begin(), lhs->end());
  SmallVector<int8_t> rhsCodes(rhs->begin(), rhs->end());
  int64_t k = geometry->rowSize, n = geometry->n;
  SmallVector<int64_t> result = geometry->evaluate([&](int64_t l, int64_t r) {
    int32_t biasValue = bias ? static_cast<int32_t>((*bias)[(r / k) % n]) : 0;
    return int8Dot(ArrayRef<int8_t>(lhsCodes).slice(l, k),
                   ArrayRef<int8_t>(rhsCodes).slice(r, k), biasValue);
  });
  return makeIntElements(resultType.getShape(), resultType.getElementType(),
                         result);
}
