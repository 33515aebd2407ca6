//===- BQVerify.cpp - Verifiers of the bq dialect -------------------------===//
//
// ODS constraints check element types; these verifiers check the rules that
// span operands and attributes: symmetric quant types, packed lengths and the
// matmul layouts.
//
//===----------------------------------------------------------------------===//

#include "dialects/BQ/IR/BQVerify.h"
#include "dialects/BQ/IR/BQ.h"

#include "bertc/Support/QuantMath.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>

using namespace mlir;
using namespace bertc;
using namespace bertc::bq;

//===----------------------------------------------------------------------===//
// Shared rules
//===----------------------------------------------------------------------===//

bool bq::areCompatibleSizes(int64_t a, int64_t b) {
  return a == b || ShapedType::isDynamic(a) || ShapedType::isDynamic(b);
}

static int64_t mergeSizes(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) ? b : a;
}

static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << '[';
  llvm::interleave(
      shape, os,
      [&](int64_t size) {
        if (ShapedType::isDynamic(size))
          os << '?';
        else
          os << size;
      },
      ", ");
  os << ']';
  return text;
}

LogicalResult bq::verifySymmetricQuantType(EmitErrorFn emitError,
                                           quant::UniformQuantizedType type,
                                           Type expressed) {
  if (!type.isSigned())
    return emitError() << "quantized type " << type
                       << " must have signed storage (symmetric quantization)";
  unsigned bits = type.getStorageTypeIntegralWidth();
  if (bits < 2 || bits > 32)
    return emitError() << "quantized type " << type
                       << " must have 2 to 32 storage bits, got " << bits;
  if (type.getZeroPoint() != 0)
    return emitError() << "quantized type " << type
                       << " must have zero point 0, got "
                       << type.getZeroPoint();
  int64_t level = maxLevel(bits);
  if (type.getStorageTypeMin() != -level || type.getStorageTypeMax() != level)
    return emitError() << "quantized type " << type
                       << " must use the restricted symmetric range ["
                       << -level << ":" << level << "], got ["
                       << type.getStorageTypeMin() << ":"
                       << type.getStorageTypeMax() << "]";
  double step = type.getScale();
  if (!(step > 0.0) || !std::isfinite(step) ||
      !std::isfinite(scaleFromStep(step)))
    return emitError() << "quantized type " << type
                       << " must have a positive finite scale whose "
                          "reciprocal fits in f32";
  if (type.getExpressedType() != expressed)
    return emitError() << "quantized type " << type << " must express "
                       << expressed;
  return success();
}

FailureOr<SmallVector<int64_t>>
bq::inferMatmulShape(EmitErrorFn emitError, ArrayRef<int64_t> lhs,
                     ArrayRef<int64_t> rhs) {
  if (lhs.empty())
    return emitError() << "lhs must have rank >= 1, the reduction axis last";
  if (rhs.size() < 2)
    return emitError()
           << "rhs must have rank >= 2 ([N, K] or [batch..., N, K]), got "
           << formatShape(rhs);
  if (!areCompatibleSizes(lhs.back(), rhs.back()))
    return emitError() << "reduction axes differ: lhs " << formatShape(lhs)
                       << " vs rhs " << formatShape(rhs);
  SmallVector<int64_t> result(lhs.drop_back());
  if (rhs.size() == 2) {
    result.push_back(rhs.front());
    return result;
  }
  if (lhs.size() != rhs.size())
    return emitError() << "a batched rhs " << formatShape(rhs)
                       << " needs an lhs of the same rank, got "
                       << formatShape(lhs);
  for (size_t i = 0; i + 2 < rhs.size(); ++i) {
    if (!areCompatibleSizes(lhs[i], rhs[i]))
      return emitError() << "batch axis " << i << " differs: lhs "
                         << formatShape(lhs) << " vs rhs " << formatShape(rhs);
    result[i] = mergeSizes(lhs[i], rhs[i]);
  }
  result.push_back(rhs[rhs.size() - 2]);
  return result;
}

