//===- ResultsToOutParams.cpp - Entry results into caller buffers ---------===//

#include "bertc/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"

namespace bertc {
#define GEN_PASS_DEF_RESULTSTOOUTPARAMSPASS
#include "bertc/Transforms/Passes.h.inc"
} // namespace bertc

using namespace mlir;

namespace {

/// Rewrites `function` into destination-passing style; fails (with a
/// located error) on results that are not ranked tensors.
LogicalResult convertEntry(func::FuncOp function) {
  SmallVector<Type> outTypes;
  for (Type result : function.getResultTypes()) {
    auto tensor = dyn_cast<RankedTensorType>(result);
    if (!tensor)
      return function.emitError()
             << "entry point result " << result << " is not a ranked tensor";
    outTypes.push_back(
        MemRefType::get(tensor.getShape(), tensor.getElementType()));
  }
  Block &entry = function.getBody().front();
  SmallVector<Value> outArgs;
  for (Type type : outTypes)
    outArgs.push_back(entry.addArgument(type, function.getLoc()));

  SmallVector<func::ReturnOp> returns;
  function.walk([&](func::ReturnOp op) { returns.push_back(op); });
  for (func::ReturnOp op : returns) {
    OpBuilder builder(op);
    for (auto [value, out] : llvm::zip(op.getOperands(), outArgs))
      bufferization::MaterializeInDestinationOp::create(
          builder, op.getLoc(), TypeRange{}, value, out, /*restrict=*/true,
          /*writable=*/true);
    op->setOperands({});
  }
  SmallVector<Type> inputs(function.getArgumentTypes());
  inputs.append(outTypes);
  function.setType(FunctionType::get(function.getContext(), inputs, {}));
  return success();
}

struct ResultsToOutParamsPass
    : bertc::impl::ResultsToOutParamsPassBase<ResultsToOutParamsPass> {
  void runOnOperation() override {
    for (auto function : getOperation().getOps<func::FuncOp>()) {
      if (function.isExternal() || !function.isPublic() ||
          !function->hasAttr("llvm.emit_c_interface") ||
          function.getNumResults() == 0)
        continue;
      if (failed(convertEntry(function)))
        return signalPassFailure();
    }
  }
};

} // namespace
