//===- Report.cpp - Parameters, bytes and operations per layer ------------===//
//
// Reads the imported bert graph (before any lowering): every bert.linear and
// bert.embedding with a checkpoint weight, every bert.attention and
// bert.layer_norm. Whether a tensor is binary comes from the same functions
// bert-binarize uses, so the table describes what is compiled.
//
//===----------------------------------------------------------------------===//

#include "bertc/Driver/Report.h"

#include "bertc/Quantization/Binarize.h"
#include "bertc/Quantization/Q8.h"
#include "bertc/Support/QuantMath.h"
#include "bertc/Utils/ConstantData.h"
#include "dialects/Bert/IR/Bert.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace bertc;
using namespace bertc::driver;

namespace {

struct Row {
  std::string name;
  int64_t parameters = 0;
  int64_t bits = 32;       ///< per weight: 1 (binary) or 32
  int64_t bytes = 0;       ///< in the artifact, scales and biases included
  int64_t floatMacs = 0;   ///< f32 multiply-accumulates
  int64_t binaryMacs = 0;  ///< ±1 multiply-accumulates (XNOR / AND-popcount)
  int64_t int8Macs = 0;    ///< int8 x int8 multiply-accumulates (Q8BERT)
  /// Bits under the BiBERT paper's size rule: weight matrices and embedding
  /// tables at 1 bit (the f32 classifier at 32), biases and LayerNorm at 32,
  /// scales not counted.
  int64_t paperBits = 0;
};

/// "bert.encoder.layer.0.attention.self.query.weight" -> without ".weight".
std::string moduleName(StringRef tensor) {
  tensor.consume_back(".weight");
  return tensor.str();
}

/// Rows of the tensor's leading axes at batch 1 and `sequence` tokens:
/// [B, L, K] inputs give L rows, [B, K] ones (pooler, classifier) 1.
int64_t rowsOf(Value input, int64_t sequence) {
  return cast<RankedTensorType>(input.getType()).getRank() >= 3 ? sequence : 1;
}

Row linearRow(bert::LinearOp op, Quant quant, ArrayRef<std::string> floatLayers,
              int64_t sequence) {
  auto type = cast<RankedTensorType>(op.getWeight().getType());
  int64_t n = type.getDimSize(0), k = type.getDimSize(1);
  std::string name = constantName(op.getWeight());
  Row row{moduleName(name), n * k + (op.getBias() ? n : 0)};
  int64_t macs = rowsOf(op.getInput(), sequence) * n * k;
  bool binary = quant == Quant::Binary && quantization::binarizesLinear(name);
  int64_t biasBytes = op.getBias() ? 4 * n : 0;
  row.paperBits = n * k * (binary ? 1 : 32) + 8 * biasBytes;
  if (quant == Quant::Q8 && !name.empty() &&
      !llvm::is_contained(floatLayers, quantization::moduleOfTensor(name))) {
    // int8 codes and an int32 bias (the same bytes as f32's).
    row.bits = 8;
    row.bytes = n * k + biasBytes;
    row.int8Macs = macs;
    return row;
  }
  if (binary) {
    row.bits = 1;
    // Bits, then alpha and bias, or the integer thresholds they fold into.
    int64_t scaleBytes = 4 * n + biasBytes;
    switch (quantization::signUseOf(op.getResult())) {
    case quantization::SignUse::Sign:
      scaleBytes = 4 * n;
      break;
    case quantization::SignUse::GeluSign:
      scaleBytes = 8 * n;
      break;
    case quantization::SignUse::Float:
      break;
    }
    row.bytes = n * packedWordCount(k) * 8 + scaleBytes;
    row.binaryMacs = macs;
  } else {
    row.bytes = 4 * n * k + biasBytes;
    row.floatMacs = macs;
  }
  return row;
}

Row embeddingRow(bert::EmbeddingOp op, Quant quant) {
  auto type = cast<RankedTensorType>(op.getTable().getType());
  int64_t v = type.getDimSize(0), h = type.getDimSize(1);
  std::string name = constantName(op.getTable());
  Row row{moduleName(name), v * h};
  row.paperBits = v * h;
  if (quant == Quant::Q8 && quantization::quantizesEmbedding8(name)) {
    row.bits = 8;
    row.bytes = v * h; // codes; the per-tensor scale is an immediate
  } else if (quant == Quant::Binary &&
             quantization::binarizesEmbedding(name)) {
    row.bits = 1;
    row.bytes = v * packedWordCount(h) * 8 + 4 * v; // bits, alpha per token
  } else {
    row.bytes = 4 * v * h;
  }
  return row;
}

/// Q K^T and A V: 2 L^2 H MACs, binary in Bi-Attention.
Row attentionRow(bert::AttentionOp op, bool binaryMode, int64_t sequence,
                 unsigned index) {
  int64_t hidden = cast<RankedTensorType>(op.getType()).getDimSize(2);
  Row row{llvm::formatv("attention products {0} (QK^T, AV)", index).str()};
  int64_t macs = 2 * sequence * sequence * hidden;
  (binaryMode ? row.binaryMacs : row.floatMacs) = macs;
  row.bits = binaryMode ? 1 : 32;
  return row;
}

std::string mega(int64_t value) {
  return llvm::formatv("{0:f3}", double(value) / 1e6).str();
}

} // namespace

