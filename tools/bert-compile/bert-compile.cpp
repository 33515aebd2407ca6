//===- bert-compile.cpp - Checkpoint or .mlir in, native code out ---------===//
//
//   bert-compile MODEL_DIR|FILE.mlir -o OUT --emit=mlir|llvm|asm|obj|lib|exe
//                [--target-cpu=host|NAME] [--entry=model|encoder]
//                [--quant=none|binary [--bool-rule=gt|ge]] [--time-phases]
//                [--quant=q8 [--thresholds=T.json] [--q8-float-layers=...]
//                            [--int8-kernel=auto|amx|vnni|avx2|generic]]
//
// Outputs are written to a temporary file beside OUT and renamed into place
// once complete, so a failed compile never leaves a partial file and never
// replaces an existing one.
//
//===----------------------------------------------------------------------===//

#include "bertc/Driver/Driver.h"
#include "bertc/InitAll.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using bertc::driver::Emit;

/// Our options; --help lists only these (LLVM's own stay usable, hidden).
static cl::OptionCategory category("bert-compile options");

static cl::opt<std::string> inputPath(cl::Positional, cl::Required,
                                      cl::desc("<model dir | file.mlir>"),
                                      cl::cat(category));
static cl::opt<std::string> outputPath("o", cl::Required,
                                       cl::desc("Output file"),
                                       cl::value_desc("path"), cl::cat(category));
static cl::opt<Emit> emit(
    "emit", cl::desc("What to produce"), cl::init(Emit::Obj), cl::cat(category),
    cl::values(clEnumValN(Emit::Mlir, "mlir", "the imported bert-dialect IR"),
               clEnumValN(Emit::Llvm, "llvm", "LLVM IR (.ll)"),
               clEnumValN(Emit::Asm, "asm", "assembly (.s)"),
               clEnumValN(Emit::Obj, "obj", "an object file + C header"),
               clEnumValN(Emit::Lib, "lib", "a shared library + C header"),
               clEnumValN(Emit::Exe, "exe", "an executable (.npy in/out)")));
static cl::opt<std::string>
    targetCpu("target-cpu", cl::init("host"), cl::cat(category),
              cl::desc("CPU to generate code for: host, or an LLVM CPU name "
                       "such as x86-64-v3, znver3, cascadelake"));
static cl::opt<bertc::import::EntryPoint> entry(
    "entry", cl::desc("Entry point"), cl::init(bertc::import::EntryPoint::Model),
    cl::cat(category),
    cl::values(clEnumValN(bertc::import::EntryPoint::Model, "model",
                          "token ids in (needs embedding tables)"),
               clEnumValN(bertc::import::EntryPoint::Encoder, "encoder",
                          "hidden states after the embedding LayerNorm in")));
using bertc::driver::Quant;
static cl::opt<Quant> quant(
    "quant", cl::desc("Quantization"), cl::init(Quant::None), cl::cat(category),
    cl::values(clEnumValN(Quant::None, "none", "float32 (the default)"),
               clEnumValN(Quant::Binary, "binary",
                          "BiBERT 1-1-1 bit: binary linears, Bi-Attention, "
                          "binarized word embedding"),
               clEnumValN(Quant::Q8, "q8",
                          "Q8BERT 8-bit: int8 linears with static input "
                          "scales, int8 word and position embeddings")));
static cl::opt<std::string> thresholds(
    "thresholds", cl::cat(category), cl::value_desc("T.json"),
    cl::desc("With --quant=q8: a JSON object mapping Hugging Face module "
             "names to T = max|x| of the layer's input (the checkpoint's "
             "input_thresh buffers are read too; the file wins)"));
static cl::list<std::string> floatLayers(
    "q8-float-layers", cl::CommaSeparated, cl::cat(category),
    cl::value_desc("module,..."),
    cl::desc("With --quant=q8: linears kept in f32 (Hugging Face module "
             "names)"));
static cl::opt<std::string> calibrate(
    "calibrate", cl::cat(category), cl::value_desc("INPUTS.npy"),
    cl::desc("With --quant=q8: run the float model natively over these "
             "inputs (token ids [N, L], or hidden states [N, L, H] for the "
             "encoder entry) and take max|x| of each linear's input as its "
             "threshold; writes OUT.thresholds.json (--thresholds wins)"));