LogicalResult bq::verifyPackedLength(EmitErrorFn emitError,
                                     StringRef operandName, int64_t words,
                                     int64_t length) {
  if (ShapedType::isDynamic(words) || ShapedType::isDynamic(length))
    return success();
  if (words != packedWordCount(length))
    return emitError() << operandName << " holds " << words
                       << " words along its packed axis, but " << length
                       << " bits need " << packedWordCount(length);
  return success();
}

/// Checks that `actual` matches `expected` size by size.
static LogicalResult verifyShapeMatches(EmitErrorFn emitError,
                                        StringRef what,
                                        ArrayRef<int64_t> expected,
                                        ArrayRef<int64_t> actual) {
  if (failed(verifyCompatibleShape(expected, actual)))
    return emitError() << what << " must have shape " << formatShape(expected)
                       << ", got " << formatShape(actual);
  return success();
}

//===----------------------------------------------------------------------===//
// Quantization ops
//===----------------------------------------------------------------------===//

static quant::UniformQuantizedType getQuantElement(Type type) {
  return cast<quant::UniformQuantizedType>(
      cast<RankedTensorType>(type).getElementType());
}

/// quantize and dequantize: the result has the input's shape, and the
/// quantized element type is symmetric over the float element type.
static LogicalResult verifyQuantizationCast(Operation *op,
                                            RankedTensorType floatType,
                                            RankedTensorType quantizedType) {
  auto emitErr = [&] { return op->emitOpError(); };
  auto inputType = cast<RankedTensorType>(op->getOperand(0).getType());
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  if (failed(verifyShapeMatches(emitErr, "result", inputType.getShape(),
                                resultType.getShape())))
    return failure();
  return verifySymmetricQuantType(emitErr, getQuantElement(quantizedType),
                                  floatType.getElementType());
}

LogicalResult QuantizeOp::verify() {
  return verifyQuantizationCast(*this, getInput().getType(),
                                getOutput().getType());
}

LogicalResult DequantizeOp::verify() {
  return verifyQuantizationCast(*this, getOutput().getType(),
                                getInput().getType());
}

