//===- NameConstants.cpp - Deterministic names and order for weights ------===//
//
// one-shot-bufferize turns each constant into a `memref.global` named
// `__constant_<shape>_<n>`, numbered in the order it visits functions; with
// one function per encoder layer, that order comes from a pointer-keyed map
// and changed from run to run, and so did the object file. This pass names
// every global that holds a checkpoint tensor after the tensor (its
// dense_resource key), and sorts them by name: the same checkpoint always
// gives the same bytes.
//
//===----------------------------------------------------------------------===//

#include "bertc/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/StringSet.h"

namespace bertc {
#define GEN_PASS_DEF_NAMECONSTANTSPASS
#include "bertc/Transforms/Passes.h.inc"
} // namespace bertc

using namespace mlir;

namespace {

/// The resource key of a global initialised from a dense_resource blob.
static std::optional<std::string> resourceKey(memref::GlobalOp global) {
  auto value = global.getInitialValue();
  if (!value)
    return std::nullopt;
  auto resource = dyn_cast<DenseResourceElementsAttr>(*value);
  if (!resource)
    return std::nullopt;
  return resource.getRawHandle().getKey().str();
}

struct NameConstantsPass
    : bertc::impl::NameConstantsPassBase<NameConstantsPass> {
  using NameConstantsPassBase::NameConstantsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::pair<std::string, memref::GlobalOp>> named;
    for (auto global : module.getOps<memref::GlobalOp>())
      if (global.isPrivate())
        if (std::optional<std::string> key = resourceKey(global))
          named.push_back({*key, global});
    llvm::stable_sort(named, [](const auto &a, const auto &b) {
      return a.first < b.first;
    });
    // Two globals of one blob (possible after cse across functions) get
    // suffixes; a clash with another symbol too.
    SymbolTable symbols(module);
    llvm::StringSet<> taken;
    for (auto &[key, global] : named) {
      std::string name = key;
      for (unsigned suffix = 1;
           taken.contains(name) ||
           (symbols.lookup(name) && symbols.lookup(name) != global);
           ++suffix)
        name = key + "_" + std::to_string(suffix);
      taken.insert(name);
      if (failed(symbols.rename(global, StringAttr::get(&getContext(), name))))
        return signalPassFailure();
    }
    // Sorted, before everything else.
    Block *body = module.getBody();
    for (auto &entry : llvm::reverse(named))
      entry.second->moveBefore(body, body->begin());
  }
};

} // namespace
