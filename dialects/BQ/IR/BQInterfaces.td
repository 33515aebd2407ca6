//===- BQInterfaces.td - Interfaces of the bq dialect ------*- tablegen -*-===//
//
// The straight-through estimators of the seeds are declared beside each
// quantizer, so that the training-mode lowering differentiates through them
// without one giant switch over op kinds.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_DIALECTS_BQ_IR_BQINTERFACES_TD
#define BERTC_DIALECTS_BQ_IR_BQINTERFACES_TD

include "mlir/IR/OpBase.td"

def BQ_StraightThroughGradientOpInterface :
    OpInterface<"StraightThroughGradientOpInterface"> {
  let cppNamespace = "::bertc::bq";
  let description = [{
    A quantizer whose true derivative is zero almost everywhere and that is
    trained with a straight-through estimator (STE). The op has exactly one
    differentiable operand (operand 0) and one result of the same type.
    `buildInputGradient` emits, at the builder's insertion point, the IR that
    maps the gradient of the loss with respect to the result to the gradient
    with respect to operand 0, following SEMANTICS.md 1.8 and 2.9.
  }];
  let methods = [
    InterfaceMethod<[{
        Emits the straight-through gradient for operand 0 given
        `resultGradient` (same type as the result) and returns it.
      }],
      "::mlir::Value", "buildInputGradient",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Value":$resultGradient)>
  ];
}

#endif // BERTC_DIALECTS_BQ_IR_BQINTERFACES_TD
