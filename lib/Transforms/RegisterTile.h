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

#include <functional>

namespace bertc::kernels {

/// The operands of one product, as 2-D memrefs. x is read one scalar at a
/// time (any strides); w and out are read along c in vectors, so their
/// innermost stride must be 1.
/// How one step of the reduction updates an accumulator vector from a
/// broadcast element of x and a vector of w.
using CombineFn = std::function<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::Value broadcast, mlir::Value w,
    mlir::Value accumulator)>;

/// acc + broadcast * w as one fused multiply-add: the f32 products.
mlir::Value fusedMultiplyAdd(mlir::OpBuilder &builder, mlir::Location loc,
                             mlir::Value broadcast, mlir::Value w,
                             mlir::Value accumulator);

/// Runs on a finished tile right after its accumulators are stored into
/// out (or ProductOperands::tileSums): `rows` rows from `row`, `columns`
/// vectors of `lanes` from `col` (an epilogue reads them back while they
/// are in L1).
using TileFn = std::function<void(mlir::OpBuilder &, mlir::Location,
                                  mlir::Value row, unsigned rows,
                                  mlir::Value col, unsigned columns,
                                  unsigned lanes)>;

struct ProductOperands {
  mlir::Value x, w, out;
  mlir::Value reduction; ///< the length of k, an index
  /// When nonzero, w is panel-major [N / P, K, P] with P = panelWidth
  /// columns rather than [K, N].
  int64_t panelWidth = 0;
  /// The element type of x, w and out (f32 for float products, i64 for
  /// XOR-popcount products on packed bits).
  mlir::Type elementType;
  /// The element type of w when it differs from out's (the int8 kernels
  /// read i16 pairs of bytes against i32 accumulators); null: elementType.
  mlir::Type wElementType;
  CombineFn combine = fusedMultiplyAdd;
  /// The accumulators start at 0 and overwrite out instead of adding to
  /// it: out needs no zero fill first.
  bool overwrite = false;
  /// When set, runs after each tile's store (the int8 products'
  /// dequantization epilogue).
  TileFn afterTile;
  /// When set (with overwrite and afterTile): a [rows, columns * lanes]
  /// buffer of the kernel's own that receives each tile's accumulators
  /// at tile-local positions instead of out, for afterTile to read. The
  /// tile stays in L1, and out, a whole [M, N] buffer of sums that only
  /// the epilogue reads, is neither written nor read.
  mlir::Value tileSums;
};

/// Emits the tile of `rows` rows from `row` and `columns` vectors of `lanes`
/// f32 from `col`: loads the accumulators from out, runs the whole
/// reduction (a broadcast of x times a vector of w per row and vector), and
/// stores them back. `lanes` counts elements of `elementType` per vector.
/// `lastMask`, when given (a vector<lanes x i1>), guards
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

/// A kernel whose last two arguments are a range [first, end) of
/// independent work items (index, i64 in the llvm dialect): a call of it may
/// be split into calls on disjoint sub-ranges on several threads
/// (bert-parallelize-kernels).
inline constexpr llvm::StringLiteral kParallelAttr = "bertc.parallel";

} // namespace bertc::kernels

#endif // BERTC_LIB_TRANSFORMS_REGISTERTILE_H
