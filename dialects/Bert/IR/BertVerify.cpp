//===- BertVerify.cpp - Verifiers of the bert dialect ---------------------===//
//
// Shape rules between operands; element types are checked by ODS.
//
//===----------------------------------------------------------------------===//

#include "dialects/Bert/IR/Bert.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace bertc::bert;

static bool compatibleShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  return succeeded(verifyCompatibleShape(a, b));
}

static bool compatible(int64_t a, int64_t b) {
  return compatibleShapes({a}, {b});
}

LogicalResult EmbeddingOp::verify() {
  ArrayRef<int64_t> table = getTable().getType().getShape();
  if (table.size() != 2)
    return emitOpError() << "table must be [vocab, hidden], got rank "
                         << table.size();
  SmallVector<int64_t> expected(getIds().getType().getShape());
  expected.push_back(table[1]);
  if (!compatibleShapes(expected, getOutput().getType().getShape()))
    return emitOpError() << "result must have the ids' shape followed by the "
                            "hidden size "
                         << table[1];
  return success();
}

LogicalResult LinearOp::verify() {
  ArrayRef<int64_t> input = getInput().getType().getShape();
  ArrayRef<int64_t> weight = getWeight().getType().getShape();
  if (input.empty())
    return emitOpError() << "input must have rank >= 1";
  if (weight.size() != 2)
    return emitOpError() << "weight must be [out, in], got rank "
                         << weight.size();
  if (!compatible(input.back(), weight[1]))
    return emitOpError() << "input has " << input.back()
                         << " features but the weight expects " << weight[1];
  if (getBias()) {
    ArrayRef<int64_t> bias = getBias().getType().getShape();
    if (bias.size() != 1 || !compatible(bias[0], weight[0]))
      return emitOpError() << "bias must be a vector of " << weight[0]
                           << " values";
  }
  SmallVector<int64_t> expected(input.drop_back());
  expected.push_back(weight[0]);
  if (!compatibleShapes(expected, getOutput().getType().getShape()))
    return emitOpError() << "result must have the input's shape with "
                         << weight[0] << " features last";
  return success();
}

LogicalResult LayerNormOp::verify() {
  ArrayRef<int64_t> input = getInput().getType().getShape();
  ArrayRef<int64_t> gamma = getGamma().getType().getShape();
  if (input.empty())
    return emitOpError() << "input must have rank >= 1";
  if (gamma.size() != 1 || !compatible(gamma[0], input.back()))
    return emitOpError() << "gamma and beta must be vectors over the last "
                            "axis of the input";
  float epsilon = getEpsilon().convertToFloat();
  if (!(epsilon > 0.0f) || !std::isfinite(epsilon))
    return emitOpError() << "epsilon must be positive and finite, got "
                         << epsilon;
  return success();
}

LogicalResult SoftmaxOp::verify() {
  if (getInput().getType().getRank() == 0)
    return emitOpError() << "input must have rank >= 1";
  return success();
}

/// A dropout rate lies in [0, 1) (1 would drop everything and scale by
/// infinity); without a seed there is no dropout, so no rate either.
static LogicalResult verifyDropoutRate(Operation *op, double rate,
                                       bool hasSeed) {
  if (!(rate >= 0.0 && rate < 1.0))
    return op->emitOpError() << "dropout rate must be in [0, 1), got " << rate;
  if (!hasSeed && rate != 0.0)
    return op->emitOpError() << "has a dropout rate but no seed";
  return success();
}

LogicalResult AttentionOp::verify() {
  ArrayRef<int64_t> shape = getQuery().getType().getShape();
  if (shape.size() != 3)
    return emitOpError() << "query, key and value must be [batch, seq, "
                            "hidden], got rank "
                         << shape.size();
  int64_t hidden = shape[2];
  if (!ShapedType::isDynamic(hidden) && hidden % getHeads() != 0)
    return emitOpError() << "hidden size " << hidden
                         << " is not divisible by " << getHeads() << " heads";
  if (getMask() &&
      !compatibleShapes({shape[0], shape[1]}, getMask().getType().getShape()))
    return emitOpError() << "mask must be [batch, seq]";
  return verifyDropoutRate(*this, getDropoutRate().convertToDouble(),
                           bool(getSeed()));
}

LogicalResult DropoutOp::verify() {
  return verifyDropoutRate(*this, getRate().convertToDouble(), true);
}

LogicalResult CrossEntropyOp::verify() {
  ArrayRef<int64_t> logits = getLogits().getType().getShape();
  ArrayRef<int64_t> labels = getLabels().getType().getShape();
  if (logits.size() != 2)
    return emitOpError() << "logits must be [batch, classes], got rank "
                         << logits.size();
  if (labels.size() != 1 || !compatible(labels[0], logits[0]))
    return emitOpError() << "labels must be a vector of one class per row of "
                            "the logits";
  return success();
}

LogicalResult SoftCrossEntropyOp::verify() {
  if (getLogits().getType().getRank() != 2)
    return emitOpError() << "logits must be [batch, classes], got rank "
                         << getLogits().getType().getRank();
  return success();
}

LogicalResult HeadSimilarityOp::verify() {
  ArrayRef<int64_t> shape = getInput().getType().getShape();
  if (shape.size() != 3)
    return emitOpError() << "input must be [batch, seq, hidden], got rank "
                         << shape.size();
  if (ShapedType::isDynamic(shape[2]) || shape[2] % getHeads() != 0)
    return emitOpError() << "hidden size must be static and divisible by "
                         << getHeads() << " heads";
  ArrayRef<int64_t> result = getOutput().getType().getShape();
  if (result.size() != 4 ||
      !compatibleShapes({shape[0], int64_t(getHeads()), shape[1], shape[1]}, result))
    return emitOpError() << "result must be [batch, heads, seq, seq]";
  return success();
}
