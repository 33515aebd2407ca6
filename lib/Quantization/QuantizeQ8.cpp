//===- QuantizeQ8.cpp - Q8BERT's int8 inference graph ---------------------===//
//
// SEMANTICS.md section 1.5, official code: symmetric 8-bit quantization
// with per-tensor weight scales (s_w = 127 / max|W|, folded to int8 codes at
// compile time), static input scales s_x = 127 / T from calibrated
// thresholds, an int32 bias with s_b = s_w * s_x, int32 accumulation and
// the output dequantized to f32 by a division by s_b. Word and position
// embeddings are int8 tables; everything else stays f32.
//
//===----------------------------------------------------------------------===//

#include "bertc/Quantization/Passes.h"
#include "bertc/Quantization/Q8.h"

#include "bertc/Support/QuantMath.h"
#include "bertc/Utils/ConstantData.h"
#include "bertc/Utils/LinalgBuilders.h"
#include "dialects/BQ/IR/BQ.h"
#include "dialects/Bert/IR/Bert.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include <cmath>

namespace bertc {
#define GEN_PASS_DEF_QUANTIZEQ8PASS
#include "bertc/Quantization/Passes.h.inc"
} // namespace bertc

using namespace mlir;
using namespace bertc;

bool bertc::quantization::keepsFloat(ArrayRef<std::string> floatLayers,
                                     StringRef module) {
  return llvm::is_contained(floatLayers, module);
}

std::string bertc::quantization::moduleOfTensor(StringRef tensor) {
  tensor.consume_back(".weight");
  return tensor.str();
}

std::string bertc::quantization::outputThresholdKey(StringRef module) {
  return (module + ".output_thresh").str();
}

bool bertc::quantization::quantizesEmbedding8(StringRef tableName) {
  return tableName.ends_with("embeddings.word_embeddings.weight") ||
         tableName.ends_with("embeddings.position_embeddings.weight");
}

std::optional<float>
bertc::quantization::findThreshold(DictionaryAttr thresholds, StringRef module) {
  if (!thresholds)
    return std::nullopt;
  auto lookup = [&](StringRef key) -> std::optional<float> {
    if (auto value = thresholds.getAs<FloatAttr>(key))
      return static_cast<float>(value.getValueAsDouble());
    return std::nullopt;
  };
  if (std::optional<float> direct = lookup(module))
    return direct;
  if (module.starts_with("bert."))
    return lookup(module.drop_front(5));
  return lookup(("bert." + module).str());
}

namespace {

using IT = utils::IteratorType;

/// The symmetric quantizer of SEMANTICS.md 1.1 with multiplier `scale`:
/// signed `bits`-bit storage in [-M, M], zero point 0, step 1 / scale.
static quant::UniformQuantizedType symmetricType(MLIRContext *context,
                                                 float scale, unsigned bits) {
  int64_t level = maxLevel(bits);
  return quant::UniformQuantizedType::get(
      quant::QuantizationFlags::Signed, IntegerType::get(context, bits),
      Float32Type::get(context), stepFromScale(scale), /*zeroPoint=*/0,
      -level, level);
}

static RankedTensorType withElement(Value value, Type element) {
  return RankedTensorType::get(
      cast<RankedTensorType>(value.getType()).getShape(), element);
}

/// quantize(x, scale) as its integer storage: bq.quantize + quant.scast.
/// Constant inputs fold to integer constants under canonicalize.
static Value quantizeToStorage(OpBuilder &b, Location l, Value x, float scale,
                               unsigned bits) {
  auto type = symmetricType(b.getContext(), scale, bits);
  Value quantized =
      bq::QuantizeOp::create(b, l, withElement(x, type), x).getResult();
  return quant::StorageCastOp::create(b, l, withElement(x, type.getStorageType()),
                                      quantized);
}

/// The largest magnitude of a constant tensor, or nullopt.
static std::optional<float> maxMagnitude(Value constant) {
  Attribute attr;
  if (!matchPattern(constant, m_Constant(&attr)))
    return std::nullopt;
  std::optional<SmallVector<float>> values = getF32Values(attr);
  if (!values)
    return std::nullopt;
  float largest = 0.0f;
  for (float value : *values)
    largest = std::max(largest, std::fabs(value));
  return largest;
}

/// s = 127 / T for a positive, finite T; an error naming `what` otherwise.
static FailureOr<float> scaleOf(Operation *op, StringRef what, float threshold) {
  if (!(threshold > 0.0f) || !std::isfinite(threshold))
    return op->emitError("bert-quantize-q8: ")
           << what << " must be positive and finite, got " << threshold;
  return scaleFromThreshold(threshold, 8);
}

/// The dynamic mode's linear: s_x = 127 / max|x| of this call's input,
/// then the same integer arithmetic with run-time scales.
static void quantizeLinearDynamically(bert::LinearOp op, float weightScale) {
  OpBuilder b(op);
  Location l = op.getLoc();
  auto f32 = [&](float v) -> Value { return buildF32(b, l, v); };
  Value largest = buildMaxMagnitude(b, l, op.getInput());
  Value isZero = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, largest,
                                       f32(0));
  Value inputScale = arith::DivFOp::create(
      b, l, f32(127), arith::SelectOp::create(b, l, isZero, f32(127), largest));
  Value biasScale = arith::MulFOp::create(b, l, f32(weightScale), inputScale);
  auto codesOf = [&](Value values, Value scale, unsigned bits) {
    IntegerType storage = b.getIntegerType(bits);
    return buildElementwise(
        b, l, ValueRange{values},
        [&](OpBuilder &ib, Location il, ValueRange args) {
          return buildQuantizedCode(ib, il, args[0], scale, storage);
        },
        storage);
  };
  Value x = codesOf(op.getInput(), inputScale, 8);
  Value w = quantizeToStorage(b, l, op.getWeight(), weightScale, 8);
  Value bias = op.getBias() ? codesOf(op.getBias(), biasScale, 32) : Value();
  auto resultType = cast<RankedTensorType>(op.getType());
  auto accType = RankedTensorType::get(resultType.getShape(), b.getI32Type());
  Value acc = bq::Int8MatmulOp::create(b, l, accType, x, w, bias);
  Value y = buildElementwise(
      b, l, ValueRange{acc},
      [&](OpBuilder &ib, Location il, ValueRange args) -> Value {
        Value value = arith::SIToFPOp::create(ib, il, ib.getF32Type(), args[0]);
        return arith::DivFOp::create(ib, il, value, biasScale);
      },
      b.getF32Type());
  if (y.getType() != resultType)
    y = tensor::CastOp::create(b, l, resultType, y);
  op.replaceAllUsesWith(y);
  op.erase();
}