LogicalResult ConstantOp::verify() {
  auto emitErr = [&] { return emitOpError(); };
  auto resultType = getOutput().getType();
  auto quantType = getQuantElement(resultType);
  if (failed(verifySymmetricQuantType(emitErr, quantType,
                                      quantType.getExpressedType())))
    return failure();
  auto valueType = cast<ShapedType>(getValue().getType());
  if (valueType.getElementType() != quantType.getStorageType())
    return emitOpError() << "value must hold the storage type "
                         << quantType.getStorageType() << ", got "
                         << valueType.getElementType();
  if (!resultType.hasStaticShape() ||
      valueType.getShape() != resultType.getShape())
    return emitOpError() << "value shape " << formatShape(valueType.getShape())
                         << " must equal the static result shape "
                         << formatShape(resultType.getShape());
  if (auto ints = dyn_cast<DenseIntElementsAttr>(getValue())) {
    int64_t level = quantType.getStorageTypeMax();
    for (const APInt &value : ints.getValues<APInt>()) {
      int64_t q = value.getSExtValue();
      if (q < -level || q > level)
        return emitOpError() << "value " << q << " lies outside the storage "
                             << "range [" << -level << ":" << level << "]";
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Binarization and packing ops
//===----------------------------------------------------------------------===//

LogicalResult BinarizeOp::verify() {
  if (getForm() == BinarizeForm::Weight && getInput().getType().getRank() != 2)
    return emitOpError() << "weight form needs a rank-2 [out, in] tensor, got "
                            "rank "
                         << getInput().getType().getRank();
  return success();
}

/// pack_bits and unpack_bits: equal ranks, equal leading sizes, and a packed
/// last axis of ceil(length / 64) words.
static LogicalResult verifyPackedPair(Operation *op, RankedTensorType unpacked,
                                      RankedTensorType packed) {
  auto emitErr = [&] { return op->emitOpError(); };
  if (unpacked.getRank() == 0 || unpacked.getRank() != packed.getRank())
    return op->emitOpError()
           << "packed and unpacked tensors must have the same rank >= 1, got "
           << formatShape(unpacked.getShape()) << " and "
           << formatShape(packed.getShape());
  if (failed(verifyShapeMatches(emitErr, "the leading axes",
                                unpacked.getShape().drop_back(),
                                packed.getShape().drop_back())))
    return failure();
  return verifyPackedLength(emitErr, "the packed tensor",
                            packed.getShape().back(),
                            unpacked.getShape().back());
}

LogicalResult PackBitsOp::verify() {
  return verifyPackedPair(*this, getInput().getType(), getOutput().getType());
}

LogicalResult UnpackBitsOp::verify() {
  return verifyPackedPair(*this, getOutput().getType(), getInput().getType());
}

/// threshold: the output has the shape of the dots, and each threshold is a
/// vector over their last axis.
LogicalResult ThresholdOp::verify() {
  auto emitErr = [&] { return emitOpError(); };
  ArrayRef<int64_t> dots = getDots().getType().getShape();
  if (dots.empty())
    return emitOpError() << "dots must have rank >= 1";
  if (failed(verifyShapeMatches(emitErr, "output", dots,
                                getOutput().getType().getShape())))
    return failure();
  for (Value thresholds : {getAtLeast(), getBelow()}) {
    if (!thresholds)
      continue;
    ArrayRef<int64_t> shape =
        cast<RankedTensorType>(thresholds.getType()).getShape();
    if (shape.size() != 1 || !areCompatibleSizes(shape[0], dots.back()))
      return emitOpError() << "thresholds must be a vector over the last axis "
                              "of "
                           << dots.back() << " values, got "
                           << formatShape(shape);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Matmul ops
//===----------------------------------------------------------------------===//

static LogicalResult verifyMatmulResult(Operation *op, ShapedType lhs,
                                        ShapedType rhs, ShapedType result) {
  auto emitErr = [&] { return op->emitOpError(); };
  auto expected = inferMatmulShape(emitErr, lhs.getShape(), rhs.getShape());
  if (failed(expected))
    return failure();
  return verifyShapeMatches(emitErr, "result", *expected, result.getShape());
}

static LogicalResult verifyPackedMatmul(Operation *op, ShapedType lhs,
                                        ShapedType rhs, ShapedType result,
                                        int64_t length) {
  if (failed(verifyMatmulResult(op, lhs, rhs, result)))
    return failure();
  auto emitErr = [&] { return op->emitOpError(); };
  if (failed(verifyPackedLength(emitErr, "lhs", lhs.getShape().back(), length)))
    return failure();
  return verifyPackedLength(emitErr, "rhs", rhs.getShape().back(), length);
}

LogicalResult XnorMatmulOp::verify() {
  return verifyPackedMatmul(*this, getLhs().getType(), getRhs().getType(),
                            getResult().getType(), getLength());
}

LogicalResult BitwiseAffineMatmulOp::verify() {
  // Without a length (a run-time key count) only the shapes are checked.
  return verifyPackedMatmul(*this, getLhs().getType(), getRhs().getType(),
                            getResult().getType(),
                            getLength() ? int64_t(*getLength())
                                        : ShapedType::kDynamic);
}

LogicalResult Int8MatmulOp::verify() {
  auto resultType = getResult().getType();
  if (failed(verifyMatmulResult(*this, getLhs().getType(), getRhs().getType(),
                                resultType)))
    return failure();
  if (!getBias())
    return success();
  auto biasShape = getBias().getType().getShape();
  if (biasShape.size() != 1 ||
      !areCompatibleSizes(biasShape[0], resultType.getShape().back()))
    return emitOpError() << "bias must be a vector over the output axis of "
                         << resultType.getShape().back() << " values, got "
                         << formatShape(biasShape);
  return success();
}
