//===- BertConfigTest.cpp - config.json validation ------------------------===//

#include "bertc/Import/BertConfig.h"

#include "gtest/gtest.h"

#include <string>

using namespace bertc::import;

namespace {

const char *kTiny = R"({"model_type": "bert", "vocab_size": 30522,
  "hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2,
  "intermediate_size": 512, "hidden_act": "gelu",
  "max_position_embeddings": 512, "type_vocab_size": 2,
  "layer_norm_eps": 1e-12, "hidden_dropout_prob": 0.1,
  "attention_probs_dropout_prob": 0.2, "id2label": {"0": "negative", "1": "positive"}})";

std::string errorOf(const std::string &text) {
  auto config = parseBertConfig(text, "config.json");
  if (config)
    return "<parsed>";
  return llvm::toString(config.takeError());
}

/// kTiny with one field replaced (or removed when `value` is empty).
std::string withField(const std::string &key, const std::string &value) {
  std::string text = kTiny;
  size_t start = text.find("\"" + key + "\"");
  size_t end = text.find_first_of(",}", text.find(':', start));
  if (text[end] == '}' && key == "id2label")
    end = text.find('}', end) + 1;
  std::string replacement = value.empty() ? "\"unused_key\": 0"
                                          : "\"" + key + "\": " + value;
  return text.substr(0, start) + replacement + text.substr(end);
}

TEST(BertConfig, ParsesTheTinyConfig) {
  auto config = parseBertConfig(kTiny, "config.json");
  ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
  EXPECT_EQ(config->hiddenSize, 128);
  EXPECT_EQ(config->numLayers, 2);
  EXPECT_EQ(config->headSize(), 64);
  EXPECT_EQ(config->numLabels, 2); // from id2label
  EXPECT_EQ(config->layerNormEps, 1e-12);
  EXPECT_EQ(config->hiddenAct, "gelu");
  EXPECT_EQ(config->hiddenDropout, 0.1);
  EXPECT_EQ(config->attentionDropout, 0.2);
}

TEST(BertConfig, ReadsAndChecksDropoutRates) {
  auto config = parseBertConfig(withField("hidden_dropout_prob", "0.25"), "config.json");
  ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
  EXPECT_EQ(config->hiddenDropout, 0.25);
  config = parseBertConfig(withField("attention_probs_dropout_prob", ""), "config.json");
  ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
  EXPECT_EQ(config->attentionDropout, 0.1); // Hugging Face's default if absent
  EXPECT_NE(errorOf(withField("attention_probs_dropout_prob", "1")).find(
                "field 'attention_probs_dropout_prob' must be a number in [0, 1)"),
            std::string::npos);
  EXPECT_NE(errorOf(withField("hidden_dropout_prob", "\"x\"")).find(
                "field 'hidden_dropout_prob' must be a number in [0, 1)"),
            std::string::npos);
}

TEST(BertConfig, RefusesMissingAndMistypedFields) {
  EXPECT_NE(errorOf(withField("hidden_size", "")).find(
                "config.json: missing field 'hidden_size'"),
            std::string::npos);
  EXPECT_NE(errorOf(withField("hidden_size", "\"128\"")).find(
                "field 'hidden_size' must be an integer"),
            std::string::npos);
  EXPECT_NE(errorOf(withField("num_hidden_layers", "2.5")).find(
                "field 'num_hidden_layers' must be an integer"),
            std::string::npos);
  EXPECT_NE(errorOf(withField("layer_norm_eps", "\"small\"")).find(
                "field 'layer_norm_eps' must be a number"),
            std::string::npos);
  EXPECT_NE(errorOf(withField("hidden_act", "3")).find(
                "field 'hidden_act' must be a string"),
            std::string::npos);
}

TEST(BertConfig, RefusesImpossibleValues) {
  EXPECT_NE(errorOf(withField("num_attention_heads", "3")).find(
                "hidden_size 128 is not divisible by num_attention_heads 3"),
            std::string::npos);
  EXPECT_NE(errorOf(withField("hidden_size", "0")).find(
                "field 'hidden_size' = 0 lies outside [1, 16777216]"),
            std::string::npos);
  EXPECT_NE(errorOf(withField("vocab_size", "1000000000000")).find(
                "field 'vocab_size' = 1000000000000 lies outside"),
            std::string::npos);
  EXPECT_NE(errorOf(withField("layer_norm_eps", "-1")).find(
                "field 'layer_norm_eps' must be positive"),
            std::string::npos);
  EXPECT_NE(errorOf(withField("hidden_act", "\"relu\"")).find(
                "hidden_act 'relu' is not supported"),
            std::string::npos);
  EXPECT_NE(errorOf(withField("model_type", "\"roberta\"")).find(
                "model_type 'roberta' is not supported"),
            std::string::npos);
}

TEST(BertConfig, RefusesInvalidJson) {
  EXPECT_NE(errorOf("{\"hidden_size\": ").find("config.json: invalid JSON"),
            std::string::npos);
  EXPECT_NE(errorOf("[]").find("the top level is not a JSON object"),
            std::string::npos);
}

TEST(BertConfig, ReadsTheShippedConfig) {
  auto config =
      readBertConfig(BERTC_SOURCE_DIR "/models/bert-tiny-sst2/config.json");
  ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
  EXPECT_EQ(config->intermediateSize, 512);
  auto missing = readBertConfig("/nonexistent/config.json");
  ASSERT_FALSE(bool(missing));
  EXPECT_NE(llvm::toString(missing.takeError()).find("cannot read"),
            std::string::npos);
}

} // namespace