/// y = (quantize(x, s_x) . quantize(W, s_w)^T + quantize(b, s_w s_x)) / (s_w s_x).
static LogicalResult quantizeLinear(bert::LinearOp op, DictionaryAttr thresholds,
                                    ArrayRef<std::string> floatLayers,
                                    ArrayRef<std::string> requantized,
                                    bool dynamic) {
  std::string name = constantName(op.getWeight());
  if (name.empty())
    return success(); // not a checkpoint weight
  std::string module = quantization::moduleOfTensor(name);
  if (quantization::keepsFloat(floatLayers, module))
    return success();
  if (dynamic) {
    std::optional<float> weightMax = maxMagnitude(op.getWeight());
    if (!weightMax)
      return op.emitError("bert-quantize-q8: cannot read the constant ") << name;
    FailureOr<float> weightScale =
        scaleOf(op, "max|W| of '" + name + "'", *weightMax);
    if (failed(weightScale))
      return failure();
    quantizeLinearDynamically(op, *weightScale);
    return success();
  }
  std::optional<float> threshold = quantization::findThreshold(thresholds, module);
  if (!threshold)
    return op.emitError("bert-quantize-q8: no input threshold for '")
           << module
           << "': give one (bert-compile --thresholds T.json, or the "
              "module's bertc.thresholds) or keep the layer f32 "
              "(--q8-float-layers)";
  std::optional<float> weightMax = maxMagnitude(op.getWeight());
  if (!weightMax)
    return op.emitError("bert-quantize-q8: cannot read the constant ") << name;
  FailureOr<float> inputScale =
      scaleOf(op, "the input threshold of '" + module + "'", *threshold);
  FailureOr<float> weightScale =
      scaleOf(op, "max|W| of '" + name + "'", *weightMax);
  if (failed(inputScale) || failed(weightScale))
    return failure();
  // f32 product, as the official code multiplies the two scale tensors.
  float biasScale = *weightScale * *inputScale;

  OpBuilder b(op);
  Location l = op.getLoc();
  Value x = quantizeToStorage(b, l, op.getInput(), *inputScale, 8);
  Value w = quantizeToStorage(b, l, op.getWeight(), *weightScale, 8);
  Value bias = op.getBias() ? quantizeToStorage(b, l, op.getBias(), biasScale, 32)
                            : Value();
  auto resultType = cast<RankedTensorType>(op.getType());
  auto accType = RankedTensorType::get(resultType.getShape(), b.getI32Type());
  auto product = bq::Int8MatmulOp::create(b, l, accType, x, w, bias);
  // Names the product for bert-dump-int8 (debugging).
  product->setAttr(quantization::kModuleAttr, b.getStringAttr(module));
  Value acc = product.getResult();
  auto accQuant = symmetricType(b.getContext(), biasScale, 32);
  Value quantized = quant::StorageCastOp::create(
      b, l, RankedTensorType::get(resultType.getShape(), accQuant), acc);
  Value y = bq::DequantizeOp::create(b, l, resultType, quantized);
  if (llvm::is_contained(requantized, module)) {
    // requantize_output (SEMANTICS.md 1.5 step 7): y on the 8-bit grid of
    // s_out, still f32; canonicalize makes the pair one bq.fake_quant.
    std::string key = quantization::outputThresholdKey(module);
    std::optional<float> outputThreshold =
        quantization::findThreshold(thresholds, key);
    if (!outputThreshold)
      return op.emitError("bert-quantize-q8: '")
             << module << "' is requantized but has no output threshold '"
             << key << "'";
    FailureOr<float> outputScale =
        scaleOf(op, "the output threshold of '" + module + "'", *outputThreshold);
    if (failed(outputScale))
      return failure();
    auto gridType = symmetricType(b.getContext(), *outputScale, 8);
    Value onGrid = bq::QuantizeOp::create(
        b, l, RankedTensorType::get(resultType.getShape(), gridType), y);
    y = bq::DequantizeOp::create(b, l, resultType, onGrid);
  }
  op.replaceAllUsesWith(y);
  op.erase();
  return success();
}

