//===- Differentiate.cpp - Reverse-mode gradients of a scalar loss --------===//
//
// A tape-free reverse sweep over one block: the forward values stay live,
// each op on the path from a trainable argument to the loss emits its own
// rule (DifferentiableOpInterface or the bq quantizers' straight-through
// estimators) after the forward, and gradients of values with several uses
// are summed.
//
//===----------------------------------------------------------------------===//

#include "bertc/Training/Passes.h"

#include "bertc/Utils/LinalgBuilders.h"
#include "dialects/BQ/IR/BQ.h"
#include "dialects/Interfaces/DifferentiableOpInterface.h"

#include "mlir/Interfaces/CallInterfaces.h"

namespace bertc {
#define GEN_PASS_DEF_DIFFERENTIATEPASS
#include "bertc/Training/Passes.h.inc"
} // namespace bertc

using namespace mlir;
using namespace bertc;

namespace {

/// A slice of a trainable argument with static offsets, sizes and strides,
/// and the gradient of its result.
struct SliceGradient {
  tensor::ExtractSliceOp slice;
  Value gradient;
};

class ReverseSweep {
public:
  ReverseSweep(func::FuncOp function, ArrayRef<BlockArgument> trainable)
      : function(function), trainable(trainable.begin(), trainable.end()),
        builder(function.front().getTerminator()) {}

  /// Emits the backward pass; returns one gradient per trainable argument.
  FailureOr<SmallVector<Value>> run(Value loss);

private:
  void markActive();
  void markUseful(Value loss);
  LogicalResult differentiate(Operation *op);
  void accumulate(Value value, Value gradient);
  Value assembleArgumentGradient(BlockArgument argument);
  bool isStaticSliceOfTrainable(Operation *op) const;

  func::FuncOp function;
  llvm::SmallSetVector<Value, 8> trainable;
  OpBuilder builder;
  DenseSet<Value> active;
  DenseSet<Operation *> useful;
  DenseMap<Value, Value> adjoints;
  DenseMap<Value, SmallVector<SliceGradient>> slices;
};

} // namespace

SmallVector<Operation *> bertc::collectDependents(Block &block,
                                                 DenseSet<Value> &values) {
  SmallVector<Operation *> dependents;
  for (Operation &op : block.without_terminator())
    if (llvm::any_of(op.getOperands(), [&](Value v) { return values.contains(v); })) {
      values.insert(op.result_begin(), op.result_end());
      dependents.push_back(&op);
    }
  return dependents;
}

/// Values that depend on a trainable argument.
void ReverseSweep::markActive() {
  active.insert(trainable.begin(), trainable.end());
  collectDependents(function.front(), active);
}

/// Ops the loss depends on.
void ReverseSweep::markUseful(Value loss) {
  SmallVector<Operation *> worklist;
  if (Operation *op = loss.getDefiningOp())
    worklist.push_back(op);
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (!useful.insert(op).second)
      continue;
    for (Value operand : op->getOperands())
      if (Operation *producer = operand.getDefiningOp())
        worklist.push_back(producer);
  }
}

void ReverseSweep::accumulate(Value value, Value gradient) {
  if (gradient.getType() != value.getType())
    gradient = tensor::CastOp::create(builder, value.getLoc(), value.getType(),
                                      gradient);
  Value &sum = adjoints[value];
  sum = sum ? arith::AddFOp::create(builder, value.getLoc(), sum, gradient)
                  .getResult()
            : gradient;
}

bool ReverseSweep::isStaticSliceOfTrainable(Operation *op) const {
  auto slice = dyn_cast<tensor::ExtractSliceOp>(op);
  return slice && trainable.contains(slice.getSource()) &&
         slice.hasUnitStride() &&
         !ShapedType::isDynamicShape(slice.getStaticOffsets()) &&
         !ShapedType::isDynamicShape(slice.getStaticSizes());
}

LogicalResult ReverseSweep::differentiate(Operation *op) {
  SmallVector<Value> resultGradients;
  bool any = false;
  for (Value result : op->getResults()) {
    resultGradients.push_back(adjoints.lookup(result));
    any |= bool(resultGradients.back());
  }
  if (!any)
    return success();
  for (auto [result, gradient] : llvm::zip(op->getResults(), resultGradients))
    if (!gradient && isa<RankedTensorType>(result.getType()))
      gradient = buildZerosLike(builder, result.getLoc(), result);

  if (isStaticSliceOfTrainable(op)) {
    auto slice = cast<tensor::ExtractSliceOp>(op);
    slices[slice.getSource()].push_back({slice, resultGradients[0]});
    return success();
  }
  SmallVector<Value> operandGradients;
  if (auto rule = dyn_cast<DifferentiableOpInterface>(op)) {
    if (failed(rule.buildGradients(builder, resultGradients, operandGradients)))
      return failure();
  } else if (auto ste = dyn_cast<bq::StraightThroughGradientOpInterface>(op)) {
    operandGradients.assign(op->getNumOperands(), Value());
    operandGradients[0] = ste.buildInputGradient(builder, resultGradients[0]);
  } else {
    return op->emitOpError()
           << "lies between a trainable argument and the loss but has no "
              "gradient rule (DifferentiableOpInterface)";
  }
  for (auto [operand, gradient] :
       llvm::zip(op->getOperands(), operandGradients))
    if (gradient && active.contains(operand))
      accumulate(operand, gradient);
  return success();
}

