//===- BQVerify.h - Shape and type rules of the bq dialect ------*- C++ -*-===//
//
// The cross-operand rules of the bq verifiers as free functions, so that the
// unit tests and later passes (which build these ops) share them.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_DIALECTS_BQ_IR_BQVERIFY_H
#define BERTC_DIALECTS_BQ_IR_BQVERIFY_H

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Support/LLVM.h"

namespace bertc::bq {

using EmitErrorFn = llvm::function_ref<mlir::InFlightDiagnostic()>;

/// Checks that `type` is a symmetric quantizer of SEMANTICS.md 1.1: signed
/// storage of 2 to 32 bits, zero point 0, the restricted range [-M, M],
/// a positive finite step, and `expressed` as its expressed type.
mlir::LogicalResult verifySymmetricQuantType(EmitErrorFn emitError,
                                             mlir::quant::UniformQuantizedType type,
                                             mlir::Type expressed);

/// The result shape of a bq matmul (see BQ_MatmulOp in BQOps.td): a rank-2
/// `rhs` [N, K] is shared by `lhs` [..., K] and gives [..., N]; a higher-rank
/// `rhs` [b..., N, K] is batched with `lhs` [b..., M, K] and gives
/// [b..., M, N]. Dynamic sizes are compatible with anything.
mlir::FailureOr<llvm::SmallVector<int64_t>>
inferMatmulShape(EmitErrorFn emitError, llvm::ArrayRef<int64_t> lhs,
                 llvm::ArrayRef<int64_t> rhs);

/// Checks that a packed axis of `words` words (or dynamic) holds `length`
/// bits: words == ceil(length / 64).
mlir::LogicalResult verifyPackedLength(EmitErrorFn emitError,
                                       llvm::StringRef operandName,
                                       int64_t words, int64_t length);

/// True where two sizes can be equal at run time.
bool areCompatibleSizes(int64_t a, int64_t b);

} // namespace bertc::bq

#endif // BERTC_DIALECTS_BQ_IR_BQVERIFY_H
