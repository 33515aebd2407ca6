//===- Target.cpp - LLVM code generation for the chosen CPU ---------------===//

#include "bertc/Target/Target.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
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

/// Lets LLVM's vectorizers use 512-bit vectors on an AVX-512 target.
/// LLVM's tuning for server parts prefers 256 bits in auto-vectorized loops
/// (wide vectors lower the clock on some CPUs), but our GEMM and attention
/// kernels run on zmm registers already, so the loops around them (the row
/// kernels: quantizers, LayerNorm, softmax, GELU, dequantization) gain the
/// width for free: the quantize-and-pack of a 128 x 768 input went from
/// 23 us to 9 us (ymm lanes needed a shuffle chain to narrow f32 to i8,
/// zmm has vpmovdb). Elementwise loops and sums kept in order give the
/// same bits at any width; only the contractions left to LLVM's vectorizer
/// with reassoc (the narrow ones no kernel takes, e.g. a 2-way classifier)
/// may round differently in the last bit (the SST-2 model's fp32 logits
/// moved by 1 ulp).
static void preferWideVectors(Module &module, TargetMachine &machine) {
  if (!machine.getMCSubtargetInfo()->checkFeatures("+avx512f"))
    return;
  for (Function &function : module)
    if (!function.isDeclaration() &&
        !function.hasFnAttribute("prefer-vector-width"))
      function.addFnAttr("prefer-vector-width", "512");
}

void bertc::target::optimize(Module &module, TargetMachine &machine) {
  preferWideVectors(module, machine);
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
