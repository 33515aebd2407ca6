//===- ConstantData.cpp - Reading and making f32 constant data ------------===//

#include "bertc/Utils/ConstantData.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

std::optional<SmallVector<float>> bertc::getF32Values(Attribute attr) {
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(attr)) {
    if (!dense.getElementType().isF32())
      return std::nullopt;
    auto values = dense.getValues<float>();
    return SmallVector<float>(values.begin(), values.end());
  }
  if (auto blob = dyn_cast_or_null<DenseF32ResourceElementsAttr>(attr)) {
    if (std::optional<ArrayRef<float>> values = blob.tryGetAsArrayRef())
      return SmallVector<float>(values->begin(), values->end());
  }
  return std::nullopt;
}

DenseF32ResourceElementsAttr bertc::makeF32Resource(ShapedType type,
                                                    StringRef name,
                                                    ArrayRef<float> values) {
  return DenseF32ResourceElementsAttr::get(
      type, name, HeapAsmResourceBlob::allocateAndCopyInferAlign<float>(values));
}

std::string bertc::constantName(Value value) {
  Attribute attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return "";
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr))
    return resource.getRawHandle().getKey().str();
  return "";
}
