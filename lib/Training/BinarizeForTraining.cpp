//===- BinarizeForTraining.cpp - BiBERT's student with latent weights -----===//
//
// The training form of what bert-binarize compiles for inference: the same
// signs and scales, but on f32 tensors computed from the latent weights at
// every step, so that bert-differentiate can pass gradients through them
// with the quantizers' straight-through estimators (SEMANTICS.md 2.9).
// The names that decide what is binarized are bert-binarize's, so a
// checkpoint trained here compiles with --quant=binary to the same model.
//
//===----------------------------------------------------------------------===//

#include "bertc/Training/Passes.h"

#include "bertc/Quantization/Binarize.h"
#include "bertc/Utils/ConstantData.h"

namespace bertc {
#define GEN_PASS_DEF_BINARIZEFORTRAININGPASS
#include "bertc/Training/Passes.h.inc"
} // namespace bertc

using namespace mlir;
using namespace bertc;
using bq::BinarizeForm;
using bq::SignZeroPolicy;
using bq::SteWindow;

namespace {

struct BinarizeForTrainingPass
    : bertc::impl::BinarizeForTrainingPassBase<BinarizeForTrainingPass> {
  using BinarizeForTrainingPassBase::BinarizeForTrainingPassBase;
  void runOnOperation() override;
};

} // namespace

/// Replaces `operand` by its bq.binarize (sign(0) = 0, as torch.sign).
static void binarizeOperand(OpOperand &operand, BinarizeForm form,
                            SteWindow window) {
  Operation *owner = operand.getOwner();
  OpBuilder builder(owner);
  Value value = operand.get();
  operand.set(bq::BinarizeOp::create(builder, owner->getLoc(), value.getType(),
                                     value, form, SignZeroPolicy::Zero, window));
}

void BinarizeForTrainingPass::runOnOperation() {
  bool paper = attention == bert::AttentionProbabilities::BoolPaper;
  SteWindow signWindow = paper ? SteWindow::Inclusive : SteWindow::Strict;
  getOperation().walk([&](Operation *op) {
    if (op->hasAttr(kTeacherAttr))
      return;
    if (auto linear = dyn_cast<bert::LinearOp>(op)) {
      if (!quantization::binarizesLinear(constantName(linear.getWeight())))
        return;
      binarizeOperand(linear.getInputMutable(), BinarizeForm::Activation,
                      SteWindow::Inclusive);
      binarizeOperand(linear.getWeightMutable(), BinarizeForm::Weight,
                      SteWindow::Inclusive);
    } else if (auto embedding = dyn_cast<bert::EmbeddingOp>(op)) {
      if (quantization::binarizesEmbedding(constantName(embedding.getTable())))
        binarizeOperand(embedding.getTableMutable(), BinarizeForm::Weight,
                        SteWindow::Inclusive);
    } else if (auto attentionOp = dyn_cast<bert::AttentionOp>(op)) {
      for (OpOperand *projection :
           {&attentionOp.getQueryMutable(), &attentionOp.getKeyMutable(),
            &attentionOp.getValueMutable()})
        binarizeOperand(*projection, BinarizeForm::Activation, signWindow);
      attentionOp.setProbabilities(attention);
    }
  });
}
