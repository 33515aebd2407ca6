//===- MergeRuntime.cpp - Runtime functions written in the llvm dialect ---===//

#include "MergeRuntime.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;

LogicalResult bertc::mergeRuntime(ModuleOp module, ModuleOp runtime,
                                  StringRef pass) {
  for (Operation &op : llvm::make_early_inc_range(*runtime.getBody())) {
    auto symbol = cast<SymbolOpInterface>(op);
    Operation *existing = module.lookupSymbol(symbol.getName());
    if (existing) {
      auto function = dyn_cast<LLVM::LLVMFuncOp>(existing);
      bool declaration = function && function.isExternal();
      if (declaration && symbol.isDeclaration())
        continue;
      if (!declaration)
        return existing->emitError() << pass << ": symbol @"
                                     << symbol.getName()
                                     << " is already defined";
      existing->erase();
    }
    op.moveBefore(module.getBody(), module.getBody()->end());
  }
  return success();
}
