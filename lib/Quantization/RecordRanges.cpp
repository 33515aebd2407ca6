//===- RecordRanges.cpp - Calibration: max|x| of every linear's input -----===//
//
// Q8BERT needs T = max|x| of each quantized linear's input. A calibration
// build of the float model records them while it runs: each linear's input
// is reduced to max|x| and folded into a slot of a public f32 global, which
// the executable's driver writes out (runtime/bertc_main.c) and
// bert-compile --calibrate reads back.
//
//===----------------------------------------------------------------------===//

#include "bertc/Quantization/Passes.h"
#include "bertc/Quantization/Q8.h"

#include "bertc/Utils/ConstantData.h"
#include "bertc/Utils/LinalgBuilders.h"
#include "dialects/Bert/IR/Bert.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace bertc {
#define GEN_PASS_DEF_RECORDRANGESPASS
#include "bertc/Quantization/Passes.h.inc"
} // namespace bertc

using namespace mlir;
using namespace bertc;

namespace {

constexpr llvm::StringLiteral kRanges = "bertc_ranges";
constexpr llvm::StringLiteral kRangeCount = "bertc_range_count";

struct RecordRangesPass : bertc::impl::RecordRangesPassBase<RecordRangesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<bert::LinearOp> linears;
    SmallVector<Attribute> names;
    SmallVector<Attribute> outputNames;
    module.walk([&](bert::LinearOp op) {
      std::string name = constantName(op.getWeight());
      if (name.empty())
        return;
      linears.push_back(op);
      std::string moduleName = quantization::moduleOfTensor(name);
      names.push_back(StringAttr::get(&getContext(), moduleName));
      outputNames.push_back(StringAttr::get(
          &getContext(), quantization::outputThresholdKey(moduleName)));
    });
    names.append(outputNames.begin(), outputNames.end());
    OpBuilder top = OpBuilder::atBlockBegin(module.getBody());
    Location loc = module.getLoc();
    int64_t count = names.size();
    auto rangesType = MemRefType::get({std::max<int64_t>(count, 1)},
                                      top.getF32Type());
    memref::GlobalOp::create(
        top, loc, kRanges, top.getStringAttr("public"), rangesType,
        DenseElementsAttr::get(
            RankedTensorType::get(rangesType.getShape(), top.getF32Type()), 0.0f),
        /*constant=*/false, /*alignment=*/nullptr);
    auto countType = MemRefType::get({}, top.getI64Type());
    memref::GlobalOp::create(
        top, loc, kRangeCount, top.getStringAttr("public"), countType,
        DenseElementsAttr::get(RankedTensorType::get({}, top.getI64Type()),
                               count),
        /*constant=*/true, /*alignment=*/nullptr);
    // Slot i: linear i's input; slot n + i: its output (requantize-output
    // thresholds, named `<module>.output_thresh`).
    auto record = [&](OpBuilder &b, Location l, Value x, int64_t slot) {
      Value seen = buildMaxMagnitude(b, l, x);
      Value ranges = memref::GetGlobalOp::create(b, l, rangesType, kRanges);
      Value index = arith::ConstantIndexOp::create(b, l, slot);
      Value old = memref::LoadOp::create(b, l, ranges, ValueRange{index});
      Value updated = arith::MaxNumFOp::create(b, l, old, seen);
      memref::StoreOp::create(b, l, updated, ranges, ValueRange{index});
    };
    int64_t linearCount = linears.size();
    for (auto [slot, op] : llvm::enumerate(linears)) {
      OpBuilder before(op);
      record(before, op.getLoc(), op.getInput(), slot);
      OpBuilder after(op->getBlock(), std::next(op->getIterator()));
      record(after, op.getLoc(), op.getResult(), linearCount + slot);
    }
    module->setAttr("bertc.ranges", ArrayAttr::get(&getContext(), names));
  }
};

} // namespace
