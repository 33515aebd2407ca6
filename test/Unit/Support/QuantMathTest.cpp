//===- QuantMathTest.cpp - Known answers for the scalar semantics ---------===//
//
// Vectors from SEMANTICS.md: ties-to-even at .5, the restricted range that
// never produces -128, sign(0), bool at 0, BiBERT's centred weight row, and
// the popcount identities of section 3 checked against brute force.
//
//===----------------------------------------------------------------------===//

#include "bertc/Support/QuantMath.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

using namespace bertc;

namespace {

TEST(QuantMath, MaxLevel) {
  EXPECT_EQ(maxLevel(2), 1);
  EXPECT_EQ(maxLevel(8), 127);
  EXPECT_EQ(maxLevel(16), 32767);
  EXPECT_EQ(maxLevel(32), 2147483647); // Q8BERT's bias quantizer
}

TEST(QuantMath, RoundsHalfToEven) {
  const float inputs[] = {0.5f, 1.5f, 2.5f, 3.5f, -0.5f, -1.5f, -2.5f,
                          2.4999998f, 2.5000002f, 126.5f, -126.5f, 7.0f};
  const float expected[] = {0.0f, 2.0f, 2.0f, 4.0f, -0.0f, -2.0f, -2.0f,
                            2.0f, 3.0f, 126.0f, -126.0f, 7.0f};
  for (size_t i = 0; i < std::size(inputs); ++i)
    EXPECT_EQ(roundHalfToEven(inputs[i]), expected[i]) << "x = " << inputs[i];
  // Agrees with nearbyint under the default rounding mode on a sweep.
  for (float x = -300.0f; x <= 300.0f; x += 0.25f)
    EXPECT_EQ(roundHalfToEven(x), std::nearbyint(x)) << "x = " << x;
}

TEST(QuantMath, ScaleFromThreshold) {
  EXPECT_FLOAT_EQ(scaleFromThreshold(2.0f, 8), 63.5f);
  EXPECT_FLOAT_EQ(scaleFromThreshold(127.0f, 8), 1.0f);
}

TEST(QuantMath, QuantizeTiesToEvenAndClamps) {
  // s = 2: x * s lands exactly on .5 ties.
  EXPECT_EQ(quantizeValue(1.25f, 2.0f, 8), 2);   // 2.5 -> 2
  EXPECT_EQ(quantizeValue(1.75f, 2.0f, 8), 4);   // 3.5 -> 4
  EXPECT_EQ(quantizeValue(-1.25f, 2.0f, 8), -2); // -2.5 -> -2
  EXPECT_EQ(quantizeValue(0.25f, 2.0f, 8), 0);   // 0.5 -> 0
  // The restricted range: -128 is never produced.
  EXPECT_EQ(quantizeValue(100.0f, 2.0f, 8), 127);
  EXPECT_EQ(quantizeValue(-100.0f, 2.0f, 8), -127);
  EXPECT_EQ(quantizeValue(-64.0f, 2.0f, 8), -127);
  EXPECT_EQ(quantizeValue(std::numeric_limits<float>::infinity(), 1.0f, 8),
            127);
  EXPECT_EQ(quantizeValue(std::nanf(""), 1.0f, 8), 0);
  EXPECT_EQ(quantizeValue(1e10f, 1.0f, 32), 2147483647);
  EXPECT_EQ(quantizeValue(-1e10f, 1.0f, 32), -2147483647);
}

TEST(QuantMath, DequantizeDividesByTheScale) {
  // x = q / s, not q * (1 / s): the two differ in the last bit for s = 63.5
  // at some q, and the reference divides.
  for (int q = -127; q <= 127; ++q)
    EXPECT_EQ(dequantizeValue(q, 63.5f), static_cast<float>(q) / 63.5f);
}

TEST(QuantMath, FakeQuantizeIsIdempotentOnItsGrid) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-3.0f, 3.0f);
  float scale = scaleFromThreshold(2.5f, 8);
  for (int i = 0; i < 1000; ++i) {
    float once = fakeQuantizeValue(dist(rng), scale, 8);
    EXPECT_EQ(fakeQuantizeValue(once, scale, 8), once);
  }
}

TEST(QuantMath, StepAndScaleRoundTrip) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(1e-3f, 1e4f);
  for (int i = 0; i < 10000; ++i) {
    float scale = dist(rng);
    EXPECT_EQ(scaleFromStep(stepFromScale(scale)), scale);
  }
}

