//===- UpstreamGradients.cpp - Reverse-mode rules of upstream ops ---------===//
//
// The arith, math and tensor ops that imported BERT graphs use between the
// bert ops (residual adds, the pooler's tanh, the [CLS] slice) and that
// bert-make-trainable adds (slices and reshapes of the parameter vector).
// Their rules attach as external models of DifferentiableOpInterface.
//
//===----------------------------------------------------------------------===//

#include "bertc/Training/Passes.h"

#include "bertc/Utils/LinalgBuilders.h"
#include "dialects/Interfaces/DifferentiableOpInterface.h"

#include "mlir/IR/DialectRegistry.h"

using namespace mlir;
using namespace bertc;

namespace {

template <typename ConcreteModel, typename ConcreteOp>
using Rule = DifferentiableOpInterface::ExternalModel<ConcreteModel, ConcreteOp>;

/// x + y: g to both.
struct AddFRule : Rule<AddFRule, arith::AddFOp> {
  LogicalResult buildGradients(Operation *op, OpBuilder &builder,
                               ValueRange resultGradients,
                               SmallVectorImpl<Value> &operandGradients) const {
    operandGradients.assign(2, resultGradients[0]);
    return success();
  }
};

/// x - y: g and -g.
struct SubFRule : Rule<SubFRule, arith::SubFOp> {
  LogicalResult buildGradients(Operation *op, OpBuilder &builder,
                               ValueRange resultGradients,
                               SmallVectorImpl<Value> &operandGradients) const {
    Value g = resultGradients[0];
    operandGradients.assign(
        {g, arith::NegFOp::create(builder, op->getLoc(), g).getResult()});
    return success();
  }
};

/// x * y: g y and g x.
struct MulFRule : Rule<MulFRule, arith::MulFOp> {
  LogicalResult buildGradients(Operation *op, OpBuilder &builder,
                               ValueRange resultGradients,
                               SmallVectorImpl<Value> &operandGradients) const {
    Location loc = op->getLoc();
    Value g = resultGradients[0];
    operandGradients.assign(
        {arith::MulFOp::create(builder, loc, g, op->getOperand(1)).getResult(),
         arith::MulFOp::create(builder, loc, g, op->getOperand(0)).getResult()});
    return success();
  }
};

/// y = tanh(x): g (1 - y^2).
struct TanhRule : Rule<TanhRule, math::TanhOp> {
  LogicalResult buildGradients(Operation *op, OpBuilder &builder,
                               ValueRange resultGradients,
                               SmallVectorImpl<Value> &operandGradients) const {
    if (!isa<RankedTensorType>(op->getResult(0).getType()))
      return op->emitOpError() << "has a gradient rule for tensors only";
    Value dx = buildElementwise(
        builder, op->getLoc(), {op->getResult(0), resultGradients[0]},
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value square = arith::MulFOp::create(b, l, args[0], args[0]);
          Value slope = arith::SubFOp::create(b, l, buildF32(b, l, 1), square);
          return arith::MulFOp::create(b, l, args[1], slope);
        });
    operandGradients.assign(1, dx);
    return success();
  }
};

/// select(c, a, b) on a scalar condition: g to the chosen operand, zeros to
/// the other (the condition gets none).
struct SelectRule : Rule<SelectRule, arith::SelectOp> {
  LogicalResult buildGradients(Operation *op, OpBuilder &builder,
                               ValueRange resultGradients,
                               SmallVectorImpl<Value> &operandGradients) const {
    auto select = cast<arith::SelectOp>(op);
    if (!select.getCondition().getType().isInteger(1) ||
        !isa<RankedTensorType>(select.getType()))
      return op->emitOpError() << "has a gradient rule for tensors chosen by "
                                  "a scalar condition only";
    Location loc = op->getLoc();
    Value g = resultGradients[0];
    Value zeros = buildZerosLike(builder, loc, g);
    Value condition = select.getCondition();
    operandGradients.assign(
        {Value(), arith::SelectOp::create(builder, loc, condition, g, zeros).getResult(),
         arith::SelectOp::create(builder, loc, condition, zeros, g).getResult()});
    return success();
  }
};

