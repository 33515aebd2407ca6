//===- safetensors-fuzzer.cpp - Fuzz the checkpoint importer --------------===//
//
// Any byte string, taken as model.safetensors, must be refused with an
// error or imported: the reader (including readAsF32 of every float tensor)
// and then the whole importer, which builds the bert graph for the config
// that the seed checkpoints were made with (hidden 8, 2 heads, 1 layer), for
// both entry points, checking every tensor's name, shape and dtype.
//
//===----------------------------------------------------------------------===//

#include "bertc/Import/Importer.h"
#include "bertc/Import/Safetensors.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <cstddef>
#include <cstdint>

static const char *const kSeedConfig = R"({"model_type": "bert",
  "vocab_size": 5, "hidden_size": 8, "num_hidden_layers": 1,
  "num_attention_heads": 2, "intermediate_size": 8,
  "max_position_embeddings": 4, "type_vocab_size": 2, "num_labels": 2})";

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  auto file = bertc::import::SafetensorsFile::parse(
      llvm::MemoryBuffer::getMemBufferCopy(bytes, "fuzz"), "fuzz.safetensors");
  if (!file) {
    llvm::consumeError(file.takeError());
    return 0;
  }
  for (const bertc::import::TensorInfo &tensor : file->tensors()) {
    if (tensor.numElements > (int64_t{1} << 24))
      continue; // valid but too large to convert quickly
    auto values = file->readAsF32(tensor);
    if (!values)
      llvm::consumeError(values.takeError());
  }

  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  for (auto entry : {bertc::import::EntryPoint::Model,
                     bertc::import::EntryPoint::Encoder}) {
    auto module = bertc::import::importCheckpoint(
        context, kSeedConfig, llvm::MemoryBuffer::getMemBufferCopy(bytes, "fuzz"),
        "fuzz", entry);
    if (!module) {
      llvm::consumeError(module.takeError());
      continue;
    }
    // What the importer builds must verify.
    if (mlir::failed(mlir::verify(**module)))
      __builtin_trap();
  }
  return 0;
}
