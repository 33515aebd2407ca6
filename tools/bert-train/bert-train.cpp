//===- bert-train.cpp - Fine-tune a training executable on GLUE TSV -------===//
//
// bert-train --train-tsv T.tsv --vocab vocab.txt [--dev-tsv D.tsv]
//            [--max-length 128] TRAINER [TRAINER'S OPTIONS...]
//
// The training executables (bert-compile --mode=train --emit=exe) read
// token ids from .npy files and need nothing but libc at run time, so the
// tokenizer is not in them. This driver takes a GLUE-style dataset as TSV
// and the model's vocab.txt: it tokenizes the files with bert-tokenize (the
// C++ WordPiece tokenizer, installed beside it) into a temporary folder,
// runs TRAINER on them with the options that follow it (--out DIR,
// --epochs, --lr, ...), removes the folder, and exits with TRAINER's
// status.
//
//===----------------------------------------------------------------------===//

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

static cl::OptionCategory category("bert-train options");
static cl::opt<std::string> trainer(cl::Positional, cl::Required,
                                    cl::desc("<training executable>"),
                                    cl::cat(category));
static cl::list<std::string> trainerOptions(
    cl::ConsumeAfter, cl::desc("<the training executable's options>"),
    cl::cat(category));
static cl::opt<std::string> trainTsv("train-tsv", cl::Required, cl::cat(category),
                                     cl::desc("Training set: TSV with 'sentence' "
                                              "and 'label' columns"));
static cl::opt<std::string> devTsv("dev-tsv", cl::cat(category),
                                   cl::desc("Dev set for evaluation (same columns)"));
static cl::opt<std::string> vocab("vocab", cl::Required, cl::cat(category),
                                  cl::desc("vocab.txt of the model"));
static cl::opt<unsigned> maxLength("max-length", cl::init(128), cl::cat(category),
                                   cl::desc("Tokens per row, [CLS] and [SEP] included"));

static int failWith(const Twine &message) {
  errs() << "bert-train: error: " << message << "\n";
  return 1;
}

/// Runs `program` with `arguments` (stdio inherited); its exit status, or
/// -1 with `error` set when it could not run.
static int run(StringRef program, ArrayRef<std::string> arguments,
               std::string &error) {
  SmallVector<StringRef> argv = {program};
  for (const std::string &argument : arguments)
    argv.push_back(argument);
  return sys::ExecuteAndWait(program, argv, /*Env=*/std::nullopt, {}, 0, 0,
                             &error);
}

/// Tokenizes `tsv` into PREFIX.{ids,mask,labels}.npy with bert-tokenize.
static bool tokenize(StringRef tokenizer, StringRef tsv, StringRef prefix) {
  std::string error;
  int status = run(tokenizer,
                   {"--vocab", vocab, "--max-length", std::to_string(maxLength),
                    tsv.str(), "-o", prefix.str()},
                   error);
  if (status < 0)
    errs() << "bert-train: error: " << tokenizer << ": " << error << "\n";
  return status == 0;
}

/// bert-tokenize beside this executable.
static std::string findTokenizer(const char *argv0) {
  static int anchor;
  SmallString<256> path(sys::fs::getMainExecutable(argv0, &anchor));
  sys::path::remove_filename(path);
  sys::path::append(path, "bert-tokenize");
  return std::string(path);
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv, "bert-train: fine-tune a training executable on GLUE TSV\n");
  if (!sys::fs::can_execute(trainer))
    return failWith(trainer + ": not an executable (build one with "
                              "bert-compile --mode=train --emit=exe)");
  std::string tokenizer = findTokenizer(argv[0]);
  if (!sys::fs::can_execute(tokenizer))
    return failWith(tokenizer + ": bert-tokenize is not installed beside "
                                "bert-train");
  SmallString<128> folder;
  if (std::error_code ec = sys::fs::createUniqueDirectory("bert-train", folder))
    return failWith("cannot create a temporary folder: " + ec.message());
  auto file = [&](StringRef name) {
    SmallString<256> path(folder);
    sys::path::append(path, name);
    return std::string(path);
  };

  int status = 1;
  std::vector<std::string> arguments;
  if (!tokenize(tokenizer, trainTsv, file("train"))) {
    status = 1;
  } else if (!sys::fs::exists(file("train.labels.npy"))) {
    status = failWith(trainTsv + ": no 'label' column to train on");
  } else if (!devTsv.empty() && !tokenize(tokenizer, devTsv, file("dev"))) {
    status = 1;
  } else if (!devTsv.empty() && !sys::fs::exists(file("dev.labels.npy"))) {
    status = failWith(devTsv + ": no 'label' column to evaluate on");
  } else {
    arguments = {"--train-ids", file("train.ids.npy"), "--train-labels",
                 file("train.labels.npy"), "--train-mask", file("train.mask.npy")};
    if (!devTsv.empty())
      arguments.insert(arguments.end(),
                       {"--dev-ids", file("dev.ids.npy"), "--dev-labels",
                        file("dev.labels.npy"), "--dev-mask", file("dev.mask.npy")});
    arguments.insert(arguments.end(), trainerOptions.begin(), trainerOptions.end());
    std::string error;
    status = run(trainer, arguments, error);
    if (status < 0)
      status = failWith(trainer + ": " + error);
  }
  sys::fs::remove_directories(folder);
  return status;
}
