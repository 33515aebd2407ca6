//===- safetensors-fuzzer.cpp - Fuzz the checkpoint reader ----------------===//
//
// Any byte string must parse or be refused with an error; a parsed file's
// float tensors must read without touching memory outside the buffer.
//
//===----------------------------------------------------------------------===//

#include "bertc/Import/Safetensors.h"

#include <cstddef>
#include <cstdint>

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
  return 0;
}
