//===- Patterns.h - bert-to-linalg patterns, by op family -------*- C++ -*-===//

#ifndef BERTC_LIB_CONVERSION_BERTTOLINALG_PATTERNS_H
#define BERTC_LIB_CONVERSION_BERTTOLINALG_PATTERNS_H

#include "mlir/IR/PatternMatch.h"

namespace bertc::bert_to_linalg {

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
