//===- Importer.h - Hugging Face BERT checkpoint to bert IR -----*- C++ -*-===//
//
// Turns a checkpoint folder (config.json + model.safetensors) into a module
// of the `bert` dialect whose weights are dense_resource blobs, so that
// BERT-base stays a few kilobytes of text with
// --mlir-elide-resource-strings-if-larger.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_IMPORT_IMPORTER_H
#define BERTC_IMPORT_IMPORTER_H

#include "bertc/Import/BertConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>

namespace bertc::import {

/// Which function the module exposes.
enum class EntryPoint {
  /// bert_model(token ids, token types, mask): embeddings + encoder + heads.
  Model,
  /// bert_encoder(hidden states after the embedding LayerNorm, mask): for
  /// checkpoints without embedding tables.
  Encoder,
};

/// The names of the module attributes that record the model for the later
/// stages (runtime checks, the C header).
namespace attrs {
inline constexpr const char *kConfig = "bertc.config";
inline constexpr const char *kEntry = "bertc.entry";
inline constexpr const char *kOutputs = "bertc.outputs";
} // namespace attrs

/// The entry function's symbol name.
llvm::StringRef entryFunctionName(EntryPoint entry);

/// Imports the checkpoint in `directory`. Errors name the file and, where
/// one is involved, the tensor (missing, misshapen, or not float).
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importCheckpoint(mlir::MLIRContext &context, llvm::StringRef directory,
                 EntryPoint entry);

/// Imports from memory: `configText` as config.json and `weights` as
/// model.safetensors, with `directory` used in messages only. The fuzzers
/// drive the whole importer through this.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importCheckpoint(mlir::MLIRContext &context, llvm::StringRef configText,
                 std::unique_ptr<llvm::MemoryBuffer> weights,
                 llvm::StringRef directory, EntryPoint entry);

} // namespace bertc::import

#endif // BERTC_IMPORT_IMPORTER_H
