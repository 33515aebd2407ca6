//===- Importer.cpp - Hugging Face BERT checkpoint to bert IR -------------===//
//
// Builds, per encoder layer (post-LN BERT):
//   q, k, v = linear(h);  c = attention(q, k, v, mask)
//   h1 = layer_norm(linear(c) + h);  h2 = layer_norm(linear(gelu(linear(h1))) + h1)
// then the pooler tanh(linear(h[:, 0])) and the classifier linear. Each
// layer is its own private function `@bert_layer_<i>`, called once from the
// entry and kept out of line: as one function, BERT-base's entry point was
// so large that LLVM's superlinear passes (loop strength reduction, the
// dominator queries of instcombine) took most of the compile time.
//
//===----------------------------------------------------------------------===//

#include "bertc/Import/Importer.h"

#include "bertc/Import/Safetensors.h"
#include "bertc/Utils/ConstantData.h"
#include "dialects/Bert/IR/Bert.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/Path.h"

#include <cmath>

using namespace mlir;
using namespace bertc;
using namespace bertc::import;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

StringRef bertc::import::entryFunctionName(EntryPoint entry) {
  return entry == EntryPoint::Model ? "bert_model" : "bert_encoder";
}

namespace {

/// Builds the graph of one checkpoint; every weight access checks presence,
/// shape and dtype against the config.
class GraphBuilder {
public:
  GraphBuilder(MLIRContext &context, const SafetensorsFile &weights,
               const BertConfig &config)
      : context(context), builder(&context), weights(weights), config(config),
        loc(FileLineColLoc::get(&context, weights.path(), 0, 0)) {}

  Expected<OwningOpRef<ModuleOp>> build(EntryPoint entry);

private:
  /// The tensor `name` with or without the "bert." prefix, or null.
  const TensorInfo *findTensor(StringRef name) const;
  /// A constant holding tensor `name`, which must have `shape`.
  Expected<Value> weight(StringRef name, ArrayRef<int64_t> shape);
  /// `weight(name)` or, when absent, `weight(alternative)` (old TF names).
  Expected<Value> weightOr(StringRef name, StringRef alternative,
                           ArrayRef<int64_t> shape);

  Expected<Value> linear(Value input, StringRef prefix, int64_t out,
                         int64_t in);
  Expected<Value> layerNorm(Value input, StringRef prefix);
  Expected<Value> embeddings(Value ids, Value tokenTypes);
  Expected<Value> encoderLayer(Value hidden, Value mask, int64_t index);
  /// Builds layer `index` as @bert_layer_<index> and calls it.
  Expected<Value> callEncoderLayer(Value hidden, Value mask, int64_t index);
  Value positionIds(Value ids);

  Type f32() { return builder.getF32Type(); }
  RankedTensorType hiddenType() {
    return RankedTensorType::get(
        {ShapedType::kDynamic, ShapedType::kDynamic, config.hiddenSize}, f32());
  }

  MLIRContext &context;
  OpBuilder builder;
  const SafetensorsFile &weights;
  const BertConfig &config;
  Location loc;
};

} // namespace

static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

const TensorInfo *GraphBuilder::findTensor(StringRef name) const {
  if (const TensorInfo *tensor = weights.find(("bert." + name).str()))
    return tensor;
  return weights.find(name);
}

Expected<Value> GraphBuilder::weight(StringRef name, ArrayRef<int64_t> shape) {
  const TensorInfo *tensor = findTensor(name);
  if (!tensor)
    return checkpointError(weights.path(), name,
                       "missing (looked for 'bert." + name + "' and '" + name +
                           "')");
  if (ArrayRef<int64_t>(tensor->shape) != shape)
    return checkpointError(weights.path(), tensor->name,
                       "has shape " + formatShape(tensor->shape) +
                           " but config.json implies " + formatShape(shape));
  Expected<std::vector<float>> values = weights.readAsF32(*tensor);
  if (!values)
    return values.takeError();
  for (float value : *values)
    if (!std::isfinite(value)) {
      llvm::errs() << "warning: " << weights.path() << ": tensor '"
                   << tensor->name << "' holds NaN or Inf values\n";
      break;
    }
  auto type = RankedTensorType::get(shape, f32());
  auto attr = makeF32Resource(type, tensor->name, *values);
  return arith::ConstantOp::create(builder, loc, type, cast<TypedAttr>(attr))
      .getResult();
}

Expected<Value> GraphBuilder::weightOr(StringRef name, StringRef alternative,
                                       ArrayRef<int64_t> shape) {
  if (!findTensor(name) && findTensor(alternative))
    return weight(alternative, shape);
  return weight(name, shape);
}

