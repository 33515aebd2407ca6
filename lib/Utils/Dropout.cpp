//===- Dropout.cpp - Stateless dropout masks ------------------------------===//

#include "bertc/Utils/Dropout.h"

#include "bertc/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;

int64_t bertc::dropoutThreshold(double rate) {
  return static_cast<int64_t>(std::llround(rate * double(1 << 24)));
}

float bertc::dropoutScale(double rate) {
  return static_cast<float>(1.0 / (1.0 - rate));
}

bool bertc::dropoutKeeps(uint64_t seed, uint64_t stream, uint64_t index,
                         double rate) {
  uint64_t key = seed * kDropoutSeedMultiplier +
                 stream * kDropoutStreamMultiplier + index;
  return int64_t(dropoutMix(key) >> 40) >= dropoutThreshold(rate);
}

static Value buildI64(OpBuilder &builder, Location loc, uint64_t value) {
  return arith::ConstantIntOp::create(builder, loc, builder.getI64Type(),
                                      static_cast<int64_t>(value));
}

/// x ^ (x >> 33) on i64.
static Value buildXorShift(OpBuilder &builder, Location loc, Value x) {
  return arith::XOrIOp::create(
      builder, loc, x,
      arith::ShRUIOp::create(builder, loc, x, buildI64(builder, loc, 33)));
}

/// dropoutMix in arith (i64 arithmetic wraps as uint64_t does).
static Value buildMix(OpBuilder &builder, Location loc, Value key) {
  key = buildXorShift(builder, loc, key);
  key = arith::MulIOp::create(builder, loc, key,
                              buildI64(builder, loc, 0xFF51AFD7ED558CCDull));
  key = buildXorShift(builder, loc, key);
  key = arith::MulIOp::create(builder, loc, key,
                              buildI64(builder, loc, 0xC4CEB9FE1A85EC53ull));
  return buildXorShift(builder, loc, key);
}

Value bertc::buildDropout(OpBuilder &builder, Location loc, Value input,
                          const DropoutSite &site) {
  if (!site.active())
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  // The per-step part of the key, once outside the loop. (One op per
  // statement: argument evaluation order would make the IR compiler-
  // dependent.)
  Value seedMultiplier = buildI64(builder, loc, kDropoutSeedMultiplier);
  Value keyedSeed = arith::MulIOp::create(builder, loc, site.seed, seedMultiplier);
  Value streamKey =
      buildI64(builder, loc, uint64_t(site.stream) * kDropoutStreamMultiplier);
  Value base = arith::AddIOp::create(builder, loc, keyedSeed, streamKey);
  SmallVector<Value> sizes;
  for (int64_t axis = 0; axis < type.getRank(); ++axis)
    sizes.push_back(arith::IndexCastOp::create(
        builder, loc, builder.getI64Type(),
        tensor::DimOp::create(builder, loc, input, axis)));
  Value threshold = buildI64(builder, loc, uint64_t(dropoutThreshold(site.rate)));
  Value scale = buildF32(builder, loc, dropoutScale(site.rate));
  return buildElementwise(
      builder, loc, {input},
      [&](OpBuilder &b, Location l, ValueRange args) -> Value {
        Value index = buildI64(b, l, 0);
        for (auto [axis, size] : llvm::enumerate(sizes)) {
          Value position = arith::IndexCastOp::create(
              b, l, b.getI64Type(), linalg::IndexOp::create(b, l, axis));
          index = arith::AddIOp::create(
              b, l, arith::MulIOp::create(b, l, index, size), position);
        }
        Value hash = buildMix(b, l, arith::AddIOp::create(b, l, base, index));
        Value high = arith::ShRUIOp::create(b, l, hash, buildI64(b, l, 40));
        Value keep = arith::CmpIOp::create(b, l, arith::CmpIPredicate::uge,
                                           high, threshold);
        Value scaled = arith::MulFOp::create(b, l, args[0], scale);
        Value zero = buildF32(b, l, 0.0f);
        return arith::SelectOp::create(b, l, keep, scaled, zero);
      });
}
