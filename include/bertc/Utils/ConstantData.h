//===- ConstantData.h - Reading and making f32 constant data ----*- C++ -*-===//
//
// Weights travel as dense_resource blobs (the importer) or dense attributes
// (tests, small constants); the folders and the weight prepacking read both
// and write new blobs the same way.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_UTILS_CONSTANTDATA_H
#define BERTC_UTILS_CONSTANTDATA_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include "mlir/IR/Value.h"

#include <optional>
#include <string>

namespace bertc {

/// The values of an f32 constant held by a dense attribute or a
/// dense_resource blob; nullopt for anything else.
std::optional<llvm::SmallVector<float>> getF32Values(mlir::Attribute attr);

/// A new dense_resource blob of `type` holding `values`; `name` is the blob's
/// key hint (made unique by MLIR if taken).
mlir::DenseF32ResourceElementsAttr makeF32Resource(mlir::ShapedType type,
                                                   llvm::StringRef name,
                                                   llvm::ArrayRef<float> values);

/// The checkpoint name of a constant (the key of its dense_resource blob,
/// e.g. "bert.encoder.layer.0.attention.self.query.weight"), or "" when the
/// value is not a constant blob.
std::string constantName(mlir::Value value);

} // namespace bertc

#endif // BERTC_UTILS_CONSTANTDATA_H
