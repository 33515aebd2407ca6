//===- Thresholds.cpp - Q8BERT's activation thresholds --------------------===//

#include "bertc/Driver/Thresholds.h"

#include "bertc/Import/Safetensors.h"
#include "bertc/Quantization/Q8.h"

#include "mlir/IR/Builders.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cmath>

using namespace mlir;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

static Error thresholdError(const llvm::Twine &what) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), what);
}

static bool isUsableThreshold(double value) {
  return std::isfinite(value) && value > 0;
}

Expected<llvm::StringMap<float>>
bertc::driver::parseThresholds(StringRef text, StringRef path) {
  Expected<llvm::json::Value> parsed = llvm::json::parse(text);
  if (!parsed)
    return thresholdError(path + ": not JSON: " +
                          llvm::toString(parsed.takeError()));
  const llvm::json::Object *object = parsed->getAsObject();
  if (!object)
    return thresholdError(path + ": expected an object mapping module names "
                                 "to thresholds");
  llvm::StringMap<float> thresholds;
  for (const auto &[key, value] : *object) {
    std::optional<double> number = value.getAsNumber();
    if (!number || !isUsableThreshold(*number))
      return thresholdError(path + ": the threshold of '" + StringRef(key) +
                            "' must be a positive finite number");
    thresholds[key] = static_cast<float>(*number);
  }
  return thresholds;
}

/// `<module>.input_thresh` scalars of the checkpoint, if it has any.
static Expected<llvm::StringMap<float>> checkpointThresholds(StringRef dir) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, "model.safetensors");
  Expected<bertc::import::SafetensorsFile> file = bertc::import::SafetensorsFile::open(path);
  if (!file)
    return file.takeError();
  llvm::StringMap<float> thresholds;
  for (const bertc::import::TensorInfo &tensor : file->tensors()) {
    // <module>.input_thresh is the module's key; <module>.output_thresh
    // keeps its name (quantization::outputThresholdKey).
    StringRef name = tensor.name;
    if (!name.consume_back(".input_thresh")) {
      if (!name.ends_with(".output_thresh"))
        continue;
    }
    Expected<std::vector<float>> values = file->readAsF32(tensor);
    if (!values)
      return values.takeError();
    if (values->size() != 1 || !isUsableThreshold((*values)[0]))
      return bertc::import::checkpointError(path, tensor.name,
                                     "must be one positive finite number");
    thresholds[name] = (*values)[0];
  }
  return thresholds;
}

Expected<llvm::StringMap<float>>
bertc::driver::loadThresholds(StringRef checkpointDir, StringRef jsonPath) {
  llvm::StringMap<float> thresholds;
  if (!checkpointDir.empty()) {
    Expected<llvm::StringMap<float>> stored = checkpointThresholds(checkpointDir);
    if (!stored)
      return stored.takeError();
    thresholds = std::move(*stored);
  }
  if (!jsonPath.empty()) {
    auto buffer = llvm::MemoryBuffer::getFile(jsonPath);
    if (!buffer)
      return thresholdError(jsonPath + ": " + buffer.getError().message());
    Expected<llvm::StringMap<float>> given =
        parseThresholds((*buffer)->getBuffer(), jsonPath);
    if (!given)
      return given.takeError();
    for (const auto &entry : *given)
      thresholds[entry.getKey()] = entry.getValue();
  }
  return thresholds;
}

void bertc::driver::attachThresholds(ModuleOp module,
                                     const llvm::StringMap<float> &thresholds) {
  Builder builder(module.getContext());
  SmallVector<NamedAttribute> entries;
  for (const auto &entry : thresholds)
    entries.push_back(builder.getNamedAttr(
        entry.getKey(), builder.getF32FloatAttr(entry.getValue())));
  module->setAttr(bertc::quantization::kThresholdsAttr,
                  builder.getDictionaryAttr(entries));
}
