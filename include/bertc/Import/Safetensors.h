//===- Safetensors.h - A validating safetensors reader ----------*- C++ -*-===//
//
// Reads the tensor table of a .safetensors file and converts tensors to f32.
// Every structural fault (truncation, hostile header lengths, offsets out of
// range or overlapping, byte lengths that do not match dtype x shape, sizes
// whose products overflow) is an error naming the file and the tensor; the
// reader never reads outside the file.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_IMPORT_SAFETENSORS_H
#define BERTC_IMPORT_SAFETENSORS_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bertc::import {

/// An error "<path>: tensor '<tensor>': <what>" (without the tensor part
/// when `tensor` is empty): how every checkpoint problem is reported.
llvm::Error checkpointError(llvm::StringRef path, llvm::StringRef tensor,
                            const llvm::Twine &what);

/// The safetensors element types.
enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool };

/// The safetensors spelling of a dtype ("F32", "BF16", ...).
llvm::StringRef dtypeName(DType dtype);

/// Bytes per element.
int64_t dtypeSize(DType dtype);

/// The dtype spelled `name`, if safetensors defines it.
std::optional<DType> parseDType(llvm::StringRef name);

/// One entry of the header: where a tensor's bytes lie in the data section.
struct TensorInfo {
  std::string name;
  DType dtype;
  llvm::SmallVector<int64_t> shape;
  uint64_t begin = 0, end = 0; // offsets into the data section
  int64_t numElements = 0;
};

/// An opened and validated safetensors file.
class SafetensorsFile {
public:
  /// Reads and validates `path`.
  static llvm::Expected<SafetensorsFile> open(llvm::StringRef path);

  /// Validates an in-memory file; `path` is only used in messages.
  static llvm::Expected<SafetensorsFile>
  parse(std::unique_ptr<llvm::MemoryBuffer> buffer, llvm::StringRef path);

  /// The tensor called `name`, or null.
  const TensorInfo *find(llvm::StringRef name) const;

  /// Every tensor, in header order.
  const std::vector<TensorInfo> &tensors() const { return entries; }

  /// The tensor's values as f32 (from F32, F16 or BF16; other dtypes are an
  /// error naming the tensor).
  llvm::Expected<std::vector<float>> readAsF32(const TensorInfo &tensor) const;

  llvm::StringRef path() const { return filePath; }

private:
  SafetensorsFile() = default;

  std::string filePath;
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  const char *data = nullptr; // start of the data section
  std::vector<TensorInfo> entries;
  llvm::StringMap<size_t> index;
};

} // namespace bertc::import

#endif // BERTC_IMPORT_SAFETENSORS_H
