//===- Pipelines.cpp - bertc's compilation phases -------------------------===//
//
// Written as textual pipelines so that each phase reads like the bert-opt
// command that reproduces it.
//
//===----------------------------------------------------------------------===//

#include "bertc/Pipelines/Pipelines.h"

#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

/// bert ops, bq's bit-level ops (after canonicalize has folded constant
/// weights into packed bits) and elementwise tensor arithmetic to linalg on
/// tensors. Elementwise fusion runs twice: canonicalize removes the casts
/// that kept an epilogue from its residual add in the first round.
static std::string toLinalg(const bertc::PipelineOptions &options) {
  return "canonicalize,convert-bert-to-linalg,convert-bq-to-linalg,"
         "convert-bq-int8-to-linalg{kernel=" +
         options.int8Kernel +
         "},convert-elementwise-to-linalg,canonicalize,cse,"
         "bert-fuse-elementwise,canonicalize,cse,bert-fuse-elementwise,"
         "canonicalize,cse,bert-exact-constant-division";
}

/// Tensors to memrefs with identity layouts at the boundary; results become
/// caller-owned out-parameters so the C ABI never returns heap memory.
/// eliminate-empty-tensors lets a result built from a tensor.empty (a
/// training step's gradient vector, the optimizer's new weights and
/// moments: millions of floats) be computed in its out-parameter instead
/// of being copied there.
/// Weight globals are named after their tensors (a stable output).
static const char *const kBufferize =
    "bert-results-to-out-params,eliminate-empty-tensors,"
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "bert-name-constants,"
    "canonicalize,buffer-deallocation-pipeline,canonicalize";

/// The register-blocked GEMM kernels replace the tagged linear products
/// (bert-lower-linears and bert-lower-attention{vector-width=...} are added
/// in front, per target).
/// Loops and the llvm dialect. erf, exp and tanh become polynomial
/// approximations (bert-approximate-math), which vectorize where libm calls
/// would not; what remains maps to intrinsics or libm. The GEMM kernels'
/// calls go through bert-parallelize-kernels' thread pool
/// (BERTC_NUM_THREADS). Buffers come from bert-cache-buffers' allocator,
/// which reuses them from call to call.
static const char *const kToLlvm =
    "bert-row-reductions-to-loops,bert-strided-copies-to-loops,"
    "convert-linalg-to-loops,lower-affine,"
    "convert-scf-to-cf,canonicalize,"
    "convert-vector-to-llvm{enable-amx},"
    "bert-approximate-math,"
    "convert-math-to-llvm,convert-math-to-libm,expand-strided-metadata,"
    "lower-affine,finalize-memref-to-llvm{use-generic-functions=true},"
    "convert-arith-to-llvm,"
    "convert-index-to-llvm,convert-cf-to-llvm,convert-func-to-llvm,"
    "reconcile-unrealized-casts,bert-internalize-private,bert-parallelize-kernels,"
    "bert-cache-buffers";

llvm::Error bertc::buildPipelineTo(OpPassManager &pm, Phase phase,
                                   const PipelineOptions &options) {
  std::string pipeline;
  if (phase >= Phase::Linalg) {
    if (!options.quantization.empty())
      pipeline += options.quantization + ",";
    pipeline += toLinalg(options);
  }
  if (phase >= Phase::Bufferize)
    pipeline += std::string(",") + kBufferize;
  if (phase >= Phase::Llvm) {
    std::string kernelOptions = "vector-width=" +
                                std::to_string(options.vectorWidth) +
                                " rows=" + std::to_string(options.gemmRows);
    pipeline += ",bert-bytewise-packing,bert-lower-linears{" + kernelOptions +
                (options.amx ? " amx=true" : "") + "},bert-lower-attention{" +
                kernelOptions + "},bert-row-kernels," + kToLlvm;
  }
  if (pipeline.empty())
    return llvm::Error::success();
  std::string message;
  llvm::raw_string_ostream errors(message);
  if (failed(parsePassPipeline(pipeline, pm, errors)))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "bad pipeline: " + message);
  return llvm::Error::success();
}

void bertc::registerPipelines() {
  auto registerPhase = [](const char *name, const char *summary, Phase phase) {
    PassPipelineRegistration<>(name, summary, [phase](OpPassManager &pm) {
      if (llvm::Error error = buildPipelineTo(pm, phase))
        llvm::report_fatal_error(std::move(error));
    });
  };
  registerPhase("bertc-lower-to-linalg",
                "bert dialect to linalg on tensors", Phase::Linalg);
  registerPhase("bertc-bufferize",
                "bert dialect to memrefs with out-parameters",
                Phase::Bufferize);
  registerPhase("bertc-lower-to-llvm", "bert dialect to the llvm dialect",
                Phase::Llvm);
}
