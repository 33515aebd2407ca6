//===- FakeQuantizeQ8.cpp - Q8BERT quantization-aware training ------------===//
//
// The training forward of SEMANTICS.md 1.3-1.6 on the trainable module: fake
// quantization of every linear's input (EMA threshold, this batch included)
// and weight (max |W|), and of the word and position tables. The thresholds
// are state the runtime keeps between steps: an argument in, a result out.
//
//===----------------------------------------------------------------------===//

#include "bertc/Training/Passes.h"

#include "bertc/Quantization/Q8.h"
#include "bertc/Utils/LinalgBuilders.h"

namespace bertc {
#define GEN_PASS_DEF_FAKEQUANTIZEQ8PASS
#include "bertc/Training/Passes.h.inc"
} // namespace bertc

using namespace mlir;
using namespace bertc;

namespace {

struct FakeQuantizeQ8Pass
    : bertc::impl::FakeQuantizeQ8PassBase<FakeQuantizeQ8Pass> {
  using FakeQuantizeQ8PassBase::FakeQuantizeQ8PassBase;
  void runOnOperation() override;

private:
  /// The quantized linears of `function`, in order, with their modules.
  SmallVector<std::pair<bert::LinearOp, std::string>>
  quantizedLinears(func::FuncOp function);
  LogicalResult rewriteTrainStep(func::FuncOp step, ArrayRef<std::string> slots,
                                 ArrayRef<std::string> gates);
  LogicalResult rewriteLogits(func::FuncOp logits, ArrayRef<std::string> slots);
};

} // namespace

/// fq(x) at 127 / T.
static Value fakeQuantize(OpBuilder &builder, Location loc, Value x,
                          Value threshold) {
  Value scale = arith::DivFOp::create(builder, loc, buildF32(builder, loc, 127),
                                      threshold);
  return bq::FakeQuantOp::create(builder, loc, x, scale, uint64_t(8));
}

/// `quantized` while training quantizes, else `x` (before start_step).
static Value gate(OpBuilder &builder, Location loc, Value enabled,
                  Value quantized, Value x) {
  if (!enabled)
    return quantized;
  return arith::SelectOp::create(builder, loc, enabled, quantized, x);
}

/// Weights and tables at 127 / max|W| of their current values.
static Value fakeQuantizeWeight(OpBuilder &builder, Location loc, Value w,
                                Value enabled) {
  Value quantized = fakeQuantize(builder, loc, w, buildMaxMagnitude(builder, loc, w));
  return gate(builder, loc, enabled, quantized, w);
}

SmallVector<std::pair<bert::LinearOp, std::string>>
FakeQuantizeQ8Pass::quantizedLinears(func::FuncOp function) {
  SmallVector<std::pair<bert::LinearOp, std::string>> linears;
  function.walk([&](bert::LinearOp linear) {
    std::string name = parameterNameOf(linear.getWeight());
    if (name.empty())
      return;
    std::string module = quantization::moduleOfTensor(name);
    if (quantization::keepsFloat(floatLayers, module))
      return;
    linears.push_back({linear, module});
  });
  return linears;
}

/// Element `index` of the thresholds vector.
static Value readSlot(OpBuilder &builder, Location loc, Value thresholds,
                      int64_t index) {
  return tensor::ExtractOp::create(
      builder, loc, thresholds,
      ValueRange{arith::ConstantIndexOp::create(builder, loc, index)});
}

/// Appends an argument and returns it.
static Value appendArgument(func::FuncOp function, Type type) {
  unsigned index = function.getNumArguments();
  (void)function.insertArgument(index, type, {}, function.getLoc());
  return function.getArgument(index);
}

/// This step's threshold of a slot (SEMANTICS.md 1.3): max|x| on the first
/// quantized step (T_prev < 0), else d T_prev + (1 - d) max|x|. Returns the
/// threshold to use and the slot's next value (T_prev while not quantizing).
static std::pair<Value, Value> updateThreshold(OpBuilder &builder, Location at,
                                               Value x, Value old,
                                               Value enabled, float decay) {
  Value seen = buildMaxMagnitude(builder, at, x);
  Value first = arith::CmpFOp::create(builder, at, arith::CmpFPredicate::OLT,
                                      old, buildF32(builder, at, 0));
  Value average = arith::AddFOp::create(
      builder, at, arith::MulFOp::create(builder, at, buildF32(builder, at, decay), old),
      arith::MulFOp::create(builder, at, buildF32(builder, at, 1 - decay), seen));
  Value updated = arith::SelectOp::create(builder, at, first, seen, average);
  return {updated, arith::SelectOp::create(builder, at, enabled, updated, old)};
}

