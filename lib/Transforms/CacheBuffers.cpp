//===- CacheBuffers.cpp - Reuse scratch buffers across calls --------------===//
//
// Every call of a compiled model allocates and frees the same sequence of
// activation buffers (tens of MiB for BERT-base). glibc returns large freed
// blocks to the kernel, so each call faulted its pages in again: about a
// fifth of the run time went to page faults and zeroing fresh pages. This
// pass defines the allocation functions that `finalize-memref-to-llvm
// {use-generic-functions}` calls with a small process-wide cache of freed
// blocks (best fit, spin-lock protected), so the next call finds its
// buffers already mapped.
//
//===----------------------------------------------------------------------===//

#include "MergeRuntime.h"

#include "bertc/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include "llvm/ADT/StringExtras.h"

namespace bertc {
#define GEN_PASS_DEF_CACHEBUFFERSPASS
#include "bertc/Transforms/Passes.h.inc"
} // namespace bertc

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kAllocName = "_mlir_memref_to_llvm_alloc";
constexpr llvm::StringLiteral kFreeName = "_mlir_memref_to_llvm_free";

// The allocation functions stay out of line: inlined at the hundreds of
// allocation sites of a 12-layer entry function, their scan loops made
// LLVM's dominator-tree queries dominate compile time (77 s instead of 45).
// Each cached block starts with a 16-byte header holding its capacity, so
// the pointer handed out keeps malloc's 16-byte alignment (the memref
// lowering over-allocates for larger alignments itself). @SLOTS@ and
// @RELEASE@ are substituted before parsing.
constexpr llvm::StringLiteral kRuntime = R"mlir(
llvm.func @malloc(i64) -> !llvm.ptr
llvm.func @free(!llvm.ptr)
llvm.mlir.global internal @__bertc_buffer_lock(0 : i32) : i32
llvm.mlir.global internal @__bertc_buffers() : !llvm.array<@SLOTS@ x ptr> {
  %zero = llvm.mlir.zero : !llvm.array<@SLOTS@ x ptr>
  llvm.return %zero : !llvm.array<@SLOTS@ x ptr>
}

llvm.func internal @__bertc_lock_buffers() {
  %lock = llvm.mlir.addressof @__bertc_buffer_lock : !llvm.ptr
  %one = llvm.mlir.constant(1 : i32) : i32
  %zero = llvm.mlir.constant(0 : i32) : i32
  llvm.br ^try
^try:
  %old = llvm.atomicrmw xchg %lock, %one acquire : !llvm.ptr, i32
  %busy = llvm.icmp "ne" %old, %zero : i32
  llvm.cond_br %busy, ^try, ^done
^done:
  llvm.return
}

llvm.func internal @__bertc_unlock_buffers() {
  %lock = llvm.mlir.addressof @__bertc_buffer_lock : !llvm.ptr
  %zero = llvm.mlir.constant(0 : i32) : i32
  llvm.store %zero, %lock atomic release {alignment = 4 : i64} : i32, !llvm.ptr
  llvm.return
}

