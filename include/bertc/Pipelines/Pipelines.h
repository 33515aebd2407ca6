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

namespace bertc {

enum class Phase {
  Import,    ///< bert dialect, as the importer wrote it
  Linalg,    ///< linalg on tensors (convert-bert-to-linalg)
  Bufferize, ///< memrefs, results as out-parameters, deallocation
  Llvm,      ///< the llvm dialect, ready for translation
};

/// Adds the passes that take the import phase's IR to `phase`.
llvm::Error buildPipelineTo(mlir::OpPassManager &pm, Phase phase);

/// Registers --bertc-lower-to-linalg, --bertc-bufferize and
/// --bertc-lower-to-llvm for bert-opt.
void registerPipelines();

} // namespace bertc

#endif // BERTC_PIPELINES_PIPELINES_H
