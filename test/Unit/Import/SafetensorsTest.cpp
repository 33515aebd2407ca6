//===- SafetensorsTest.cpp - The checkpoint reader on good and bad files --===//
//
// Each malformed case is built in memory and must be refused with a message
// that names the file and, where one is involved, the tensor.
//
//===----------------------------------------------------------------------===//

#include "bertc/Import/Safetensors.h"

#include "gtest/gtest.h"

#include <cstring>
#include <limits>
#include <string>

using namespace bertc::import;

namespace {

/// A safetensors file: 8-byte little-endian length, header, data.
std::string makeFile(const std::string &header, const std::string &data,
                     uint64_t headerLength = std::numeric_limits<uint64_t>::max()) {
  uint64_t length = headerLength == std::numeric_limits<uint64_t>::max()
                        ? header.size()
                        : headerLength;
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  return bytes + header + data;
}

std::string floats(std::initializer_list<float> values) {
  std::string bytes(values.size() * 4, '\0');
  std::memcpy(bytes.data(), values.begin(), bytes.size());
  return bytes;
}

llvm::Expected<SafetensorsFile> parseBytes(const std::string &bytes) {
  return SafetensorsFile::parse(
      llvm::MemoryBuffer::getMemBufferCopy(bytes, "test"), "bad.safetensors");
}

/// The error message of a parse that must fail.
std::string parseError(const std::string &bytes) {
  auto file = parseBytes(bytes);
  if (file)
    return "<parsed>";
  return llvm::toString(file.takeError());
}

#define EXPECT_REFUSED(bytes, fragment)                                        \
  do {                                                                         \
    std::string message = parseError(bytes);                                   \
    EXPECT_NE(message.find("bad.safetensors: "), std::string::npos) << message; \
    EXPECT_NE(message.find(fragment), std::string::npos) << message;           \
  } while (false)

const std::string kTwoFloats =
    R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";

TEST(Safetensors, ReadsAValidFile) {
  auto file = parseBytes(makeFile(
      R"({"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[1,2],"data_offsets":[8,16]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"empty":{"dtype":"F32","shape":[0,3],"data_offsets":[16,16]}})",
      floats({1.0f, -2.0f, 3.5f, 0.25f})));
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  ASSERT_EQ(file->tensors().size(), 3u);
  const TensorInfo *b = file->find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->shape, (llvm::SmallVector<int64_t>{1, 2}));
  auto values = file->readAsF32(*b);
  ASSERT_TRUE(bool(values));
  EXPECT_EQ(*values, (std::vector<float>{3.5f, 0.25f}));
  EXPECT_EQ(file->find("missing"), nullptr);
  auto empty = file->readAsF32(*file->find("empty"));
  ASSERT_TRUE(bool(empty));
  EXPECT_TRUE(empty->empty());
}

TEST(Safetensors, ConvertsHalfAndBFloat16) {
  // F16: 1.0 = 0x3c00, -2.0 = 0xc000, 2^-24 = 0x0001 (subnormal), inf = 0x7c00.
  // BF16: 1.0 = 0x3f80, -0.5 = 0xbf00.
  std::string data = std::string("\x00\x3c\x00\xc0\x01\x00\x00\x7c", 8) +
                     std::string("\x80\x3f\x00\xbf", 4);
  auto file = parseBytes(makeFile(
      R"({"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]}})",
      data));
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  auto half = file->readAsF32(*file->find("h"));
  ASSERT_TRUE(bool(half));
  EXPECT_EQ((*half)[0], 1.0f);
  EXPECT_EQ((*half)[1], -2.0f);
  EXPECT_EQ((*half)[2], 5.9604645e-08f);
  EXPECT_EQ((*half)[3], std::numeric_limits<float>::infinity());
  auto bf = file->readAsF32(*file->find("b"));
  ASSERT_TRUE(bool(bf));
  EXPECT_EQ(*bf, (std::vector<float>{1.0f, -0.5f}));
}

TEST(Safetensors, RefusesNonFloatReads) {
  auto file = parseBytes(makeFile(
      R"({"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})",
      std::string(8, '\0')));
  ASSERT_TRUE(bool(file));
  auto values = file->readAsF32(*file->find("ids"));
  ASSERT_FALSE(bool(values));
  std::string message = llvm::toString(values.takeError());
  EXPECT_NE(message.find("tensor 'ids': dtype I64 is not a float type"),
            std::string::npos)
      << message;
}

TEST(Safetensors, RefusesTruncation) {
  EXPECT_REFUSED(std::string(), "truncated: 0 bytes");
  EXPECT_REFUSED(std::string(7, '\0'), "truncated: 7 bytes");
  std::string whole = makeFile(kTwoFloats, floats({1, 2}));
  // Cut inside the header, and inside the data.
  EXPECT_REFUSED(whole.substr(0, 20), "runs past the end of the file");
  EXPECT_REFUSED(whole.substr(0, whole.size() - 1),
                 "tensor 'w': data_offsets end 8 lies past the data section (7 bytes)");
}

TEST(Safetensors, RefusesTruncationAtEveryByte) {
  // Cut a valid two-tensor file at every length: in the length field, the
  // JSON header, between tensors and inside each tensor's bytes.
  std::string whole = makeFile(
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F16","shape":[3],"data_offsets":[8,14]}})",
      floats({1, 2}) + std::string(6, '\x3c'));
  ASSERT_TRUE(bool(parseBytes(whole)));
  for (size_t length = 0; length < whole.size(); ++length) {
    std::string message = parseError(whole.substr(0, length));
    EXPECT_NE(message.find("bad.safetensors: "), std::string::npos)
        << "length " << length << ": " << message;
  }
}

