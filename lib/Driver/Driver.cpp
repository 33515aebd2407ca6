//===- Driver.cpp - bert-compile's steps as a library ---------------------===//
//
// load (import a checkpoint or parse .mlir) -> lower (Pipelines) -> translate
// to LLVM IR -> optimize and emit for the target CPU -> link (lib, exe). Every
// output goes through writeAtomically.
//
//===----------------------------------------------------------------------===//

#include "bertc/Driver/Driver.h"

#include "bertc/Driver/CHeader.h"
#include "bertc/Driver/Calibrate.h"
#include "bertc/Driver/Report.h"
#include "bertc/Driver/Thresholds.h"
#include "bertc/Import/BertConfig.h"
#include "bertc/InitAll.h"
#include "bertc/Pipelines/Pipelines.h"
#include "bertc/Target/Target.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"

#include "RuntimeMain.inc"

#include <chrono>

using namespace mlir;
using namespace bertc;
using namespace bertc::driver;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

static Error driverError(const llvm::Twine &what) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), what);
}

/// Finishes an atomic write: on `failure`, drops `temporary` and returns the
/// failure; otherwise renames it to `path`.
static Error commitTemporary(StringRef temporary, StringRef path,
                             Error failure) {
  if (failure) {
    llvm::sys::fs::remove(temporary);
    return failure;
  }
  if (std::error_code ec = llvm::sys::fs::rename(temporary, path)) {
    llvm::sys::fs::remove(temporary);
    return driverError(path + ": cannot rename into place: " + ec.message());
  }
  return Error::success();
}

/// Runs `write` on `out` and closes it; the first error, named after `path`.
static Error writeAndClose(llvm::raw_fd_ostream &out, StringRef path,
                           llvm::function_ref<Error(llvm::raw_pwrite_stream &)> write) {
  Error written = write(out);
  out.close();
  if (!written && out.has_error())
    written = driverError(path + ": write failed: " + out.error().message());
  out.clear_error();
  return written;
}

/// True if `path` exists and is not a regular file (/dev/null, a FIFO).
static bool isSpecialFile(StringRef path) {
  llvm::sys::fs::file_status status;
  return !llvm::sys::fs::status(path, status) &&
         status.type() != llvm::sys::fs::file_type::regular_file;
}

/// Writes `path` through a temporary file in the same folder, renamed into
/// place only when `write` succeeded: no partial output, and an existing
/// file survives a failed compile.
static Error writeAtomically(StringRef path,
                             llvm::function_ref<Error(llvm::raw_pwrite_stream &)> write) {
  // A special file is written in place: renaming over it would replace the
  // device.
  if (isSpecialFile(path)) {
    std::error_code ec;
    llvm::raw_fd_ostream out(path, ec);
    if (ec)
      return driverError(path + ": cannot write: " + ec.message());
    return writeAndClose(out, path, write);
  }
  llvm::SmallString<256> temporary;
  int fd = -1;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(
          path + ".tmp-%%%%%%%%", fd, temporary))
    return driverError(path + ": cannot create a temporary file: " +
                       ec.message());
  llvm::raw_fd_ostream out(fd, /*shouldClose=*/true);
  Error written = writeAndClose(out, path, write);
  return commitTemporary(temporary, path, std::move(written));
}

/// Refuses an output that would replace the input or a file inside an input
/// folder.
static Error checkOutputPath(const Options &options) {
  if (options.output.empty())
    return driverError("no output path (-o)");
  if (llvm::sys::fs::is_directory(options.output))
    return driverError(options.output + ": is a folder, not an output file");
  if (llvm::sys::fs::equivalent(options.input, options.output))
    return driverError(options.output + ": -o names the input; refusing to "
                                        "overwrite it");
  if (llvm::sys::fs::is_directory(options.input)) {
    llvm::SmallString<256> parent(options.output);
    llvm::sys::fs::make_absolute(parent);
    llvm::sys::path::remove_filename(parent);
    if (llvm::sys::fs::equivalent(parent, options.input))
      for (StringRef name : {"config.json", "model.safetensors"})
        if (llvm::sys::path::filename(options.output) == name)
          return driverError(options.output + ": -o names a file of the "
                                              "input checkpoint; refusing");
  }
  return Error::success();
}

