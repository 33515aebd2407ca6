//===- BertConfig.cpp - A validated Hugging Face BERT config --------------===//

#include "bertc/Import/BertConfig.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>

using namespace bertc::import;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

/// Sizes above this are refused: BERT-large is 1024 wide with 30522 tokens,
/// and 2^24 keeps every product of two sizes far inside 64 bits.
static constexpr int64_t kMaxSize = int64_t{1} << 24;

static Error configError(StringRef path, const llvm::Twine &what) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 path.str() + ": " + what.str());
}

/// Reads the integer field `key` into `out`; absent fields keep their
/// default when `required` is false.
static Error readSize(const llvm::json::Object &object, StringRef path,
                      StringRef key, int64_t &out, bool required,
                      int64_t minimum = 1) {
  const llvm::json::Value *value = object.get(key);
  if (!value) {
    if (required)
      return configError(path, "missing field '" + key + "'");
    return Error::success();
  }
  std::optional<int64_t> integer = value->getAsInteger();
  if (!integer)
    return configError(path, "field '" + key + "' must be an integer");
  if (*integer < minimum || *integer > kMaxSize)
    return configError(path, "field '" + key + "' = " + llvm::Twine(*integer) +
                                 " lies outside [" + llvm::Twine(minimum) +
                                 ", " + llvm::Twine(kMaxSize) + "]");
  out = *integer;
  return Error::success();
}

Expected<BertConfig> bertc::import::parseBertConfig(StringRef text,
                                                    StringRef path) {
  Expected<llvm::json::Value> json = llvm::json::parse(text);
  if (!json)
    return configError(path, "invalid JSON: " + llvm::toString(json.takeError()));
  const llvm::json::Object *object = json->getAsObject();
  if (!object)
    return configError(path, "the top level is not a JSON object");

  BertConfig config;
  if (auto modelType = object->get("model_type")) {
    std::optional<StringRef> name = modelType->getAsString();
    if (!name)
      return configError(path, "field 'model_type' must be a string");
    if (*name != "bert")
      return configError(path, "model_type '" + *name +
                                   "' is not supported (expected 'bert')");
  }
  for (auto [key, field, required, minimum] :
       std::initializer_list<std::tuple<StringRef, int64_t *, bool, int64_t>>{
           {"vocab_size", &config.vocabSize, true, 1},
           {"hidden_size", &config.hiddenSize, true, 1},
           {"num_hidden_layers", &config.numLayers, true, 1},
           {"num_attention_heads", &config.numHeads, true, 1},
           {"intermediate_size", &config.intermediateSize, true, 1},
           {"max_position_embeddings", &config.maxPositions, true, 1},
           {"type_vocab_size", &config.typeVocabSize, false, 1},
           {"num_labels", &config.numLabels, false, 1},
           {"pad_token_id", &config.padTokenId, false, 0}}) {
    if (Error error = readSize(*object, path, key, *field, required, minimum))
      return std::move(error);
  }
  if (!object->get("num_labels"))
    if (const llvm::json::Object *labels = object->getObject("id2label"))
      config.numLabels = std::max<int64_t>(1, labels->size());
  if (!object->get("type_vocab_size"))
    config.typeVocabSize = 2;

  if (config.padTokenId >= config.vocabSize)
    return configError(path, "pad_token_id " + llvm::Twine(config.padTokenId) +
                                 " is not below vocab_size " +
                                 llvm::Twine(config.vocabSize));
  if (config.hiddenSize % config.numHeads != 0)
    return configError(path, "hidden_size " + llvm::Twine(config.hiddenSize) +
                                 " is not divisible by num_attention_heads " +
                                 llvm::Twine(config.numHeads));

  if (const llvm::json::Value *eps = object->get("layer_norm_eps")) {
    std::optional<double> value = eps->getAsNumber();
    if (!value)
      return configError(path, "field 'layer_norm_eps' must be a number");
    if (!(*value > 0.0) || !std::isfinite(*value))
      return configError(path, "field 'layer_norm_eps' must be positive");
    config.layerNormEps = *value;
  }
  for (auto [field, rate] :
       {std::pair<StringRef, double *>{"hidden_dropout_prob", &config.hiddenDropout},
        {"attention_probs_dropout_prob", &config.attentionDropout}}) {
    const llvm::json::Value *value = object->get(field);
    if (!value)
      continue;
    std::optional<double> number = value->getAsNumber();
    if (!number || !(*number >= 0.0 && *number < 1.0))
      return configError(path, "field '" + field + "' must be a number in [0, 1)");
    *rate = *number;
  }
  if (const llvm::json::Value *act = object->get("hidden_act")) {
    std::optional<StringRef> name = act->getAsString();
    if (!name)
      return configError(path, "field 'hidden_act' must be a string");
    if (*name != "gelu" && *name != "gelu_new")
      return configError(path, "hidden_act '" + *name +
                                   "' is not supported (gelu, gelu_new)");
    config.hiddenAct = name->str();
  }
  return config;
}

Expected<BertConfig> bertc::import::readBertConfig(StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return configError(path, "cannot read: " + buffer.getError().message());
  return parseBertConfig((*buffer)->getBuffer(), path);
}
