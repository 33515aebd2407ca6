//===- QuantMath.h - Scalar semantics of Q8BERT and BiBERT ------*- C++ -*-===//
//
// The exact scalar arithmetic of SEMANTICS.md, written once: the dialect's
// folders use it to quantize and pack weights at compile time, and the unit
// tests pin it to the known answers of the seeds' code.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_SUPPORT_QUANTMATH_H
#define BERTC_SUPPORT_QUANTMATH_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>

namespace bertc {

//===----------------------------------------------------------------------===//
// Symmetric linear quantization (SEMANTICS.md 1.1)
//===----------------------------------------------------------------------===//

/// Largest level of a signed b-bit symmetric quantizer: M = 2^(b-1) - 1.
/// `bits` must lie in [2, 32].
int64_t maxLevel(unsigned bits);

/// Rounds to nearest with ties to even (torch.round), independently of the
/// floating-point environment.
float roundHalfToEven(float x);

/// Q8BERT's multiplier from a threshold: s = M / T, computed in f32.
float scaleFromThreshold(float threshold, unsigned bits);

/// The multiplier of a `!quant.uniform` step Δ: s = f32(1 / Δ). Steps made by
/// `stepFromScale` map back to the same f32 multiplier exactly.
float scaleFromStep(double step);

/// The `!quant.uniform` step that represents multiplier `s`: Δ = 1 / s.
double stepFromScale(float scale);

/// q = clamp(rne(x * s), -M, M), with x * s rounded to f32 first as the
/// reference does. NaN quantizes to 0.
int64_t quantizeValue(float x, float scale, unsigned bits);

/// x = q / s (a division, as the Q8BERT code does).
float dequantizeValue(int64_t q, float scale);

/// Whether a / c, for every integer a with |a| <= 2^31 as an f32 (an int32
/// converted by sitofp, as Q8BERT's dequantization divides), equals
/// fptrunc(fpext(a) * (1.0 / double(c))). Why: write a = A 2^p and
/// c = m 2^f with A, m odd and below 2^24. An f32 midpoint is
/// (2j + 1) 2^q with 2^24 < 2j + 1 < 2^25; a / c equal to one would need
/// A = (2j + 1) m > 2^24, so a / c is never a midpoint, and the integer
/// numerators put it at least 2^-49 (relative) from each. The double
/// reciprocal and product are within 2^-52 of a / c, so both round to the
/// same f32. True when c is normal and the quotient of any such a stays
/// normal and finite (2^-90 <= |c| <= 2^90).
bool divisionOfIntegersIsMultiplication(float c);

/// The multiplication above: fptrunc(fpext(a) * reciprocal), reciprocal =
/// 1.0 / double(c).
float divideByReciprocal(float a, double reciprocal);

/// fq(x) = quantize then dequantize.
float fakeQuantizeValue(float x, float scale, unsigned bits);

//===----------------------------------------------------------------------===//
// Binarization (SEMANTICS.md 2.2-2.5)
//===----------------------------------------------------------------------===//

/// sign(x) with sign(0) = 0 (torch.sign) or +1 (`zeroIsPlusOne`).
float signValue(float x, bool zeroIsPlusOne);

/// Bi-Attention's bool: 1{x > 0}, or 1{x >= 0} with `inclusive`.
float boolValue(float x, bool inclusive);

/// BiBERT's weight binarizer on one output row: writes
/// alpha * sign(w - mean(w)) to `out` and returns alpha = mean|w| of the
/// un-centred row. Sums are taken in double and rounded to f32 once.
float binarizeWeightRow(llvm::ArrayRef<float> row, bool zeroIsPlusOne,
                        llvm::MutableArrayRef<float> out);

//===----------------------------------------------------------------------===//
// Integer thresholds between binary layers
//===----------------------------------------------------------------------===//

/// A binary linear's f32 output for dot product `dot`: alpha * dot + bias,
/// rounded after the product and after the sum (the emitted epilogue
/// contracts nothing into an FMA).
float binaryLinearOutput(float alpha, float bias, int64_t dot);

/// The erf GELU of BERT's code in f32, x * 0.5 * (1 + erf(x / sqrt(2))).
float erfGelu(float x);

/// The largest f32 whose erf GELU is -0 (erf(x / sqrt(2)) rounds to -1
/// there and below): sign(GELU(x)) packs as +1 under sign(0) -> +1.
/// test/Unit/Support checks it against erfGelu.
constexpr float kLastGeluZero = -0x1.62b9dcp+2f;

/// The smallest dot in [-length, length + 1] whose output y =
/// binaryLinearOutput(alpha, bias, dot) satisfies `test`, for a `test` that
/// is monotone (false then true) over increasing y; length + 1 when none.
/// y is nondecreasing in the dot since alpha = mean|W| >= 0.
int64_t firstDotWhere(float alpha, float bias, int64_t length,
                      llvm::function_ref<bool(float)> test);

//===----------------------------------------------------------------------===//
// Bit packing and popcount dots (SEMANTICS.md 3)
//===----------------------------------------------------------------------===//

/// Number of 64-bit words that hold `length` bits.
int64_t packedWordCount(int64_t length);

/// Packs `length` predicates into little-endian 64-bit words: value k is bit
/// k % 64 of word k / 64; padding bits are 0. `words` must hold
/// packedWordCount(length) entries.
void packBits(int64_t length, llvm::function_ref<bool(int64_t)> bitAt,
              llvm::MutableArrayRef<uint64_t> words);

/// Reads bit `k` of a packed row.
bool bitAt(llvm::ArrayRef<uint64_t> words, int64_t k);

/// The {-1,+1} dot of two sign-encoded rows: length - 2 * popcount(a XOR b).
/// Padding bits must be 0 in both.
int64_t xnorDot(llvm::ArrayRef<uint64_t> a, llvm::ArrayRef<uint64_t> b,
                int64_t length);

/// The BAMM dot of a boolean row m and a sign row v:
/// 2 * popcount(m AND v) - popcount(m). Padding bits of m must be 0.
int64_t bitwiseAffineDot(llvm::ArrayRef<uint64_t> m,
                         llvm::ArrayRef<uint64_t> v);

/// The same BAMM dot through XOR and a shift ("⊗ and bitshift",
/// SEMANTICS.md 3.4): ((length - 2 popcount(m XOR v)) + s_v) >> 1 with
/// s_v = 2 popcount(v) - length. Equal to bitwiseAffineDot.
int64_t bitwiseAffineDotByShift(llvm::ArrayRef<uint64_t> m,
                                llvm::ArrayRef<uint64_t> v, int64_t length);

/// Wrapping 32-bit multiply-accumulate of an int8 dot, as an int32
/// accumulator behaves (vpdpbusd/vpmaddwd do not saturate).
int32_t int8Dot(llvm::ArrayRef<int8_t> a, llvm::ArrayRef<int8_t> b,
                int32_t bias);

} // namespace bertc

#endif // BERTC_SUPPORT_QUANTMATH_H