TEST(QuantMath, SignOfZeroFollowsThePolicy) {
  EXPECT_EQ(signValue(0.0f, /*zeroIsPlusOne=*/false), 0.0f); // torch.sign
  EXPECT_EQ(signValue(-0.0f, false), 0.0f);
  EXPECT_EQ(signValue(0.0f, /*zeroIsPlusOne=*/true), 1.0f);
  EXPECT_EQ(signValue(-0.0f, true), 1.0f);
  EXPECT_EQ(signValue(1e-30f, false), 1.0f);
  EXPECT_EQ(signValue(-1e-30f, true), -1.0f);
}

TEST(QuantMath, BoolAtZero) {
  EXPECT_EQ(boolValue(0.0f, /*inclusive=*/false), 0.0f); // the code: x > 0
  EXPECT_EQ(boolValue(0.0f, /*inclusive=*/true), 1.0f);  // the paper: x >= 0
  EXPECT_EQ(boolValue(0.125f, false), 1.0f);
  EXPECT_EQ(boolValue(-10000.0f, true), 0.0f); // a masked key
}

TEST(QuantMath, BinarizesACentredWeightRow) {
  // mean = 3, alpha = mean|w| = 3, centred = [-2, -1, 0, 3].
  std::vector<float> row = {1.0f, 2.0f, 3.0f, 6.0f}, out(4);
  EXPECT_EQ(binarizeWeightRow(row, /*zeroIsPlusOne=*/false, out), 3.0f);
  EXPECT_EQ(out, (std::vector<float>{-3.0f, -3.0f, 0.0f, 3.0f}));
  binarizeWeightRow(row, /*zeroIsPlusOne=*/true, out);
  EXPECT_EQ(out, (std::vector<float>{-3.0f, -3.0f, 3.0f, 3.0f}));
  // alpha is taken from the un-centred row: mean|[-1, 3]| = 2, not 2.
  std::vector<float> shifted = {-1.0f, 3.0f}, out2(2);
  EXPECT_EQ(binarizeWeightRow(shifted, false, out2), 2.0f);
  EXPECT_EQ(out2, (std::vector<float>{-2.0f, 2.0f}));
}

TEST(QuantMath, PacksLittleEndianWithZeroPadding) {
  EXPECT_EQ(packedWordCount(1), 1);
  EXPECT_EQ(packedWordCount(64), 1);
  EXPECT_EQ(packedWordCount(65), 2);
  EXPECT_EQ(packedWordCount(768), 12);
  std::vector<uint64_t> words(2, ~uint64_t{0});
  packBits(100, [](int64_t k) { return k == 0 || k == 63 || k == 64 || k == 99; },
           words);
  EXPECT_EQ(words[0], (uint64_t{1} << 63) | 1);
  EXPECT_EQ(words[1], (uint64_t{1} << 35) | 1); // bits 100..127 stay 0
  EXPECT_TRUE(bitAt(words, 99));
  EXPECT_FALSE(bitAt(words, 98));
}

/// Random {-1,+1} (or {0,1}) vectors with their packed bits.
struct Bits {
  std::vector<int> values;
  std::vector<uint64_t> words;
  Bits(std::mt19937 &rng, int64_t length, bool boolean)
      : values(length), words(packedWordCount(length)) {
    std::bernoulli_distribution coin(0.5);
    for (int &v : values)
      v = coin(rng) ? 1 : (boolean ? 0 : -1);
    packBits(length, [&](int64_t k) { return values[k] > 0; }, words);
  }
};

TEST(QuantMath, XnorPopcountIdentityMatchesBruteForce) {
  std::mt19937 rng(3);
  for (int64_t length : {1, 13, 63, 64, 65, 128, 768, 3072}) {
    for (int trial = 0; trial < 20; ++trial) {
      Bits a(rng, length, false), b(rng, length, false);
      int64_t dot = 0;
      for (int64_t k = 0; k < length; ++k)
        dot += a.values[k] * b.values[k];
      EXPECT_EQ(xnorDot(a.words, b.words, length), dot) << "n = " << length;
    }
  }
  // Extremes: identical rows give n, complementary rows give -n.
  Bits a(rng, 64, false);
  std::vector<uint64_t> complement = {~a.words[0]};
  EXPECT_EQ(xnorDot(a.words, a.words, 64), 64);
  EXPECT_EQ(xnorDot(a.words, complement, 64), -64);
}

TEST(QuantMath, BammIdentitiesMatchBruteForce) {
  std::mt19937 rng(5);
  for (int64_t length : {1, 8, 13, 64, 65, 128, 200}) {
    for (int trial = 0; trial < 20; ++trial) {
      Bits m(rng, length, /*boolean=*/true), v(rng, length, false);
      int64_t dot = 0;
      for (int64_t k = 0; k < length; ++k)
        dot += m.values[k] * v.values[k];
      EXPECT_EQ(bitwiseAffineDot(m.words, v.words), dot) << "n = " << length;
      EXPECT_EQ(bitwiseAffineDotByShift(m.words, v.words, length), dot)
          << "n = " << length;
    }
  }
}

