//===- Safetensors.cpp - A validating safetensors reader ------------------===//
//
// Layout: an unsigned 64-bit little-endian header length N, N bytes of JSON
// mapping tensor names to {dtype, shape, data_offsets} (plus an optional
// "__metadata__" object), then the data section.
//
//===----------------------------------------------------------------------===//

#include "bertc/Import/Safetensors.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/JSON.h"

#include <algorithm>
#include <cstring>

using namespace bertc::import;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

static const struct {
  DType dtype;
  const char *name;
  int64_t size;
} dtypeTable[] = {
    {DType::F64, "F64", 8}, {DType::F32, "F32", 4}, {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2}, {DType::I64, "I64", 8}, {DType::I32, "I32", 4},
    {DType::I16, "I16", 2}, {DType::I8, "I8", 1},   {DType::U8, "U8", 1},
    {DType::Bool, "BOOL", 1},
};

StringRef bertc::import::dtypeName(DType dtype) {
  for (const auto &entry : dtypeTable)
    if (entry.dtype == dtype)
      return entry.name;
  llvm_unreachable("dtype missing from the table");
}

int64_t bertc::import::dtypeSize(DType dtype) {
  for (const auto &entry : dtypeTable)
    if (entry.dtype == dtype)
      return entry.size;
  llvm_unreachable("dtype missing from the table");
}

std::optional<DType> bertc::import::parseDType(StringRef name) {
  for (const auto &entry : dtypeTable)
    if (name == entry.name)
      return entry.dtype;
  return std::nullopt;
}

Error bertc::import::checkpointError(StringRef path, StringRef tensor,
                                    const llvm::Twine &what) {
  std::string message = path.str() + ": ";
  if (!tensor.empty())
    message += "tensor '" + tensor.str() + "': ";
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 message + what.str());
}

/// out = a * b; true when the product does not fit in 64 bits.
static bool mulOverflows(uint64_t a, uint64_t b, uint64_t &out) {
  return __builtin_mul_overflow(a, b, &out);
}

/// A non-negative integer from JSON, or nullopt.
static std::optional<uint64_t> getUnsigned(const llvm::json::Value &value) {
  if (std::optional<int64_t> asSigned = value.getAsInteger())
    return *asSigned >= 0 ? std::optional<uint64_t>(*asSigned) : std::nullopt;
  return value.getAsUINT64();
}

/// Parses one header entry; checks dtype, shape and that the byte length
/// equals elements x element size without overflowing.
static Expected<TensorInfo> parseEntry(StringRef path, StringRef name,
                                       const llvm::json::Value &value,
                                       uint64_t dataSize) {
  const llvm::json::Object *object = value.getAsObject();
  if (!object)
    return checkpointError(path, name, "header entry is not a JSON object");
  TensorInfo info;
  info.name = name.str();

  std::optional<StringRef> dtypeText = object->getString("dtype");
  if (!dtypeText)
    return checkpointError(path, name, "missing string field 'dtype'");
  std::optional<DType> dtype = parseDType(*dtypeText);
  if (!dtype)
    return checkpointError(path, name, "unknown dtype '" + *dtypeText + "'");
  info.dtype = *dtype;

  const llvm::json::Array *shape = object->getArray("shape");
  if (!shape)
    return checkpointError(path, name, "missing array field 'shape'");
  uint64_t elements = 1;
  for (const llvm::json::Value &dim : *shape) {
    std::optional<uint64_t> size = getUnsigned(dim);
    if (!size || *size > uint64_t(INT64_MAX))
      return checkpointError(path, name, "shape entries must be non-negative integers");
    if (mulOverflows(elements, *size, elements) ||
        elements > uint64_t(INT64_MAX))
      return checkpointError(path, name, "shape's element count overflows 64 bits");
    info.shape.push_back(static_cast<int64_t>(*size));
  }
  info.numElements = static_cast<int64_t>(elements);

  const llvm::json::Array *offsets = object->getArray("data_offsets");
  if (!offsets || offsets->size() != 2)
    return checkpointError(path, name, "'data_offsets' must be an array of two offsets");
  std::optional<uint64_t> begin = getUnsigned((*offsets)[0]);
  std::optional<uint64_t> end = getUnsigned((*offsets)[1]);
  if (!begin || !end)
    return checkpointError(path, name, "'data_offsets' must be non-negative integers");
  if (*begin > *end)
    return checkpointError(path, name, "data_offsets [" + llvm::Twine(*begin) + ", " +
                                 llvm::Twine(*end) + "] are reversed");
  if (*end > dataSize)
    return checkpointError(path, name, "data_offsets end " + llvm::Twine(*end) +
                                 " lies past the data section (" +
                                 llvm::Twine(dataSize) + " bytes)");
  uint64_t bytes = 0;
  if (mulOverflows(elements, uint64_t(dtypeSize(*dtype)), bytes))
    return checkpointError(path, name, "byte size overflows 64 bits");
  if (bytes != *end - *begin)
    return checkpointError(path, name,
                 llvm::Twine(*end - *begin) + " bytes do not hold " +
                     llvm::Twine(elements) + " " + dtypeName(*dtype) +
                     " elements (" + llvm::Twine(bytes) + " bytes)");
  info.begin = *begin;
  info.end = *end;
  return info;
}

