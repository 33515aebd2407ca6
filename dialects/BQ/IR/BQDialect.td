//===- BQDialect.td - The bertc quantization dialect -------*- tablegen -*-===//
//
// `bq` holds the low-bit operations that Q8BERT (int8) and BiBERT (1-bit) add
// on top of a float BERT graph: symmetric linear quantization, binarization,
// Bi-Attention's `bool`, bit packing, and the integer matmuls that consume
// packed or int8 operands. Semantics follow ../shared/SEMANTICS.md (the
// official code by default, the papers' variants as attributes).
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_DIALECTS_BQ_IR_BQDIALECT_TD
#define BERTC_DIALECTS_BQ_IR_BQDIALECT_TD

include "mlir/IR/OpBase.td"

def BQ_Dialect : Dialect {
  let name = "bq";
  let cppNamespace = "::bertc::bq";
  let summary = "Q8BERT int8 and BiBERT 1-bit operations for BERT";
  let description = [{
    The `bq` dialect carries the quantization and binarization steps of Q8BERT
    and BiBERT as first-class operations so that they can be verified, folded
    (weights are quantized and packed at compile time by constant folding),
    differentiated (every quantizer declares its straight-through estimator
    through `StraightThroughGradientOpInterface`) and lowered to int8 and
    XOR/AND-popcount kernels.

    Conventions shared by all ops:

    * Quantization is symmetric linear with zero point 0 and the restricted
      range `[-M, M]`, `M = 2^(b-1) - 1`; scales live in MLIR's
      `!quant.uniform` types. A quant type's step `Δ` and the Q8BERT
      multiplier `s = M / T` are related by `s = f32(1 / Δ)`.
    * Rounding is to nearest, ties to even (`torch.round`).
    * Bit packing is along the last (reduction) axis into little-endian 64-bit
      words: element `k` is bit `k % 64` of word `k / 64`; padding bits are 0.
      With the `sign` encoding bit 1 means +1 and bit 0 means -1.
  }];
  let dependentDialects = [
    "::mlir::quant::QuantDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let hasConstantMaterializer = 1;
  // quant.scast of a bq.constant: see BQFolds.cpp.
  let hasCanonicalizer = 1;
  let useDefaultAttributePrinterParser = 1;
}

class BQ_Op<string mnemonic, list<Trait> traits = []> :
    Op<BQ_Dialect, mnemonic, traits>;

#endif // BERTC_DIALECTS_BQ_IR_BQDIALECT_TD
