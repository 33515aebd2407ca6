//===- Driver.cpp - bert-compile's steps as a library ---------------------===//
//
// load (import a checkpoint or parse .mlir) -> lower (Pipelines) -> translate
// to LLVM IR -> optimize and emit for the target CPU -> link (lib, exe). Every
// output goes through writeAtomically.
//
//===----------------------------------------------------------------------===//

#include "bertc/Driver/Driver.h"

#include "bertc/InitAll.h"
#include "bertc/Pipelines/Pipelines.h"
#include "bertc/Target/Target.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace bertc;
using namespace bertc::driver;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

static Error driverError(const llvm::Twine &what) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), what);
}

/// Writes `path` through a temporary file in the same folder, renamed into
/// place only when `write` succeeded: no partial output, and an existing
/// file survives a failed compile.
static Error writeAtomically(StringRef path,
                             llvm::function_ref<Error(llvm::raw_pwrite_stream &)> write) {
  llvm::SmallString<256> temporary;
  int fd = -1;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(
          path + ".tmp-%%%%%%%%", fd, temporary))
    return driverError(path + ": cannot create a temporary file: " +
                       ec.message());
  Error written = Error::success();
  {
    llvm::raw_fd_ostream out(fd, /*shouldClose=*/true);
    written = write(out);
    out.close();
    if (!written && out.has_error())
      written = driverError(path + ": write failed: " + out.error().message());
    out.clear_error();
  }
  if (written) {
    llvm::sys::fs::remove(temporary);
    return written;
  }
  if (std::error_code ec = llvm::sys::fs::rename(temporary, path)) {
    llvm::sys::fs::remove(temporary);
    return driverError(path + ": cannot rename into place: " + ec.message());
  }
  return Error::success();
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

/// The lowered module as LLVM IR, optimized for `machine`.
static Expected<std::unique_ptr<llvm::Module>>
lowerToLlvm(ModuleOp module, llvm::LLVMContext &llvmContext,
            llvm::TargetMachine &machine) {
  PassManager pm(module.getContext());
  if (Error error = buildPipelineTo(pm, Phase::Llvm))
    return std::move(error);
  if (failed(pm.run(module)))
    return driverError("lowering to the llvm dialect failed (see the "
                       "diagnostics above)");
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "bertc");
  if (!llvmModule)
    return driverError("translation to LLVM IR failed");
  llvmModule->setTargetTriple(machine.getTargetTriple());
  llvmModule->setDataLayout(machine.createDataLayout());
  target::optimize(*llvmModule, machine);
  return llvmModule;
}

Error bertc::driver::compile(const Options &options) {
  if (Error error = checkOutputPath(options))
    return error;
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllToLLVMIRTranslations(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  Expected<OwningOpRef<ModuleOp>> module = loadInput(context, options);
  if (!module)
    return module.takeError();
  if (failed(verify(**module)))
    return driverError(options.input + ": the module does not verify");

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
      lowerToLlvm(**module, llvmContext, **machine);
  if (!llvmModule)
    return llvmModule.takeError();

  switch (options.emit) {
  case Emit::Llvm:
    return writeAtomically(options.output, [&](llvm::raw_pwrite_stream &out) {
      (*llvmModule)->print(out, nullptr);
      return Error::success();
    });
  case Emit::Asm:
  case Emit::Obj:
    return writeAtomically(options.output, [&](llvm::raw_pwrite_stream &out) {
      return target::emitCode(**llvmModule, **machine,
                              options.emit == Emit::Asm, out);
    });
  default:
    return driverError("--emit=lib and --emit=exe are not available yet");
  }
}
