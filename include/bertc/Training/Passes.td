//===- Passes.td - bertc training-mode passes --------------*- tablegen -*-===//

#ifndef BERTC_TRAINING_PASSES_TD
#define BERTC_TRAINING_PASSES_TD

include "mlir/Pass/PassBase.td"

def MakeTrainablePass : Pass<"bert-make-trainable", "::mlir::ModuleOp"> {
  let summary = "Turns an inference graph into a loss function of its weights";
  let description = [{
    Rewrites the module's entry (`bertc.entry`, its calls inlined first) into
    `bert_train_step`: every named f32 weight constant becomes a slice of one
    flat parameter argument (`tensor<Pxf32>`, marked `bertc.trainable`), a
    labels argument (`tensor<?xi32>`) is appended, and the function returns
    the mean cross-entropy of its first result (the logits) against the
    labels. The weights' values become `bert_initial_parameters()`, which
    returns the flat vector; the module attribute `bertc.parameters` lists
    each tensor's Hugging Face name, offset and shape in it, so that runtimes
    can address the flat buffer by name (gradient dumps, checkpoints).

    One flat buffer keeps the training ABI independent of the model's size:
    the optimizer updates it elementwise and checkpoints write it by slices.
  }];
  let dependentDialects = [
    "::bertc::bert::BertDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def DifferentiatePass : Pass<"bert-differentiate", "::mlir::func::FuncOp"> {
  let summary = "Appends reverse-mode gradients of a scalar loss";
  let description = [{
    For a function whose first result is a scalar loss (`tensor<f32>`) and
    some of whose arguments carry the unit attribute `bertc.trainable`,
    appends the gradient of the loss with respect to each such argument to
    the results (in argument order) and drops the attribute. The body must be
    one block without calls (run `inline` first).

    Ops between the trainable arguments and the loss are differentiated in
    reverse order, each by its own rule: `DifferentiableOpInterface` (the
    bert ops, and the upstream arith, math and tensor ops as external models)
    or `StraightThroughGradientOpInterface` (the bq quantizers, SEMANTICS.md
    1.8 and 2.9). An op on that path with neither is an error naming it.
    Gradients of a value used several times are summed. A trainable argument
    read only through disjoint static slices (the flat parameter vector of
    `bert-make-trainable`) gets its gradient assembled slice by slice.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

#endif // BERTC_TRAINING_PASSES_TD