/// Imports a checkpoint folder or parses a .mlir file, and verifies it.
static Expected<OwningOpRef<ModuleOp>> loadInput(MLIRContext &context,
                                                 const Options &options) {
  if (!llvm::sys::fs::exists(options.input))
    return driverError(options.input + ": no such file or folder");
  if (llvm::sys::fs::is_directory(options.input))
    return import::importCheckpoint(context, options.input, options.entry);

  llvm::SourceMgr sourceMgr;
  std::string diagnostics;
  llvm::raw_string_ostream stream(diagnostics);
  SourceMgrDiagnosticHandler handler(sourceMgr, &context, stream);
  std::string message;
  auto file = openInputFile(options.input, &message);
  if (!file)
    return driverError(options.input + ": " + message);
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return driverError("invalid MLIR input:\n" + diagnostics);
  return module;
}

/// Wall time of the steps, printed to stderr with --time-phases: compile
/// time is a target (BERT-base in <= 60 s), and users need to see where it
/// goes.
class PhaseClock {
public:
  explicit PhaseClock(bool enabled) : enabled(enabled) {}
  /// Ends the step that started at the previous lap.
  void lap(StringRef step) {
    auto now = std::chrono::steady_clock::now();
    if (enabled)
      llvm::errs() << llvm::formatv("bert-compile: {0,-22} {1,7:f2} s\n",
                                    step + ":",
                                    std::chrono::duration<double>(now - last)
                                        .count());
    last = now;
  }

private:
  bool enabled;
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
};

/// The int8 kernel for `cpu`: --int8-kernel, or with auto the best the
/// CPU runs. A kernel the CPU lacks is refused here: llc would abort on
/// the intrinsic rather than diagnose it.
static Expected<std::string> chooseInt8Kernel(const Options &options,
                                              const llvm::MCSubtargetInfo &cpu) {
  bool vnni = cpu.checkFeatures("+avx512vnni,+avx512f") ||
              cpu.checkFeatures("+avxvnni");
  bool avx2 = cpu.checkFeatures("+avx2");
  // The AMX kernel runs rows that do not fill a tile on AVX-512 vpdpbusd.
  bool amx = cpu.checkFeatures("+amx-tile,+amx-int8,+avx512vnni,+avx512f");
  StringRef wanted = options.int8Kernel;
  if (wanted == "auto")
    return std::string(amx    ? "amx"
                       : vnni ? "vnni"
                       : avx2 ? "avx2"
                              : "generic");
  if (wanted == "amx" && !amx)
    return driverError("--int8-kernel=amx needs AMX-INT8 and AVX512-VNNI, "
                       "which the target CPU '" +
                       options.targetCpu + "' does not have");
  if (wanted == "vnni" && !vnni)
    return driverError("--int8-kernel=vnni needs AVX512-VNNI or AVX-VNNI, "
                       "which the target CPU '" +
                       options.targetCpu + "' does not have");
  if (wanted == "avx2" && !avx2)
    return driverError("--int8-kernel=avx2 needs AVX2, which the target CPU '" +
                       options.targetCpu + "' does not have");
  if (wanted != "amx" && wanted != "vnni" && wanted != "avx2" &&
      wanted != "generic")
    return driverError("--int8-kernel must be auto, amx, vnni, avx2 or generic, "
                       "not '" +
                       wanted + "'");
  return wanted.str();
}

