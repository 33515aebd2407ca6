//===- Binarize.h - Which tensors BiBERT binarizes --------------*- C++ -*-===//
//
// One answer, used by bert-binarize and by bert-compile --report.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_QUANTIZATION_BINARIZE_H
#define BERTC_QUANTIZATION_BINARIZE_H

#include "mlir/IR/Value.h"
#include "llvm/ADT/StringRef.h"

namespace bertc::quantization {

/// True for the weights of Q, K, V, attention output, FFN1, FFN2 and the
/// pooler; false for the classifier, which the official code keeps f32
/// (SEMANTICS.md 2.1). `name` is the checkpoint name of the weight.
bool binarizesLinear(llvm::StringRef name);

/// True for the word-embedding table only: position and token-type
/// embeddings stay f32.
bool binarizesEmbedding(llvm::StringRef name);

/// What the consumers of a binary linear's f32 output make of it: with
/// `Sign` or `GeluSign`, bert-binarize folds the epilogue and the sign into
/// integer thresholds (one i32 per channel, two through the GELU) instead
/// of keeping alpha and bias.
enum class SignUse {
  Float,   ///< its value: the f32 epilogue stays
  Sign,    ///< sign(y) only: Q, K, V, or a binary linear's input
  GeluSign ///< sign(GELU(y)) only, through erf GELUs: FFN1 into FFN2
};

/// How `y`, a linear's output in the bert-dialect graph, is used.
SignUse signUseOf(mlir::Value y);

/// True where every use of `value` only needs its sign.
bool onlySignsUsed(mlir::Value value);

} // namespace bertc::quantization

#endif // BERTC_QUANTIZATION_BINARIZE_H