static cl::opt<unsigned> calibrateBatch(
    "calibrate-batch", cl::init(8), cl::cat(category),
    cl::desc("Rows of the calibration inputs per run"));
static cl::list<std::string> requantize(
    "q8-requantize", cl::CommaSeparated, cl::cat(category),
    cl::value_desc("module,..."),
    cl::desc("With --quant=q8: linears whose f32 output is put back on an "
             "8-bit grid (the code's requantize_output; thresholds "
             "'<module>.output_thresh' from the checkpoint, the file or "
             "--calibrate; with --mode=train, QAT learns them as EMA "
             "thresholds and saves them)"));
static cl::opt<std::string> q8Mode(
    "q8-mode", cl::init("static"), cl::cat(category),
    cl::desc("With --quant=q8: static (input scales from thresholds, the "
             "default) or dynamic (each call's scale 127 / max|x|, the "
             "official code's DYNAMIC mode)"));
static cl::opt<bool> q8Dump(
    "q8-dump", cl::cat(category),
    cl::desc("With --quant=q8 --emit=exe: a debug build whose runs write "
             "every int8 product's input codes and int32 sums into "
             "$BERTC_DUMP_DIR (<slot>_x.npy, <slot>_acc.npy); "
             "OUT.dumps.json names the slots"));
static cl::opt<std::string> int8Kernel(
    "int8-kernel", cl::init("auto"), cl::cat(category),
    cl::desc("With --quant=q8: auto (from the target CPU), amx (AMX tiles, "
             "tdpbusd), vnni (vpdpbusd), avx2 (exact vpmaddwd) or generic"));
static cl::opt<std::string> boolRule(
    "bool-rule", cl::init("gt"), cl::cat(category),
    cl::desc("Bi-Attention's bool with --quant=binary: gt (1{x > 0}, the "
             "official code) or ge (1{x >= 0}, the paper)"));

static cl::opt<std::string> binaryAttention(
    "binary-attention", cl::init("bi"), cl::cat(category),
    cl::desc("With --mode=train --quant=binary: the student's attention, bi "
             "(Bi-Attention) or sign (sign(softmax), the plain binarized "
             "baseline)"));
static cl::opt<bool> dmd(
    "dmd", cl::init(true), cl::cat(category),
    cl::desc("With --mode=train --quant=binary: distil the Q, K, V "
             "similarities (direction matching); --dmd=false keeps the "
             "prediction and hidden-state terms only"));

using bertc::driver::Mode;
static cl::opt<Mode> mode(
    "mode", cl::desc("What the code computes"), cl::init(Mode::Inference),
    cl::cat(category),
    cl::values(clEnumValN(Mode::Inference, "inference",
                          "the model's outputs (the default)"),
               clEnumValN(Mode::Train, "train",
                          "a training step: mean cross-entropy of the logits "
                          "and its gradient for every weight (with "
                          "--emit=exe: --dump-grads G.safetensors)")));

static cl::opt<std::string> optimizer(
    "optimizer", cl::init("adamw"), cl::cat(category),
    cl::desc("With --mode=train: adamw (Hugging Face AdamW, global gradient "
             "clipping; Q8BERT's recipe) or bert-adam (BertAdam, per-tensor "
             "clipping, no bias correction; BiBERT's recipe)"));
static cl::opt<double> weightDecay(
    "weight-decay", cl::init(0.0), cl::cat(category),
    cl::desc("With --mode=train: weight decay (not of biases and LayerNorm "
             "weights)"));
static cl::opt<double> maxGradNorm(
    "max-grad-norm", cl::init(1.0), cl::cat(category),
    cl::desc("With --mode=train: gradient clipping norm (0: none)"));

static cl::opt<double> hiddenDropout(
    "hidden-dropout", cl::init(-1.0), cl::cat(category),
    cl::desc("With --mode=train: dropout of the embeddings, the attention "
             "and FFN outputs and the classifier input (default: the "
             "checkpoint's hidden_dropout_prob, 0.1 where absent; 0: none)"));
