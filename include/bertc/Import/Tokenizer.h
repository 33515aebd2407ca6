//===- Tokenizer.h - BERT's uncased WordPiece tokenizer ---------*- C++ -*-===//
//
// Hugging Face's BertTokenizer with do_lower_case: the basic tokenizer
// (clean control characters, space out CJK characters, split on whitespace,
// lower-case and strip accents, split punctuation off) followed by greedy
// longest-match WordPiece against vocab.txt, "##" marking continuations.
// Lower-casing and accent stripping cover ASCII, Latin-1 and Latin
// Extended-A (the letters of English and Western European text, all that
// GLUE's data contains); other scripts pass through unchanged.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_IMPORT_TOKENIZER_H
#define BERTC_IMPORT_TOKENIZER_H

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace bertc::import {

class WordPieceTokenizer {
public:
  /// Reads vocab.txt (one token per line, the line number is the id);
  /// fails on a missing file or a vocabulary without [CLS], [SEP], [PAD]
  /// and [UNK].
  static llvm::Expected<WordPieceTokenizer> load(llvm::StringRef vocabPath);

  /// The basic tokenizer's words: cleaned, lower-cased, accents stripped,
  /// punctuation split off.
  std::vector<std::string> basicTokens(llvm::StringRef text) const;

  /// The WordPiece ids of `text`, without special tokens.
  std::vector<int32_t> tokenize(llvm::StringRef text) const;

  /// [CLS] text [SEP] in `maxLength` positions: ids padded with [PAD] and a
  /// mask of 1 (token) and 0 (padding). Returns false if the text was
  /// truncated to fit.
  bool encode(llvm::StringRef text, int64_t maxLength, int32_t *ids,
              float *mask) const;

  int32_t clsId() const { return cls; }
  int32_t sepId() const { return sep; }
  size_t size() const { return vocab.size(); }

private:
  llvm::StringMap<int32_t> vocab;
  int32_t cls = 0, sep = 0, pad = 0, unk = 0;
};

} // namespace bertc::import

#endif // BERTC_IMPORT_TOKENIZER_H
