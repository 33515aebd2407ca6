//===- BertDialect.cpp - The bert float-graph dialect ---------------------===//

#include "dialects/Bert/IR/Bert.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "dialects/Interfaces/InlineEverything.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace bertc::bert;

#include "dialects/Bert/IR/BertOpsDialect.cpp.inc"

#include "dialects/Bert/IR/BertEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Bert/IR/BertAttrs.cpp.inc"

#define GET_OP_CLASSES
#include "dialects/Bert/IR/BertOps.cpp.inc"


void BertDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/Bert/IR/BertAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialects/Bert/IR/BertOps.cpp.inc"
      >();
  addInterfaces<bertc::InlineEverything>();
}