/// The evaluation threshold of a slot: the frozen value, or max|x| of the
/// batch while the slot is not set (no quantized step yet).
static Value frozenThreshold(OpBuilder &builder, Location at, Value x,
                             Value frozen) {
  Value unset = arith::CmpFOp::create(builder, at, arith::CmpFPredicate::OLE,
                                      frozen, buildF32(builder, at, 0));
  return arith::SelectOp::create(builder, at, unset,
                                 buildMaxMagnitude(builder, at, x), frozen);
}

/// Replaces the uses of `linear`'s result by `rewrite(result)`, built right
/// after the linear; the new ops keep reading the result itself.
static void rewriteOutput(OpBuilder &builder, bert::LinearOp linear,
                          llvm::function_ref<Value(Value)> rewrite) {
  Value y = linear.getResult();
  builder.setInsertionPointAfter(linear);
  Value replacement = rewrite(y);
  llvm::SmallPtrSet<Operation *, 16> created;
  for (Operation *op = linear->getNextNode();
       op && op != replacement.getDefiningOp()->getNextNode(); op = op->getNextNode())
    created.insert(op);
  y.replaceUsesWithIf(replacement, [&](OpOperand &use) {
    return !created.contains(use.getOwner());
  });
}

/// Whether gate `index` of `flags` (one f32 per quantizer: 1 from its
/// start_step on) is set, as an i1.
static Value readGate(OpBuilder &builder, Location loc, Value flags,
                      int64_t index) {
  return arith::CmpFOp::create(builder, loc, arith::CmpFPredicate::ONE,
                               readSlot(builder, loc, flags, index),
                               buildF32(builder, loc, 0));
}

/// The word and position tables read in `function` (SEMANTICS.md 1.6),
/// with their modules, in order.
static SmallVector<std::pair<bert::EmbeddingOp, std::string>>
quantizedTables(func::FuncOp function) {
  SmallVector<std::pair<bert::EmbeddingOp, std::string>> tables;
  function.walk([&](bert::EmbeddingOp embedding) {
    std::string name = parameterNameOf(embedding.getTable());
    if (!name.empty() && quantization::quantizesEmbedding8(name))
      tables.push_back({embedding, quantization::moduleOfTensor(name)});
  });
  return tables;
}

/// Fake-quantizes the tables of `function`; with `flags`, table i is gated
/// by gate `firstGate + i`.
static void quantizeTables(func::FuncOp function, Value flags,
                           int64_t firstGate) {
  for (auto [index, entry] : llvm::enumerate(quantizedTables(function))) {
    bert::EmbeddingOp embedding = entry.first;
    OpBuilder builder(embedding);
    Location loc = embedding.getLoc();
    Value enabled = flags ? readGate(builder, loc, flags, firstGate + index)
                          : Value();
    embedding.getTableMutable().assign(
        fakeQuantizeWeight(builder, loc, embedding.getTable(), enabled));
  }
}

LogicalResult
FakeQuantizeQ8Pass::rewriteTrainStep(func::FuncOp step,
                                     ArrayRef<std::string> slots,
                                     ArrayRef<std::string> gates) {
  MLIRContext *context = &getContext();
  OpBuilder builder(context);
  auto f32 = builder.getF32Type();
  Value previous = appendArgument(
      step, RankedTensorType::get({int64_t(slots.size())}, f32));
  Value flags = appendArgument(
      step, RankedTensorType::get({int64_t(gates.size())}, f32));
  Location loc = step.getLoc();
  float decay = float(emaDecay);

  SmallVector<Value> thresholds;
  auto linears = quantizedLinears(step);
  for (auto [index, entry] : llvm::enumerate(linears)) {
    auto &[linear, module] = entry;
    builder.setInsertionPoint(linear);
    Location at = linear.getLoc();
    Value enabled = readGate(builder, at, flags, index);
    Value x = linear.getInput();
    Value old = readSlot(builder, at, previous, thresholds.size());
    auto [threshold, kept] = updateThreshold(builder, at, x, old, enabled, decay);
    thresholds.push_back(kept);
    linear.getInputMutable().assign(
        gate(builder, at, enabled, fakeQuantize(builder, at, x, threshold), x));
    linear.getWeightMutable().assign(
        fakeQuantizeWeight(builder, at, linear.getWeight(), enabled));
    if (!llvm::is_contained(requantize, module))
      continue;
    // requantize_output: the output's own EMA, then fq(y; 127 / T_out).
    rewriteOutput(builder, linear, [&](Value y) {
      Value oldOut = readSlot(builder, at, previous, thresholds.size());
      auto [outThreshold, outKept] =
          updateThreshold(builder, at, y, oldOut, enabled, decay);
      thresholds.push_back(outKept);
      return gate(builder, at, enabled, fakeQuantize(builder, at, y, outThreshold), y);
    });
  }
  if (thresholds.size() != slots.size())
    return step.emitError() << "bert-fake-quantize-q8: " << thresholds.size()
                            << " thresholds for " << slots.size() << " slots";
  quantizeTables(step, flags, linears.size());

  auto returnOp = cast<func::ReturnOp>(step.front().getTerminator());
  builder.setInsertionPoint(returnOp);
  SmallVector<Value> results(returnOp.getOperands());
  results.push_back(tensor::FromElementsOp::create(
      builder, loc, RankedTensorType::get({int64_t(slots.size())}, f32),
      thresholds));
  returnOp->setOperands(results);
  step.setType(FunctionType::get(context, step.getArgumentTypes(),
                                 ValueRange(results).getTypes()));
  return success();
}

