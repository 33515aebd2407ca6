//===- Passes.td - bertc transformation passes -------------*- tablegen -*-===//

#ifndef BERTC_TRANSFORMS_PASSES_TD
#define BERTC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TestSteGradientsPass : Pass<"bq-test-ste-gradients", "::mlir::func::FuncOp"> {
  let summary = "Replaces a function's result by its straight-through gradient";
  let description = [{
    A test pass that makes each quantizer's straight-through estimator visible
    in IR. It applies to functions whose last argument is the upstream
    gradient of their single result. The result must come from a chain of ops
    implementing `StraightThroughGradientOpInterface` (each consuming the
    previous one's result as operand 0); the pass walks the chain back to its
    first input, emitting each op's gradient rule, and returns the gradient
    with respect to that input instead of the result.

    Before:
    ```mlir
    func.func @f(%x: tensor<4xf32>, %dy: tensor<4xf32>) -> tensor<4xf32> {
      %y = bq.binarize activation %x : tensor<4xf32>
      return %y : tensor<4xf32>
    }
    ```
    After: the function returns `dy * 1{|x| <= 1}`, built with linalg.generic.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let statistics = [
    Statistic<"numRulesApplied", "rules-applied",
              "Number of straight-through rules emitted">
  ];
}

def ResultsToOutParamsPass : Pass<"bert-results-to-out-params", "::mlir::ModuleOp"> {
  let summary = "Makes the entry point write its results into caller buffers";
  let description = [{
    The C ABI of a compiled model never returns heap memory: the caller owns
    every buffer. This pass rewrites each public function with the
    `llvm.emit_c_interface` attribute (the entry point) so that every tensor
    result becomes a trailing `memref` argument of the same shape, filled
    with `bufferization.materialize_in_destination`, and the function
    returns nothing. Unlike upstream `buffer-results-to-out-params`, it works
    before bufferization and for dynamically shaped results, whose sizes the
    caller knows (batch, sequence length).

    Before:
    ```mlir
    func.func @f(%x: tensor<?x4xf32>) -> tensor<?x4xf32>
        attributes {llvm.emit_c_interface} {
      return %x : tensor<?x4xf32>
    }
    ```
    After:
    ```mlir
    func.func @f(%x: tensor<?x4xf32>, %out: memref<?x4xf32>)
        attributes {llvm.emit_c_interface} {
      bufferization.materialize_in_destination %x in restrict writable %out
        : (tensor<?x4xf32>, memref<?x4xf32>) -> ()
      return
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

#endif // BERTC_TRANSFORMS_PASSES_TD
