//===- Tokenizer.cpp - BERT's uncased WordPiece tokenizer -----------------===//

#include "bertc/Import/Tokenizer.h"

#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace bertc::import;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

static Error tokenizerError(const llvm::Twine &what) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), what);
}

Expected<WordPieceTokenizer> WordPieceTokenizer::load(StringRef vocabPath) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(vocabPath);
  if (!file)
    return tokenizerError(vocabPath + ": " + file.getError().message());
  WordPieceTokenizer tokenizer;
  StringRef rest = (*file)->getBuffer();
  int32_t id = 0;
  while (!rest.empty()) {
    auto [line, next] = rest.split('\n');
    rest = next;
    // The first occurrence wins, as in Hugging Face's load_vocab.
    tokenizer.vocab.try_emplace(line.rtrim("\r"), id++);
  }
  for (auto [name, slot] :
       std::initializer_list<std::pair<StringRef, int32_t *>>{
           {"[CLS]", &tokenizer.cls},
           {"[SEP]", &tokenizer.sep},
           {"[PAD]", &tokenizer.pad},
           {"[UNK]", &tokenizer.unk}}) {
    auto it = tokenizer.vocab.find(name);
    if (it == tokenizer.vocab.end())
      return tokenizerError(vocabPath + ": the vocabulary has no " + name);
    *slot = it->second;
  }
  return tokenizer;
}

//===----------------------------------------------------------------------===//
// Code points
//===----------------------------------------------------------------------===//

/// The code points of UTF-8 `text`; an invalid byte becomes U+FFFD, which
/// cleaning then drops (as Python's errors="replace" decoding and
/// BertTokenizer's _clean_text do).
static std::vector<uint32_t> decode(StringRef text) {
  std::vector<uint32_t> points;
  const auto *cursor = reinterpret_cast<const llvm::UTF8 *>(text.begin());
  const auto *end = reinterpret_cast<const llvm::UTF8 *>(text.end());
  while (cursor < end) {
    llvm::UTF32 point;
    llvm::UTF32 *target = &point;
    const llvm::UTF8 *start = cursor;
    llvm::ConversionResult result = llvm::ConvertUTF8toUTF32(
        &cursor, start + std::min<ptrdiff_t>(end - start,
                                             llvm::getNumBytesForUTF8(*start)),
        &target, target + 1, llvm::strictConversion);
    if (result != llvm::conversionOK || cursor == start) {
      points.push_back(0xFFFD);
      cursor = start + 1;
      continue;
    }
    points.push_back(point);
  }
  return points;
}

static void appendUtf8(std::string &out, uint32_t point) {
  char buffer[4];
  char *cursor = buffer;
  llvm::ConvertCodePointToUTF8(point, cursor);
  out.append(buffer, cursor);
}