/// A slice: g placed into zeros of the source's shape; offsets and sizes
/// get none.
struct ExtractSliceRule : Rule<ExtractSliceRule, tensor::ExtractSliceOp> {
  LogicalResult buildGradients(Operation *op, OpBuilder &builder,
                               ValueRange resultGradients,
                               SmallVectorImpl<Value> &operandGradients) const {
    auto slice = cast<tensor::ExtractSliceOp>(op);
    Location loc = slice.getLoc();
    Value g = resultGradients[0];
    // A rank-reducing slice: give g back its unit axes first.
    if (slice.getType().getRank() != slice.getSourceType().getRank()) {
      auto full = RankedTensorType::get(
          tensor::ExtractSliceOp::inferResultType(slice.getSourceType(),
                                                  slice.getStaticSizes())
              .getShape(),
          slice.getType().getElementType());
      std::optional<SmallVector<ReassociationIndices>> reassociation =
          getReassociationIndicesForReshape(slice.getType(), full);
      if (!reassociation)
        return slice.emitOpError() << "has no gradient rule for this rank "
                                      "reduction";
      g = tensor::ExpandShapeOp::create(builder, loc, full, g, *reassociation);
    }
    Value placed = tensor::InsertSliceOp::create(
        builder, loc, g, buildZerosLike(builder, loc, slice.getSource()),
        slice.getMixedOffsets(), slice.getMixedSizes(), slice.getMixedStrides());
    operandGradients.assign(op->getNumOperands(), Value());
    operandGradients[0] = placed;
    return success();
  }
};

/// A reshape that splits axes: its gradient merges them back.
struct ExpandShapeRule : Rule<ExpandShapeRule, tensor::ExpandShapeOp> {
  LogicalResult buildGradients(Operation *op, OpBuilder &builder,
                               ValueRange resultGradients,
                               SmallVectorImpl<Value> &operandGradients) const {
    auto expand = cast<tensor::ExpandShapeOp>(op);
    Value merged = tensor::CollapseShapeOp::create(
        builder, expand.getLoc(), expand.getSrcType(), resultGradients[0],
        expand.getReassociationIndices());
    operandGradients.assign(op->getNumOperands(), Value());
    operandGradients[0] = merged;
    return success();
  }
};

/// A reshape that merges axes: its gradient splits them again.
struct CollapseShapeRule : Rule<CollapseShapeRule, tensor::CollapseShapeOp> {
  LogicalResult buildGradients(Operation *op, OpBuilder &builder,
                               ValueRange resultGradients,
                               SmallVectorImpl<Value> &operandGradients) const {
    auto collapse = cast<tensor::CollapseShapeOp>(op);
    Location loc = collapse.getLoc();
    Value split = tensor::ExpandShapeOp::create(
        builder, loc, collapse.getSrcType(), resultGradients[0],
        collapse.getReassociationIndices(),
        tensor::getMixedSizes(builder, loc, collapse.getSrc()));
    operandGradients.assign(1, split);
    return success();
  }
};

/// A cast between static and dynamic sizes: cast back.
struct CastRule : Rule<CastRule, tensor::CastOp> {
  LogicalResult buildGradients(Operation *op, OpBuilder &builder,
                               ValueRange resultGradients,
                               SmallVectorImpl<Value> &operandGradients) const {
    operandGradients.assign(1, tensor::CastOp::create(builder, op->getLoc(),
                                                      op->getOperand(0).getType(),
                                                      resultGradients[0])
                                   .getResult());
    return success();
  }
};

} // namespace

void bertc::registerUpstreamGradients(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, arith::ArithDialect *) {
    arith::AddFOp::attachInterface<AddFRule>(*context);
    arith::SubFOp::attachInterface<SubFRule>(*context);
    arith::MulFOp::attachInterface<MulFRule>(*context);
    arith::SelectOp::attachInterface<SelectRule>(*context);
  });
  registry.addExtension(+[](MLIRContext *context, math::MathDialect *) {
    math::TanhOp::attachInterface<TanhRule>(*context);
  });
  registry.addExtension(+[](MLIRContext *context, tensor::TensorDialect *) {
    tensor::ExtractSliceOp::attachInterface<ExtractSliceRule>(*context);
    tensor::ExpandShapeOp::attachInterface<ExpandShapeRule>(*context);
    tensor::CollapseShapeOp::attachInterface<CollapseShapeRule>(*context);
    tensor::CastOp::attachInterface<CastRule>(*context);
  });
}
