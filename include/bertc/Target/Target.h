//===- Target.h - LLVM code generation for the chosen CPU -------*- C++ -*-===//

#ifndef BERTC_TARGET_TARGET_H
#define BERTC_TARGET_TARGET_H

#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>

namespace bertc::target {

/// A TargetMachine for `cpu` on the host's triple: "host" means the running
/// CPU with its detected features; any other name is an LLVM CPU, with the
/// features that CPU has. Unknown names are an error.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(llvm::StringRef cpu);

/// Runs LLVM's O3 pipeline on `module` for `machine` (with 512-bit
/// auto-vectorization on AVX-512 targets).
void optimize(llvm::Module &module, llvm::TargetMachine &machine);

/// Emits `module` as an object file or assembly into `out`.
llvm::Error emitCode(llvm::Module &module, llvm::TargetMachine &machine,
                     bool assembly, llvm::raw_pwrite_stream &out);

} // namespace bertc::target

#endif // BERTC_TARGET_TARGET_H
