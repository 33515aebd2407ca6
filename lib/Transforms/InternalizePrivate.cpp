//===- InternalizePrivate.cpp - Private functions stay inside the object --===//
//
// convert-func-to-llvm keeps a private func.func's symbol visibility but
// gives it external linkage, so every helper (GEMM kernels, layer
// functions, the deallocation helper) became a global symbol of the object
// and two compiled models could not be linked into one program.
//
//===----------------------------------------------------------------------===//

#include "bertc/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace bertc {
#define GEN_PASS_DEF_INTERNALIZEPRIVATEPASS
#include "bertc/Transforms/Passes.h.inc"
} // namespace bertc

using namespace mlir;

namespace {
struct InternalizePrivatePass
    : bertc::impl::InternalizePrivatePassBase<InternalizePrivatePass> {
  using InternalizePrivatePassBase::InternalizePrivatePassBase;

  void runOnOperation() override {
    auto internal =
        LLVM::LinkageAttr::get(&getContext(), LLVM::Linkage::Internal);
    for (auto function : getOperation().getOps<LLVM::LLVMFuncOp>())
      if (function.isPrivate() && !function.isExternal())
        function.setLinkageAttr(internal);
  }
};
} // namespace
