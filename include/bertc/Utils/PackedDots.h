//===- PackedDots.h - One word of the packed-bit dot products ---*- C++ -*-===//
//
// The per-word terms of SEMANTICS.md section 3, written once for the linalg
// bodies of convert-bq-to-linalg (scalars) and the register tiles of
// bert-lower-linears and bert-lower-attention (vectors of i64 words).
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_UTILS_PACKEDDOTS_H
#define BERTC_UTILS_PACKEDDOTS_H

#include "mlir/IR/Builders.h"

namespace bertc {

/// popcount(a XOR w): the differing signs of one word of an XNOR dot
/// (a . w = length - 2 * sum of these).
mlir::Value buildXorPopcount(mlir::OpBuilder &builder, mlir::Location loc,
                             mlir::Value a, mlir::Value w);

/// 2 * popcount(m AND v) - popcount(m): one word of BAMM's {0,1} x {-1,+1}
/// dot.
mlir::Value buildBitwiseAffineTerm(mlir::OpBuilder &builder, mlir::Location loc,
                                   mlir::Value m, mlir::Value v);

} // namespace bertc

#endif // BERTC_UTILS_PACKEDDOTS_H
