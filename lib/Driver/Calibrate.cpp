//===- Calibrate.cpp - Q8BERT thresholds from a native float run ----------===//

#include "bertc/Driver/Calibrate.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>

extern char **environ;

using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

static Error calibrationError(const llvm::Twine &what) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "--calibrate: " + what);
}

namespace {

/// A version 1-3 .npy file: its header fields and where its data begins.
struct NpyFile {
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  std::string descr;
  std::vector<int64_t> shape;
  size_t dataOffset = 0;
  int64_t itemSize = 0;
};

/// The value after `'key':` in an npy header dict.
StringRef headerField(StringRef header, StringRef key) {
  size_t at = header.find(("'" + key + "'").str());
  if (at == StringRef::npos)
    return {};
  StringRef rest = header.drop_front(at + key.size() + 2).ltrim(" :");
  return rest;
}

Expected<NpyFile> readNpy(StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return calibrationError(path + ": " + buffer.getError().message());
  NpyFile file;
  file.buffer = std::move(*buffer);
  StringRef bytes = file.buffer->getBuffer();
  if (bytes.size() < 10 || !bytes.starts_with("\x93NUMPY"))
    return calibrationError(path + ": not a .npy file");
  unsigned major = static_cast<unsigned char>(bytes[6]);
  size_t lengthBytes = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + lengthBytes)
    return calibrationError(path + ": truncated header");
  size_t headerLength = 0;
  for (size_t i = 0; i < lengthBytes; ++i)
    headerLength |= size_t(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
  file.dataOffset = 8 + lengthBytes + headerLength;
  if (bytes.size() < file.dataOffset)
    return calibrationError(path + ": truncated header");
  StringRef header = bytes.substr(8 + lengthBytes, headerLength);
  StringRef descr = headerField(header, "descr");
  if (descr.starts_with("'<i4'") || descr.starts_with("'<f4'"))
    file.itemSize = 4;
  else if (descr.starts_with("'<i8'"))
    file.itemSize = 8;
  else
    return calibrationError(path + ": expected little-endian int32, int64 "
                                   "or float32 values");
  file.descr = descr.substr(1, 3).str();
  if (!headerField(header, "fortran_order").starts_with("False"))
    return calibrationError(path + ": Fortran order is not supported");
  StringRef shape = headerField(header, "shape");
  if (!shape.consume_front("("))
    return calibrationError(path + ": no shape");
  shape = shape.take_until([](char c) { return c == ')'; });
  llvm::SmallVector<StringRef> dims;
  shape.split(dims, ',', -1, /*KeepEmpty=*/false);
  for (StringRef dim : dims) {
    int64_t size;
    if (dim.trim().getAsInteger(10, size) || size < 0)
      return calibrationError(path + ": bad shape");
    file.shape.push_back(size);
  }
  if (file.shape.size() < 2 || file.shape[0] == 0)
    return calibrationError(path + ": expected [rows, seq] token ids or "
                                   "[rows, seq, hidden] hidden states");
  int64_t count = 1;
  for (int64_t size : file.shape)
    count *= size;
  if (bytes.size() - file.dataOffset < size_t(count * file.itemSize))
    return calibrationError(path + ": truncated data");
  return file;
}

/// Rows [begin, end) of `file` as a new .npy at `path`.
Error writeRows(const NpyFile &file, int64_t begin, int64_t end, StringRef path) {
  int64_t rowBytes = file.itemSize;
  std::string shape = std::to_string(end - begin) + ",";
  for (size_t i = 1; i < file.shape.size(); ++i) {
    rowBytes *= file.shape[i];
    shape += " " + std::to_string(file.shape[i]) + (i + 1 < file.shape.size() ? "," : "");
  }
  std::string header = "{'descr': '" + file.descr +
                       "', 'fortran_order': False, 'shape': (" + shape + "), }";
  // Magic, version, length, then the header padded with spaces to a
  // multiple of 64 and ended by a newline.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec);
  if (ec)
    return calibrationError(path + ": " + ec.message());
  out << "\x93NUMPY" << char(1) << char(0) << char(header.size() & 0xff)
      << char(header.size() >> 8) << header;
  out.write(file.buffer->getBufferStart() + file.dataOffset + begin * rowBytes,
            (end - begin) * rowBytes);
  return Error::success();
}

/// "calibrating [#####     ] 5/10 batches, 3.2 s" on one stderr line.
void showProgress(int64_t done, int64_t total, double seconds) {
  constexpr int width = 30;
  int filled = int(width * done / total);
  llvm::errs() << llvm::formatv("\rbert-compile: calibrating [{0}{1}] {2}/{3} "
                                "batches, {4:f1} s",
                                std::string(filled, '#'),
                                std::string(width - filled, ' '), done, total,
                                seconds);
  if (done == total)
    llvm::errs() << "\n";
}

} // namespace

