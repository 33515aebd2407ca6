//===- Pipelines.h - bertc's compilation phases -----------------*- C++ -*-===//
//
// The phases, in order, named once here and reused by bert-compile and as
// bert-opt pipelines (`--bertc-<phase>`).
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_PIPELINES_PIPELINES_H
#define BERTC_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Error.h"

#include <string>

namespace bertc {

enum class Phase {
  Import,    ///< bert dialect, as the importer wrote it
  Linalg,    ///< linalg on tensors (convert-bert-to-linalg)
  Bufferize, ///< memrefs, results as out-parameters, deallocation
  Llvm,      ///< the llvm dialect, ready for translation
};

/// What the target decides in the pipeline.
struct PipelineOptions {
  /// f32 lanes of a vector register: 8 (AVX2), 16 (AVX-512).
  unsigned vectorWidth = 8;
  /// Rows of the GEMM register block: 4 fits AVX2's 16 vector registers,
  /// 8 uses AVX-512's 32.
  unsigned gemmRows = 4;
  /// Quantization passes run first on the bert graph (e.g.
  /// "bert-binarize{bool-rule=gt}"); empty for float.
  std::string quantization;
  /// convert-bq-int8-to-linalg's kernel: generic, avx2 or vnni.
  std::string int8Kernel = "generic";
  /// bert-lower-linears runs the vnni products' row blocks on AMX tiles.
  bool amx = false;
};

/// Adds the passes that take the import phase's IR to `phase`.
llvm::Error buildPipelineTo(mlir::OpPassManager &pm, Phase phase,
                            const PipelineOptions &options = {});

/// Registers --bertc-lower-to-linalg, --bertc-bufferize and
/// --bertc-lower-to-llvm for bert-opt.
void registerPipelines();

} // namespace bertc

#endif // BERTC_PIPELINES_PIPELINES_H
