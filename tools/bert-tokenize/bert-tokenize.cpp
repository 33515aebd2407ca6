//===- bert-tokenize.cpp - GLUE-style TSV to token-id .npy files ----------===//
//
// bert-tokenize --vocab vocab.txt --max-length 64 A.tsv [B.tsv...] -o PREFIX
//
// Reads TSV files with a header naming a `sentence` column (and a `label`
// column, integers), tokenizes each sentence with BERT's uncased WordPiece
// tokenizer, and writes PREFIX.ids.npy (int32 [N, L]: [CLS] ... [SEP] then
// [PAD]), PREFIX.mask.npy (float32 [N, L]) and PREFIX.labels.npy (int32
// [N]) for a training executable (bert-compile --mode=train) or a model.
// Each file is written to a temporary name and renamed.
//
//===----------------------------------------------------------------------===//

#include "bertc/Import/Tokenizer.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using bertc::import::WordPieceTokenizer;

static cl::OptionCategory category("bert-tokenize options");
static cl::list<std::string> inputs(cl::Positional, cl::OneOrMore,
                                    cl::desc("<file.tsv>..."), cl::cat(category));
static cl::opt<std::string> vocabPath("vocab", cl::Required, cl::cat(category),
                                      cl::desc("vocab.txt of the model"));
static cl::opt<unsigned> maxLength("max-length", cl::init(128), cl::cat(category),
                                   cl::desc("Tokens per row, [CLS] and [SEP] included"));
static cl::opt<std::string> prefix("o", cl::Required, cl::cat(category),
                                   cl::desc("Output prefix: PREFIX.ids.npy, "
                                            "PREFIX.mask.npy, PREFIX.labels.npy"));

static int failWith(const Twine &message) {
  errs() << "bert-tokenize: error: " << message << "\n";
  return 1;
}

/// A C-order .npy of `descr` elements, written atomically.
static Error writeNpy(StringRef path, StringRef descr, ArrayRef<int64_t> shape,
                      const void *data, size_t bytes) {
  std::string dims;
  for (int64_t size : shape)
    dims += std::to_string(size) + (shape.size() == 1 ? "," : ", ");
  if (shape.size() > 1)
    dims.resize(dims.size() - 2);
  std::string header = "{'descr': '" + descr.str() +
                       "', 'fortran_order': False, 'shape': (" + dims + "), }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  SmallString<256> temporary;
  int fd = -1;
  if (std::error_code ec =
          sys::fs::createUniqueFile(path + ".tmp-%%%%%%%%", fd, temporary))
    return createStringError(ec, path + ": " + ec.message());
  {
    raw_fd_ostream out(fd, /*shouldClose=*/true);
    out << "\x93NUMPY" << char(1) << char(0) << char(header.size() & 0xff)
        << char(header.size() >> 8) << header;
    out.write(static_cast<const char *>(data), bytes);
    out.close();
    if (out.has_error()) {
      out.clear_error();
      sys::fs::remove(temporary);
      return createStringError(inconvertibleErrorCode(), path + ": write failed");
    }
  }
  if (std::error_code ec = sys::fs::rename(temporary, path)) {
    sys::fs::remove(temporary);
    return createStringError(ec, path + ": " + ec.message());
  }
  return Error::success();
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "bert-tokenize: GLUE-style TSV to token ids\n");
  if (maxLength < 2)
    return failWith("--max-length must leave room for [CLS] and [SEP] (>= 2)");
  Expected<WordPieceTokenizer> tokenizer = WordPieceTokenizer::load(vocabPath);
  if (!tokenizer)
    return failWith(toString(tokenizer.takeError()));

  std::vector<int32_t> ids, labels;
  std::vector<float> mask;
  int64_t truncated = 0, withLabels = -1;
  for (const std::string &input : inputs) {
    ErrorOr<std::unique_ptr<MemoryBuffer>> file = MemoryBuffer::getFile(input);
    if (!file)
      return failWith(input + ": " + file.getError().message());
    StringRef rest = (*file)->getBuffer();
    auto [headerLine, body] = rest.split('\n');
    SmallVector<StringRef> columns;
    headerLine.rtrim("\r").split(columns, '\t');
    int sentence = -1, label = -1;
    for (auto [index, name] : llvm::enumerate(columns)) {
      if (name == "sentence")
        sentence = int(index);
      if (name == "label")
        label = int(index);
    }
    if (sentence < 0)
      return failWith(input + ": the header names no 'sentence' column");
    if (withLabels >= 0 && withLabels != (label >= 0))
      return failWith(input + ": some files have labels and some do not");
    withLabels = label >= 0;
    int64_t lineNumber = 1;
    rest = body;
    while (!rest.empty()) {
      auto [line, next] = rest.split('\n');
      rest = next;
      ++lineNumber;
      line = line.rtrim("\r");
      if (line.empty())
        continue;
      SmallVector<StringRef> fields;
      line.split(fields, '\t');
      if (int(fields.size()) != int(columns.size()))
        return failWith(input + ":" + Twine(lineNumber) + ": expected " +
                        Twine(columns.size()) + " tab-separated fields, got " +
                        Twine(fields.size()));
      size_t row = ids.size();
      ids.resize(row + maxLength);
      mask.resize(row + maxLength);
      if (!tokenizer->encode(fields[sentence], maxLength, ids.data() + row,
                             mask.data() + row))
        ++truncated;
      if (label >= 0) {
        int value;
        if (fields[label].trim().getAsInteger(10, value) || value < 0)
          return failWith(input + ":" + Twine(lineNumber) + ": label '" +
                          fields[label] + "' is not a non-negative integer");
        labels.push_back(value);
      }
    }
  }
  int64_t rows = int64_t(ids.size()) / maxLength;
  if (rows == 0)
    return failWith("no rows in the input");
  int64_t length = maxLength;
  if (Error error = writeNpy(prefix + ".ids.npy", "<i4", {rows, length},
                             ids.data(), ids.size() * sizeof(int32_t)))
    return failWith(toString(std::move(error)));
  if (Error error = writeNpy(prefix + ".mask.npy", "<f4", {rows, length},
                             mask.data(), mask.size() * sizeof(float)))
    return failWith(toString(std::move(error)));
  if (withLabels > 0)
    if (Error error = writeNpy(prefix + ".labels.npy", "<i4", {rows},
                               labels.data(), labels.size() * sizeof(int32_t)))
      return failWith(toString(std::move(error)));
  errs() << "bert-tokenize: " << rows << " rows of " << length << " tokens ("
         << truncated << " truncated) -> " << prefix << ".{ids,mask"
         << (withLabels > 0 ? ",labels" : "") << "}.npy\n";
  return 0;
}
