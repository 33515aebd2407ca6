//===- DropoutTest.cpp - The stateless dropout mask's contract ------------===//
//
// The mask is shared by the compiled forward, its gradient and the PyTorch
// reference (test/E2E/reference.py), each computing it from its definition
// in bertc/Utils/Dropout.h: pinned bits keep the three in agreement, and
// the keep rate and independence between streams and seeds are checked.
//
//===----------------------------------------------------------------------===//

#include "bertc/Utils/Dropout.h"

#include "gtest/gtest.h"

#include <string>

using namespace bertc;

namespace {

std::string maskBits(uint64_t seed, uint64_t stream, int count, double rate) {
  std::string bits;
  for (int index = 0; index < count; ++index)
    bits += dropoutKeeps(seed, stream, index, rate) ? '1' : '0';
  return bits;
}

TEST(Dropout, PinnedMask) {
  // Step 0 of a run with --seed 42, stream 1, rate 0.1 (the same bits come
  // out of reference.py's dropout_keep).
  EXPECT_EQ(maskBits(42ull << 32, 1, 40, 0.1),
            "1001110110101111101111011011111111111111");
  EXPECT_EQ(maskBits(7ull << 32, 1, 40, 0.1),
            "1111111101011110111101111111110111110111");
}

TEST(Dropout, ThresholdAndScale) {
  EXPECT_EQ(dropoutThreshold(0.0), 0);
  EXPECT_EQ(dropoutThreshold(0.1), 1677722); // round(0.1 * 2^24)
  EXPECT_EQ(dropoutThreshold(0.5), 1 << 23);
  EXPECT_FLOAT_EQ(dropoutScale(0.1), 1.0f / 0.9f);
  // Rate 0 keeps everything.
  EXPECT_EQ(maskBits(3, 0, 64, 0.0), std::string(64, '1'));
}

TEST(Dropout, KeepsOneMinusRate) {
  for (double rate : {0.1, 0.5, 0.9}) {
    int kept = 0, count = 1 << 20;
    for (int index = 0; index < count; ++index)
      kept += dropoutKeeps(123ull << 32, 5, index, rate);
    // Binomial standard deviation is at most 512 for 2^20 draws.
    EXPECT_NEAR(double(kept) / count, 1.0 - rate, 0.003) << "rate " << rate;
  }
}

TEST(Dropout, StreamsAndStepsDiffer) {
  // Masks of neighbouring streams and of consecutive steps agree only as
  // often as independent masks would (0.82 at rate 0.1), not everywhere.
  auto agreement = [](uint64_t seedA, uint64_t streamA, uint64_t seedB,
                      uint64_t streamB) {
    int same = 0, count = 1 << 16;
    for (int index = 0; index < count; ++index)
      same += dropoutKeeps(seedA, streamA, index, 0.1) ==
              dropoutKeeps(seedB, streamB, index, 0.1);
    return double(same) / count;
  };
  uint64_t step0 = 42ull << 32;
  EXPECT_NEAR(agreement(step0, 1, step0, 2), 0.82, 0.01);
  EXPECT_NEAR(agreement(step0, 1, step0 + 1, 1), 0.82, 0.01);
  EXPECT_NEAR(agreement(step0, 1, 43ull << 32, 1), 0.82, 0.01);
}

} // namespace
