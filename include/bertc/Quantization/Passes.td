//===- Passes.td - bertc quantization passes ---------------*- tablegen -*-===//

#ifndef BERTC_QUANTIZATION_PASSES_TD
#define BERTC_QUANTIZATION_PASSES_TD

include "mlir/Pass/PassBase.td"

def BinarizePass : Pass<"bert-binarize", "::mlir::ModuleOp"> {
  let summary = "BiBERT: the float bert graph to 1-1-1 bit inference";
  let description = [{
    Rewrites the float graph into BiBERT's inference as its official code
    defines it (SEMANTICS.md section 2), on packed bits:

    * Every `bert.linear` with a constant weight except the classifier
      (Q, K, V, attention output, FFN1, FFN2, pooler):
      `y = alpha_o * (sign(x) . sign(W_o - mean W_o)) + b_o`, as
      `bq.pack_bits` of x (binarize and pack in one pass), the weight's
      `bq.binarize form<weight>` + `bq.pack_bits` (folded to packed words at
      compile time), `bq.xnor_matmul`, and an f32 epilogue with
      `alpha_o = mean |W_o|` computed here from the weight.
    * `bert.attention` becomes Bi-Attention: per head
      `B_A = bool(sign(Q) sign(K)^T / sqrt(d) + (1 - mask) * -10000)`
      (`bool-rule`: `gt`, the code, or `ge`, the paper) through
      `bq.xnor_matmul` over d bits, and the context `B_A sign(V)` through
      `bq.bitwise_affine_matmul` over the keys: exact integers, no softmax.
    * The word-embedding table becomes `alpha_t * sign(E_t - mean E_t)` per
      token, stored as one bit per entry (`bq.binarize form<weight>` +
      `bq.pack_bits`, folded at compile time) and one f32 alpha per token;
      the lookup unpacks the rows it reads.
    * LayerNorm, residuals, GELU, biases, position and token-type
      embeddings, the pooler's tanh and the classifier stay f32.

    * Where a binary linear's output only feeds sign() (Q, K and V into
      Bi-Attention) or sign(GELU()) (FFN1 into FFN2), and where the attention
      context only feeds the output projection, the f32 epilogue and the
      sign become integer thresholds on the dot products (`bq.threshold`,
      computed at compile time from the same f32 arithmetic, Larq-style):
      i8 signs go to the next pack instead of f32 values. The GELU case
      keeps the negative inputs whose erf GELU is -0 in f32 as +1
      (`fold-thresholds=false` keeps the float epilogues).

    sign(0): packed bits cannot hold the official code's 0, so 0 maps to
    +1 everywhere (`zero<plus_one>`, `rule<nonnegative>`); the end-to-end
    tests measure the deviation from torch.sign.

    Before: `%y = bert.linear %x, %w bias %b : ...` with `%w` a constant.
    After: `bq.pack_bits`, `bq.xnor_matmul` and a `linalg.generic` epilogue.
  }];
  let options = [
    Option<"boolRule", "bool-rule", "std::string", /*default=*/"\"gt\"",
           "Bi-Attention's bool: gt (1{x > 0}, the official code) or ge "
           "(1{x >= 0}, the paper)">,
    Option<"foldThresholds", "fold-thresholds", "bool", /*default=*/"true",
           "fold a binary linear's epilogue and the next sign() into "
           "integer thresholds where only the sign is used">
  ];
  let dependentDialects = [
    "::bertc::bq::BQDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def QuantizeQ8Pass : Pass<"bert-quantize-q8", "::mlir::ModuleOp"> {
  let summary = "Q8BERT: the float bert graph to int8 inference";
  let description = [{
    Rewrites the float graph into Q8BERT's inference as its official code
    defines it (SEMANTICS.md section 1.5), with static activation scales:

    * Every `bert.linear` with a constant weight (Q, K, V, attention output,
      FFN1, FFN2, pooler, classifier) unless listed in `float-layers`:
      `x_q = quantize(x, s_x)` with `s_x = 127 / T` (T from the module's
      `bertc.thresholds` dictionary, keyed by the Hugging Face module name),
      the weight quantized per tensor with `s_w = 127 / max|W|` (folded to
      int8 codes at compile time), the bias to int32 with `s_b = s_w * s_x`,
      `acc = bq.int8_matmul` (int32, wrapping) and `y = acc / s_b` in f32:
      `bq.quantize`, `quant.scast`, `bq.int8_matmul`, `bq.dequantize`.
    * The word and position embedding tables become int8 codes with a
      per-tensor scale; the lookup divides the codes by it. Token-type
      embeddings, LayerNorm, GELU, softmax and both attention products stay
      f32.

    A linear without a threshold is an error naming it (give thresholds, or
    list it in `float-layers`).

    `mode=dynamic` (the official code's DYNAMIC mode, SEMANTICS.md 1.3)
    needs no thresholds: each call takes `s_x = 127 / max|x|` over its whole
    input tensor and quantizes the bias with that call's `s_w * s_x`; the
    outputs then depend on the batch's composition, as in the code. (An
    all-zero input, where the code divides by 0, quantizes with `s_x = 1`.)
  }];
  let options = [
    ListOption<"floatLayers", "float-layers", "std::string",
               "Hugging Face module names of linears kept in f32">,
    ListOption<"requantize", "requantize", "std::string",
               "linears whose f32 output is put back on an 8-bit grid, "
               "y = quantize(y, 127 / T_out) / (127 / T_out), with T_out "
               "from bertc.thresholds['<module>.output_thresh'] (the code's "
               "requantize_output)">,
    Option<"mode", "mode", "std::string", /*default=*/"\"static\"",
           "static (thresholds from bertc.thresholds) or dynamic (the scale "
           "of each call's input)">
  ];
  let dependentDialects = [
    "::bertc::bq::BQDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::quant::QuantDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def RecordRangesPass : Pass<"bert-record-ranges", "::mlir::ModuleOp"> {
  let summary = "Q8BERT calibration: record max|x| of every linear's input";
  let description = [{
    Instruments the float graph for a calibration run (`bert-compile
    --calibrate`): before every `bert.linear` with a checkpoint weight,
    `max |x|` over the whole input tensor is computed and folded into slot
    i of the public global `bertc_ranges` (f32, starting at 0) with a
    maximum, so that a process running the model over many inputs ends with
    the largest magnitude each linear has seen: Q8BERT's threshold T
    (SEMANTICS.md 1.3, a calibration in place of the EMA). The outputs are
    recorded too, in slots n + i, named `<module>.output_thresh` (the
    thresholds of requantized outputs). The public global
    `bertc_range_count` holds the number of slots, and the module
    attribute `bertc.ranges` names each slot, in order. The model's results
    are unchanged.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def DumpInt8Pass : Pass<"bert-dump-int8", "::mlir::ModuleOp"> {
  let summary = "Debugging Q8BERT: dump every int8 product's codes and sums";
  let description = [{
    After bert-quantize-q8: before every `bq.int8_matmul` that it named
    (`bertc.module`), calls `bertc_dump_i8_r<rank>(slot, x)` with the
    product's int8 input codes and, after it, `bertc_dump_i32_r<rank>(slot,
    acc)` with its int32 accumulators (bias included), as dynamically sized
    tensors through the C interface (`_mlir_ciface_bertc_dump_*`, defined
    by the executable's driver, which writes `<slot>_x.npy` and
    `<slot>_acc.npy` into `$BERTC_DUMP_DIR`). The module attribute `bertc.dumps` names each
    slot's module. With the codes, a product can be checked exactly
    against an integer GEMM (bert-compile --q8-dump).
  }];
  let dependentDialects = [
    "::mlir::func::FuncDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

#endif // BERTC_QUANTIZATION_PASSES_TD