Expected<llvm::StringMap<float>>
bertc::driver::runCalibration(StringRef exe, StringRef inputs,
                              llvm::ArrayRef<std::string> slots,
                              StringRef scratchDir, int64_t batch) {
  Expected<NpyFile> file = readNpy(inputs);
  if (!file)
    return file.takeError();
  auto scratch = [&](StringRef name) {
    llvm::SmallString<256> path(scratchDir);
    llvm::sys::path::append(path, name);
    return std::string(path);
  };
  std::string chunk = scratch("calibration_input.npy"),
              output = scratch("calibration_output.npy"),
              ranges = scratch("calibration_ranges.bin");
  std::vector<std::string> environment;
  for (char **entry = environ; *entry; ++entry)
    if (!StringRef(*entry).starts_with("BERTC_RANGES_OUT="))
      environment.push_back(*entry);
  environment.push_back("BERTC_RANGES_OUT=" + ranges);
  llvm::SmallVector<StringRef> env(environment.begin(), environment.end());

  std::vector<float> seen(slots.size(), 0.0f);
  int64_t rows = file->shape[0], batches = (rows + batch - 1) / batch;
  auto start = std::chrono::steady_clock::now();
  for (int64_t b = 0; b < batches; ++b) {
    int64_t begin = b * batch, end = std::min(rows, begin + batch);
    if (Error error = writeRows(*file, begin, end, chunk))
      return std::move(error);
    llvm::sys::fs::remove(ranges);
    StringRef argv[] = {exe, "--input", chunk, "--output", output};
    std::string message;
    // Its per-run report on stdout would interleave with the progress bar.
    std::optional<StringRef> redirects[] = {std::nullopt, StringRef(""),
                                            std::nullopt};
    int status =
        llvm::sys::ExecuteAndWait(exe, argv, env, redirects, 0, 0, &message);
    if (status != 0)
      return calibrationError(llvm::formatv(
          "the float model failed on rows {0}-{1} of {2} (status {3}{4})",
          begin, end - 1, inputs, status, message.empty() ? "" : ": " + message));
    auto recorded = llvm::MemoryBuffer::getFile(ranges);
    if (!recorded || (*recorded)->getBufferSize() != seen.size() * sizeof(float))
      return calibrationError("the calibration build wrote no ranges");
    const char *data = (*recorded)->getBufferStart();
    for (size_t i = 0; i < seen.size(); ++i) {
      float value;
      std::memcpy(&value, data + i * sizeof(float), sizeof(float));
      seen[i] = std::fmax(seen[i], value);
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    showProgress(b + 1, batches, seconds);
  }
  llvm::StringMap<float> thresholds;
  for (auto [slot, value] : llvm::zip_equal(slots, seen)) {
    if (!(value > 0.0f) || !std::isfinite(value))
      return calibrationError("the input of '" + slot +
                              "' was 0 or not finite on every calibration "
                              "input; its threshold is undefined");
    thresholds[slot] = value;
  }
  return thresholds;
}

std::string bertc::driver::thresholdsToJson(
    const llvm::StringMap<float> &thresholds) {
  std::vector<std::string> keys;
  for (const auto &entry : thresholds)
    keys.push_back(entry.getKey().str());
  llvm::sort(keys);
  std::string text = "{\n";
  for (auto [index, key] : llvm::enumerate(keys))
  {
    // %.9g: every f32 reads back as itself, so a run from the file is the
    // run that wrote it.
    char value[32];
    std::snprintf(value, sizeof value, "%.9g", double(thresholds.lookup(key)));
    text += " \"" + key + "\": " + value + (index + 1 < keys.size() ? "," : "") +
            "\n";
  }
  return text + "}\n";
}
