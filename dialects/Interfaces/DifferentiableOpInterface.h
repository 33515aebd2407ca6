//===- DifferentiableOpInterface.h - Reverse-mode rules ---------*- C++ -*-===//

#ifndef BERTC_DIALECTS_INTERFACES_DIFFERENTIABLEOPINTERFACE_H
#define BERTC_DIALECTS_INTERFACES_DIFFERENTIABLEOPINTERFACE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include "dialects/Interfaces/DifferentiableOpInterface.h.inc"

#endif // BERTC_DIALECTS_INTERFACES_DIFFERENTIABLEOPINTERFACE_H
