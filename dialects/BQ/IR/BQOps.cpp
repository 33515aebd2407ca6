//===- BQOps.cpp - Operation definitions of the bq dialect ----------------===//
//
// The generated op classes. Verifiers are in BQVerify.cpp, folders and
// canonicalizations in BQFolds.cpp, straight-through gradients in
// BQGradients.cpp.
//
//===----------------------------------------------------------------------===//

#include "dialects/BQ/IR/BQ.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace bertc::bq;

#define GET_OP_CLASSES
#include "dialects/BQ/IR/BQOps.cpp.inc"
