//===- DifferentiableOpInterface.td - Reverse-mode rules ---*- tablegen -*-===//

#ifndef BERTC_DIALECTS_INTERFACES_DIFFERENTIABLEOPINTERFACE_TD
#define BERTC_DIALECTS_INTERFACES_DIFFERENTIABLEOPINTERFACE_TD

include "mlir/IR/OpBase.td"

def Bertc_DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::bertc";
  let description = [{
    An op with a reverse-mode derivative rule. `bert-differentiate` walks a
    function backwards and asks each op that depends on a trainable value
    for the gradients of the loss with respect to its operands, given those
    with respect to its results. The rule is written once, beside the op
    (bert ops in BertGradients.cpp; the upstream arith, math and tensor ops
    that BERT graphs use as external models in lib/Training); the quantizers
    of the bq dialect give theirs through StraightThroughGradientOpInterface.
  }];
  let methods = [
    InterfaceMethod<[{
        Emits, at the builder's insertion point (after the op), the gradients
        with respect to the operands. `resultGradients` has one value per
        result, null where the loss does not depend on that result.
        `operandGradients` receives one value per operand, null where the
        operand gets no gradient (integer ids, masks, a detached scale).
        Fails with a diagnostic on a form that has no rule.
      }],
      "::llvm::LogicalResult", "buildGradients",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ValueRange":$resultGradients,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGradients)>
  ];
}

#endif // BERTC_DIALECTS_INTERFACES_DIFFERENTIABLEOPINTERFACE_TD
