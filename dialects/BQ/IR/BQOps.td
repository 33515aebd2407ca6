//===- BQOps.td - Operations of the bq dialect -------------*- tablegen -*-===//
//
// Quantizers (quantize, dequantize, fake_quant, binarize, bool), bit packing,
// and the integer matmuls that consume their results. Verifier helpers live in
// BQVerify.cpp, folders in BQFolds.cpp, straight-through gradients in
// BQGradients.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_DIALECTS_BQ_IR_BQOPS_TD
#define BERTC_DIALECTS_BQ_IR_BQOPS_TD

include "dialects/BQ/IR/BQDialect.td"
include "dialects/BQ/IR/BQEnums.td"
include "dialects/BQ/IR/BQInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def BQ_UniformQuantized : Type<
    CPred<"::llvm::isa<::mlir::quant::UniformQuantizedType>($_self)">,
    "!quant.uniform per-tensor quantized type">;

def BQ_F32Tensor : RankedTensorOf<[F32]>;
def BQ_QuantizedTensor : RankedTensorOf<[BQ_UniformQuantized]>;
def BQ_PackedTensor : RankedTensorOf<[I64]>;
def BQ_I8Tensor : RankedTensorOf<[I8]>;
def BQ_I32Tensor : RankedTensorOf<[I32]>;
def BQ_PackableTensor : RankedTensorOf<[AnyFloat, AnySignlessInteger]>;
def BQ_Bits : ConfinedAttr<I64Attr, [IntMinValue<2>, IntMaxValue<32>]>;
def BQ_Length : ConfinedAttr<I64Attr, [IntPositive]>;

//===----------------------------------------------------------------------===//
// Symmetric linear quantization (Q8BERT, SEMANTICS.md 1.1-1.5)
//===----------------------------------------------------------------------===//

