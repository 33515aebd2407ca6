//===- Bert.h - The bert float-graph dialect --------------------*- C++ -*-===//

#ifndef BERTC_DIALECTS_BERT_IR_BERT_H
#define BERTC_DIALECTS_BERT_IR_BERT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "bertc/Utils/Dropout.h"
#include "dialects/Interfaces/DifferentiableOpInterface.h"

#include "dialects/Bert/IR/BertOpsDialect.h.inc"

#include "dialects/Bert/IR/BertEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Bert/IR/BertAttrs.h.inc"

#define GET_OP_CLASSES
#include "dialects/Bert/IR/BertOps.h.inc"

namespace bertc::bert {

/// The attention weights that `kind` makes of the scaled, masked scores
/// [B, heads, L, L]: softmax, Bi-Attention's bool, or sign(softmax), with
/// the op's dropout (of the probabilities, or of the scores before bool).
/// The lowering and the gradient share it, so both see the same weights.
mlir::Value buildAttentionProbabilities(mlir::OpBuilder &builder,
                                        mlir::Location loc, mlir::Value scores,
                                        AttentionProbabilities kind,
                                        const DropoutSite &dropout);

} // namespace bertc::bert

#endif // BERTC_DIALECTS_BERT_IR_BERT_H