TEST(QuantMath, Int8DotWrapsLikeAnInt32Accumulator) {
  std::vector<int8_t> a = {127, -127, 3}, b = {127, 127, -5};
  EXPECT_EQ(int8Dot(a, b, 10), 127 * 127 - 127 * 127 - 15 + 10);
  std::vector<int8_t> one = {127};
  EXPECT_EQ(int8Dot(one, one, std::numeric_limits<int32_t>::max()),
            std::numeric_limits<int32_t>::min() + 127 * 127 - 1);
}

TEST(QuantMath, LastGeluZeroIsWhereErfReachesMinusOne) {
  EXPECT_EQ(erfGelu(kLastGeluZero), 0.0f);
  EXPECT_TRUE(std::signbit(erfGelu(kLastGeluZero)));
  EXPECT_LT(erfGelu(std::nextafter(kLastGeluZero, 0.0f)), 0.0f);
  for (float x = kLastGeluZero; x > -40.0f; x -= 0.25f)
    EXPECT_EQ(erfGelu(x), 0.0f) << x;
}

TEST(QuantMath, ThresholdsEqualTheFloatEpilogueOnEveryDot) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> alphas(0.0f, 0.1f), biases(-3.0f, 3.0f);
  for (int64_t length : {1, 7, 64, 768}) {
    for (int trial = 0; trial < 50; ++trial) {
      float alpha = trial == 0 ? 0.0f : alphas(rng), bias = biases(rng);
      auto nonnegative = [](float y) { return y >= 0; };
      auto aboveGeluZero = [](float y) { return y > kLastGeluZero; };
      int64_t atLeast = firstDotWhere(alpha, bias, length, nonnegative);
      int64_t below = firstDotWhere(alpha, bias, length, aboveGeluZero);
      for (int64_t dot = -length; dot <= length; ++dot) {
        float y = binaryLinearOutput(alpha, bias, dot);
        EXPECT_EQ(dot >= atLeast, y >= 0) << alpha << " " << bias << " " << dot;
        // sign(GELU(y)) with sign(0) -> +1.
        EXPECT_EQ(dot >= atLeast || dot < below, erfGelu(y) >= 0)
            << alpha << " " << bias << " " << dot;
      }
    }
  }
}

} // namespace

// Q8BERT's dequantization divides an int32 sum (as f32) by the scale; the
// compiler multiplies by a double reciprocal instead where
// divisionOfIntegersIsMultiplication says the floats are the same. Checked
// here on every integer of magnitude <= 2^24 for scales of the kind the
// model has (s_w * s_x), divisors with small odd significands (3, 5, 7 * 2^k),
// and random divisors against random int32 sums.
static void expectSameQuotients(float c, const std::vector<float> &dividends) {
  ASSERT_TRUE(bertc::divisionOfIntegersIsMultiplication(c)) << c;
  double reciprocal = 1.0 / static_cast<double>(c);
  int64_t differences = 0;
  for (float a : dividends)
    differences += bertc::divideByReciprocal(a, reciprocal) != a / c;
  EXPECT_EQ(differences, 0) << "divisor " << c;
}

TEST(QuantMath, DivisionOfIntegersByMultiplication) {
  std::vector<float> small;
  small.reserve((1 << 25) + 1);
  for (int32_t a = -(1 << 24); a <= (1 << 24); ++a)
    small.push_back(static_cast<float>(a));
  for (float c : {64516.0898f, 64516.0156f, 127.0f / 0.5f * (127.0f / 2.75f),
                  3.0f, 5.0f, 7.0f * 1024.0f, 0.1f})
    expectSameQuotients(c, small);

  std::mt19937_64 random(7);
  std::uniform_int_distribution<int32_t> sums(
      std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
  std::vector<float> large(1 << 16);
  for (float &a : large)
    a = static_cast<float>(sums(random));
  std::uniform_real_distribution<float> exponents(-20.0f, 30.0f);
  for (int i = 0; i < 200; ++i)
    expectSameQuotients(std::exp2(exponents(random)), large);

  // Out of range or not normal: the division stays.
  for (float c : {0.0f, std::numeric_limits<float>::infinity(),
                  std::numeric_limits<float>::quiet_NaN(),
                  std::numeric_limits<float>::denorm_min(), 0x1p-100f,
                  0x1p100f})
    EXPECT_FALSE(bertc::divisionOfIntegersIsMultiplication(c)) << c;
}