Expected<Value> GraphBuilder::linear(Value input, StringRef prefix,
                                     int64_t out, int64_t in) {
  Expected<Value> w = weight((prefix + ".weight").str(), {out, in});
  if (!w)
    return w.takeError();
  Expected<Value> b = weight((prefix + ".bias").str(), {out});
  if (!b)
    return b.takeError();
  auto inputType = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape(inputType.getShape());
  shape.back() = out;
  return bert::LinearOp::create(builder, loc,
                                RankedTensorType::get(shape, f32()), input, *w,
                                *b)
      .getResult();
}

Expected<Value> GraphBuilder::layerNorm(Value input, StringRef prefix) {
  int64_t h = config.hiddenSize;
  Expected<Value> gamma =
      weightOr((prefix + ".weight").str(), (prefix + ".gamma").str(), {h});
  if (!gamma)
    return gamma.takeError();
  Expected<Value> beta =
      weightOr((prefix + ".bias").str(), (prefix + ".beta").str(), {h});
  if (!beta)
    return beta.takeError();
  return bert::LayerNormOp::create(
             builder, loc, input.getType(), input, *gamma, *beta,
             builder.getF32FloatAttr(static_cast<float>(config.layerNormEps)))
      .getResult();
}

/// Position ids 0..L-1 for every row of `ids` [B, L].
Value GraphBuilder::positionIds(Value ids) {
  Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
  Value one = arith::ConstantIndexOp::create(builder, loc, 1);
  SmallVector<Value> sizes = {tensor::DimOp::create(builder, loc, ids, zero),
                              tensor::DimOp::create(builder, loc, ids, one)};
  auto type = cast<RankedTensorType>(ids.getType());
  auto generate = tensor::GenerateOp::create(builder, loc, type, sizes);
  OpBuilder::InsertionGuard guard(builder);
  Block *body = builder.createBlock(&generate.getBody(), {},
                                    {builder.getIndexType(),
                                     builder.getIndexType()},
                                    {loc, loc});
  builder.setInsertionPointToStart(body);
  Value position = arith::IndexCastOp::create(builder, loc, type.getElementType(),
                                              body->getArgument(1));
  tensor::YieldOp::create(builder, loc, position);
  return generate.getResult();
}

Expected<Value> GraphBuilder::embeddings(Value ids, Value tokenTypes) {
  int64_t h = config.hiddenSize;
  Expected<Value> words =
      weight("embeddings.word_embeddings.weight", {config.vocabSize, h});
  if (!words)
    return words.takeError();
  Expected<Value> positions = weight("embeddings.position_embeddings.weight",
                                     {config.maxPositions, h});
  if (!positions)
    return positions.takeError();
  Expected<Value> types = weight("embeddings.token_type_embeddings.weight",
                                 {config.typeVocabSize, h});
  if (!types)
    return types.takeError();
  RankedTensorType type = hiddenType();
  Value sum = bert::EmbeddingOp::create(
      builder, loc, type, *words, ids,
      builder.getI64IntegerAttr(config.padTokenId));
  Value position =
      bert::EmbeddingOp::create(builder, loc, type, *positions, positionIds(ids),
                                IntegerAttr());
  sum = arith::AddFOp::create(builder, loc, sum, position);
  Value tokenType =
      bert::EmbeddingOp::create(builder, loc, type, *types, tokenTypes,
                                IntegerAttr());
  sum = arith::AddFOp::create(builder, loc, sum, tokenType);
  return layerNorm(sum, "embeddings.LayerNorm");
}