/// The lowered module as LLVM IR, optimized for `machine`.
static Expected<std::unique_ptr<llvm::Module>>
lowerToLlvm(ModuleOp module, llvm::LLVMContext &llvmContext,
            llvm::TargetMachine &machine, const Options &options,
            PhaseClock &clock, bool recordRanges = false) {
  PassManager pm(module.getContext());
  PipelineOptions pipelineOptions;
  if (recordRanges)
    pipelineOptions.quantization = "bert-record-ranges";
  else if (options.quant == Quant::Binary && options.mode == Mode::Inference)
    pipelineOptions.quantization =
        "bert-binarize{bool-rule=" + options.boolRule + "}";
  const llvm::MCSubtargetInfo &cpu = *machine.getMCSubtargetInfo();
  if (cpu.checkFeatures("+avx512f")) {
    pipelineOptions.vectorWidth = 16;
    pipelineOptions.gemmRows = 8;
  }
  // A training build has its fake quantizers already (makeTrainingStep).
  if (options.quant == Quant::Q8 && !recordRanges &&
      options.mode == Mode::Inference) {
    pipelineOptions.quantization =
        "bert-quantize-q8{float-layers=" +
        llvm::join(options.floatLayers, ",") +
        " requantize=" + llvm::join(options.requantize, ",") +
        (options.q8Dynamic ? " mode=dynamic}" : "}") +
        (options.q8Dump ? ",bert-dump-int8" : "");
    Expected<std::string> kernel = chooseInt8Kernel(options, cpu);
    if (!kernel)
      return kernel.takeError();
    // AMX reads the vnni packing: it is a choice of bert-lower-linears.
    pipelineOptions.amx = *kernel == "amx";
    pipelineOptions.int8Kernel = pipelineOptions.amx ? "vnni" : *kernel;
    // AVX-VNNI without AVX-512 runs vpdpbusd on 8 lanes, the vector width
    // already chosen; vpmaddwd's kernel is written for 8 lanes.
  }
  if (Error error = buildPipelineTo(pm, Phase::Llvm, pipelineOptions))
    return std::move(error);
  if (failed(pm.run(module)))
    return driverError("lowering to the llvm dialect failed (see the "
                       "diagnostics above)");
  clock.lap("MLIR lowering");
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "bertc");
  if (!llvmModule)
    return driverError("translation to LLVM IR failed");
  llvmModule->setTargetTriple(machine.getTargetTriple());
  llvmModule->setDataLayout(machine.createDataLayout());
  clock.lap("translation");
  target::optimize(*llvmModule, machine);
  clock.lap("LLVM optimization");
  return llvmModule;
}

/// A temporary folder removed when it goes out of scope.
class ScratchDir {
public:
  static Expected<ScratchDir> create() {
    ScratchDir dir;
    if (std::error_code ec =
            llvm::sys::fs::createUniqueDirectory("bert-compile", dir.path))
      return driverError("cannot create a temporary folder: " + ec.message());
    return std::move(dir);
  }
  ScratchDir(ScratchDir &&other) : path(std::move(other.path)) {
    other.path.clear();
  }
  ~ScratchDir() {
    if (!path.empty())
      llvm::sys::fs::remove_directories(path);
  }
  std::string file(StringRef name) const {
    llvm::SmallString<256> result(path);
    llvm::sys::path::append(result, name);
    return std::string(result);
  }

private:
  ScratchDir() = default;
  llvm::SmallString<256> path;
};

/// Writes `text` to `path` (a scratch file, not a user's).
static Error writeScratch(StringRef path, StringRef text) {
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec);
  if (ec)
    return driverError(path + ": " + ec.message());
  out << text;
  return Error::success();
}

/// Writes the C sources of an executable into `scratch`; returns the .c
/// file to compile.
static Expected<std::string> writeRuntimeSources(const ScratchDir &scratch,
                                                 bool train, StringRef header) {
  std::string mainSource = scratch.file(train ? "bertc_train.c" : "bertc_main.c");
  if (Error error = writeScratch(
          scratch.file(train ? "bertc_train_model.h" : "bertc_model.h"), header))
    return std::move(error);
  if (Error error = writeScratch(scratch.file("bertc_npy.h"), kRuntimeNpy))
    return std::move(error);
  if (Error error = writeScratch(mainSource, train ? kRuntimeTrain : kRuntimeMain))
    return std::move(error);
  return mainSource;
}

