//===- Target.cpp - LLVM code generation for the chosen CPU ---------------===//

#include "bertc/Target/Target.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/TargetParser/X86TargetParser.h"

using namespace llvm;

static Error targetError(const Twine &what) {
  return createStringError(inconvertibleErrorCode(), what);
}

/// The host's features as a "+a,-b" string.
static std::string hostFeatures() {
  SubtargetFeatures features;
  for (const auto &[name, enabled] : sys::getHostCPUFeatures())
    features.AddFeature(name, enabled);
  return features.getString();
}

Expected<std::unique_ptr<TargetMachine>>
bertc::target::createTargetMachine(StringRef cpu) {
  InitializeNativeTarget();
  InitializeNativeTargetAsmPrinter();
  Triple triple(sys::getDefaultTargetTriple());
  std::string error;
  const Target *target = TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return targetError("no LLVM target for " + triple.str() + ": " + error);

  std::string cpuName, features;
  if (cpu == "host") {
    cpuName = sys::getHostCPUName().str();
    features = hostFeatures();
  } else {
    cpuName = cpu.str();
    if (triple.isX86() && !X86::parseArchX86(cpuName, /*Only64Bit=*/true) &&
        cpuName != "x86-64")
      return targetError("unknown target CPU '" + cpu +
                         "' (try host, x86-64-v3, znver3, cascadelake)");
  }
  TargetOptions options;
  std::unique_ptr<TargetMachine> machine(target->createTargetMachine(
      triple, cpuName, features, options, Reloc::PIC_, std::nullopt,
      CodeGenOptLevel::Aggressive));
  if (!machine)
    return targetError("cannot create a target machine for " + cpuName);
  return machine;
}

void bertc::target::optimize(Module &module, TargetMachine &machine) {
  LoopAnalysisManager loops;
  FunctionAnalysisManager functions;
  CGSCCAnalysisManager cgscc;
  ModuleAnalysisManager modules;
  PassBuilder builder(&machine);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(cgscc);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, cgscc, modules);
  ModulePassManager pipeline =
      builder.buildPerModuleDefaultPipeline(OptimizationLevel::O3);
  pipeline.run(module, modules);
}

Error bertc::target::emitCode(Module &module, TargetMachine &machine,
                              bool assembly, raw_pwrite_stream &out) {
  legacy::PassManager passes;
  if (machine.addPassesToEmitFile(passes, out, nullptr,
                                  assembly ? CodeGenFileType::AssemblyFile
                                           : CodeGenFileType::ObjectFile))
    return targetError("the target cannot emit this file type");
  passes.run(module);
  return Error::success();
}