// The smallest cached block of at least `size` bytes, else a new one.
llvm.func internal @_mlir_memref_to_llvm_alloc(%size: i64) -> !llvm.ptr
    attributes {passthrough = ["noinline"]} {
  %slots = llvm.mlir.addressof @__bertc_buffers : !llvm.ptr
  %null = llvm.mlir.zero : !llvm.ptr
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  %none = llvm.mlir.constant(-1 : i64) : i64
  %huge = llvm.mlir.constant(-1 : i64) : i64
  %count = llvm.mlir.constant(@SLOTS@ : i64) : i64
  %header = llvm.mlir.constant(16 : i64) : i64
  llvm.call @__bertc_lock_buffers() : () -> ()
  llvm.br ^scan(%c0, %none, %huge : i64, i64, i64)
^scan(%i: i64, %best: i64, %bestSize: i64):
  %end = llvm.icmp "uge" %i, %count : i64
  llvm.cond_br %end, ^chosen, ^look
^look:
  %slot = llvm.getelementptr %slots[0, %i] : (!llvm.ptr, i64) -> !llvm.ptr, !llvm.array<@SLOTS@ x ptr>
  %block = llvm.load %slot : !llvm.ptr -> !llvm.ptr
  %empty = llvm.icmp "eq" %block, %null : !llvm.ptr
  llvm.cond_br %empty, ^next(%best, %bestSize : i64, i64), ^weigh
^weigh:
  %capacity = llvm.load %block : !llvm.ptr -> i64
  %fits = llvm.icmp "uge" %capacity, %size : i64
  %smaller = llvm.icmp "ult" %capacity, %bestSize : i64
  %take = llvm.and %fits, %smaller : i1
  %newBest = llvm.select %take, %i, %best : i1, i64
  %newSize = llvm.select %take, %capacity, %bestSize : i1, i64
  llvm.br ^next(%newBest, %newSize : i64, i64)
^next(%keptBest: i64, %keptSize: i64):
  %i1 = llvm.add %i, %c1 : i64
  llvm.br ^scan(%i1, %keptBest, %keptSize : i64, i64, i64)
^chosen:
  %found = llvm.icmp "ne" %best, %none : i64
  llvm.cond_br %found, ^reuse, ^fresh
^reuse:
  %bestSlot = llvm.getelementptr %slots[0, %best] : (!llvm.ptr, i64) -> !llvm.ptr, !llvm.array<@SLOTS@ x ptr>
  %reused = llvm.load %bestSlot : !llvm.ptr -> !llvm.ptr
  llvm.store %null, %bestSlot : !llvm.ptr, !llvm.ptr
  llvm.call @__bertc_unlock_buffers() : () -> ()
  %reusedData = llvm.getelementptr %reused[16] : (!llvm.ptr) -> !llvm.ptr, i8
  llvm.return %reusedData : !llvm.ptr
^fresh:
  llvm.call @__bertc_unlock_buffers() : () -> ()
  %total = llvm.add %size, %header : i64
  %tooBig = llvm.icmp "ult" %total, %size : i64
  llvm.cond_br %tooBig, ^failed, ^allocate
^allocate:
  %fresh = llvm.call @malloc(%total) : (i64) -> !llvm.ptr
  %failed = llvm.icmp "eq" %fresh, %null : !llvm.ptr
  llvm.cond_br %failed, ^failed, ^record
^record:
  llvm.store %size, %fresh : i64, !llvm.ptr
  %freshData = llvm.getelementptr %fresh[16] : (!llvm.ptr) -> !llvm.ptr, i8
  llvm.return %freshData : !llvm.ptr
^failed:
  llvm.return %null : !llvm.ptr
}

// Keeps the block in a free slot; frees it when every slot is taken.
llvm.func internal @_mlir_memref_to_llvm_free(%data: !llvm.ptr)
    attributes {passthrough = ["noinline"]} {
  %slots = llvm.mlir.addressof @__bertc_buffers : !llvm.ptr
  %null = llvm.mlir.zero : !llvm.ptr
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  %count = llvm.mlir.constant(@SLOTS@ : i64) : i64
  %isNull = llvm.icmp "eq" %data, %null : !llvm.ptr
  llvm.cond_br %isNull, ^done, ^keep
^keep:
  %block = llvm.getelementptr %data[-16] : (!llvm.ptr) -> !llvm.ptr, i8
  llvm.call @__bertc_lock_buffers() : () -> ()
  llvm.br ^scan(%c0 : i64)
^scan(%i: i64):
  %end = llvm.icmp "uge" %i, %count : i64
  llvm.cond_br %end, ^full, ^look
^look:
  %slot = llvm.getelementptr %slots[0, %i] : (!llvm.ptr, i64) -> !llvm.ptr, !llvm.array<@SLOTS@ x ptr>
  %held = llvm.load %slot : !llvm.ptr -> !llvm.ptr
  %empty = llvm.icmp "eq" %held, %null : !llvm.ptr
  %i1 = llvm.add %i, %c1 : i64
  llvm.cond_br %empty, ^store, ^scan(%i1 : i64)
^store:
  llvm.store %block, %slot : !llvm.ptr, !llvm.ptr
  llvm.call @__bertc_unlock_buffers() : () -> ()
  llvm.br ^done
^full:
  llvm.call @__bertc_unlock_buffers() : () -> ()
  llvm.call @free(%block) : (!llvm.ptr) -> ()
  llvm.br ^done
^done:
  llvm.return
}