/// Runs the system C compiler ($CC, else cc) with `arguments`.
static Error runCCompiler(ArrayRef<std::string> arguments) {
  std::string compiler = "cc";
  if (const char *fromEnv = std::getenv("CC"); fromEnv && *fromEnv)
    compiler = fromEnv;
  llvm::ErrorOr<std::string> program = llvm::sys::findProgramByName(compiler);
  if (!program)
    return driverError("--emit=lib and --emit=exe link with a C compiler, and '" +
                       compiler + "' was not found (install gcc or set CC)");
  SmallVector<StringRef> argv = {*program};
  for (const std::string &argument : arguments)
    argv.push_back(argument);
  std::string message;
  int status = llvm::sys::ExecuteAndWait(*program, argv, std::nullopt, {}, 0, 0,
                                         &message);
  if (status != 0)
    return driverError("the C compiler failed (" + *program + ", status " +
                       llvm::Twine(status) + ")" +
                       (message.empty() ? "" : ": " + message));
  return Error::success();
}

/// Links `inputs` (with `flags`) into `path` through a temporary file beside
/// it, renamed into place once the linker succeeded: the same guarantee as
/// writeAtomically, without copying the artifact.
static Error linkAtomically(StringRef path, ArrayRef<std::string> flags,
                            ArrayRef<std::string> inputs) {
  if (isSpecialFile(path))
    return driverError(path + ": exists and is not a regular file; refusing "
                              "to replace it with a linked " +
                       (llvm::is_contained(flags, "-shared") ? "library"
                                                             : "executable"));
  llvm::SmallString<256> temporary;
  llvm::sys::fs::createUniquePath(path + ".tmp-%%%%%%%%", temporary,
                                  /*MakeAbsolute=*/false);
  SmallVector<std::string> arguments(flags.begin(), flags.end());
  arguments.append({"-o", std::string(temporary)});
  arguments.append(inputs.begin(), inputs.end());
  arguments.push_back("-lm");
  return commitTemporary(temporary, path, runCCompiler(arguments));
}

/// OUT without its extension, plus ".h".
static std::string headerPathFor(StringRef output) {
  llvm::SmallString<256> path(output);
  llvm::sys::path::replace_extension(path, ".h");
  return std::string(path);
}

/// A C identifier derived from the output's file name, for the include guard.
static std::string guardNameFor(StringRef output) {
  std::string name = llvm::sys::path::stem(output).str();
  for (char &c : name)
    if (!llvm::isAlnum(c))
      c = '_';
  return name;
}

/// --q8-dump: OUT.dumps.json, the module of each dump slot, in order.
static Error writeDumpNames(ModuleOp module, const Options &options) {
  llvm::SmallString<256> path(options.output);
  llvm::sys::path::replace_extension(path, ".dumps.json");
  if (llvm::sys::fs::equivalent(options.input, path))
    return driverError(path + ": the dump names would overwrite the input");
  std::string text = "[";
  if (auto names = module->getAttrOfType<ArrayAttr>("bertc.dumps"))
    for (auto [index, name] : llvm::enumerate(names))
      text += std::string(index ? ", " : "") + "\"" +
              cast<StringAttr>(name).str() + "\"";
  return writeAtomically(path, [&](llvm::raw_pwrite_stream &out) {
    out << text << "]\n";
    return Error::success();
  });
}

/// OUT without its extension, plus ".thresholds.json".
static std::string thresholdsPathFor(StringRef output) {
  llvm::SmallString<256> path(output);
  llvm::sys::path::replace_extension(path, ".thresholds.json");
  return std::string(path);
}

