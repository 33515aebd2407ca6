//===- MergeRuntime.h - Runtime functions written in the llvm dialect -----===//
//
// Passes that define run-time support in the object itself (the buffer
// cache, the thread pool) write it as llvm-dialect text, so that a compiled
// model needs nothing but libc: these helpers parse it and move it into the
// module being compiled.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_LIB_TRANSFORMS_MERGERUNTIME_H
#define BERTC_LIB_TRANSFORMS_MERGERUNTIME_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace bertc {

/// Moves the runtime's symbols into `module`: declarations it already has
/// are kept, a declaration in `module` is replaced by the runtime's
/// definition, and any other clash is an error naming `pass`.
mlir::LogicalResult mergeRuntime(mlir::ModuleOp module, mlir::ModuleOp runtime,
                                 llvm::StringRef pass);

} // namespace bertc

#endif // BERTC_LIB_TRANSFORMS_MERGERUNTIME_H
