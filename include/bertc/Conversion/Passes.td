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

def ConvertBQToLinalgPass : Pass<"convert-bq-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lowers BiBERT's bit-level bq ops to linalg on tensors";
  let description = [{
    The packed-bit ops of SEMANTICS.md section 3 as `linalg.generic` ops:

    * `bq.pack_bits` (f32 input, static or run-time last axis): a loop over
      the words, each a 64-lane `vector.transfer_read` compared with 0
      (`> 0`, or `>= 0` with `rule<nonnegative>`) and bitcast from
      `vector<64xi1>` to i64, so that binarizing and packing an activation
      is one pass; the read past the end is padded with a value that packs
      as 0.
    * `bq.xnor_matmul`: `length - 2 * sum_w popcount(lhs XOR rhs)`, counted
      in i64 and narrowed to i32. A constant rank-2 rhs (a weight the
      folders packed at compile time) is transposed here to `[words, N]`
      and the count tagged `bertc.xnor_linear`, which bert-lower-linears
      replaces by its register-blocked XOR-popcount kernel.
    * `bq.bitwise_affine_matmul`: `sum_w 2 * popcount(lhs AND rhs) -
      popcount(lhs)`.
    * `bq.unpack_bits`, `bq.binarize` (activation form; `zero<zero>` is
      torch.sign, `zero<plus_one>` maps 0 to +1) and `bq.bool` (`> 0` or
      `>= 0`): elementwise.

    Weight binarization of a non-constant weight (training only) and the
    int8 ops are left for their own lowerings.

    Before:
    ```mlir
    %d = bq.xnor_matmul %x, %w length(128)
           : tensor<?x2xi64>, tensor<64x2xi64> -> tensor<?x64xi32>
    ```
    After: a `linalg.generic` summing `math.ctpop(arith.xori)` over the
    words and one mapping the counts to `128 - 2 * count`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def ConvertBQInt8ToLinalgPass
    : Pass<"convert-bq-int8-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lowers Q8BERT's int8 bq ops to linalg on tensors";
  let description = [{
    Q8BERT's inference ops (SEMANTICS.md 1.5) as `linalg.generic` ops on
    integer tensors:

    * `bq.quantize` of an f32 tensor read through `quant.scast` as its
      storage: `clamp(roundeven(x * s), -M, M)` (NaN to 0), one
      elementwise pass.
    * `bq.dequantize` of an i32 accumulator seen through `quant.scast`:
      `sitofp(acc) / s`.
    * `bq.int8_matmul`: with `kernel=generic`, an i32 reduction of sign-
      extended products (the bias broadcast first). With `kernel=vnni` or
      `kernel=avx2` and a constant rank-2 rhs whose K is a multiple of 4
      (2), the activation is packed in the layout of the kernel and the
      weight prepacked at compile time, and the product is tagged
      `bertc.int8_linear` for bert-lower-linears:
      - `vnni` (`vpdpbusd`, unsigned x signed bytes): 4 activations
        shifted by +128 per i32, the weight as 4 signed bytes per i32 in
        `[K / 4, N]`, and the shift's compensation `-128 * sum_k W[n, k]`
        folded into the bias at compile time;
      - `avx2` (`vpmaddwd`, exact: no `vpmaddubsw` saturation): 2
        activations sign-extended to i16 per i32, the weight as 2 signed
        bytes per i16 in `[K / 2, N]`, widened in the kernel.
      The tagged product's body computes the same dot products, so it is
      correct wherever no kernel replaces it.

    Before:
    ```mlir
    %acc = bq.int8_matmul %x, %w bias %b
      : tensor<?x768xi8>, tensor<768x768xi8>, tensor<768xi32> -> tensor<?x768xi32>
    ```
    After (`kernel=vnni`): a packing generic, a bias broadcast and a
    `linalg.generic {bertc.int8_linear = "vnni"}` over `tensor<?x192xi32>`
    and `tensor<192x768xi32>`.
  }];
  let options = [
    Option<"kernel", "kernel", "std::string", /*default=*/"\"generic\"",
           "generic, avx2 (exact vpmaddwd) or vnni (vpdpbusd)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

#endif // BERTC_CONVERSION_PASSES_TD