Expected<Value> GraphBuilder::encoderLayer(Value hidden, Value mask,
                                           int64_t index) {
  int64_t h = config.hiddenSize, ffn = config.intermediateSize;
  std::string prefix = "encoder.layer." + std::to_string(index) + ".";
  Expected<Value> q = linear(hidden, prefix + "attention.self.query", h, h);
  if (!q)
    return q.takeError();
  Expected<Value> k = linear(hidden, prefix + "attention.self.key", h, h);
  if (!k)
    return k.takeError();
  Expected<Value> v = linear(hidden, prefix + "attention.self.value", h, h);
  if (!v)
    return v.takeError();
  Value attention = bert::AttentionOp::create(
      builder, loc, hidden.getType(), *q, *k, *v, mask, /*seed=*/Value(),
      builder.getI64IntegerAttr(config.numHeads), /*probabilities=*/nullptr,
      /*dropout_stream=*/nullptr, /*dropout_rate=*/nullptr);
  Expected<Value> projected =
      linear(attention, prefix + "attention.output.dense", h, h);
  if (!projected)
    return projected.takeError();
  Value residual = arith::AddFOp::create(builder, loc, *projected, hidden);
  Expected<Value> attended =
      layerNorm(residual, prefix + "attention.output.LayerNorm");
  if (!attended)
    return attended.takeError();

  Expected<Value> up = linear(*attended, prefix + "intermediate.dense", ffn, h);
  if (!up)
    return up.takeError();
  auto approximation = config.hiddenAct == "gelu_new"
                           ? bert::GeluApproximation::Tanh
                           : bert::GeluApproximation::Erf;
  Value activated = bert::GeluOp::create(
      builder, loc, *up,
      bert::GeluApproximationAttr::get(&context, approximation));
  Expected<Value> down = linear(activated, prefix + "output.dense", h, ffn);
  if (!down)
    return down.takeError();
  Value sum = arith::AddFOp::create(builder, loc, *down, *attended);
  return layerNorm(sum, prefix + "output.LayerNorm");
}

Expected<Value> GraphBuilder::callEncoderLayer(Value hidden, Value mask,
                                               int64_t index) {
  func::FuncOp layer;
  {
    OpBuilder::InsertionGuard guard(builder);
    auto module = hidden.getParentRegion()->getParentOfType<ModuleOp>();
    builder.setInsertionPointToEnd(module.getBody());
    layer = func::FuncOp::create(
        builder, loc, "bert_layer_" + std::to_string(index),
        builder.getFunctionType({hidden.getType(), mask.getType()},
                                {hidden.getType()}));
    layer.setPrivate();
    // Out of line (bert-internalize-private makes it local to the object).
    layer->setAttr("passthrough",
                   builder.getArrayAttr({builder.getStringAttr("noinline")}));
    Block *body = layer.addEntryBlock();
    builder.setInsertionPointToStart(body);
    Expected<Value> next =
        encoderLayer(body->getArgument(0), body->getArgument(1), index);
    if (!next)
      return next.takeError();
    func::ReturnOp::create(builder, loc, *next);
  }
  return func::CallOp::create(builder, loc, layer, ValueRange{hidden, mask})
      .getResult(0);
}