TEST(Safetensors, RefusesHostileHeaderLengths) {
  EXPECT_REFUSED(makeFile(kTwoFloats, floats({1, 2}),
                          std::numeric_limits<uint64_t>::max() - 1),
                 "header length 18446744073709551614 runs past the end");
  // 2^64 - 1 itself: the sentinel of makeFile, so build it by hand.
  std::string hostile = makeFile(kTwoFloats, floats({1, 2}));
  for (int i = 0; i < 8; ++i)
    hostile[i] = '\xff';
  EXPECT_REFUSED(hostile, "header length 18446744073709551615 runs past the end");
  EXPECT_REFUSED(makeFile(kTwoFloats, "", kTwoFloats.size() + 1),
                 "runs past the end of the file");
  EXPECT_REFUSED(makeFile(kTwoFloats, floats({1, 2}), 0), "invalid JSON header");
}

TEST(Safetensors, RefusesMalformedJson) {
  EXPECT_REFUSED(makeFile("{\"w\": ", ""), "invalid JSON header");
  EXPECT_REFUSED(makeFile("[1, 2]", ""), "the JSON header is not an object");
  EXPECT_REFUSED(makeFile(R"({"w": 3})", ""), "tensor 'w': header entry is not a JSON object");
  // Duplicate names (also spelled differently) and names that are not UTF-8.
  EXPECT_REFUSED(makeFile(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}})", ""),
                 "tensor 'w': named twice in the header");
  EXPECT_REFUSED(makeFile(R"({"a,{":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"\u0061,{":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}})", ""),
                 "tensor 'a,{': named twice in the header");
  EXPECT_REFUSED(makeFile("{\"\xff\xfe\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", ""),
                 "invalid JSON header");
}

TEST(Safetensors, RefusesBadFields) {
  EXPECT_REFUSED(makeFile(R"({"w":{"shape":[2],"data_offsets":[0,8]}})", floats({1, 2})),
                 "tensor 'w': missing string field 'dtype'");
  EXPECT_REFUSED(makeFile(R"({"w":{"dtype":"F8","shape":[2],"data_offsets":[0,8]}})", floats({1, 2})),
                 "tensor 'w': unknown dtype 'F8'");
  EXPECT_REFUSED(makeFile(R"({"w":{"dtype":"F32","data_offsets":[0,8]}})", floats({1, 2})),
                 "tensor 'w': missing array field 'shape'");
  EXPECT_REFUSED(makeFile(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", floats({1, 2})),
                 "shape entries must be non-negative integers");
  EXPECT_REFUSED(makeFile(R"({"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", floats({1, 2})),
                 "shape entries must be non-negative integers");
  EXPECT_REFUSED(makeFile(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", floats({1, 2})),
                 "'data_offsets' must be an array of two offsets");
  EXPECT_REFUSED(makeFile(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,-8]}})", floats({1, 2})),
                 "'data_offsets' must be non-negative integers");
}

TEST(Safetensors, RefusesInconsistentOffsetsAndSizes) {
  EXPECT_REFUSED(makeFile(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", floats({1, 2})),
                 "tensor 'w': data_offsets [8, 0] are reversed");
  EXPECT_REFUSED(makeFile(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}})", floats({1, 2})),
                 "data_offsets end 12 lies past the data section (8 bytes)");
  EXPECT_REFUSED(makeFile(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", floats({1, 2})),
                 "tensor 'w': 8 bytes do not hold 3 F32 elements (12 bytes)");
  EXPECT_REFUSED(makeFile(R"({"w":{"dtype":"F16","shape":[2],"data_offsets":[0,8]}})", floats({1, 2})),
                 "8 bytes do not hold 2 F16 elements (4 bytes)");
  EXPECT_REFUSED(makeFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", floats({1, 2})),
                 "tensor 'b': bytes overlap those of tensor 'a'");
}

TEST(Safetensors, RefusesSizesThatOverflow) {
  EXPECT_REFUSED(makeFile(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", floats({1, 2})),
                 "tensor 'w': shape's element count overflows 64 bits");
  EXPECT_REFUSED(makeFile(R"({"w":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,8]}})", floats({1, 2})),
                 "tensor 'w': byte size overflows 64 bits");
  EXPECT_REFUSED(makeFile(R"({"w":{"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,8]}})", floats({1, 2})),
                 "shape entries must be non-negative integers");
}

TEST(Safetensors, ReadsTheShippedSst2Model) {
  auto file = SafetensorsFile::open(BERTC_SOURCE_DIR
                                    "/models/bert-tiny-sst2/model.safetensors");
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  EXPECT_EQ(file->tensors().size(), 36u);
  const TensorInfo *query = file->find("bert.encoder.layer.0.attention.self.query.weight");
  ASSERT_NE(query, nullptr);
  EXPECT_EQ(query->shape, (llvm::SmallVector<int64_t>{128, 128}));
  EXPECT_EQ(query->dtype, DType::F32);
  const TensorInfo *classifier = file->find("classifier.weight");
  ASSERT_NE(classifier, nullptr);
  EXPECT_EQ(classifier->shape, (llvm::SmallVector<int64_t>{2, 128}));
}

TEST(Safetensors, ReportsAMissingFile) {
  auto file = SafetensorsFile::open("/nonexistent/model.safetensors");
  ASSERT_FALSE(bool(file));
  std::string message = llvm::toString(file.takeError());
  EXPECT_NE(message.find("/nonexistent/model.safetensors: cannot read"),
            std::string::npos)
      << message;
}

} // namespace
