//===- TileEpilogue.h - An elementwise consumer run on the tile -*- C++ -*-===//
//
// bert-lower-linears folds the elementwise op that reads a product's
// results right after it (an int8 product's dequantization, with what
// bert-fuse-elementwise merged into it: bias, residual, GELU, the
// requantization grid) into the kernel: each finished tile is run through
// the consumer's body while it is in L1, instead of a separate pass over
// the whole int32 result.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_LIB_TRANSFORMS_TILEEPILOGUE_H
#define BERTC_LIB_TRANSFORMS_TILEEPILOGUE_H

#include "RegisterTile.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>
#include <string>

namespace bertc::kernels {

/// The consumer of a product's output buffer, on memrefs.
struct Epilogue {
  mlir::linalg::GenericOp consumer;
  unsigned sumsInput = 0;               ///< which input is the product's
  llvm::SmallVector<mlir::Value> extras; ///< its other inputs, in order
  /// Per extra: read per element (same shape as the output) or per column
  /// (a vector over the last axis).
  llvm::SmallVector<bool> perElement;
  mlir::Value out;                      ///< its output buffer
  /// The body's float constants (its own and those it captures), in the
  /// order parametersOf lists them. Kernels take them as arguments, so
  /// layers whose epilogues differ only in their scales share one kernel.
  llvm::SmallVector<mlir::TypedAttr> parameters;
  std::string key;                      ///< names the body in kernel names
};

/// The elementwise consumer of `product`'s output buffer, if the next op
/// that touches it reads it elementwise and nothing else reads it later:
/// all-parallel, identity maps on the product's buffer and on its output,
/// other inputs per element or per column, a body of elementwise ops.
std::optional<Epilogue> matchEpilogue(mlir::linalg::GenericOp product);

/// After each tile: a loop over its vectors that reads the sums back from
/// `sums` (still in L1), runs the consumer's body on them with `extras`
/// and the scalar `parameters`, and writes `out` (values of the kernel
/// function that correspond to the Epilogue's). A loop, not one copy per
/// accumulator: the body (GELU's polynomial) copied 16 times made the
/// kernels overflow the i-cache. `tileLocalSums`: `sums` is the tile's own
/// buffer (ProductOperands::tileSums), read at positions within the tile
/// rather than the product's.
TileFn epilogueAfterTile(const Epilogue &epilogue, mlir::Value sums,
                         mlir::ValueRange extras, mlir::Value out,
                         mlir::ValueRange parameters,
                         bool tileLocalSums = false);

} // namespace bertc::kernels

#endif // BERTC_LIB_TRANSFORMS_TILEEPILOGUE_H
