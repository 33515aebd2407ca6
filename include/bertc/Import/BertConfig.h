//===- BertConfig.h - A validated Hugging Face BERT config ------*- C++ -*-===//

#ifndef BERTC_IMPORT_BERTCONFIG_H
#define BERTC_IMPORT_BERTCONFIG_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace bertc::import {

/// The fields of a Hugging Face `config.json` that define a BERT graph.
struct BertConfig {
  int64_t vocabSize = 0;
  int64_t hiddenSize = 0;
  int64_t numLayers = 0;
  int64_t numHeads = 0;
  int64_t intermediateSize = 0;
  int64_t maxPositions = 0;
  int64_t typeVocabSize = 0;
  int64_t numLabels = 2;
  /// The word embeddings' padding_idx (no gradient in training).
  int64_t padTokenId = 0;
  double layerNormEps = 1e-12;
  /// Training-mode dropout rates (Hugging Face's defaults where absent).
  double hiddenDropout = 0.1;
  double attentionDropout = 0.1;
  /// "gelu" (erf form) or "gelu_new" (tanh approximation).
  std::string hiddenAct = "gelu";

  int64_t headSize() const { return hiddenSize / numHeads; }
};

/// Parses and validates `text`, the contents of `path` (used in messages):
/// required fields with integer types, positive sizes below sane bounds (so
/// that no size product overflows), hidden size divisible by the heads, a
/// supported activation and a positive finite epsilon.
llvm::Expected<BertConfig> parseBertConfig(llvm::StringRef text,
                                           llvm::StringRef path);

/// Reads and parses `path`.
llvm::Expected<BertConfig> readBertConfig(llvm::StringRef path);

} // namespace bertc::import

#endif // BERTC_IMPORT_BERTCONFIG_H
