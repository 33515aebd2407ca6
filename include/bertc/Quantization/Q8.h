//===- Q8.h - Which tensors Q8BERT quantizes, and their thresholds -*- C++ -*-===//
//
// One answer, used by bert-quantize-q8, bert-compile (thresholds from a
// JSON file or the checkpoint) and bert-compile --report.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_QUANTIZATION_Q8_H
#define BERTC_QUANTIZATION_Q8_H

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace bertc::quantization {

/// The module attribute that carries the activation thresholds T = max|x|
/// of each quantized linear's input: a dictionary from the Hugging Face
/// module name (`bert.encoder.layer.0.attention.self.query`) to an f32.
inline constexpr llvm::StringLiteral kThresholdsAttr = "bertc.thresholds";

/// The Hugging Face module an int8 product computes, set by
/// bert-quantize-q8 on each `bq.int8_matmul` (read by bert-dump-int8).
inline constexpr llvm::StringLiteral kModuleAttr = "bertc.module";

/// "bert.encoder.layer.0.attention.self.query.weight" -> the module name.
std::string moduleOfTensor(llvm::StringRef tensor);

/// True if --q8-float-layers keeps `module` in f32 (Hugging Face module
/// names, compared exactly): one rule for inference and QAT.
bool keepsFloat(llvm::ArrayRef<std::string> floatLayers, llvm::StringRef module);

/// True for the word and position embedding tables (SEMANTICS.md 1.7);
/// token types stay f32.
bool quantizesEmbedding8(llvm::StringRef tableName);

/// The key of a module's output threshold (requantize-output): its
/// checkpoint buffer's name, `<module>.output_thresh`.
std::string outputThresholdKey(llvm::StringRef module);

/// The threshold of `module` in `thresholds`, with or without the "bert."
/// prefix (checkpoints of BertModel have none, task models have it).
std::optional<float> findThreshold(mlir::DictionaryAttr thresholds,
                                   llvm::StringRef module);

} // namespace bertc::quantization

#endif // BERTC_QUANTIZATION_Q8_H
