//===- config-fuzzer.cpp - Fuzz the config.json reader --------------------===//

#include "bertc/Import/BertConfig.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  auto config = bertc::import::parseBertConfig(text, "fuzz/config.json");
  if (!config) {
    llvm::consumeError(config.takeError());
    return 0;
  }
  // A config that parses must describe a well-formed model.
  if (config->hiddenSize % config->numHeads != 0 || config->hiddenSize < 1)
    __builtin_trap();
  return 0;
}
