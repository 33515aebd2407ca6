//===- TokenizerTest.cpp - WordPiece against the shipped vocabulary -------===//

#include "bertc/Import/Tokenizer.h"

#include "gtest/gtest.h"

using bertc::import::WordPieceTokenizer;

namespace {

class TokenizerTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto loaded = WordPieceTokenizer::load(
        BERTC_SOURCE_DIR "/models/bert-vocab-uncased/vocab.txt");
    ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
    tokenizer = std::make_unique<WordPieceTokenizer>(std::move(*loaded));
  }
  std::unique_ptr<WordPieceTokenizer> tokenizer;
};

// The token ids of ../shared/data/bert-tiny-sst2/golden_0.json.
TEST_F(TokenizerTest, GoldenSentence) {
  int32_t ids[12];
  float mask[12];
  EXPECT_TRUE(tokenizer->encode("unflinchingly bleak and desperate ", 12, ids, mask));
  const int32_t expected[12] = {101, 4895, 10258, 2378, 8450, 2135,
                                21657, 1998, 7143, 102, 0, 0};
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(ids[i], expected[i]) << "position " << i;
    EXPECT_EQ(mask[i], i < 10 ? 1.0f : 0.0f) << "position " << i;
  }
}

TEST_F(TokenizerTest, LowerCaseAccentsAndPunctuation) {
  // "Café" lower-cases and loses its accent; punctuation splits off.
  std::vector<std::string> words = tokenizer->basicTokens("Café, NAÏVE!it's");
  std::vector<std::string> expected = {"cafe", ",", "naive", "!", "it", "'", "s"};
  EXPECT_EQ(words, expected);
  // Control characters vanish; odd whitespace separates.
  words = tokenizer->basicTokens("a\x01" "b\xc2\xa0" "c");
  expected = {"ab", "c"};
  EXPECT_EQ(words, expected);
  // CJK characters become words of their own; invalid UTF-8 is dropped.
  words = tokenizer->basicTokens("x\xe4\xb8\xad" "y \xff" "z");
  expected = {"x", "\xe4\xb8\xad", "y", "z"};
  EXPECT_EQ(words, expected);
}

TEST_F(TokenizerTest, WordPiecesAndUnknowns) {
  // "the" is 1996; "unflinchingly" is un ##fl ##in ##ching ##ly (greedy
  // longest match, "##" continuations).
  EXPECT_EQ(tokenizer->tokenize("the"), std::vector<int32_t>{1996});
  EXPECT_EQ(tokenizer->tokenize("unflinchingly"),
            (std::vector<int32_t>{4895, 10258, 2378, 8450, 2135}));
  // A word with no segmentation, or of more than 100 characters, is [UNK].
  EXPECT_EQ(tokenizer->tokenize("\xe2\x98\x83"), std::vector<int32_t>{100});
  EXPECT_EQ(tokenizer->tokenize(std::string(101, 'a')), std::vector<int32_t>{100});
}

TEST_F(TokenizerTest, Truncation) {
  int32_t ids[4];
  float mask[4];
  EXPECT_FALSE(tokenizer->encode("the the the", 4, ids, mask));
  EXPECT_EQ(ids[0], 101);
  EXPECT_EQ(ids[1], 1996);
  EXPECT_EQ(ids[2], 1996);
  EXPECT_EQ(ids[3], 102);
}

TEST(TokenizerLoad, MissingSpecialTokens) {
  auto missing = WordPieceTokenizer::load("/nonexistent/vocab.txt");
  EXPECT_FALSE(bool(missing));
  llvm::consumeError(missing.takeError());
}

} // namespace
