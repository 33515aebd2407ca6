//===- InitAll.h - Register bertc's dialects and passes ---------*- C++ -*-===//
//
// One place that lists what bertc's tools understand, so that bert-opt and
// bert-compile agree.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_INITALL_H
#define BERTC_INITALL_H

#include "mlir/IR/DialectRegistry.h"

namespace bertc {

/// Adds bertc's dialects and the upstream dialects its pipelines use.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers bertc's passes and the upstream passes.
void registerAllPasses();

} // namespace bertc

#endif // BERTC_INITALL_H
