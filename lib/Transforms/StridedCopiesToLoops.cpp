//===- StridedCopiesToLoops.cpp - No memrefCopy runtime calls -------------===//
//
// Compiled models link against libc and libm only; a memref.copy between
// non-contiguous views would otherwise become a call to the runner
// utilities' memrefCopy.
//
//===----------------------------------------------------------------------===//

#include "bertc/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/BuiltinOps.h"

namespace bertc {
#define GEN_PASS_DEF_STRIDEDCOPIESTOLOOPSPASS
#include "bertc/Transforms/Passes.h.inc"
} // namespace bertc

using namespace mlir;

namespace {
struct StridedCopiesToLoopsPass
    : bertc::impl::StridedCopiesToLoopsPassBase<StridedCopiesToLoopsPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> strided;
    getOperation().walk([&](memref::CopyOp copy) {
      // The condition under which finalize-memref-to-llvm emits a memcpy.
      auto contiguous = [](Type type) {
        auto memref = dyn_cast<MemRefType>(type);
        return memref && (memref.getLayout().isIdentity() ||
                          memref::isStaticShapeAndContiguousRowMajor(memref));
      };
      if (!contiguous(copy.getSource().getType()) ||
          !contiguous(copy.getTarget().getType()))
        strided.push_back(copy);
    });
    for (memref::CopyOp copy : strided) {
      OpBuilder builder(copy);
      linalg::CopyOp::create(builder, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    }
  }
};
} // namespace
