//===- Patterns.h - bert-to-linalg patterns, by op family -------*- C++ -*-===//

#ifndef BERTC_LIB_CONVERSION_BERTTOLINALG_PATTERNS_H
#define BERTC_LIB_CONVERSION_BERTTOLINALG_PATTERNS_H

#include "mlir/IR/PatternMatch.h"

namespace bertc::bert_to_linalg {

/// The attribute that marks a linear's product (x [..., K] times a
/// compile-time-transposed weight [K, N]) for bert-lower-linears.
inline constexpr const char *kLinearTag = "bertc.linear";

/// The attribute that marks attention's per-head products (scores and
/// context) for bert-lower-attention: 5-D contractions whose operands each
/// hold the two batch axes (batch, head) and a row-major matrix.
inline constexpr const char *kHeadProductTag = "bertc.head_product";

/// bert.linear and bert.embedding.
void populateDensePatterns(mlir::RewritePatternSet &patterns);
/// bert.layer_norm, bert.softmax and bert.gelu.
void populateNormalizationPatterns(mlir::RewritePatternSet &patterns);
/// bert.attention.
void populateAttentionPatterns(mlir::RewritePatternSet &patterns);
/// bert.cross_entropy.
void populateLossPatterns(mlir::RewritePatternSet &patterns);

} // namespace bertc::bert_to_linalg

#endif // BERTC_LIB_CONVERSION_BERTTOLINALG_PATTERNS_H