static bool isWhitespace(uint32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

static bool isControl(uint32_t c) {
  if (c == '\t' || c == '\n' || c == '\r')
    return false;
  return c < 0x20 || (c >= 0x7F && c < 0xA0) || c == 0xAD ||
         (c >= 0x200B && c <= 0x200F) || (c >= 0x2028 && c <= 0x202E) ||
         (c >= 0x2060 && c <= 0x2064) || c == 0xFEFF;
}

/// ASCII punctuation (BERT counts all of it, $ ^ ` included) and the
/// Unicode punctuation blocks.
static bool isPunctuation(uint32_t c) {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
         (c >= 123 && c <= 126) || c == 0xA1 || c == 0xA7 || c == 0xAB ||
         c == 0xB6 || c == 0xB7 || c == 0xBB || c == 0xBF ||
         (c >= 0x2010 && c <= 0x2027) || (c >= 0x2030 && c <= 0x205E) ||
         (c >= 0x3001 && c <= 0x3003) || (c >= 0x3008 && c <= 0x3011);
}

static bool isCjk(uint32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/// Lower case, then NFD without combining marks (Python's str.lower and
/// BertTokenizer's _run_strip_accents), for ASCII, Latin-1 and Latin
/// Extended-A; other code points are returned unchanged.
static uint32_t lowerWithoutAccent(uint32_t c) {
  if (c >= 'A' && c <= 'Z')
    return c + 32;
  // U+00C0..U+017F, generated with Python's unicodedata (NFD, category Mn
  // dropped, after str.lower()).
  static const uint16_t latin[] = {
      0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0xE6, 0x63, 0x65, 0x65, 0x65, 0x65,
      0x69, 0x69, 0x69, 0x69, 0xF0, 0x6E, 0x6F, 0x6F, 0x6F, 0x6F, 0x6F, 0xD7,
      0xF8, 0x75, 0x75, 0x75, 0x75, 0x79, 0xFE, 0xDF, 0x61, 0x61, 0x61, 0x61,
      0x61, 0x61, 0xE6, 0x63, 0x65, 0x65, 0x65, 0x65, 0x69, 0x69, 0x69, 0x69,
      0xF0, 0x6E, 0x6F, 0x6F, 0x6F, 0x6F, 0x6F, 0xF7, 0xF8, 0x75, 0x75, 0x75,
      0x75, 0x79, 0xFE, 0x79, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x63, 0x63,
      0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x64, 0x64, 0x0111, 0x0111, 0x65, 0x65,
      0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x67, 0x67, 0x67, 0x67,
      0x67, 0x67, 0x67, 0x67, 0x68, 0x68, 0x0127, 0x0127, 0x69, 0x69, 0x69, 0x69,
      0x69, 0x69, 0x69, 0x69, 0x69, 0x0131, 0x0133, 0x0133, 0x6A, 0x6A, 0x6B, 0x6B,
      0x0138, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x0140, 0x0140, 0x0142, 0x0142, 0x6E,
      0x6E, 0x6E, 0x6E, 0x6E, 0x6E, 0x0149, 0x014B, 0x014B, 0x6F, 0x6F, 0x6F, 0x6F,
      0x6F, 0x6F, 0x0153, 0x0153, 0x72, 0x72, 0x72, 0x72, 0x72, 0x72, 0x73, 0x73,
      0x73, 0x73, 0x73, 0x73, 0x73, 0x73, 0x74, 0x74, 0x74, 0x74, 0x0167, 0x0167,
      0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75,
      0x77, 0x77, 0x79, 0x79, 0x79, 0x7A, 0x7A, 0x7A, 0x7A, 0x7A, 0x7A, 0x017F,
  };
  if (c >= 0xC0 && c < 0xC0 + sizeof(latin) / sizeof(latin[0]))
    return latin[c - 0xC0];
  return c;
}

static bool isCombiningMark(uint32_t c) { return c >= 0x300 && c <= 0x36F; }

//===----------------------------------------------------------------------===//
// Tokenization
//===----------------------------------------------------------------------===//

std::vector<std::string>
WordPieceTokenizer::basicTokens(StringRef text) const {
  std::vector<std::string> words;
  std::string current;
  auto flush = [&] {
    if (!current.empty())
      words.push_back(std::move(current));
    current.clear();
  };
  for (uint32_t c : decode(text)) {
    if (c == 0 || c == 0xFFFD || isControl(c) || isCombiningMark(c))
      continue;
    if (isWhitespace(c)) {
      flush();
      continue;
    }
    c = lowerWithoutAccent(c);
    if (isPunctuation(c) || isCjk(c)) {
      flush();
      appendUtf8(current, c);
      flush();
      continue;
    }
    appendUtf8(current, c);
  }
  flush();
  return words;
}

std::vector<int32_t> WordPieceTokenizer::tokenize(StringRef text) const {
  std::vector<int32_t> ids;
  for (const std::string &word : basicTokens(text)) {
    // Words of more than 100 characters are [UNK], as in WordpieceTokenizer.
    if (decode(word).size() > 100) {
      ids.push_back(unk);
      continue;
    }
    std::vector<int32_t> pieces;
    size_t start = 0;
    bool known = true;
    while (start < word.size()) {
      size_t end = word.size();
      int32_t found = -1;
      while (end > start) {
        std::string piece = (start ? "##" : "") + word.substr(start, end - start);
        auto it = vocab.find(piece);
        if (it != vocab.end()) {
          found = it->second;
          break;
        }
        // Step back one whole UTF-8 character.
        do
          --end;
        while (end > start && (uint8_t(word[end]) & 0xC0) == 0x80);
      }
      if (found < 0) {
        known = false;
        break;
      }
      pieces.push_back(found);
      start = end;
    }
    if (known)
      ids.insert(ids.end(), pieces.begin(), pieces.end());
    else
      ids.push_back(unk);
  }
  return ids;
}

bool WordPieceTokenizer::encode(StringRef text, int64_t maxLength, int32_t *ids,
                                float *mask) const {
  std::vector<int32_t> pieces = tokenize(text);
  int64_t room = std::max<int64_t>(maxLength - 2, 0);
  bool complete = int64_t(pieces.size()) <= room;
  pieces.resize(std::min<int64_t>(pieces.size(), room));
  int64_t position = 0;
  auto put = [&](int32_t id) {
    ids[position] = id;
    mask[position++] = 1.0f;
  };
  put(cls);
  for (int32_t id : pieces)
    put(id);
  put(sep);
  for (; position < maxLength; ++position) {
    ids[position] = pad;
    mask[position] = 0.0f;
  }
  return complete;
}
