//===- DistillBiBERT.cpp - BiBERT's teacher and distillation terms --------===//
//
// SEMANTICS.md 2.7-2.8: the teacher is the float model of the same
// checkpoint, frozen. It is a clone of the forward inside the training
// step (its weights stay constants), so that one native call computes the
// teacher's and the student's tensors for the same batch; the distances
// between them become one `distillation` result.
//
//===----------------------------------------------------------------------===//

#include "bertc/Training/Passes.h"

#include "bertc/Import/Importer.h"
#include "bertc/Utils/ConstantData.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/CallInterfaces.h"

#include "llvm/Support/Regex.h"

namespace bertc {
#define GEN_PASS_DEF_DISTILLBIBERTPASS
#include "bertc/Training/Passes.h.inc"
} // namespace bertc

using namespace mlir;
using namespace bertc;

namespace {

struct DistillBiBERTPass
    : bertc::impl::DistillBiBERTPassBase<DistillBiBERTPass> {
  using DistillBiBERTPassBase::DistillBiBERTPassBase;
  void runOnOperation() override;
};

} // namespace

/// Clones every op of `block` but its terminator in front of the
/// terminator, marked as the teacher's; `mapping` takes student values to
/// the teacher's.
static void cloneAsTeacher(Block &block, IRMapping &mapping) {
  Operation *terminator = block.getTerminator();
  SmallVector<Operation *> forward;
  for (Operation &op : block.without_terminator())
    forward.push_back(&op);
  OpBuilder builder(terminator);
  UnitAttr teacher = builder.getUnitAttr();
  for (Operation *op : forward) {
    Operation *copy = builder.clone(*op, mapping);
    copy->walk([&](Operation *nested) { nested->setAttr(kTeacherAttr, teacher); });
  }
}

/// The hidden states L_rep compares, in order: the embedding LayerNorm's
/// output, then each layer's output LayerNorm (found by their weights'
/// Hugging Face names).
static SmallVector<Value> hiddenStatesOf(Block &block) {
  llvm::Regex layerOutput("encoder\\.layer\\.[0-9]+\\.output\\.LayerNorm\\.weight$");
  SmallVector<Value> states;
  for (auto norm : block.getOps<bert::LayerNormOp>()) {
    std::string name = constantName(norm.getGamma());
    if (StringRef(name).ends_with("embeddings.LayerNorm.weight") ||
        layerOutput.match(name))
      states.push_back(norm.getResult());
  }
  return states;
}

/// normalized_distance(f(student), f(teacher)).
static Value buildDistance(OpBuilder &builder, Location loc, Value student,
                           Value teacher) {
  auto scalar = RankedTensorType::get({}, builder.getF32Type());
  return bert::NormalizedDistanceOp::create(builder, loc, scalar, student,
                                            teacher);
}

/// The DMD terms of one attention: the distances of the head similarities
/// of Q, K and V (the projections the attention reads, before any sign).
static void addDirectionMatching(OpBuilder &builder, bert::AttentionOp attention,
                                 IRMapping &mapping,
                                 SmallVectorImpl<Value> &terms) {
  Location loc = attention.getLoc();
  int64_t heads = attention.getHeads();
  for (Value projection :
       {attention.getQuery(), attention.getKey(), attention.getValue()}) {
    auto type = cast<RankedTensorType>(projection.getType());
    auto similarityType = RankedTensorType::get(
        {type.getDimSize(0), heads, type.getDimSize(1), type.getDimSize(1)},
        builder.getF32Type());
    auto similarity = [&](Value x) -> Value {
      return bert::HeadSimilarityOp::create(builder, loc, similarityType, x,
                                            builder.getI64IntegerAttr(heads));
    };
    Value student = similarity(projection);
    Value teacher = similarity(mapping.lookup(projection));
    terms.push_back(buildDistance(builder, loc, student, teacher));
  }
}

void DistillBiBERTPass::runOnOperation() {
  ModuleOp module = getOperation();
  auto entryName = module->getAttrOfType<StringAttr>(import::attrs::kEntry);
  auto entry = entryName ? module.lookupSymbol<func::FuncOp>(entryName)
                         : func::FuncOp();
  auto outputs = module->getAttrOfType<ArrayAttr>(import::attrs::kOutputs);
  if (!entry || entry.isExternal() || !outputs || outputs.empty() ||
      cast<StringAttr>(outputs[0]).getValue() != "logits") {
    module.emitError() << "bert-distill-bibert needs the entry function "
                          "(bertc.entry) with the logits as its first result";
    return signalPassFailure();
  }
  WalkResult calls = entry.walk([](CallOpInterface call) {
    call.emitError() << "bert-distill-bibert needs the layers inlined; run "
                        "`inline` first";
    return WalkResult::interrupt();
  });
  if (calls.wasInterrupted())
    return signalPassFailure();

  Block &block = entry.front();
  SmallVector<bert::AttentionOp> attentions(block.getOps<bert::AttentionOp>());
  SmallVector<Value> states = hiddenStatesOf(block);
  if (dmd && attentions.empty()) {
    entry.emitError() << "DMD needs attention layers; the model has none";
    return signalPassFailure();
  }
  if (hiddenStates && states.size() != attentions.size() + 1) {
    entry.emitError() << "L_rep needs the embedding output and every layer's "
                         "output (" << attentions.size() + 1
                      << " LayerNorms named as in Hugging Face BERT), found "
                      << states.size();
    return signalPassFailure();
  }

  IRMapping mapping;
  cloneAsTeacher(block, mapping);
  auto returnOp = cast<func::ReturnOp>(block.getTerminator());
  OpBuilder builder(returnOp);
  Location loc = returnOp.getLoc();
  SmallVector<Value> terms;
  if (dmd)
    for (bert::AttentionOp attention : attentions)
      addDirectionMatching(builder, attention, mapping, terms);
  if (hiddenStates)
    for (Value state : states)
      terms.push_back(buildDistance(builder, state.getLoc(), state,
                                    mapping.lookup(state)));
  auto scalar = RankedTensorType::get({}, builder.getF32Type());
  Value distillation = arith::ConstantOp::create(
      builder, loc, scalar, DenseElementsAttr::get(scalar, 0.0f));
  for (Value term : terms)
    distillation = arith::AddFOp::create(builder, loc, distillation, term);

  Value logits = returnOp.getOperand(0);
  returnOp->insertOperands(returnOp.getNumOperands(),
                           {mapping.lookup(logits), distillation});
  entry.setType(FunctionType::get(&getContext(), entry.getArgumentTypes(),
                                  returnOp.getOperandTypes()));
  SmallVector<Attribute> names(outputs.begin(), outputs.end());
  names.push_back(builder.getStringAttr(kTeacherLogitsOutput));
  names.push_back(builder.getStringAttr(kDistillationOutput));
  module->setAttr(import::attrs::kOutputs, builder.getArrayAttr(names));
}