LogicalResult FakeQuantizeQ8Pass::rewriteLogits(func::FuncOp logits,
                                                ArrayRef<std::string> slots) {
  OpBuilder builder(&getContext());
  Value thresholds = appendArgument(
      logits, RankedTensorType::get({int64_t(slots.size())}, builder.getF32Type()));
  int64_t slot = 0;
  for (auto &[linear, module] : quantizedLinears(logits)) {
    builder.setInsertionPoint(linear);
    Location at = linear.getLoc();
    Value x = linear.getInput();
    Value threshold = frozenThreshold(
        builder, at, x, readSlot(builder, at, thresholds, slot++));
    linear.getInputMutable().assign(fakeQuantize(builder, at, x, threshold));
    linear.getWeightMutable().assign(
        fakeQuantizeWeight(builder, at, linear.getWeight(), Value()));
    if (!llvm::is_contained(requantize, module))
      continue;
    rewriteOutput(builder, linear, [&](Value y) {
      Value frozen = readSlot(builder, at, thresholds, slot++);
      return fakeQuantize(builder, at, y, frozenThreshold(builder, at, y, frozen));
    });
  }
  if (slot != int64_t(slots.size()))
    return logits.emitError() << "bert_logits and bert_train_step quantize "
                                 "different linears";
  quantizeTables(logits, Value(), 0);
  return success();
}

void FakeQuantizeQ8Pass::runOnOperation() {
  ModuleOp module = getOperation();
  auto step = module.lookupSymbol<func::FuncOp>("bert_train_step");
  auto logits = module.lookupSymbol<func::FuncOp>("bert_logits");
  if (!step || !logits) {
    module.emitError() << "bert-fake-quantize-q8 needs bert_train_step and "
                          "bert_logits (run bert-make-trainable first)";
    return signalPassFailure();
  }
  SmallVector<std::string> slots;
  for (auto &entry : quantizedLinears(step)) {
    slots.push_back(entry.second + ".input_thresh");
    if (llvm::is_contained(requantize, entry.second))
      slots.push_back(quantization::outputThresholdKey(entry.second));
  }
  for (const std::string &name : requantize)
    if (!llvm::is_contained(slots, quantization::outputThresholdKey(name))) {
      module.emitError() << "bert-fake-quantize-q8: requantize names '"
                         << name << "', which is not a quantized linear of "
                                    "the step";
      return signalPassFailure();
    }
  if (slots.empty()) {
    step.emitError() << "no linear to quantize";
    return signalPassFailure();
  }
  // One start_step gate per quantizer: the linears, then the tables.
  SmallVector<std::string> gates;
  for (auto &entry : quantizedLinears(step))
    gates.push_back(entry.second);
  for (auto &entry : quantizedTables(step))
    gates.push_back(entry.second);
  if (failed(rewriteLogits(logits, slots)) ||
      failed(rewriteTrainStep(step, slots, gates)))
    return signalPassFailure();
  Builder builder(&getContext());
  auto strings = [&](ArrayRef<std::string> names) {
    return builder.getStrArrayAttr(SmallVector<StringRef>(names.begin(), names.end()));
  };
  module->setAttr("bertc.q8_slots", strings(slots));
  module->setAttr("bertc.q8_gates", strings(gates));
}