/// A lookup in an int8 table: out[..., h] = codes[id, h] / s (f32).
static LogicalResult quantizeEmbedding(bert::EmbeddingOp op) {
  std::string name = constantName(op.getTable());
  if (!quantization::quantizesEmbedding8(name))
    return success();
  std::optional<float> tableMax = maxMagnitude(op.getTable());
  if (!tableMax)
    return op.emitError("bert-quantize-q8: cannot read the constant ") << name;
  FailureOr<float> scale = scaleOf(op, "max|E| of '" + name + "'", *tableMax);
  if (failed(scale))
    return failure();
  OpBuilder b(op);
  Location l = op.getLoc();
  Value codes = quantizeToStorage(b, l, op.getTable(), *scale, 8);
  auto tableType = cast<RankedTensorType>(op.getTable().getType());
  Value result = buildTableLookup(
      b, l, op.getIds(),
      arith::ConstantIndexOp::create(b, l, tableType.getDimSize(0)),
      arith::ConstantIndexOp::create(b, l, tableType.getDimSize(1)),
      op.getType(), [&](OpBuilder &ib, Location il, Value row, Value column) {
        Value code = tensor::ExtractOp::create(ib, il, codes,
                                               ValueRange{row, column});
        Value value = arith::SIToFPOp::create(ib, il, ib.getF32Type(), code);
        Value divisor =
            arith::ConstantOp::create(ib, il, ib.getF32FloatAttr(*scale));
        return arith::DivFOp::create(ib, il, value, divisor).getResult();
      });
  op.replaceAllUsesWith(result);
  op.erase();
  return success();
}

struct QuantizeQ8Pass : bertc::impl::QuantizeQ8PassBase<QuantizeQ8Pass> {
  using QuantizeQ8PassBase::QuantizeQ8PassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto thresholds =
        module->getAttrOfType<DictionaryAttr>(quantization::kThresholdsAttr);
    SmallVector<std::string> floats(floatLayers.begin(), floatLayers.end());
    SmallVector<std::string> requantized(requantize.begin(), requantize.end());
    if (mode == "dynamic" && !requantized.empty()) {
      module.emitError("bert-quantize-q8: requantize needs output thresholds, "
                       "which the dynamic mode does not have");
      return signalPassFailure();
    }
    if (mode != "static" && mode != "dynamic") {
      module.emitError("bert-quantize-q8: mode must be static or dynamic, not '")
          << mode << "'";
      return signalPassFailure();
    }
    SmallVector<Operation *> ops;
    module.walk([&](Operation *op) {
      if (isa<bert::LinearOp, bert::EmbeddingOp>(op))
        ops.push_back(op);
    });
    bool failed = false;
    for (Operation *op : ops) {
      LogicalResult result =
          isa<bert::LinearOp>(op)
              ? quantizeLinear(cast<bert::LinearOp>(op), thresholds, floats,
                               requantized, mode == "dynamic")
              : quantizeEmbedding(cast<bert::EmbeddingOp>(op));
      failed |= mlir::failed(result);
    }
    if (failed)
      signalPassFailure();
  }
};

} // namespace