// Returns every cached block to libc (the C header declares it).
llvm.func @@RELEASE@() {
  %slots = llvm.mlir.addressof @__bertc_buffers : !llvm.ptr
  %null = llvm.mlir.zero : !llvm.ptr
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  %count = llvm.mlir.constant(@SLOTS@ : i64) : i64
  llvm.call @__bertc_lock_buffers() : () -> ()
  llvm.br ^scan(%c0 : i64)
^scan(%i: i64):
  %end = llvm.icmp "uge" %i, %count : i64
  llvm.cond_br %end, ^done, ^look
^look:
  %slot = llvm.getelementptr %slots[0, %i] : (!llvm.ptr, i64) -> !llvm.ptr, !llvm.array<@SLOTS@ x ptr>
  %held = llvm.load %slot : !llvm.ptr -> !llvm.ptr
  llvm.store %null, %slot : !llvm.ptr, !llvm.ptr
  llvm.call @free(%held) : (!llvm.ptr) -> ()
  %i1 = llvm.add %i, %c1 : i64
  llvm.br ^scan(%i1 : i64)
^done:
  llvm.call @__bertc_unlock_buffers() : () -> ()
  llvm.return
}
)mlir";

struct CacheBuffersPass
    : bertc::impl::CacheBuffersPassBase<CacheBuffersPass> {
  using CacheBuffersPassBase::CacheBuffersPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto alloc = module.lookupSymbol<LLVM::LLVMFuncOp>(kAllocName);
    auto free = module.lookupSymbol<LLVM::LLVMFuncOp>(kFreeName);
    // Nothing to define: the module allocates nothing, or already has them.
    if ((!alloc || !alloc.isExternal()) && (!free || !free.isExternal()))
      return;
    OwningOpRef<ModuleOp> runtime = parseRuntime(slots ? slots : countAllocationSites());
    if (!runtime) {
      module.emitError("bert-cache-buffers: the buffer cache did not parse");
      return signalPassFailure();
    }
    if (failed(bertc::mergeRuntime(module, *runtime, getArgument())))
      return signalPassFailure();
  }

  /// Allocation sites outside loops run once per call; sizing the cache by
  /// them keeps every buffer of a call even when all are freed at its end.
  unsigned countAllocationSites() {
    unsigned sites = 0;
    getOperation().walk([&](LLVM::CallOp call) {
      if (call.getCallee() == kAllocName)
        ++sites;
    });
    return std::max(sites, 16u);
  }

  OwningOpRef<ModuleOp> parseRuntime(unsigned slotCount) {
    std::string text = kRuntime.str();
    replaceAll(text, "@SLOTS@", std::to_string(slotCount));
    replaceAll(text, "@RELEASE@", releaseFunctionName());
    return parseSourceString<ModuleOp>(text, &getContext(),
                                       "bert-cache-buffers runtime");
  }

  /// `<entry>_release_buffers` (or `<module name>_`, or `bertc_` for an
  /// unnamed module without an entry), so that two models linked into one
  /// program each release their own cache.
  std::string releaseFunctionName() {
    std::string prefix = "bertc";
    if (auto entry = getOperation()->getAttrOfType<StringAttr>("bertc.entry"))
      prefix = entry.getValue().str();
    else if (std::optional<StringRef> name = getOperation().getSymName())
      prefix = name->str();
    return prefix + "_release_buffers";
  }

  static void replaceAll(std::string &text, StringRef from, StringRef to) {
    for (size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size()))
      text.replace(at, from.size(), to.str());
  }
};

} // namespace
