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
    labels. `bert_logits` is the same forward with the flat parameters as an
    argument (evaluation during training). The weights' values become
    `bert_initial_parameters()`, which returns the flat vector; the module attribute `bertc.parameters` lists
    each tensor's Hugging Face name, offset and shape in it, so that runtimes
    can address the flat buffer by name (gradient dumps, checkpoints).

    One flat buffer keeps the training ABI independent of the model's size:
    the optimizer updates it elementwise and checkpoints write it by slices.
    Where `bert-distill-bibert` has added `teacher_logits` and
    `distillation` results, the loss is BiBERT's (SEMANTICS.md 2.8):
    `soft_cross_entropy(logits, teacher_logits) + 0.5 * cross_entropy +
    distillation`; the teacher's constants (`bertc.teacher`) stay constants.
  }];
  let dependentDialects = [
    "::bertc::bert::BertDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def InsertDropoutPass : Pass<"bert-insert-dropout", "::mlir::ModuleOp"> {
  let summary = "Adds BERT's training-mode dropout to the training step";
  let description = [{
    Appends an `i64` argument (`bertc.dropout_seed`) to `bert_train_step`
    and inserts Hugging Face BertModel's training-mode dropout into the
    part of the step that depends on the trainable parameters (a BiBERT
    teacher stays in evaluation mode; `bert_logits`, the evaluation forward,
    is left alone):

    - `hidden` (`hidden_dropout_prob`): a `bert.dropout` on the embeddings'
      LayerNorm output, on the output projection of each attention and of
      each FFN before its residual add, and on the classifier's input (the
      pooled vector);
    - `attention` (`attention_probs_dropout_prob`): each `bert.attention`
      gets the seed and the rate: the softmax probabilities, or for
      BiBERT's Bi-Attention the scores before bool (SEMANTICS.md 2.5).

    Sites are numbered in program order (embeddings 0, then per layer the
    attention weights, the attention output, the FFN output, and the
    classifier last) and the number is the site's mask stream; a rate of 0
    leaves its sites out but keeps the numbering. The module attribute
    `bertc.dropout_sites` counts them. Run after `bert-make-trainable` and
    before `bert-fake-quantize-q8` (Q8BERT's quantizers then see, and track
    the range of, the dropped-out input, as in its code).
  }];
  let options = [
    Option<"hidden", "hidden", "double", /*default=*/"0.1",
           "hidden_dropout_prob: embeddings, projections, classifier input">,
    Option<"attention", "attention", "double", /*default=*/"0.1",
           "attention_probs_dropout_prob: attention weights">
  ];
  let dependentDialects = [
    "::bertc::bert::BertDialect",
    "::mlir::func::FuncDialect"
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

def BuildOptimizerPass : Pass<"bert-build-optimizer", "::mlir::ModuleOp"> {
  let summary = "Emits the optimizer update of the flat parameter vector";
  let description = [{
    Adds `bert_optimizer_step(parameters, gradients, m, v, hyper)` returning
    the updated parameters and first and second moments, for the tensors
    that `bertc.parameters` lists (run after `bert-make-trainable`).
    `hyper` is `tensor<2xf32>`: the scheduled learning rate of this step,
    and AdamW's bias correction `sqrt(1 - beta2^t) / (1 - beta1^t)`; the
    runtime computes both (warmup-linear schedule).

    - `adamw` (Q8BERT's recipe, Hugging Face's AdamW): gradients clipped to
      a global 2-norm of `max-grad-norm` (`clip_grad_norm_`), bias-corrected
      moments, then the decoupled decay `p -= lr * weight-decay * p`.
    - `bert-adam` (BiBERT's BertAdam): each tensor's gradient clipped to
      `max-grad-norm` on its own, no bias correction, the decay added to the
      update: `p -= lr * (m / (sqrt(v) + eps) + weight-decay * p)`.

    Tensors whose name contains `bias` or `LayerNorm.weight` get no weight
    decay (both recipes' exclusions). Clipping multiplies by
    `max-grad-norm / (norm + 1e-6)` where that is below 1, as
    `torch.nn.utils.clip_grad_norm_`; 0 disables it.
  }];
  let options = [
    Option<"kind", "kind", "std::string", /*default=*/"\"adamw\"",
           "adamw or bert-adam">,
    Option<"beta1", "beta1", "double", /*default=*/"0.9", "first-moment decay">,
    Option<"beta2", "beta2", "double", /*default=*/"0.999", "second-moment decay">,
    Option<"epsilon", "epsilon", "double", /*default=*/"1e-8",
           "added to sqrt(v)">,
    Option<"weightDecay", "weight-decay", "double", /*default=*/"0.0",
           "decay of the tensors not excluded">,
    Option<"maxGradNorm", "max-grad-norm", "double", /*default=*/"1.0",
           "gradient clipping norm (0: none)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def FakeQuantizeQ8Pass : Pass<"bert-fake-quantize-q8", "::mlir::ModuleOp"> {
  let summary = "Q8BERT quantization-aware training: fake quantization with EMA thresholds";
  let description = [{
    Runs after `bert-make-trainable`. In `bert_train_step`, every linear's
    input and weight and the word and position tables go through
    `bq.fake_quant` (SEMANTICS.md 1.4 and 1.6): weights at 127 / max|W| of
    the current latent weights, inputs at 127 / T with T the input's EMA
    threshold updated by this batch before use (1.3):
    `T = d T_prev + (1 - d) max|x|`, or `max|x|` when `T_prev` < 0 (the
    first quantized step). Two arguments are appended: the previous
    thresholds (`tensor<Nxf32>`, one per slot, in the order of
    `bertc.q8_slots`) and the gates (`tensor<Gxf32>`, 1 or 0, one per
    quantizer: each linear, then each table, named in `bertc.q8_gates`):
    while a quantizer's gate is 0 (before its start_step, SEMANTICS.md
    1.3) it is the float layer and its thresholds pass through. The new thresholds become the second result.
    `bert_logits` (evaluation) gets the thresholds argument and quantizes
    with them frozen, as the code's eval path (an input whose threshold is
    not set yet uses max|x| of the batch). The gradient is the identity
    through every quantizer (1.8).

    `requantize` lists the linears with Q8BERT's `requantize_output` (1.4
    step 3): their output y (bias included) gets an EMA threshold of its
    own, updated like the input's, and goes through `fq(y; 127 / T_out)`.
    Slots are named by the checkpoint buffers they become,
    `<module>.input_thresh` and `<module>.output_thresh`, in the order the
    linears run.
  }];
  let options = [
    Option<"emaDecay", "ema-decay", "double", /*default=*/"0.9999",
           "d of the threshold EMA">,
    ListOption<"floatLayers", "float-layers", "std::string",
               "linears kept in f32 (Hugging Face module names)">,
    ListOption<"requantize", "requantize", "std::string",
               "linears whose output is fake-quantized too (requantize_output)">
  ];
  let dependentDialects = [
    "::bertc::bq::BQDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def DistillBiBERTPass : Pass<"bert-distill-bibert", "::mlir::ModuleOp"> {
  let summary = "Adds BiBERT's frozen float teacher and its distillation terms";
  let description = [{
    Runs on the float model's entry (calls inlined), before
    `bert-binarize-for-training` and `bert-make-trainable`. The forward is
    cloned as the teacher (SEMANTICS.md 2.7: the same checkpoint, float,
    frozen); every cloned op carries the unit attribute `bertc.teacher`, so
    that the later passes neither binarize it nor train its weights. Two
    results are appended to the entry, and to `bertc.outputs`:
    `teacher_logits` and `distillation`, the sum of (2.8)
    - DMD: per layer, `normalized_distance` of the student's and the
      teacher's `head_similarity` of Q, of K and of V (the real-valued
      projections, before any sign), unless `dmd` is false;
    - L_rep: `normalized_distance` of the student's and the teacher's
      hidden states, the embedding LayerNorm's output and each layer's
      output (layers + 1 of them), unless `hidden-states` is false.
    `bert-make-trainable` adds the prediction term (soft cross-entropy
    against the teacher's logits plus 0.5 times the hard cross-entropy).
  }];
  let options = [
    Option<"dmd", "dmd", "bool", /*default=*/"true",
           "add the direction-matching terms of Q, K and V">,
    Option<"hiddenStates", "hidden-states", "bool", /*default=*/"true",
           "add the hidden-state distances (L_rep)">
  ];
  let dependentDialects = [
    "::bertc::bert::BertDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect"
  ];
}

def BinarizeForTrainingPass
    : Pass<"bert-binarize-for-training", "::mlir::ModuleOp"> {
  let summary = "BiBERT's student in training form: latent f32 weights, signs with STEs";
  let description = [{
    Rewrites the float graph into BiBERT's 1-1-1 student as the official
    code trains it (SEMANTICS.md 2.1-2.6), in f32 with `bq` quantizers whose
    straight-through estimators `bert-differentiate` uses (2.9):
    - every linear but the classifier: `bq.binarize form<weight>` of its
      weight (alpha per row, centred sign) and `bq.binarize form<activation>`
      of its input, both with the inclusive window;
    - the word-embedding table: `bq.binarize form<weight>`;
    - attention: `bq.binarize form<activation> window<strict>` of Q, K and V
      and the weights that `attention` names: `bool` (Bi-Attention, the
      code's `1{A > 0}` and `|A| < 1`), `bool_paper` (the paper's
      `1{A >= 0}` and `|A| <= 1`, with the inclusive window on Q, K, V too)
      or `sign_softmax` (the plain binarized baseline).
    sign(0) is 0, as torch.sign. Ops marked `bertc.teacher` are left alone.
  }];
  let options = [
    Option<"attention", "attention", "::bertc::bert::AttentionProbabilities",
           /*default=*/"::bertc::bert::AttentionProbabilities::Bool",
           "the student's attention weights", [{::llvm::cl::values(
             clEnumValN(::bertc::bert::AttentionProbabilities::Bool, "bool",
                        "Bi-Attention, the official code"),
             clEnumValN(::bertc::bert::AttentionProbabilities::BoolPaper,
                        "bool_paper", "Bi-Attention, the paper's rule and windows"),
             clEnumValN(::bertc::bert::AttentionProbabilities::SignSoftmax,
                        "sign_softmax", "sign(softmax), the plain baseline"))}]>
  ];
  let dependentDialects = [
    "::bertc::bq::BQDialect",
    "::bertc::bert::BertDialect"
  ];
}

#endif // BERTC_TRAINING_PASSES_TD
