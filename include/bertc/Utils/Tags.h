//===- Tags.h - Attributes that mark linalg ops for the kernel passes -*- C++ -*-===//
//
// The conversions to linalg tag the products that bertc lowers to its own
// kernels; the passes on buffers find them by these attributes. Producers
// and consumers live in different libraries, so the names live here.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_UTILS_TAGS_H
#define BERTC_UTILS_TAGS_H

#include "llvm/ADT/StringRef.h"

namespace bertc::tags {

/// A linear's product (x [..., K] times a compile-time-transposed weight
/// [K, N]) for bert-lower-linears.
inline constexpr llvm::StringLiteral kLinear = "bertc.linear";

/// A BiBERT product of packed sign bits (XOR + popcount counts) for
/// bert-lower-linears.
inline constexpr llvm::StringLiteral kXnorLinear = "bertc.xnor_linear";

/// A Q8BERT product on packed int8 words for bert-lower-linears; its value
/// names the packing ("vnni" or "avx2").
inline constexpr llvm::StringLiteral kInt8Linear = "bertc.int8_linear";

/// The packing of an int8 product's activations into words, which
/// bert-bytewise-packing turns into a loop over bytes on buffers.
inline constexpr llvm::StringLiteral kPackedActivations =
    "bertc.packed_activations";

/// Attention's per-head products (scores and context) for
/// bert-lower-attention: 5-D contractions whose operands each hold the two
/// batch axes (batch, head) and a row-major matrix.
inline constexpr llvm::StringLiteral kHeadProduct = "bertc.head_product";

} // namespace bertc::tags

#endif // BERTC_UTILS_TAGS_H
