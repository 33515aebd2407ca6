//===- Passes.td - bertc conversion passes -----------------*- tablegen -*-===//

#ifndef BERTC_CONVERSION_PASSES_TD
#define BERTC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertBertToLinalgPass : Pass<"convert-bert-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lowers the bert float-graph ops to linalg on tensors";
  let description = [{
    Rewrites every `bert` op into `linalg.generic` ops on tensors with
    PyTorch's float semantics:

    * `bert.linear`: bias broadcast into the accumulator, then
      `out[m, n] += x[m, k] * w[n, k]` over the flattened leading axes.
    * `bert.embedding`: a gather whose ids are clamped into the table, so a
      bad id can never read out of bounds (the entry point reports it first).
    * `bert.layer_norm`: mean and biased variance over the last axis,
      `(x - mean) / sqrt(var + eps) * gamma + beta`.
    * `bert.gelu`: `x * 0.5 * (1 + erf(x / sqrt(2)))` or the tanh form.
    * `bert.softmax`: max-subtracted exponentials over the last axis.
    * `bert.attention`: per head `softmax(Q K^T / sqrt(d) + (1 - mask) *
      -10000) V`, with the heads as an extra axis of the iteration space.

    Before:
    ```mlir
    %y = bert.gelu %x : tensor<?x128xf32>
    ```
    After: a `linalg.generic` whose body calls `math.erf`. Fails with a
    located error if a `bert` op is left.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

#endif // BERTC_CONVERSION_PASSES_TD
