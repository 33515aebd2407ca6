//===- Binarize.h - Which tensors BiBERT binarizes --------------*- C++ -*-===//
//
// One answer, used by bert-binarize and by bert-compile --report.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_QUANTIZATION_BINARIZE_H
#define BERTC_QUANTIZATION_BINARIZE_H

#include "llvm/ADT/StringRef.h"

namespace bertc::quantization {

/// True for the weights of Q, K, V, attention output, FFN1, FFN2 and the
/// pooler; false for the classifier, which the official code keeps f32
/// (SEMANTICS.md 2.1). `name` is the checkpoint name of the weight.
bool binarizesLinear(llvm::StringRef name);

/// True for the word-embedding table only: position and token-type
/// embeddings stay f32.
bool binarizesEmbedding(llvm::StringRef name);

} // namespace bertc::quantization

#endif // BERTC_QUANTIZATION_BINARIZE_H
