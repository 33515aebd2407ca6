//===- BertOps.td - Operations of the bert dialect ---------*- tablegen -*-===//

#ifndef BERTC_DIALECTS_BERT_IR_BERTOPS_TD
#define BERTC_DIALECTS_BERT_IR_BERTOPS_TD

include "dialects/Bert/IR/BertDialect.td"
include "dialects/Bert/IR/BertEnums.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "dialects/Interfaces/DifferentiableOpInterface.td"

def Bert_F32Tensor : RankedTensorOf<[F32]>;
def Bert_IdTensor : RankedTensorOf<[I32, I64]>;

// The ops whose reverse-mode rule lives in BertGradients.cpp.
defvar Bert_Differentiable =
    DeclareOpInterfaceMethods<Bertc_DifferentiableOpInterface>;

def Bert_EmbeddingOp : Bert_Op<"embedding", [Pure, Bert_Differentiable]> {
  let summary = "gathers rows of an embedding table";
  let description = [{
    `result[i..., :] = table[ids[i...], :]` for a `[vocab, hidden]` table. Ids
    outside `[0, vocab)` are an error that the lowered code reports at run
    time; they are never read out of bounds. `padding_idx` is
    `nn.Embedding`'s: the forward reads that row like any other, and training
    gives it no gradient (Hugging Face sets it to `pad_token_id` on the word
    embeddings).

    ```mlir
    %e = bert.embedding %table, %ids
           : tensor<30522x768xf32>, tensor<1x128xi32> -> tensor<1x128x768xf32>
    ```
  }];
  let arguments = (ins Bert_F32Tensor:$table, Bert_IdTensor:$ids,
      OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$padding_idx);
  let results = (outs Bert_F32Tensor:$output);
  let assemblyFormat = [{
    $table `,` $ids (`padding_idx` `(` $padding_idx^ `)`)? attr-dict `:`
    type($table) `,` type($ids) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Bert_LinearOp : Bert_Op<"linear", [Pure, Bert_Differentiable]> {
  let summary = "nn.Linear: x W^T + b over the last axis";
  let description = [{
    `result[..., n] = sum_k input[..., k] * weight[n, k] + bias[n]`, the weight
    in PyTorch's `[out, in]` layout. The bias is optional.

    ```mlir
    %y = bert.linear %x, %w bias %b
           : tensor<1x128x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>
           -> tensor<1x128x3072xf32>
    ```
  }];
  let arguments = (ins Bert_F32Tensor:$input, Bert_F32Tensor:$weight,
                       Optional<Bert_F32Tensor>:$bias);
  let results = (outs Bert_F32Tensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)? attr-dict `:` type($input) `,`
    type($weight) (`,` type($bias)^)? `->` type($output)
  }];
  let hasVerifier = 1;
}

def Bert_LayerNormOp : Bert_Op<"layer_norm", [Pure, Bert_Differentiable,
    AllTypesMatch<["input", "output"]>, AllTypesMatch<["gamma", "beta"]>]> {
  let summary = "layer normalisation over the last axis";
  let description = [{
    `(x - mean) / sqrt(var + epsilon) * gamma + beta`, with mean and biased
    variance over the last axis (torch.nn.LayerNorm); `epsilon` comes from the
    model's `layer_norm_eps`.

    ```mlir
    %y = bert.layer_norm %x, %gamma, %beta epsilon(1.0e-12)
           : tensor<1x128x768xf32>, tensor<768xf32>
    ```
  }];
  let arguments = (ins Bert_F32Tensor:$input, Bert_F32Tensor:$gamma,
                       Bert_F32Tensor:$beta, F32Attr:$epsilon);
  let results = (outs Bert_F32Tensor:$output);
  let assemblyFormat = [{
    $input `,` $gamma `,` $beta `epsilon` `(` $epsilon `)` attr-dict `:`
    type($input) `,` type($gamma)
  }];
  let hasVerifier = 1;
}

def Bert_GeluOp : Bert_Op<"gelu", [Pure, Bert_Differentiable, SameOperandsAndResultType]> {
  let summary = "the GELU activation";
  let description = [{
    Elementwise GELU, the erf form by default (BERT's `hidden_act = "gelu"`),
    the tanh approximation as an option.

    ```mlir
    %y = bert.gelu %x : tensor<1x128x3072xf32>
    %z = bert.gelu %x approximation<tanh> : tensor<1x128x3072xf32>
    ```
  }];
  let arguments = (ins Bert_F32Tensor:$input,
      DefaultValuedAttr<Bert_GeluApproximationAttr,
                        "GeluApproximation::Erf">:$approximation);
  let results = (outs Bert_F32Tensor:$output);
  let assemblyFormat = [{
    $input (`approximation` `` $approximation^)? attr-dict `:` type($input)
  }];
}

def Bert_SoftmaxOp : Bert_Op<"softmax", [Pure, Bert_Differentiable, SameOperandsAndResultType]> {
  let summary = "softmax over the last axis";
  let description = [{
    `exp(x - max) / sum(exp(x - max))` over the last axis.

    ```mlir
    %p = bert.softmax %scores : tensor<1x12x128x128xf32>
    ```
  }];
  let arguments = (ins Bert_F32Tensor:$input);
  let results = (outs Bert_F32Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Bert_AttentionOp : Bert_Op<"attention", [Pure, Bert_Differentiable,
    AttrSizedOperandSegments,
    AllTypesMatch<["query", "key", "value", "output"]>]> {
  let summary = "BERT's multi-head scaled dot-product attention";
  let description = [{
    Splits the hidden axis of `[batch, seq, hidden]` query, key and value into
    `heads` heads of `hidden / heads`, computes per head
    `softmax(Q K^T / sqrt(d) + (1 - mask) * -10000) V` and concatenates the
    heads. `mask` (`[batch, seq]`, 1 for tokens and 0 for padding) is
    optional; without it no key is masked.

    `probabilities` replaces the softmax for BiBERT training: `bool` is
    Bi-Attention (`1{A > 0}` of the masked scores A, no normalisation; the
    caller signs Q, K and V), `sign_softmax` the plain binarized baseline
    `sign(softmax(A))`. Their gradients are in the enum's description.

    `dropout seed %s stream(N) rate(p)` is training-mode dropout of the
    attention weights with `bert.dropout`'s mask over the `[batch, heads,
    seq, seq]` tensor: on the probabilities for `softmax` and
    `sign_softmax` (Hugging Face's `attention_probs_dropout_prob`, before
    the sign), and on the masked scores before `bool` for Bi-Attention
    (SEMANTICS.md 2.5 step 4: dropped scores give 0, the window sees the
    kept ones scaled by 1 / (1 - p)). The gradient applies the same mask.

    ```mlir
    %c = bert.attention %q, %k, %v mask %m heads(12)
           : tensor<1x128x768xf32>, tensor<1x128xf32>
    %b = bert.attention %bq, %bk, %bv mask %m heads(12) probabilities<bool>
           dropout seed %seed stream(1) rate(1.000000e-01)
           : tensor<1x128x768xf32>, tensor<1x128xf32>
    ```
  }];
  let arguments = (ins Bert_F32Tensor:$query, Bert_F32Tensor:$key,
      Bert_F32Tensor:$value, Optional<Bert_F32Tensor>:$mask,
      Optional<I64>:$seed,
      ConfinedAttr<I64Attr, [IntPositive]>:$heads,
      DefaultValuedAttr<Bert_AttentionProbabilitiesAttr,
                        "AttentionProbabilities::Softmax">:$probabilities,
      DefaultValuedAttr<ConfinedAttr<I64Attr, [IntNonNegative]>, "0">:$dropout_stream,
      DefaultValuedAttr<F64Attr, "0.0">:$dropout_rate);
  let results = (outs Bert_F32Tensor:$output);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` $mask^)? `heads` `(` $heads `)`
    (`probabilities` `` $probabilities^)?
    (`dropout` `seed` $seed^ `stream` `(` $dropout_stream `)` `rate` `(`
     $dropout_rate `)`)?
    attr-dict `:` type($query) (`,` type($mask)^)?
  }];
  let extraClassDeclaration = [{
    /// The attention weights' dropout (inactive without a seed).
    ::bertc::DropoutSite getDropoutSite() {
      return {getSeed(), static_cast<int64_t>(getDropoutStream()),
              getDropoutRate().convertToDouble()};
    }
  }];
  let hasVerifier = 1;
}

def Bert_DropoutOp : Bert_Op<"dropout", [Pure, Bert_Differentiable,
    AllTypesMatch<["input", "output"]>]> {
  let summary = "training-mode dropout with a stateless mask";
  let description = [{
    Zeroes each element with probability `rate` and scales the others by
    `1 / (1 - rate)`, as `torch.nn.functional.dropout` in training mode,
    with a mask that is a pure function of the step's `seed`, the site's
    `stream` and the element's row-major index (bertc/Utils/Dropout.h):
    the gradient applies the same mask without storing it, and a reference
    can reproduce it. `bert-insert-dropout` places these ops (one stream
    per site) in a training step; inference graphs have none.

    ```mlir
    %y = bert.dropout %x seed %seed stream(2) rate(1.000000e-01)
           : tensor<?x8x32xf32>
    ```
  }];
  let arguments = (ins Bert_F32Tensor:$input, I64:$seed,
      ConfinedAttr<I64Attr, [IntNonNegative]>:$stream, F64Attr:$rate);
  let results = (outs Bert_F32Tensor:$output);
  let assemblyFormat = [{
    $input `seed` $seed `stream` `(` $stream `)` `rate` `(` $rate `)`
    attr-dict `:` type($input)
  }];
  let extraClassDeclaration = [{
    ::bertc::DropoutSite getSite() {
      return {getSeed(), static_cast<int64_t>(getStream()),
              getRate().convertToDouble()};
    }
  }];
  let hasVerifier = 1;
}

def Bert_CrossEntropyOp : Bert_Op<"cross_entropy", [Pure, Bert_Differentiable]> {
  let summary = "mean softmax cross-entropy of logits against labels";
  let description = [{
    `-(1/B) sum_b log_softmax(logits)[b, labels[b]]` over a `[B, C]` batch of
    logits, as `torch.nn.functional.cross_entropy` with its default mean
    reduction; the result is a rank-0 tensor. A label outside `[0, C)` is an
    error that the entry point reports before running.

    ```mlir
    %loss = bert.cross_entropy %logits, %labels
              : tensor<?x2xf32>, tensor<?xi32> -> tensor<f32>
    ```
  }];
  let arguments = (ins Bert_F32Tensor:$logits, Bert_IdTensor:$labels);
  let results = (outs 0DTensorOf<[F32]>:$loss);
  let assemblyFormat = [{
    $logits `,` $labels attr-dict `:` type($logits) `,` type($labels) `->`
    type($loss)
  }];
  let hasVerifier = 1;
}

def Bert_SoftCrossEntropyOp : Bert_Op<"soft_cross_entropy",
    [Pure, Bert_Differentiable, AllTypesMatch<["logits", "targets"]>]> {
  let summary = "cross-entropy of logits against a teacher's soft labels";
  let description = [{
    `-(1/(B C)) sum_{b,c} softmax(targets)[b, c] * log_softmax(logits)[b, c]`
    over `[B, C]` logits: BiBERT's prediction distillation (SEMANTICS.md
    2.8, the official code's `soft_cross_entropy`, mean over all B C
    elements, temperature 1). The result is a rank-0 tensor.

    ```mlir
    %loss = bert.soft_cross_entropy %student, %teacher
              : tensor<?x2xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins Bert_F32Tensor:$logits, Bert_F32Tensor:$targets);
  let results = (outs 0DTensorOf<[F32]>:$loss);
  let assemblyFormat = [{
    $logits `,` $targets attr-dict `:` type($logits) `->` type($loss)
  }];
  let hasVerifier = 1;
}

def Bert_HeadSimilarityOp : Bert_Op<"head_similarity",
    [Pure, Bert_Differentiable]> {
  let summary = "per-head self-similarity X X^T / sqrt(d) of Q, K or V";
  let description = [{
    Splits the hidden axis of a `[batch, seq, hidden]` tensor into `heads`
    heads of `d = hidden / heads` and returns, per head,
    `S[b, h, i, j] = sum_e X[b, i, h, e] X[b, j, h, e] / sqrt(d)`: BiBERT's
    direction-matching distillation compares these matrices of the student's
    and the teacher's real-valued Q, K and V (SEMANTICS.md 2.5 step 1, 2.8).

    ```mlir
    %s = bert.head_similarity %q heads(12)
           : tensor<1x128x768xf32> -> tensor<1x12x128x128xf32>
    ```
  }];
  let arguments = (ins Bert_F32Tensor:$input,
                       ConfinedAttr<I64Attr, [IntPositive]>:$heads);
  let results = (outs Bert_F32Tensor:$output);
  let assemblyFormat = [{
    $input `heads` `(` $heads `)` attr-dict `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Bert_NormalizedDistanceOp : Bert_Op<"normalized_distance",
    [Pure, Bert_Differentiable, AllTypesMatch<["student", "teacher"]>]> {
  let summary = "|| S/||S|| - T/||T|| ||, BiBERT's distillation distance";
  let description = [{
    The 2-norm of the difference of the two tensors, each divided by its own
    2-norm, every norm taken over all the elements of the whole tensor (the
    batch at once), not squared (SEMANTICS.md 2.8). Entries `<= -100` count
    as 0 in both (the official code's mask filter). DMD applies it to the
    head similarities, the representation loss to the hidden states.

    ```mlir
    %d = bert.normalized_distance %s, %t : tensor<2x4x8x8xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins Bert_F32Tensor:$student, Bert_F32Tensor:$teacher);
  let results = (outs 0DTensorOf<[F32]>:$distance);
  let assemblyFormat = [{
    $student `,` $teacher attr-dict `:` type($student) `->` type($distance)
  }];
}

#endif // BERTC_DIALECTS_BERT_IR_BERTOPS_TD
