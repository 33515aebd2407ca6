//===- TestSteGradients.cpp - Expose straight-through rules in IR ---------===//
//
// Walks a chain of StraightThroughGradientOpInterface ops back from a
// function's result and returns the gradient of its first input, so that lit
// tests can check each rule of SEMANTICS.md 2.9 as IR.
//
//===----------------------------------------------------------------------===//

#include "bertc/Transforms/Passes.h"
#include "dialects/BQ/IR/BQ.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace bertc {
#define GEN_PASS_DEF_TESTSTEGRADIENTSPASS
#include "bertc/Transforms/Passes.h.inc"
} // namespace bertc

using namespace mlir;
using namespace bertc;

namespace {
struct TestSteGradientsPass
    : bertc::impl::TestSteGradientsPassBase<TestSteGradientsPass> {
  void runOnOperation() override;
};
} // namespace

void TestSteGradientsPass::runOnOperation() {
  func::FuncOp function = getOperation();
  if (function.isExternal())
    return;
  auto returnOp = cast<func::ReturnOp>(function.getBody().back().getTerminator());
  if (returnOp.getNumOperands() != 1 || function.getNumArguments() < 2) {
    function.emitError() << "expects one result and a last argument holding "
                            "its gradient";
    return signalPassFailure();
  }
  Value gradient = function.getArguments().back();
  if (gradient.getType() != returnOp.getOperand(0).getType()) {
    function.emitError() << "the last argument must have the result's type";
    return signalPassFailure();
  }

  OpBuilder builder(returnOp);
  Value value = returnOp.getOperand(0);
  // A local count: pass statistics are no-ops in release builds of LLVM.
  unsigned rulesApplied = 0;
  while (auto rule = value.getDefiningOp<bq::StraightThroughGradientOpInterface>()) {
    gradient = rule.buildInputGradient(builder, gradient);
    value = rule->getOperand(0);
    ++rulesApplied;
  }
  numRulesApplied += rulesApplied;
  if (rulesApplied == 0) {
    returnOp.emitError() << "the result does not come from a quantizer with a "
                            "straight-through gradient";
    return signalPassFailure();
  }
  returnOp->setOperands(gradient);
  function.setType(FunctionType::get(&getContext(),
                                     function.getArgumentTypes(),
                                     TypeRange{gradient.getType()}));
}