/// --calibrate: builds the float model with bert-record-ranges as an
/// executable in a scratch folder, runs it over the inputs and returns the
/// thresholds; they are also written beside the output so that the run can
/// be repeated with --thresholds.
static Expected<llvm::StringMap<float>>
calibrateThresholds(ModuleOp module, const Options &options, PhaseClock &clock) {
  Expected<std::unique_ptr<llvm::TargetMachine>> machine =
      target::createTargetMachine(options.targetCpu);
  if (!machine)
    return machine.takeError();
  OwningOpRef<ModuleOp> floatModel = module.clone();
  llvm::LLVMContext llvmContext;
  Expected<std::unique_ptr<llvm::Module>> llvmModule = lowerToLlvm(
      *floatModel, llvmContext, **machine, options, clock, /*recordRanges=*/true);
  if (!llvmModule)
    return llvmModule.takeError();
  Expected<std::string> header = generateCHeader(*floatModel, "calibration");
  if (!header)
    return header.takeError();
  SmallVector<std::string> slots;
  if (auto names = (*floatModel)->getAttrOfType<ArrayAttr>("bertc.ranges"))
    for (Attribute name : names)
      slots.push_back(cast<StringAttr>(name).str());
  Expected<ScratchDir> scratch = ScratchDir::create();
  if (!scratch)
    return scratch.takeError();
  std::string object = scratch->file("float.o"), exe = scratch->file("float");
  if (Error error = writeAtomically(object, [&](llvm::raw_pwrite_stream &out) {
        return target::emitCode(**llvmModule, **machine, /*assembly=*/false, out);
      }))
    return std::move(error);
  Expected<std::string> mainSource =
      writeRuntimeSources(*scratch, /*train=*/false, *header);
  if (!mainSource)
    return mainSource.takeError();
  if (Error error = linkAtomically(exe, {"-O2"}, {*mainSource, object}))
    return std::move(error);
  clock.lap("calibration build");
  Expected<llvm::StringMap<float>> thresholds =
      runCalibration(exe, options.calibratePath, slots, scratch->file(""),
                     options.calibrateBatch);
  if (!thresholds)
    return thresholds.takeError();
  clock.lap("calibration run");
  std::string path = thresholdsPathFor(options.output);
  if (llvm::sys::fs::equivalent(options.input, path) ||
      llvm::sys::fs::equivalent(options.thresholdsPath, path))
    return driverError(path + ": the calibrated thresholds would overwrite an "
                              "input");
  if (Error error = writeAtomically(path, [&](llvm::raw_pwrite_stream &out) {
        out << thresholdsToJson(*thresholds);
        return Error::success();
      }))
    return std::move(error);
  llvm::errs() << "bert-compile: " << slots.size()
               << " calibrated thresholds (inputs and outputs of the linears) "
                  "written to "
               << path << "\n";
  return thresholds;
}

/// The checkpoint's config.json (a training build saves it beside the
/// weights it trains); "{}" for a .mlir input.
static std::string readConfigText(StringRef input) {
  llvm::SmallString<256> path(input);
  llvm::sys::path::append(path, "config.json");
  if (!llvm::sys::fs::is_directory(input))
    return "{}";
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(path);
  return file ? (*file)->getBuffer().str() : "{}";
}

/// The training step's (hidden, attention) dropout rates: the options where
/// given, else the checkpoint's config.json (Hugging Face's 0.1 where a
/// field, or the whole config for a .mlir input, is absent).
static Expected<std::pair<double, double>>
dropoutRates(const Options &options) {
  import::BertConfig config;
  if (llvm::sys::fs::is_directory(options.input)) {
    llvm::SmallString<256> path(options.input);
    llvm::sys::path::append(path, "config.json");
    Expected<import::BertConfig> read = import::readBertConfig(path);
    if (!read)
      return read.takeError();
    config = *read;
  }
  return std::make_pair(
      options.hiddenDropout >= 0 ? options.hiddenDropout : config.hiddenDropout,
      options.attentionDropout >= 0 ? options.attentionDropout
                                    : config.attentionDropout);
}

