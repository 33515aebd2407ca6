//===- InsertDropout.cpp - BERT's training-mode dropout sites -------------===//
//
// Hugging Face's BertModel in training mode drops, with hidden_dropout_prob,
// the embeddings' LayerNorm output, each attention output projection and
// each FFN output before their residual add, and the pooled vector before
// the classifier; with attention_probs_dropout_prob, the attention weights
// (SEMANTICS.md 2.5 step 4 for Bi-Attention, where it acts on the scores).
// The inference graph has none of these; this pass puts them into the
// training step only (bert_logits, the evaluation forward, stays without),
// each with its own stream of the stateless mask of bertc/Utils/Dropout.h,
// numbered in program order, and a per-step seed argument.
//
//===----------------------------------------------------------------------===//

#include "bertc/Training/Passes.h"

#include "dialects/Bert/IR/Bert.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace bertc {
#define GEN_PASS_DEF_INSERTDROPOUTPASS
#include "bertc/Training/Passes.h.inc"
} // namespace bertc

using namespace mlir;
using namespace bertc;

namespace {

struct InsertDropoutPass
    : bertc::impl::InsertDropoutPassBase<InsertDropoutPass> {
  using InsertDropoutPassBase::InsertDropoutPassBase;
  void runOnOperation() override;
};

/// Numbers the sites in program order and inserts their dropout ops.
class SiteInserter {
public:
  explicit SiteInserter(Value seed) : seed(seed) {}

  /// Replaces the uses of `value` (all but the new op's) by its dropout.
  void dropValue(Value value, double rate);
  /// Gives the attention's weights (or Bi-Attention's scores) dropout.
  void dropAttention(bert::AttentionOp op, double rate);
  int64_t sites() const { return next; }

private:
  Value seed;
  int64_t next = 0;
};

} // namespace

void SiteInserter::dropValue(Value value, double rate) {
  int64_t stream = next++;
  if (rate == 0.0)
    return;
  OpBuilder builder(value.getContext());
  builder.setInsertionPointAfterValue(value);
  auto dropout = bert::DropoutOp::create(
      builder, value.getLoc(), value.getType(), value, seed,
      builder.getI64IntegerAttr(stream), builder.getF64FloatAttr(rate));
  value.replaceAllUsesExcept(dropout.getResult(), dropout);
}

void SiteInserter::dropAttention(bert::AttentionOp op, double rate) {
  int64_t stream = next++;
  if (rate == 0.0)
    return;
  Builder builder(op.getContext());
  op.getSeedMutable().assign(seed);
  op.setDropoutStreamAttr(builder.getI64IntegerAttr(stream));
  op.setDropoutRateAttr(builder.getF64FloatAttr(rate));
}

/// The linear of a residual block `LN(linear(x) + residual)`, if `norm`
/// closes one (attention output and FFN output); null for the embeddings'
/// LayerNorm, whose input is a sum of table rows.
static bert::LinearOp residualLinear(bert::LayerNormOp norm) {
  auto sum = norm.getInput().getDefiningOp<arith::AddFOp>();
  if (!sum)
    return {};
  for (Value operand : sum->getOperands())
    if (auto linear = operand.getDefiningOp<bert::LinearOp>())
      return linear;
  return {};
}

/// The linear computing `logits`, looking through casts.
static bert::LinearOp classifierOf(Value logits) {
  while (auto cast = logits.getDefiningOp<tensor::CastOp>())
    logits = cast.getSource();
  return logits.getDefiningOp<bert::LinearOp>();
}

void InsertDropoutPass::runOnOperation() {
  ModuleOp module = getOperation();
  auto step = module.lookupSymbol<func::FuncOp>("bert_train_step");
  if (!step || step.isExternal()) {
    module.emitError() << "bert-insert-dropout needs bert_train_step (run "
                          "bert-make-trainable first)";
    return signalPassFailure();
  }
  for (double rate : {double(hidden), double(attention)})
    if (!(rate >= 0.0 && rate < 1.0)) {
      module.emitError() << "bert-insert-dropout: a dropout rate must be in "
                            "[0, 1), got "
                         << rate;
      return signalPassFailure();
    }

  // The seed is the step's last argument: the runtime derives it from the
  // run's --seed and the step number, so a resumed run repeats the masks.
  unsigned index = step.getNumArguments();
  Location loc = step.getLoc();
  OpBuilder builder(&getContext());
  if (failed(step.insertArgument(index, builder.getI64Type(),
                                 builder.getDictionaryAttr(builder.getNamedAttr(
                                     kDropoutSeedAttr, builder.getUnitAttr())),
                                 loc)))
    return signalPassFailure();
  Value seed = step.getArgument(index);

  // The student: everything that depends on the trainable parameters (a
  // BiBERT teacher runs in evaluation mode, without dropout).
  DenseSet<Value> student;
  for (BlockArgument argument : step.getArguments())
    if (step.getArgAttr(argument.getArgNumber(), kTrainableAttr))
      student.insert(argument);
  SmallVector<Operation *> ops = collectDependents(step.front(), student);

  SiteInserter inserter(seed);
  for (Operation *op : ops) {
    if (auto norm = dyn_cast<bert::LayerNormOp>(op)) {
      if (bert::LinearOp linear = residualLinear(norm))
        inserter.dropValue(linear.getResult(), hidden);
      else
        inserter.dropValue(norm.getResult(), hidden);
    } else if (auto attentionOp = dyn_cast<bert::AttentionOp>(op)) {
      inserter.dropAttention(attentionOp, attention);
    } else if (auto loss = dyn_cast<bert::CrossEntropyOp>(op)) {
      if (bert::LinearOp classifier = classifierOf(loss.getLogits()))
        inserter.dropValue(classifier.getInput(), hidden);
    }
  }
  module->setAttr(kDropoutSitesAttr, builder.getI64IntegerAttr(inserter.sites()));
}
