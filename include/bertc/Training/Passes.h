//===- Passes.h - bertc training-mode passes --------------------*- C++ -*-===//

#ifndef BERTC_TRAINING_PASSES_H
#define BERTC_TRAINING_PASSES_H

#include "dialects/BQ/IR/BQ.h"
#include "dialects/Bert/IR/Bert.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace bertc {

#define GEN_PASS_DECL
#include "bertc/Training/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "bertc/Training/Passes.h.inc"

/// The attribute that marks the arguments bert-differentiate differentiates.
inline constexpr const char *kTrainableAttr = "bertc.trainable";
/// The bertc.outputs names of the results bert-distill-bibert appends and
/// bert-make-trainable turns into BiBERT's loss.
inline constexpr const char *kTeacherLogitsOutput = "teacher_logits";
inline constexpr const char *kDistillationOutput = "distillation";
/// The unit attribute on the ops of BiBERT's frozen teacher.
inline constexpr const char *kTeacherAttr = "bertc.teacher";
/// The argument attribute of bert_train_step's per-step dropout seed (i64).
inline constexpr const char *kDropoutSeedAttr = "bertc.dropout_seed";
/// The module attribute counting the dropout sites (streams 0 .. N - 1).
inline constexpr const char *kDropoutSitesAttr = "bertc.dropout_sites";
/// The module attribute listing the flat parameter vector's tensors.
inline constexpr const char *kParametersAttr = "bertc.parameters";

/// The Hugging Face name of the parameter `value` reads: a slice of the
/// flat trainable argument (reshaped or not) whose offset bertc.parameters
/// lists; "" for anything else.
std::string parameterNameOf(mlir::Value value);

/// Adds to `values` the results of every op of `block` (in order) that reads
/// one of them, and returns those ops: what depends on the trainable
/// arguments, for bert-differentiate and bert-insert-dropout.
llvm::SmallVector<mlir::Operation *>
collectDependents(mlir::Block &block, llvm::DenseSet<mlir::Value> &values);

/// Attaches DifferentiableOpInterface to the upstream ops BERT graphs use
/// (arith.addf/subf/mulf/select, math.tanh, tensor slices, reshapes and casts).
void registerUpstreamGradients(mlir::DialectRegistry &registry);

} // namespace bertc

#endif // BERTC_TRAINING_PASSES_H
