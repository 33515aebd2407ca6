//===- QuantMath.cpp - Scalar semantics of Q8BERT and BiBERT --------------===//

#include "bertc/Support/QuantMath.h"

#include "llvm/ADT/bit.h"

#include <algorithm>
#include <cassert>
#include <cmath>

using namespace bertc;

int64_t bertc::maxLevel(unsigned bits) {
  assert(bits >= 2 && bits <= 32 && "bits outside [2, 32]");
  return (int64_t{1} << (bits - 1)) - 1;
}

float bertc::roundHalfToEven(float x) {
  float rounded = std::round(x); // ties away from zero
  if (std::fabs(x - std::trunc(x)) == 0.5f)
    rounded = 2.0f * std::round(x * 0.5f); // the even neighbour
  return rounded;
}

float bertc::scaleFromThreshold(float threshold, unsigned bits) {
  return static_cast<float>(maxLevel(bits)) / threshold;
}

float bertc::scaleFromStep(double step) {
  return static_cast<float>(1.0 / step);
}

double bertc::stepFromScale(float scale) {
  return 1.0 / static_cast<double>(scale);
}

int64_t bertc::quantizeValue(float x, float scale, unsigned bits) {
  float scaled = x * scale;
  if (std::isnan(scaled))
    return 0;
  double level = static_cast<double>(maxLevel(bits));
  double clamped = std::clamp(static_cast<double>(roundHalfToEven(scaled)),
                              -level, level);
  return static_cast<int64_t>(clamped);
}

float bertc::dequantizeValue(int64_t q, float scale) {
  return static_cast<float>(q) / scale;
}

bool bertc::divisionOfIntegersIsMultiplication(float c) {
  if (!std::isnormal(c))
    return false;
  // 1 <= |a| <= 2^31 keeps a / c normal and finite when 2^-90 <= |c| <=
  // 2^90.
  int exponent = 0;
  std::frexp(c, &exponent);
  return exponent >= -90 && exponent <= 90;
}

float bertc::divideByReciprocal(float a, double reciprocal) {
  return static_cast<float>(static_cast<double>(a) * reciprocal);
}

float bertc::fakeQuantizeValue(float x, float scale, unsigned bits) {
  return dequantizeValue(quantizeValue(x, scale, bits), scale);
}

float bertc::signValue(float x, bool zeroIsPlusOne) {
  if (x > 0.0f)
    return 1.0f;
  if (x < 0.0f)
    return -1.0f;
  return zeroIsPlusOne ? 1.0f : 0.0f; // also NaN, as torch.sign gives NaN->0
}

float bertc::boolValue(float x, bool inclusive) {
  return (inclusive ? x >= 0.0f : x > 0.0f) ? 1.0f : 0.0f;
}

float bertc::binarizeWeightRow(llvm::ArrayRef<float> row, bool zeroIsPlusOne,
                               llvm::MutableArrayRef<float> out) {
  assert(row.size() == out.size() && !row.empty());
  double sum = 0.0, absSum = 0.0;
  for (float w : row) {
    sum += w;
    absSum += std::fabs(w);
  }
  auto n = static_cast<double>(row.size());
  auto mean = static_cast<float>(sum / n);
  auto alpha = static_cast<float>(absSum / n);
  for (size_t j = 0; j < row.size(); ++j)
    out[j] = alpha * signValue(row[j] - mean, zeroIsPlusOne);
  return alpha;
}

float bertc::binaryLinearOutput(float alpha, float bias, int64_t dot) {
  // volatile: the host compiler must not contract the product and the sum
  // into an FMA, which would round once where the emitted code rounds twice.
  volatile float product = alpha * static_cast<float>(dot);
  return product + bias;
}

float bertc::erfGelu(float x) {
  volatile float half = x * 0.5f;
  return half * (1.0f + std::erf(x / static_cast<float>(std::sqrt(2.0))));
}

int64_t bertc::firstDotWhere(float alpha, float bias, int64_t length,
                             llvm::function_ref<bool(float)> test) {
  int64_t low = -length, high = length + 1; // the answer lies in [low, high]
  while (low < high) {
    int64_t middle = low + (high - low) / 2;
    if (test(binaryLinearOutput(alpha, bias, middle)))
      high = middle;
    else
      low = middle + 1;
  }
  return low;
}

int64_t bertc::packedWordCount(int64_t length) { return (length + 63) / 64; }

void bertc::packBits(int64_t length, llvm::function_ref<bool(int64_t)> bitAt,
                     llvm::MutableArrayRef<uint64_t> words) {
  assert(static_cast<int64_t>(words.size()) == packedWordCount(length));
  std::fill(words.begin(), words.end(), 0);
  for (int64_t k = 0; k < length; ++k)
    if (bitAt(k))
      words[k / 64] |= uint64_t{1} << (k % 64);
}

bool bertc::bitAt(llvm::ArrayRef<uint64_t> words, int64_t k) {
  return (words[k / 64] >> (k % 64)) & 1;
}

int64_t bertc::xnorDot(llvm::ArrayRef<uint64_t> a, llvm::ArrayRef<uint64_t> b,
                       int64_t length) {
  assert(a.size() == b.size());
  int64_t differing = 0;
  for (size_t w = 0; w < a.size(); ++w)
    differing += llvm::popcount(a[w] ^ b[w]);
  return length - 2 * differing;
}

int64_t bertc::bitwiseAffineDot(llvm::ArrayRef<uint64_t> m,
                                llvm::ArrayRef<uint64_t> v) {
  assert(m.size() == v.size());
  int64_t both = 0, ones = 0;
  for (size_t w = 0; w < m.size(); ++w) {
    both += llvm::popcount(m[w] & v[w]);
    ones += llvm::popcount(m[w]);
  }
  return 2 * both - ones;
}

int64_t bertc::bitwiseAffineDotByShift(llvm::ArrayRef<uint64_t> m,
                                       llvm::ArrayRef<uint64_t> v,
                                       int64_t length) {
  int64_t signedDot = xnorDot(m, v, length); // m' . v with m' = 2m - 1
  int64_t vOnes = 0;
  for (uint64_t word : v)
    vOnes += llvm::popcount(word);
  int64_t vSum = 2 * vOnes - length;
  return (signedDot + vSum) >> 1; // the sum is even: the shift is exact
}

int32_t bertc::int8Dot(llvm::ArrayRef<int8_t> a, llvm::ArrayRef<int8_t> b,
                       int32_t bias) {
  assert(a.size() == b.size());
  uint32_t acc = static_cast<uint32_t>(bias);
  for (size_t k = 0; k < a.size(); ++k)
    acc += static_cast<uint32_t>(int32_t{a[k]} * int32_t{b[k]});
  return static_cast<int32_t>(acc);
}
