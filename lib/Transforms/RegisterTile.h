//===- RegisterTile.h - One register tile of a matrix product ---*- C++ -*-===//
//
// Shared by bert-lower-linears and bert-lower-attention: the innermost
// block of out[r, c] += x[r, k] * w[k, c], with the accumulators as loop
// carried vectors so that they live in registers for the whole reduction.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_LIB_TRANSFORMS_REGISTERTILE_H
#define BERTC_LIB_TRANSFORMS_REGISTERTILE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace bertc::kernels {

/// The operands of one product, as 2-D memrefs. x is read one scalar at a
/// time (any strides); w and out are read along c in vectors, so their
/// innermost stride must be 1.
struct ProductOperands {
  mlir::Value x, w, out;
  mlir::Value reduction; ///< the length of k, an index
  /// When nonzero, w is panel-major [N / P, K, P] with P = panelWidth
  /// columns rather than [K, N].
  int64_t panelWidth = 0;
};

/// Emits the tile of `rows` rows from `row` and `columns` vectors of `lanes`
/// f32 from `col`: loads the accumulators from out, runs the whole
/// reduction (a broadcast of x times a vector of w per row and vector), and
/// stores them back. `lastMask`, when given (a vector<lanes x i1>), guards
/// the loads and stores of the last vector: the columns past N.
void emitRegisterTile(mlir::OpBuilder &builder, mlir::Location loc,
                      const ProductOperands &operands, mlir::Value row,
                      unsigned rows, mlir::Value col, unsigned columns,
                      unsigned lanes, mlir::Value lastMask = {});

/// Marks a generated kernel function: private (bert-internalize-private
/// makes it local to the object) and kept out of line: inlined into every
/// caller, the kernels would bring back the huge functions that outlining
/// avoids (LLVM's loop strength reduction is superlinear in function size).
void markKernel(mlir::func::FuncOp kernel);

} // namespace bertc::kernels

#endif // BERTC_LIB_TRANSFORMS_REGISTERTILE_H