def BQ_QuantizeOp : BQ_Op<"quantize", [Pure]> {
  let summary = "symmetric linear quantization of an f32 tensor";
  let description = [{
    `q = clamp(rne(x * s), -M, M)` with `s = f32(1 / Δ)`, `Δ` the step of the
    result's `!quant.uniform` type, `M = 2^(b-1) - 1` for `b` storage bits and
    `rne` rounding to nearest with ties to even. The result type must be
    signed, zero-point 0, restricted to `[-M, M]` (-128 is never produced) and
    express the input's element type. NaN quantizes to 0.

    A constant input folds to a `bq.constant`: this is how weights are
    quantized at compile time.

    ```mlir
    %q = bq.quantize %x : tensor<4x8xf32>
           -> tensor<4x8x!quant.uniform<i8<-127:127>:f32, 0.0078125>>
    ```
  }];
  let arguments = (ins BQ_F32Tensor:$input);
  let results = (outs BQ_QuantizedTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def BQ_DequantizeOp : BQ_Op<"dequantize", [Pure]> {
  let summary = "maps quantized values back to f32";
  let description = [{
    `x = q / s` with `s = f32(1 / Δ)`: a division by the multiplier, as the
    Q8BERT code does, not a multiplication by `Δ`.

    `bq.dequantize(bq.quantize(x))` of one type canonicalizes to the
    equivalent `bq.fake_quant`.

    ```mlir
    %x = bq.dequantize %q : tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5>>
           -> tensor<4xf32>
    ```
  }];
  let arguments = (ins BQ_QuantizedTensor:$input);
  let results = (outs BQ_F32Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def BQ_ConstantOp : BQ_Op<"constant", [ConstantLike, Pure]> {
  let summary = "a constant tensor of quantized values";
  let description = [{
    Holds integer storage values with a `!quant.uniform` element type; it is
    what folding `bq.quantize` of a constant produces. The attribute's element
    type is the storage type and its values lie in the storage range.

    ```mlir
    %c = bq.constant dense<[1, -127]> : tensor<2xi8>
           -> tensor<2x!quant.uniform<i8<-127:127>:f32, 0.5>>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs BQ_QuantizedTensor:$output);
  let assemblyFormat = "$value attr-dict `->` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def BQ_FakeQuantOp : BQ_Op<"fake_quant", [Pure, AllTypesMatch<["input", "output"]>,
    DeclareOpInterfaceMethods<BQ_StraightThroughGradientOpInterface>]> {
  let summary = "quantize then dequantize, staying in f32 (training)";
  let description = [{
    `fq(x) = clamp(rne(x * s), -M, M) / s` with the multiplier `s` (`M / T`)
    given at run time, since Q8BERT recomputes weight scales and EMA
    thresholds on every training step. `M = 2^(bits-1) - 1`.

    Gradient (SEMANTICS.md 1.8): the identity, also in the clamped region;
    `s` gets none.

    ```mlir
    %y = bq.fake_quant %x, %s bits 8 : tensor<2x3xf32>
    ```
  }];
  let arguments = (ins BQ_F32Tensor:$input, F32:$scale, BQ_Bits:$bits);
  let results = (outs BQ_F32Tensor:$output);
  let assemblyFormat =
      "$input `,` $scale `bits` $bits attr-dict `:` type($input)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Binarization (BiBERT, SEMANTICS.md 2.2-2.5)
//===----------------------------------------------------------------------===//

def BQ_BinarizeOp : BQ_Op<"binarize", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<BQ_StraightThroughGradientOpInterface>]> {
  let summary = "BiBERT sign binarization of activations or weights";
  let description = [{
    `activation` form: `sign(x)`, no scale.

    `weight` form (rank 2, rows = output channels): for each row `o`,
    `alpha_o * sign(W_o - mean(W_o))` with `alpha_o = mean|W_o|` of the
    un-centred row.

    `zero` chooses sign(0): `zero` (torch.sign, the official code) or
    `plus_one` (what a packed 1-bit kernel represents).

    Gradients (SEMANTICS.md 2.9), with `window` `inclusive` (`|x| <= 1`, the
    default, torch.clamp's rule) or `strict` (`|x| < 1`, the Q/K/V
    BinaryQuantizer): activation `g * 1{x in window}`; weight
    `g_c = g * 1{Wc in window}` then `g_W = g_c - rowmean(g_c)`; alpha gets
    none.

    A constant input folds: this is how weights are binarized at compile time.

    ```mlir
    %b = bq.binarize %x form<activation> : tensor<2x64xf32>
    %w = bq.binarize %w0 form<weight> zero<plus_one> : tensor<8x64xf32>
    %q = bq.binarize %x form<activation> window<strict> : tensor<2x64xf32>
    ```
  }];
  let arguments = (ins BQ_F32Tensor:$input, BQ_BinarizeFormAttr:$form,
      DefaultValuedAttr<BQ_SignZeroPolicyAttr, "SignZeroPolicy::Zero">:$zero,
      DefaultValuedAttr<BQ_SteWindowAttr, "SteWindow::Inclusive">:$window);
  let results = (outs BQ_F32Tensor:$output);
  let assemblyFormat = [{
    $input `form` `` $form (`zero` `` $zero^)? (`window` `` $window^)?
    attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def BQ_BoolOp : BQ_Op<"bool", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<BQ_StraightThroughGradientOpInterface>]> {
  let summary = "Bi-Attention's {0,1} binarization of the scores";
  let description = [{
    `1{x > 0}` (`rule<gt>`, the official code's ZMeanBinaryQuantizer, the
    default) or `1{x >= 0}` (`rule<ge>`, the paper), as f32 0.0 / 1.0. It
    replaces softmax in BiBERT's attention.

    Gradient: `g * 1{|x| < 1}` (`window<strict>`, the code, the default) or
    `g * 1{|x| <= 1}` (`window<inclusive>`, the paper).

    ```mlir
    %a = bq.bool %scores : tensor<2x4x16x16xf32>
    %p = bq.bool %scores rule<ge> window<inclusive> : tensor<16x16xf32>
    ```
  }];
  let arguments = (ins BQ_F32Tensor:$input,
      DefaultValuedAttr<BQ_BoolRuleAttr, "BoolRule::Greater">:$rule,
      DefaultValuedAttr<BQ_SteWindowAttr, "SteWindow::Strict">:$window);
  let results = (outs BQ_F32Tensor:$output);
  let assemblyFormat = [{
    $input (`rule` `` $rule^)? (`window` `` $window^)?
    attr-dict `:` type($input)
  }];
  let hasFolder = 1;
}

def BQ_ThresholdOp : BQ_Op<"threshold", [Pure]> {
  let summary = "signs of integer dot products against per-channel thresholds";
  let description = [{
    Where a binary layer feeds the `sign()` of the next (directly, or through
    an erf GELU), the float epilogue `alpha[n] * dot + bias[n]` and the sign
    collapse into integer thresholds computed at compile time (Larq-style):
    `out[..., n]` is +1 where `dots[..., n] >= at_least[n]` or
    `dots[..., n] < below[n]`, and -1 elsewhere, as i8. `below` is optional
    (no lower interval); it carries the negative inputs whose erf GELU is
    ±0 in float32, which `sign(0) -> +1` maps to +1.

    ```mlir
    %s = bq.threshold %dots at_least %t : tensor<?x768xi32>, tensor<768xi32> -> tensor<?x768xi8>
    %g = bq.threshold %dots at_least %t below %u
           : tensor<?x3072xi32>, tensor<3072xi32>, tensor<3072xi32> -> tensor<?x3072xi8>
    ```
  }];
  let arguments = (ins BQ_I32Tensor:$dots, BQ_I32Tensor:$at_least,
                       Optional<BQ_I32Tensor>:$below);
  let results = (outs BQ_I8Tensor:$output);
  let assemblyFormat = [{
    $dots `at_least` $at_least (`below` $below^)? attr-dict `:` type(operands)
    `->` type($output)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Bit packing (SEMANTICS.md 3)
//===----------------------------------------------------------------------===//

def BQ_PackBitsOp : BQ_Op<"pack_bits", [Pure]> {
  let summary = "packs the last axis into 64-bit words";
  let description = [{
    `[..., K]` values become `[..., ceil(K / 64)]` i64 words: element `k` is
    bit `k % 64` of word `k / 64`, padding bits are 0. A value becomes bit 1
    where it is `> 0` (`rule<positive>`, the default: {-1,+1} and {0,1} pack
    exactly) or `>= 0` (`rule<nonnegative>`: sign(0) packs as +1).

    ```mlir
    %p = bq.pack_bits %x : tensor<4x100xf32> -> tensor<4x2xi64>
    ```
  }];
  let arguments = (ins BQ_PackableTensor:$input,
      DefaultValuedAttr<BQ_PackRuleAttr, "PackRule::Positive">:$rule);
  let results = (outs BQ_PackedTensor:$output);
  let assemblyFormat = [{
    $input (`rule` `` $rule^)? attr-dict `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def BQ_UnpackBitsOp : BQ_Op<"unpack_bits", [Pure]> {
  let summary = "expands 64-bit words back to one value per bit";
  let description = [{
    The inverse of `bq.pack_bits` along the last axis: `[..., W]` words become
    `[..., K]` values with `W = ceil(K / 64)`; bit 1 becomes +1 and bit 0
    becomes -1 (`encoding<sign>`, the default) or 1 and 0
    (`encoding<boolean>`).

    ```mlir
    %x = bq.unpack_bits %p : tensor<4x2xi64> -> tensor<4x100xf32>
    %m = bq.unpack_bits %p encoding<boolean> : tensor<4x2xi64> -> tensor<4x100xf32>
    ```
  }];
  let arguments = (ins BQ_PackedTensor:$input,
      DefaultValuedAttr<BQ_BitEncodingAttr, "BitEncoding::Sign">:$encoding);
  let results = (outs BQ_PackableTensor:$output);
  let assemblyFormat = [{
    $input (`encoding` `` $encoding^)? attr-dict `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Integer matmuls
//===----------------------------------------------------------------------===//

/// Operand layout shared by the matmuls: the reduction axis is last in both
/// operands. A rank-2 `rhs` `[N, K]` (a weight, [out, in]) is shared by every
/// row of `lhs` `[..., K]` and gives `[..., N]`; a higher-rank `rhs`
/// `[batch..., N, K]` is batched against `lhs` `[batch..., M, K]` and gives
/// `[batch..., M, N]` (attention, per head).
class BQ_MatmulOp<string mnemonic, list<Trait> traits = []> :
    BQ_Op<mnemonic, !listconcat([Pure], traits)> {
  let hasVerifier = 1;
  let hasFolder = 1;
}

def BQ_XnorMatmulOp : BQ_MatmulOp<"xnor_matmul"> {
  let summary = "{-1,+1} x {-1,+1} -> i32 dot products on packed bits";
  let description = [{
    Both operands hold `sign`-encoded bits packed along the reduction axis of
    logical length `length`; each dot is
    `length - 2 * popcount(lhs XOR rhs)` (= `2 * popcount(XNOR) - length`).
    Padding bits must be 0 in both operands, which `bq.pack_bits` guarantees.
    See the layout rules of the matmul family in the dialect documentation.

    ```mlir
    %d = bq.xnor_matmul %x, %w length(768)
           : tensor<128x12xi64>, tensor<768x12xi64> -> tensor<128x768xi32>
    ```
  }];
  let arguments = (ins BQ_PackedTensor:$lhs, BQ_PackedTensor:$rhs,
                       BQ_Length:$length);
  let results = (outs BQ_I32Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs `length` `(` $length `)` attr-dict `:` type($lhs) `,`
    type($rhs) `->` type($result)
  }];
}

def BQ_BitwiseAffineMatmulOp : BQ_MatmulOp<"bitwise_affine_matmul"> {
  let summary = "BAMM: {0,1} x {-1,+1} -> i32 on packed bits";
  let description = [{
    Bi-Attention's context product `B_A x B_V`: `lhs` holds `boolean` bits
    (the attention mask `m`), `rhs` holds `sign` bits (`v`), both packed along
    the key axis of length `length`. Each dot is
    `m . v = 2 * popcount(m AND v) - popcount(m)`, the exact integer of the
    float graph (SEMANTICS.md 3.4). Padding bits of `lhs` must be 0. The
    AND form does not depend on the key count, so `length` is optional: it
    is checked against the word counts when given, and left out when the
    key axis is a run-time value (attention over a dynamic sequence).

    ```mlir
    %c = bq.bitwise_affine_matmul %a, %vt length(13)
           : tensor<2x4x13x1xi64>, tensor<2x4x16x1xi64> -> tensor<2x4x13x16xi32>
    %d = bq.bitwise_affine_matmul %b, %wt
           : tensor<1x12x?x?xi64>, tensor<1x12x64x?xi64> -> tensor<1x12x?x64xi32>
    ```
  }];
  let arguments = (ins BQ_PackedTensor:$lhs, BQ_PackedTensor:$rhs,
                       OptionalAttr<BQ_Length>:$length);
  let results = (outs BQ_I32Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`length` `(` $length^ `)`)? attr-dict `:` type($lhs) `,`
    type($rhs) `->` type($result)
  }];
}

def BQ_Int8MatmulOp : BQ_MatmulOp<"int8_matmul"> {
  let summary = "i8 x i8 -> i32 matmul with an optional i32 bias";
  let description = [{
    `result[..., n] = bias[n] + sum_k lhs[..., k] * rhs[n, k]` in 32-bit
    two's-complement arithmetic (the accumulator is not clamped, as in the
    Q8BERT code). The bias is a vector over the output axis.

    ```mlir
    %acc = bq.int8_matmul %x, %w bias %b
             : tensor<128x768xi8>, tensor<3072x768xi8>, tensor<3072xi32>
             -> tensor<128x3072xi32>
    ```
  }];
  let arguments = (ins BQ_I8Tensor:$lhs, BQ_I8Tensor:$rhs,
                       Optional<BQ_I32Tensor>:$bias);
  let results = (outs BQ_I32Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`bias` $bias^)? attr-dict `:` type($lhs) `,` type($rhs)
    (`,` type($bias)^)? `->` type($result)
  }];
}

#endif // BERTC_DIALECTS_BQ_IR_BQOPS_TD