/// --mode=train: the entry becomes bert_train_step (loss and gradients of
/// the flat parameter vector), before any other step sees the module.
static Error makeTrainingStep(ModuleOp module, const Options &options) {
  if (options.quant == Quant::Q8 &&
      (options.q8Dynamic || options.q8Dump || !options.calibratePath.empty() ||
       !options.thresholdsPath.empty()))
    return driverError("--mode=train --quant=q8 learns its thresholds (EMA); "
                       "it takes no --q8-mode=dynamic, --q8-dump, --calibrate "
                       "or --thresholds");
  if (options.entry != import::EntryPoint::Model)
    return driverError("--mode=train needs --entry=model (token ids in)");
  // BertAdam's epsilon is 1e-6 (BiBERT's recipe), AdamW's 1e-8.
  std::string optimizer = llvm::formatv(
      "bert-build-optimizer{{kind={0} epsilon={1} weight-decay={2} "
      "max-grad-norm={3}}",
      options.optimizer, options.optimizer == "adamw" ? "1e-8" : "1e-6",
      options.weightDecay, options.maxGradNorm);
  PassManager pm(module.getContext());
  std::string quantize =
      options.quant == Quant::Q8
          ? "bert-fake-quantize-q8{float-layers=" +
                llvm::join(options.floatLayers, ",") +
                " requantize=" + llvm::join(options.requantize, ",") + "},"
          : "";
  // BiBERT: the float teacher is cloned before the student is binarized.
  std::string binarize =
      options.quant == Quant::Binary
          ? llvm::formatv("bert-distill-bibert{{dmd={0}},"
                          "bert-binarize-for-training{{attention={1}},",
                          options.dmd ? "true" : "false",
                          options.binaryAttention == "sign" ? "sign_softmax"
                          : options.boolRule == "ge"        ? "bool_paper"
                                                            : "bool")
                .str()
          : "";
  Expected<std::pair<double, double>> rates = dropoutRates(options);
  if (!rates)
    return rates.takeError();
  // %.17g: the option parser reads back the exact double.
  char dropout[128];
  std::snprintf(dropout, sizeof dropout,
                "bert-insert-dropout{hidden=%.17g attention=%.17g},",
                rates->first, rates->second);
  if (failed(parsePassPipeline("inline," + binarize + "bert-make-trainable," +
                                   std::string(dropout) + quantize +
                                   "func.func(bert-differentiate)," +
                                   optimizer + ",canonicalize,cse",
                               pm)) ||
      failed(pm.run(module)))
    return driverError("building the training step failed (see the "
                       "diagnostics above)");
  return Error::success();
}

