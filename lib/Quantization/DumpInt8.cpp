//===- DumpInt8.cpp - Debugging Q8BERT: every int8 product's data ---------===//
//
// A debug build calls out to the executable's driver with each int8
// product's input codes and accumulators, so that a run can be compared
// with an integer GEMM product by product (test/E2E/q8_dumps.py).
//
//===----------------------------------------------------------------------===//

#include "bertc/Quantization/Passes.h"
#include "bertc/Quantization/Q8.h"

#include "dialects/BQ/IR/BQ.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace bertc {
#define GEN_PASS_DEF_DUMPINT8PASS
#include "bertc/Quantization/Passes.h.inc"
} // namespace bertc

using namespace mlir;
using namespace bertc;

namespace {

/// The external `<name>_r<rank>(i64 slot, tensor<?x...x element>)`,
/// declared once with the C interface. Ranked with dynamic sizes, not
/// unranked: bufferization can copy a ranked tensor that is overwritten
/// later in place, and cannot allocate an unranked one.
func::FuncOp declareDump(ModuleOp module, StringRef name, RankedTensorType type) {
  std::string symbol = (name + "_r" + Twine(type.getRank())).str();
  if (auto existing = module.lookupSymbol<func::FuncOp>(symbol))
    return existing;
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  SmallVector<int64_t> dynamic(type.getRank(), ShapedType::kDynamic);
  auto functionType = b.getFunctionType(
      {b.getI64Type(), RankedTensorType::get(dynamic, type.getElementType())},
      {});
  auto dump = func::FuncOp::create(b, module.getLoc(), symbol, functionType);
  dump.setPrivate();
  dump->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  return dump;
}

void callDump(OpBuilder &b, Location l, ModuleOp module, StringRef name,
              int64_t slot, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  func::FuncOp dump = declareDump(module, name, type);
  Type argument = dump.getFunctionType().getInput(1);
  Value cast = tensor.getType() == argument
                   ? tensor
                   : tensor::CastOp::create(b, l, argument, tensor).getResult();
  Value index = arith::ConstantOp::create(b, l, b.getI64IntegerAttr(slot));
  func::CallOp::create(b, l, dump, ValueRange{index, cast});
}

struct DumpInt8Pass : bertc::impl::DumpInt8PassBase<DumpInt8Pass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<bq::Int8MatmulOp> products;
    module.walk([&](bq::Int8MatmulOp op) {
      if (op->hasAttr(quantization::kModuleAttr))
        products.push_back(op);
    });
    Builder builder(&getContext());
    SmallVector<Attribute> names;
    for (auto [slot, op] : llvm::enumerate(products)) {
      names.push_back(op->getAttr(quantization::kModuleAttr));
      OpBuilder before(op);
      callDump(before, op.getLoc(), module, "bertc_dump_i8", slot, op.getLhs());
      OpBuilder after(op->getBlock(), std::next(op->getIterator()));
      callDump(after, op.getLoc(), module, "bertc_dump_i32", slot,
               op.getResult());
    }
    module->setAttr("bertc.dumps", builder.getArrayAttr(names));
  }
};

} // namespace