void bertc::driver::printReport(ModuleOp module, Quant quant,
                                ArrayRef<std::string> floatLayers,
                                int64_t sequence, raw_ostream &os) {
  bool binary = quant == Quant::Binary;
  SmallVector<Row> rows;
  Row norms{"LayerNorm gamma and beta (all)"};
  unsigned attentionIndex = 0;
  module.walk([&](Operation *op) {
    if (auto linear = dyn_cast<bert::LinearOp>(op)) {
      rows.push_back(linearRow(linear, quant, floatLayers, sequence));
    } else if (auto embedding = dyn_cast<bert::EmbeddingOp>(op)) {
      if (!constantName(embedding.getTable()).empty())
        rows.push_back(embeddingRow(embedding, quant));
    } else if (auto attention = dyn_cast<bert::AttentionOp>(op)) {
      rows.push_back(attentionRow(attention, binary, sequence, attentionIndex++));
    } else if (auto norm = dyn_cast<bert::LayerNormOp>(op)) {
      int64_t h = cast<RankedTensorType>(norm.getGamma().getType()).getDimSize(0);
      norms.parameters += 2 * h;
      norms.bytes += 8 * h;
      norms.paperBits += 64 * h;
    }
  });
  rows.push_back(norms);

  bool q8 = quant == Quant::Q8;
  os << llvm::formatv("bert-compile report: {0}, batch 1, sequence {1}\n",
                      binary ? "BiBERT (--quant=binary)"
                      : q8   ? "Q8BERT (--quant=q8)"
                             : "float32",
                      sequence);
  // The last column counts the quantized MACs: binary or int8.
  os << llvm::formatv("{0,-56} {1,12} {2,4} {3,12} {4,12} {5,12}\n", "tensor",
                      "params", "bits", "bytes", "f32 MMAC",
                      q8 ? "int8 MMAC" : "bin MMAC");
  Row total{"total"};
  for (const Row &row : rows) {
    os << llvm::formatv("{0,-56} {1,12} {2,4} {3,12} {4,12} {5,12}\n",
                        row.name, row.parameters, row.bits, row.bytes,
                        mega(row.floatMacs),
                        mega(q8 ? row.int8Macs : row.binaryMacs));
    total.parameters += row.parameters;
    total.bytes += row.bytes;
    total.floatMacs += row.floatMacs;
    total.binaryMacs += row.binaryMacs;
    total.int8Macs += row.int8Macs;
    total.paperBits += row.paperBits;
  }
  os << llvm::formatv("{0,-56} {1,12} {2,4} {3,12} {4,12} {5,12}\n", "total",
                      total.parameters, "", total.bytes, mega(total.floatMacs),
                      mega(q8 ? total.int8Macs : total.binaryMacs));
  // The paper's rule (SEMANTICS.md 2.12): a binary operation costs 1/64 of
  // a float one; 2 operations per MAC.
  int64_t allMacs = total.floatMacs + total.binaryMacs + total.int8Macs;
  double floatFlops = 2.0 * double(allMacs);
  double flops = 2.0 * double(total.floatMacs) + 2.0 * double(total.binaryMacs) / 64;
  double floatBytes = 4.0 * double(total.parameters);
  os << llvm::formatv(
      "size: {0:f3} MB of weights vs {1:f3} MB in f32: {2:f1}x smaller\n",
      double(total.bytes) / 1e6, floatBytes / 1e6,
      floatBytes / double(total.bytes));
  if (binary) {
    double paperBytes = double(total.paperBits) / 8;
    os << llvm::formatv(
        "size as the BiBERT paper counts it (weight matrices and all "
        "embedding tables at 1 bit, the classifier, biases and LayerNorm at "
        "32, scales not counted): {0:f3} MB: {1:f1}x smaller; the artifact "
        "keeps position and token-type embeddings, LayerNorm and scales in "
        "f32 as the official code does\n",
        paperBytes / 1e6, floatBytes / paperBytes);
  }
  if (q8) {
    os << llvm::formatv(
        "MACs: {0:f3} G int8 and {1:f3} G f32 of {2:f3} G ({3:f1}% in int8)\n",
        double(total.int8Macs) / 1e9, double(total.floatMacs) / 1e9,
        double(allMacs) / 1e9, 100.0 * double(total.int8Macs) / double(allMacs));
    os << "(elementwise work, LayerNorm, softmax and GELU are not counted)\n";
    return;
  }
  os << llvm::formatv(
      "FLOPs (2 per MAC, binary ops / 64 as the BiBERT paper counts): "
      "{0:f3} G vs {1:f3} G in f32: {2:f1}x fewer\n",
      flops / 1e9, floatFlops / 1e9, floatFlops / flops);
  os << "(elementwise work, LayerNorm, softmax and GELU are not counted)\n";
}
