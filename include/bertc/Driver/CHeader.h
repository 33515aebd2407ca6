//===- CHeader.h - The C header that documents a compiled model -*- C++ -*-===//

#ifndef BERTC_DRIVER_CHEADER_H
#define BERTC_DRIVER_CHEADER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>

namespace bertc::driver {

/// The C header of the module's entry point (docs/ABI.md): model sizes,
/// status codes, and a static inline wrapper that validates every argument
/// before calling the compiled code. Fails if the module lacks the
/// attributes the importer records.
llvm::Expected<std::string> generateCHeader(mlir::ModuleOp module,
                                            llvm::StringRef guardName);

/// The C header of a training build (--mode=train): the model sizes, the
/// flat parameter vector's tensor table (Hugging Face name, offset, shape)
/// and the memref ABI of bert_train_step and bert_initial_parameters, for
/// runtime/bertc_train.c.
/// `configJson` is the checkpoint's config.json, which the runtime writes
/// beside the weights it saves.
llvm::Expected<std::string> generateTrainHeader(mlir::ModuleOp module,
                                                llvm::StringRef configJson);

} // namespace bertc::driver

#endif // BERTC_DRIVER_CHEADER_H