Error bertc::driver::compile(const Options &options) {
  if (Error error = checkOutputPath(options))
    return error;
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllToLLVMIRTranslations(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  PhaseClock clock(options.timePhases);
  Expected<OwningOpRef<ModuleOp>> module = loadInput(context, options);
  if (!module)
    return module.takeError();
  if (failed(verify(**module)))
    return driverError(options.input + ": the module does not verify");
  clock.lap("import");
  if (options.mode == Mode::Train)
    if (Error error = makeTrainingStep(**module, options))
      return error;
  if (options.quant == Quant::Q8 && !options.q8Dynamic &&
      options.mode == Mode::Inference) {
    // The checkpoint's buffers, then a calibration, then the file: each
    // later source overrides the earlier ones.
    bool fromCheckpoint = llvm::sys::fs::is_directory(options.input);
    Expected<llvm::StringMap<float>> thresholds = loadThresholds(
        fromCheckpoint ? StringRef(options.input) : StringRef(), "");
    if (!thresholds)
      return thresholds.takeError();
    if (!options.calibratePath.empty()) {
      Expected<llvm::StringMap<float>> calibrated =
          calibrateThresholds(**module, options, clock);
      if (!calibrated)
        return calibrated.takeError();
      for (const auto &entry : *calibrated)
        (*thresholds)[entry.getKey()] = entry.getValue();
    }
    Expected<llvm::StringMap<float>> given =
        loadThresholds("", options.thresholdsPath);
    if (!given)
      return given.takeError();
    for (const auto &entry : *given)
      (*thresholds)[entry.getKey()] = entry.getValue();
    // A .mlir input may carry its own; given ones replace them.
    if (!thresholds->empty())
      attachThresholds(**module, *thresholds);
  }
  if (options.reportSequence > 0)
    printReport(**module, options.quant, options.floatLayers,
                options.reportSequence, llvm::outs());

  if (options.emit == Emit::Mlir)
    return writeAtomically(options.output, [&](llvm::raw_pwrite_stream &out) {
      (*module)->print(out);
      return Error::success();
    });

  Expected<std::unique_ptr<llvm::TargetMachine>> machine =
      target::createTargetMachine(options.targetCpu);
  if (!machine)
    return machine.takeError();
  llvm::LLVMContext llvmContext;
  Expected<std::unique_ptr<llvm::Module>> llvmModule =
      lowerToLlvm(**module, llvmContext, **machine, options, clock);
  if (!llvmModule)
    return llvmModule.takeError();
  if (options.q8Dump)
    if (Error error = writeDumpNames(**module, options))
      return error;

  std::string header;
  if (options.emit == Emit::Obj || options.emit == Emit::Lib ||
      options.emit == Emit::Exe) {
    Expected<std::string> text =
        options.mode == Mode::Train
            ? generateTrainHeader(**module, readConfigText(options.input))
            : generateCHeader(**module, guardNameFor(options.output));
    if (!text) {
      // A plain .mlir module (no bertc.entry) still makes a usable object;
      // a library or an executable needs the entry point the header wraps.
      if (options.emit != Emit::Obj)
        return text.takeError();
      llvm::errs() << "bert-compile: note: no C header: "
                   << llvm::toString(text.takeError()) << "\n";
    } else {
      header = std::move(*text);
    }
  }
  auto emitObject = [&](llvm::raw_pwrite_stream &out) {
    Error error =
        target::emitCode(**llvmModule, **machine, /*assembly=*/false, out);
    clock.lap("code generation");
    return error;
  };
  auto writeHeader = [&]() -> Error {
    // A device output (-o /dev/null) has no folder of its own to put
    // OUT.h beside it: /dev/null.h would be a new file in /dev.
    if (isSpecialFile(options.output))
      return Error::success();
    std::string path = headerPathFor(options.output);
    if (llvm::sys::fs::equivalent(options.input, path))
      return driverError(path + ": the header would overwrite the input");
    return writeAtomically(path, [&](llvm::raw_pwrite_stream &out) {
      out << header;
      return Error::success();
    });
  };

  switch (options.emit) {
  case Emit::Llvm:
    return writeAtomically(options.output, [&](llvm::raw_pwrite_stream &out) {
      (*llvmModule)->print(out, nullptr);
      return Error::success();
    });
  case Emit::Asm:
    return writeAtomically(options.output, [&](llvm::raw_pwrite_stream &out) {
      return target::emitCode(**llvmModule, **machine, /*assembly=*/true, out);
    });
  case Emit::Obj:
    if (Error error = writeAtomically(options.output, emitObject))
      return error;
    return header.empty() ? Error::success() : writeHeader();
  case Emit::Lib:
  case Emit::Exe: {
    Expected<ScratchDir> scratch = ScratchDir::create();
    if (!scratch)
      return scratch.takeError();
    std::string object = scratch->file("model.o");
    if (Error error = writeAtomically(object, emitObject))
      return error;
    if (options.emit == Emit::Lib) {
      // nodelete: dlclose must not unmap code that the thread pool's
      // workers (BERTC_NUM_THREADS > 1) may still be running.
      if (Error error = linkAtomically(options.output,
                                       {"-shared", "-Wl,-z,nodelete"}, {object}))
        return error;
      clock.lap("link");
      return writeHeader();
    }
    Expected<std::string> mainSource =
        writeRuntimeSources(*scratch, options.mode == Mode::Train, header);
    if (!mainSource)
      return mainSource.takeError();
    Error linked =
        linkAtomically(options.output, {"-O2"}, {*mainSource, object});
    clock.lap("link");
    return linked;
  }
  case Emit::Mlir:
    break;
  }
  llvm_unreachable("every emit kind is handled above");
}