/// The first key that the top-level object of valid JSON `text` repeats.
/// llvm::json keeps one of two equal keys silently, and two tensors of one
/// name make a checkpoint ambiguous.
static std::optional<std::string> findRepeatedTopLevelKey(StringRef text) {
  llvm::StringSet<> seen;
  int depth = 0;
  bool expectKey = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') {
      size_t start = i++;
      while (i < text.size() && text[i] != '"')
        i += text[i] == '\\' ? 2 : 1;
      if (depth == 1 && expectKey) {
        // Decode escapes so that "a" and "\u0061" count as one name.
        Expected<llvm::json::Value> key =
            llvm::json::parse(text.slice(start, i + 1));
        std::string name = key && key->getAsString()
                               ? key->getAsString()->str()
                               : text.slice(start, i + 1).str();
        llvm::consumeError(key.takeError());
        if (!seen.insert(name).second)
          return name;
        expectKey = false;
      }
    } else if (c == '{' || c == '[') {
      ++depth;
      expectKey = depth == 1 && c == '{';
    } else if (c == '}' || c == ']') {
      --depth;
    } else if (c == ',' && depth == 1) {
      expectKey = true;
    }
  }
  return std::nullopt;
}

Expected<SafetensorsFile> SafetensorsFile::open(StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return checkpointError(path, "", "cannot read: " + buffer.getError().message());
  return parse(std::move(*buffer), path);
}

Expected<SafetensorsFile>
SafetensorsFile::parse(std::unique_ptr<llvm::MemoryBuffer> buffer,
                       StringRef path) {
  uint64_t fileSize = buffer->getBufferSize();
  if (fileSize < 8)
    return checkpointError(path, "", "truncated: " + llvm::Twine(fileSize) +
                               " bytes, fewer than the 8-byte header length");
  uint64_t headerSize =
      llvm::support::endian::read64le(buffer->getBufferStart());
  if (headerSize > fileSize - 8)
    return checkpointError(path, "", "header length " + llvm::Twine(headerSize) +
                               " runs past the end of the file (" +
                               llvm::Twine(fileSize) + " bytes)");
  StringRef headerText(buffer->getBufferStart() + 8, headerSize);
  Expected<llvm::json::Value> header = llvm::json::parse(headerText);
  if (!header)
    return checkpointError(path, "", "invalid JSON header: " +
                               llvm::toString(header.takeError()));
  const llvm::json::Object *table = header->getAsObject();
  if (!table)
    return checkpointError(path, "", "the JSON header is not an object");
  if (std::optional<std::string> repeated = findRepeatedTopLevelKey(headerText))
    return checkpointError(path, *repeated, "named twice in the header");

  SafetensorsFile file;
  file.filePath = path.str();
  uint64_t dataSize = fileSize - 8 - headerSize;
  for (const auto &[key, value] : *table) {
    if (key == "__metadata__")
      continue;
    Expected<TensorInfo> entry = parseEntry(path, key, value, dataSize);
    if (!entry)
      return entry.takeError();
    file.entries.push_back(std::move(*entry));
  }
  // JSON objects are unordered: keep a stable order for the importer.
  llvm::sort(file.entries, [](const TensorInfo &a, const TensorInfo &b) {
    return a.begin != b.begin ? a.begin < b.begin : a.name < b.name;
  });
  for (size_t i = 1; i < file.entries.size(); ++i) {
    const TensorInfo &previous = file.entries[i - 1], &current = file.entries[i];
    if (previous.end > current.begin && current.begin != current.end)
      return checkpointError(path, current.name,
                   "bytes overlap those of tensor '" + previous.name + "'");
  }
  for (size_t i = 0; i < file.entries.size(); ++i)
    file.index[file.entries[i].name] = i;
  file.data = buffer->getBufferStart() + 8 + headerSize;
  file.buffer = std::move(buffer);
  return std::move(file);
}

const TensorInfo *SafetensorsFile::find(StringRef name) const {
  auto it = index.find(name);
  return it == index.end() ? nullptr : &entries[it->second];
}

/// IEEE half to float, including subnormals, infinities and NaN.
static float halfToFloat(uint16_t half) {
  uint32_t sign = uint32_t(half & 0x8000) << 16;
  uint32_t exponent = (half >> 10) & 0x1f;
  uint32_t mantissa = half & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000 | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else { // subnormal: normalise
    int shift = 0;
    while (!(mantissa & 0x400)) {
      mantissa <<= 1;
      ++shift;
    }
    bits = sign | (uint32_t(113 - shift) << 23) | ((mantissa & 0x3ff) << 13);
  }
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

static float bfloat16ToFloat(uint16_t bfloat) {
  uint32_t bits = uint32_t(bfloat) << 16;
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

Expected<std::vector<float>>
SafetensorsFile::readAsF32(const TensorInfo &tensor) const {
  const char *bytes = data + tensor.begin;
  std::vector<float> values(tensor.numElements);
  switch (tensor.dtype) {
  case DType::F32:
    if (!values.empty())
      std::memcpy(values.data(), bytes, values.size() * sizeof(float));
    return values;
  case DType::F16:
    for (size_t i = 0; i < values.size(); ++i)
      values[i] = halfToFloat(llvm::support::endian::read16le(bytes + 2 * i));
    return values;
  case DType::BF16:
    for (size_t i = 0; i < values.size(); ++i)
      values[i] =
          bfloat16ToFloat(llvm::support::endian::read16le(bytes + 2 * i));
    return values;
  default:
    return checkpointError(filePath, tensor.name,
                 "dtype " + dtypeName(tensor.dtype) +
                     " is not a float type (F32, F16 or BF16 expected)");
  }
}