Expected<OwningOpRef<ModuleOp>> GraphBuilder::build(EntryPoint entry) {
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  builder.setInsertionPointToEnd(module->getBody());
  int64_t dyn = ShapedType::kDynamic;
  auto maskType = RankedTensorType::get({dyn, dyn}, f32());
  auto idType = RankedTensorType::get({dyn, dyn}, builder.getI32Type());

  bool hasPooler = findTensor("pooler.dense.weight") != nullptr;
  bool hasClassifier = weights.find("classifier.weight") != nullptr;
  if (hasClassifier && !hasPooler)
    return checkpointError(weights.path(), "bert.pooler.dense.weight",
                       "missing, but the checkpoint has a classifier");
  if (entry == EntryPoint::Model &&
      !findTensor("embeddings.word_embeddings.weight"))
    return checkpointError(weights.path(), "bert.embeddings.word_embeddings.weight",
                       "missing: this checkpoint has no embedding tables; "
                       "compile it with --entry=encoder");

  SmallVector<Type> inputs;
  if (entry == EntryPoint::Model)
    inputs = {idType, idType, maskType};
  else
    inputs = {hiddenType(), maskType};
  SmallVector<Type> results;
  SmallVector<Attribute> outputNames;
  auto pooledType = RankedTensorType::get({dyn, config.hiddenSize}, f32());
  if (hasClassifier) {
    results.push_back(RankedTensorType::get({dyn, config.numLabels}, f32()));
    outputNames.push_back(builder.getStringAttr("logits"));
  }
  if (hasPooler) {
    results.push_back(pooledType);
    outputNames.push_back(builder.getStringAttr("pooled"));
  }
  results.push_back(hiddenType());
  outputNames.push_back(builder.getStringAttr("hidden"));

  auto function = func::FuncOp::create(builder, loc, entryFunctionName(entry),
                                       builder.getFunctionType(inputs, results));
  // Keeps a C-callable wrapper (_mlir_ciface_<name>) through func-to-llvm.
  function->setAttr("llvm.emit_c_interface", builder.getUnitAttr());
  Block *body = function.addEntryBlock();
  builder.setInsertionPointToStart(body);

  Value hidden, mask;
  if (entry == EntryPoint::Model) {
    Expected<Value> embedded =
        embeddings(body->getArgument(0), body->getArgument(1));
    if (!embedded)
      return embedded.takeError();
    hidden = *embedded;
    mask = body->getArgument(2);
  } else {
    hidden = body->getArgument(0);
    mask = body->getArgument(1);
  }
  for (int64_t layer = 0; layer < config.numLayers; ++layer) {
    Expected<Value> next = callEncoderLayer(hidden, mask, layer);
    if (!next)
      return next.takeError();
    hidden = *next;
  }

  SmallVector<Value> returned;
  if (hasPooler) {
    // The [CLS] row of every sequence: h[:, 0, :].
    Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
    Value batch = tensor::DimOp::create(builder, loc, hidden, zero);
    SmallVector<OpFoldResult> offsets(3, builder.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes = {batch, builder.getIndexAttr(1),
                                       builder.getIndexAttr(config.hiddenSize)};
    SmallVector<OpFoldResult> strides(3, builder.getIndexAttr(1));
    Value cls = tensor::ExtractSliceOp::create(builder, loc, pooledType, hidden,
                                               offsets, sizes, strides);
    Expected<Value> dense =
        linear(cls, "pooler.dense", config.hiddenSize, config.hiddenSize);
    if (!dense)
      return dense.takeError();
    Value pooled = math::TanhOp::create(builder, loc, *dense);
    if (hasClassifier) {
      Expected<Value> logits =
          linear(pooled, "classifier", config.numLabels, config.hiddenSize);
      if (!logits)
        return logits.takeError();
      returned.push_back(*logits);
    }
    returned.push_back(pooled);
  }
  returned.push_back(hidden);
  func::ReturnOp::create(builder, loc, returned);

  auto i64 = [&](int64_t value) { return builder.getI64IntegerAttr(value); };
  (*module)->setAttr(
      attrs::kConfig,
      builder.getDictionaryAttr({
          builder.getNamedAttr("vocab_size", i64(config.vocabSize)),
          builder.getNamedAttr("hidden_size", i64(config.hiddenSize)),
          builder.getNamedAttr("num_hidden_layers", i64(config.numLayers)),
          builder.getNamedAttr("num_attention_heads", i64(config.numHeads)),
          builder.getNamedAttr("intermediate_size",
                               i64(config.intermediateSize)),
          builder.getNamedAttr("max_position_embeddings",
                               i64(config.maxPositions)),
          builder.getNamedAttr("type_vocab_size", i64(config.typeVocabSize)),
          builder.getNamedAttr("num_labels", i64(config.numLabels)),
      }));
  (*module)->setAttr(attrs::kEntry,
                     builder.getStringAttr(entryFunctionName(entry)));
  (*module)->setAttr(attrs::kOutputs, builder.getArrayAttr(outputNames));
  return std::move(module);
}

static void loadImportDialects(MLIRContext &context) {
  context.loadDialect<bert::BertDialect, arith::ArithDialect,
                      func::FuncDialect, math::MathDialect,
                      tensor::TensorDialect>();
}

/// config.json and model.safetensors inside `directory`.
static std::pair<std::string, std::string> checkpointPaths(StringRef directory) {
  llvm::SmallString<256> configPath(directory), weightsPath(directory);
  llvm::sys::path::append(configPath, "config.json");
  llvm::sys::path::append(weightsPath, "model.safetensors");
  return {std::string(configPath), std::string(weightsPath)};
}

Expected<OwningOpRef<ModuleOp>>
bertc::import::importCheckpoint(MLIRContext &context, StringRef directory,
                                EntryPoint entry) {
  loadImportDialects(context);
  auto [configPath, weightsPath] = checkpointPaths(directory);
  Expected<BertConfig> config = readBertConfig(configPath);
  if (!config)
    return config.takeError();
  Expected<SafetensorsFile> weights = SafetensorsFile::open(weightsPath);
  if (!weights)
    return weights.takeError();
  GraphBuilder graph(context, *weights, *config);
  return graph.build(entry);
}

Expected<OwningOpRef<ModuleOp>> bertc::import::importCheckpoint(
    MLIRContext &context, StringRef configText,
    std::unique_ptr<llvm::MemoryBuffer> weightsBuffer, StringRef directory,
    EntryPoint entry) {
  loadImportDialects(context);
  auto [configPath, weightsPath] = checkpointPaths(directory);
  Expected<BertConfig> config = parseBertConfig(configText, configPath);
  if (!config)
    return config.takeError();
  Expected<SafetensorsFile> weights =
      SafetensorsFile::parse(std::move(weightsBuffer), weightsPath);
  if (!weights)
    return weights.takeError();
  GraphBuilder graph(context, *weights, *config);
  return graph.build(entry);
}
