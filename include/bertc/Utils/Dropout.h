//===- Dropout.h - Stateless dropout masks --------------------*- C++ -*-===//
//
// Training-mode dropout whose mask is a pure function of (seed, stream,
// element index): the forward and the backward compute the same mask without
// storing it, any thread computes any element, and a reference (PyTorch in
// the test suite) reproduces it from the same three numbers.
//
//   key   = seed * 0xD1B54A32D192ED03 + stream * 0x9E3779B97F4A7C15 + index
//   hash  = MurmurHash3's 64-bit finalizer of key (all mod 2^64)
//   keep  = (hash >> 40) >= round(rate * 2^24)
//   y     = keep ? x * float(1 / (1 - rate)) : 0
//
// `index` is the row-major linear index of the element in its tensor, and
// `stream` tells the dropout sites of one step apart.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_UTILS_DROPOUT_H
#define BERTC_UTILS_DROPOUT_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

#include <cstdint>

namespace bertc {

inline constexpr uint64_t kDropoutSeedMultiplier = 0xD1B54A32D192ED03ull;
inline constexpr uint64_t kDropoutStreamMultiplier = 0x9E3779B97F4A7C15ull;

/// The murmur3 finalizer (fmix64): every input bit flips about half of the
/// output bits, so consecutive indices give independent-looking masks.
constexpr uint64_t dropoutMix(uint64_t key) {
  key ^= key >> 33;
  key *= 0xFF51AFD7ED558CCDull;
  key ^= key >> 33;
  key *= 0xC4CEB9FE1A85EC53ull;
  key ^= key >> 33;
  return key;
}

/// The 24-bit threshold below which an element is dropped.
int64_t dropoutThreshold(double rate);

/// The scale of the kept elements, 1 / (1 - rate) in f32.
float dropoutScale(double rate);

/// Whether element `index` of stream `stream` survives under `seed`: the
/// scalar form of buildDropout's mask.
bool dropoutKeeps(uint64_t seed, uint64_t stream, uint64_t index, double rate);

/// One dropout application: the step's seed (an i64 value), the site's
/// stream and its rate. Inactive (the identity) without a seed or at rate 0.
struct DropoutSite {
  mlir::Value seed;
  int64_t stream = 0;
  double rate = 0.0;
  bool active() const { return seed && rate > 0.0; }
};

/// `input` with the elements that the site drops set to 0 and the others
/// scaled by 1 / (1 - rate); `input` itself where the site is inactive.
mlir::Value buildDropout(mlir::OpBuilder &builder, mlir::Location loc,
                         mlir::Value input, const DropoutSite &site);

} // namespace bertc

#endif // BERTC_UTILS_DROPOUT_H