static cl::opt<double> attentionDropout(
    "attention-dropout", cl::init(-1.0), cl::cat(category),
    cl::desc("With --mode=train: dropout of the attention weights (BiBERT: "
             "of the scores before bool) (default: the checkpoint's "
             "attention_probs_dropout_prob, 0.1 where absent; 0: none)"));

static cl::opt<bool> report(
    "report", cl::cat(category),
    cl::desc("Print each weight tensor's parameters, bits, bytes and MACs, "
             "and the size and FLOPs totals against f32"));
static cl::opt<unsigned> reportSequence(
    "report-sequence", cl::init(128), cl::cat(category),
    cl::desc("Tokens per sequence for --report's operation counts"));
static cl::opt<bool>
    timePhases("time-phases", cl::cat(category),
               cl::desc("Print the wall time of each step to stderr"));

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  bertc::registerAllPasses(); // the pipelines are parsed from text
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "bertc: compile a Hugging Face BERT checkpoint to native code\n");
  bertc::driver::Options options;
  options.input = inputPath;
  options.output = outputPath;
  options.emit = emit;
  options.targetCpu = targetCpu;
  options.entry = entry;
  options.timePhases = timePhases;
  options.quant = quant;
  options.mode = mode;
  options.optimizer = optimizer;
  options.weightDecay = weightDecay;
  options.maxGradNorm = maxGradNorm;
  if (optimizer != "adamw" && optimizer != "bert-adam") {
    errs() << "bert-compile: error: --optimizer must be adamw or bert-adam, "
              "not '"
           << optimizer << "'\n";
    return 1;
  }
  options.hiddenDropout = hiddenDropout;
  options.attentionDropout = attentionDropout;
  for (double rate : {double(hiddenDropout), double(attentionDropout)})
    if (rate != -1.0 && !(rate >= 0.0 && rate < 1.0)) {
      errs() << "bert-compile: error: --hidden-dropout and "
                "--attention-dropout must be in [0, 1)\n";
      return 1;
    }
  if (weightDecay < 0 || maxGradNorm < 0) {
    errs() << "bert-compile: error: --weight-decay and --max-grad-norm must "
              "not be negative\n";
    return 1;
  }
  options.boolRule = boolRule;
  options.binaryAttention = binaryAttention;
  options.dmd = dmd;
  if (binaryAttention != "bi" && binaryAttention != "sign") {
    errs() << "bert-compile: error: --binary-attention must be bi or sign, "
              "not '"
           << binaryAttention << "'\n";
    return 1;
  }
  options.thresholdsPath = thresholds;
  options.floatLayers.assign(floatLayers.begin(), floatLayers.end());
  options.requantize.assign(requantize.begin(), requantize.end());
  options.int8Kernel = int8Kernel;
  options.calibratePath = calibrate;
  options.calibrateBatch = calibrateBatch;
  if (calibrateBatch == 0) {
    errs() << "bert-compile: error: --calibrate-batch must be positive\n";
    return 1;
  }
  if (q8Mode != "static" && q8Mode != "dynamic") {
    errs() << "bert-compile: error: --q8-mode must be static or dynamic, not '"
           << q8Mode << "'\n";
    return 1;
  }
  options.q8Dynamic = q8Mode == "dynamic";
  options.q8Dump = q8Dump;
  if (q8Dump && (quant != Quant::Q8 || emit != Emit::Exe)) {
    errs() << "bert-compile: error: --q8-dump needs --quant=q8 and "
              "--emit=exe (its executable writes the dumps)\n";
    return 1;
  }
  if (options.q8Dynamic && (!calibrate.empty() || !thresholds.empty())) {
    errs() << "bert-compile: error: --q8-mode=dynamic takes no thresholds "
              "(--thresholds, --calibrate)\n";
    return 1;
  }
  if (!calibrate.empty() && quant != Quant::Q8) {
    errs() << "bert-compile: error: --calibrate needs --quant=q8\n";
    return 1;
  }
  options.reportSequence = report ? int64_t(reportSequence) : 0;
  if (boolRule != "gt" && boolRule != "ge") {
    errs() << "bert-compile: error: --bool-rule must be gt or ge, not '"
           << boolRule << "'\n";
    return 1;
  }
  if (Error error = bertc::driver::compile(options)) {
    errs() << "bert-compile: error: " << toString(std::move(error)) << "\n";
    return 1;
  }
  return 0;
}