/// Static boxes [offset, offset + size) per axis overlap on every axis.
static bool overlap(tensor::ExtractSliceOp a, tensor::ExtractSliceOp b) {
  for (auto [offsetA, sizeA, offsetB, sizeB] :
       llvm::zip(a.getStaticOffsets(), a.getStaticSizes(), b.getStaticOffsets(),
                 b.getStaticSizes()))
    if (offsetA + sizeA <= offsetB || offsetB + sizeB <= offsetA)
      return false;
  return true;
}

/// The argument's gradient: disjoint slices, and no other use, are placed
/// into one zero tensor (no full-size sums per slice); otherwise each slice
/// goes through the slice rule and the results are summed.
Value ReverseSweep::assembleArgumentGradient(BlockArgument argument) {
  SmallVector<SliceGradient> &pieces = slices[argument];
  bool disjoint = !adjoints.lookup(argument);
  for (size_t i = 0; disjoint && i < pieces.size(); ++i)
    for (size_t j = i + 1; disjoint && j < pieces.size(); ++j)
      disjoint = !overlap(pieces[i].slice, pieces[j].slice);
  if (disjoint) {
    Value result = buildZerosLike(builder, argument.getLoc(), argument);
    for (SliceGradient &piece : pieces)
      result = tensor::InsertSliceOp::create(
          builder, piece.slice.getLoc(), piece.gradient, result,
          piece.slice.getMixedOffsets(), piece.slice.getMixedSizes(),
          piece.slice.getMixedStrides());
    return result;
  }
  for (SliceGradient &piece : pieces) {
    SmallVector<Value> operandGradients;
    auto rule = cast<DifferentiableOpInterface>(piece.slice.getOperation());
    if (succeeded(rule.buildGradients(builder, {piece.gradient}, operandGradients)))
      accumulate(argument, operandGradients[0]);
  }
  Value gradient = adjoints.lookup(argument);
  return gradient ? gradient : buildZerosLike(builder, argument.getLoc(), argument);
}

FailureOr<SmallVector<Value>> ReverseSweep::run(Value loss) {
  markActive();
  markUseful(loss);
  builder.setInsertionPoint(function.front().getTerminator());
  Location loc = loss.getLoc();
  adjoints[loss] = arith::ConstantOp::create(
      builder, loc, DenseElementsAttr::get(cast<ShapedType>(loss.getType()),
                                           builder.getF32FloatAttr(1.0f)));
  SmallVector<Operation *> ops;
  for (Operation &op : function.front().without_terminator())
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops)) {
    if (!useful.contains(op) ||
        llvm::none_of(op->getResults(), [&](Value v) { return active.contains(v); }))
      continue;
    if (failed(differentiate(op)))
      return failure();
  }
  SmallVector<Value> gradients;
  for (Value argument : trainable)
    gradients.push_back(assembleArgumentGradient(cast<BlockArgument>(argument)));
  return gradients;
}

namespace {
struct DifferentiatePass
    : bertc::impl::DifferentiatePassBase<DifferentiatePass> {
  void runOnOperation() override;
};
} // namespace

void DifferentiatePass::runOnOperation() {
  func::FuncOp function = getOperation();
  if (function.isExternal())
    return;
  SmallVector<BlockArgument> trainable;
  for (BlockArgument argument : function.getArguments())
    if (function.getArgAttr(argument.getArgNumber(), kTrainableAttr))
      trainable.push_back(argument);
  if (trainable.empty())
    return;
  if (!function.getBody().hasOneBlock()) {
    function.emitError() << "bert-differentiate needs a single-block function";
    return signalPassFailure();
  }
  for (BlockArgument argument : trainable)
    if (!isa<RankedTensorType>(argument.getType()) ||
        !cast<RankedTensorType>(argument.getType()).getElementType().isF32()) {
      function.emitError() << "trainable argument #" << argument.getArgNumber()
                           << " must be an f32 tensor";
      return signalPassFailure();
    }
  auto returnOp = cast<func::ReturnOp>(function.front().getTerminator());
  auto lossType = returnOp.getNumOperands()
                      ? dyn_cast<RankedTensorType>(returnOp.getOperand(0).getType())
                      : RankedTensorType();
  if (!lossType || lossType.getRank() != 0 || !lossType.getElementType().isF32()) {
    function.emitError() << "the first result must be the loss, a tensor<f32>";
    return signalPassFailure();
  }
  WalkResult calls = function.walk([](CallOpInterface call) {
    call.emitError() << "bert-differentiate does not follow calls; run "
                        "`inline` first";
    return WalkResult::interrupt();
  });
  if (calls.wasInterrupted())
    return signalPassFailure();

  FailureOr<SmallVector<Value>> gradients =
      ReverseSweep(function, trainable).run(returnOp.getOperand(0));
  if (failed(gradients))
    return signalPassFailure();
  SmallVector<Value> results(returnOp.getOperands());
  results.append(gradients->begin(), gradients->end());
  returnOp->setOperands(results);
  SmallVector<Type> resultTypes(function.getResultTypes());
  for (BlockArgument argument : trainable) {
    resultTypes.push_back(argument.getType());
    function.removeArgAttr(argument.getArgNumber(), kTrainableAttr);
  }
  function.setType(FunctionType::get(&getContext(), function.getArgumentTypes(),
                                     resultTypes));
}
