//===- BQVerifyTest.cpp - The bq dialect's shape and type rules -----------===//

#include "dialects/BQ/IR/BQ.h"
#include "dialects/BQ/IR/BQVerify.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace bertc::bq;

namespace {

class BQVerifyTest : public ::testing::Test {
protected:
  BQVerifyTest() : handler(&context, [this](Diagnostic &diag) {
                     lastError = diag.str();
                     return success();
                   }) {
    context.loadDialect<quant::QuantDialect>();
  }

  InFlightDiagnostic emit() { return mlir::emitError(UnknownLoc::get(&context)); }

  quant::UniformQuantizedType quantType(unsigned bits, int64_t min,
                                        int64_t max, int64_t zeroPoint = 0,
                                        bool isSigned = true) {
    return quant::UniformQuantizedType::get(
        isSigned ? quant::QuantizationFlags::Signed : 0,
        IntegerType::get(&context, bits), Float32Type::get(&context), 0.5,
        zeroPoint, min, max);
  }

  MLIRContext context;
  ScopedDiagnosticHandler handler;
  std::string lastError;
  static constexpr int64_t dyn = ShapedType::kDynamic;
};

TEST_F(BQVerifyTest, AcceptsRestrictedSymmetricTypes) {
  Type f32 = Float32Type::get(&context);
  auto emitFn = [&] { return emit(); };
  EXPECT_TRUE(succeeded(verifySymmetricQuantType(emitFn, quantType(8, -127, 127), f32)));
  EXPECT_TRUE(succeeded(verifySymmetricQuantType(emitFn, quantType(16, -32767, 32767), f32)));
  EXPECT_TRUE(succeeded(verifySymmetricQuantType(
      emitFn, quantType(32, -2147483647, 2147483647), f32)));
}

TEST_F(BQVerifyTest, RejectsAsymmetricTypes) {
  Type f32 = Float32Type::get(&context);
  auto emitFn = [&] { return emit(); };
  EXPECT_TRUE(failed(verifySymmetricQuantType(emitFn, quantType(8, -128, 127), f32)));
  EXPECT_NE(lastError.find("restricted symmetric range [-127:127]"),
            std::string::npos);
  EXPECT_TRUE(failed(verifySymmetricQuantType(emitFn, quantType(8, -127, 127, 3), f32)));
  EXPECT_NE(lastError.find("zero point 0"), std::string::npos);
  EXPECT_TRUE(failed(verifySymmetricQuantType(
      emitFn, quantType(8, 0, 255, 0, /*isSigned=*/false), f32)));
  EXPECT_NE(lastError.find("signed storage"), std::string::npos);
  EXPECT_TRUE(failed(verifySymmetricQuantType(emitFn, quantType(8, -127, 127),
                                              Float16Type::get(&context))));
  EXPECT_NE(lastError.find("must express 'f16'"), std::string::npos) << lastError;
}

TEST_F(BQVerifyTest, InfersSharedAndBatchedMatmulShapes) {
  auto emitFn = [&] { return emit(); };
  auto shared = inferMatmulShape(emitFn, {2, 128, 12}, {768, 12});
  ASSERT_TRUE(succeeded(shared));
  EXPECT_EQ(*shared, (SmallVector<int64_t>{2, 128, 768}));
  auto batched = inferMatmulShape(emitFn, {2, 4, 13, 1}, {2, 4, 16, 1});
  ASSERT_TRUE(succeeded(batched));
  EXPECT_EQ(*batched, (SmallVector<int64_t>{2, 4, 13, 16}));
  auto dynamicBatch = inferMatmulShape(emitFn, {dyn, 13, 1}, {3, 16, 1});
  ASSERT_TRUE(succeeded(dynamicBatch));
  EXPECT_EQ(*dynamicBatch, (SmallVector<int64_t>{3, 13, 16}));
}

TEST_F(BQVerifyTest, RejectsMismatchedMatmuls) {
  auto emitFn = [&] { return emit(); };
  EXPECT_TRUE(failed(inferMatmulShape(emitFn, {4, 12}, {768, 11})));
  EXPECT_NE(lastError.find("reduction axes differ"), std::string::npos);
  EXPECT_TRUE(failed(inferMatmulShape(emitFn, {4, 12}, {12})));
  EXPECT_TRUE(failed(inferMatmulShape(emitFn, {4, 1}, {2, 4, 1})));
  EXPECT_NE(lastError.find("same rank"), std::string::npos);
  EXPECT_TRUE(failed(inferMatmulShape(emitFn, {2, 4, 1}, {3, 4, 1})));
  EXPECT_NE(lastError.find("batch axis 0"), std::string::npos);
}

TEST_F(BQVerifyTest, ChecksPackedLengths) {
  auto emitFn = [&] { return emit(); };
  EXPECT_TRUE(succeeded(verifyPackedLength(emitFn, "lhs", 12, 768)));
  EXPECT_TRUE(succeeded(verifyPackedLength(emitFn, "lhs", 2, 65)));
  EXPECT_TRUE(succeeded(verifyPackedLength(emitFn, "lhs", dyn, 65)));
  EXPECT_TRUE(failed(verifyPackedLength(emitFn, "lhs", 1, 65)));
  EXPECT_NE(lastError.find("65 bits need 2"), std::string::npos);
}

} // namespace
