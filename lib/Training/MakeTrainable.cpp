//===- MakeTrainable.cpp - An inference graph as a loss of its weights ----===//

#include "bertc/Training/Passes.h"

#include "bertc/Utils/ConstantData.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Interfaces/CallInterfaces.h"

namespace bertc {
#define GEN_PASS_DEF_MAKETRAINABLEPASS
#include "bertc/Training/Passes.h.inc"
} // namespace bertc

using namespace mlir;
using namespace bertc;

namespace {

/// One named weight tensor of the flat parameter vector.
struct Parameter {
  std::string name;
  RankedTensorType type;
  int64_t offset = 0;
  SmallVector<arith::ConstantOp> uses;
};

struct MakeTrainablePass
    : bertc::impl::MakeTrainablePassBase<MakeTrainablePass> {
  void runOnOperation() override;
};

} // namespace

/// The entry's named f32 weight constants, in order of first appearance,
/// with their offsets in the flat vector; the values are appended to `flat`.
static FailureOr<SmallVector<Parameter>>
collectParameters(func::FuncOp entry, SmallVectorImpl<float> &flat) {
  SmallVector<Parameter> parameters;
  llvm::StringMap<size_t> byName;
  WalkResult walk = entry.walk([&](arith::ConstantOp constant) {
    std::string name = constantName(constant.getResult());
    auto type = dyn_cast<RankedTensorType>(constant.getType());
    if (name.empty() || !type || !type.getElementType().isF32() ||
        constant->hasAttr(kTeacherAttr))
      return WalkResult::advance();
    auto [it, inserted] = byName.try_emplace(name, parameters.size());
    if (inserted) {
      std::optional<SmallVector<float>> values = getF32Values(constant.getValue());
      if (!values) {
        constant.emitError() << "weight '" << name << "' has no readable data";
        return WalkResult::interrupt();
      }
      parameters.push_back({name, type, int64_t(flat.size()), {}});
      flat.append(values->begin(), values->end());
    }
    parameters[it->second].uses.push_back(constant);
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  return parameters;
}

/// Replaces the parameter's constants by a slice of `flat` reshaped to the
/// tensor's shape. The constants stay (unused) until the caller erases
/// them: one may be the builder's insertion point.
static void readFromFlat(OpBuilder &builder, Value flat, Parameter &parameter) {
  Location loc = parameter.uses.front().getLoc();
  int64_t count = parameter.type.getNumElements();
  auto sliceType = RankedTensorType::get({count}, builder.getF32Type());
  Value value = tensor::ExtractSliceOp::create(
      builder, loc, sliceType, flat,
      ArrayRef<OpFoldResult>{builder.getIndexAttr(parameter.offset)},
      ArrayRef<OpFoldResult>{builder.getIndexAttr(count)},
      ArrayRef<OpFoldResult>{builder.getIndexAttr(1)});
  if (parameter.type.getRank() != 1) {
    ReassociationIndices all;
    for (int64_t axis = 0; axis < parameter.type.getRank(); ++axis)
      all.push_back(axis);
    value = tensor::ExpandShapeOp::create(builder, loc, parameter.type, value,
                                          ArrayRef<ReassociationIndices>{all});
  }
  for (arith::ConstantOp constant : parameter.uses)
    constant.replaceAllUsesWith(value);
}

/// The position of `name` in the entry's bertc.outputs, if there.
static std::optional<unsigned> outputIndex(ArrayAttr outputs, StringRef name) {
  for (auto [index, output] : llvm::enumerate(outputs))
    if (cast<StringAttr>(output).getValue() == name)
      return index;
  return std::nullopt;
}

/// The loss of the step: the mean cross-entropy of the logits, or, where
/// bert-distill-bibert added a teacher, BiBERT's total (SEMANTICS.md 2.8):
/// soft cross-entropy against the teacher's logits + 0.5 cross-entropy
/// against the labels + the distillation terms.
static Value buildLoss(OpBuilder &builder, func::ReturnOp returnOp,
                       ArrayAttr outputs, Value labels) {
  Location loc = returnOp.getLoc();
  Value logits = returnOp.getOperand(0);
  auto lossType = RankedTensorType::get({}, builder.getF32Type());
  Value hard = bert::CrossEntropyOp::create(builder, loc, lossType, logits, labels);
  std::optional<unsigned> teacher = outputIndex(outputs, kTeacherLogitsOutput);
  std::optional<unsigned> distillation = outputIndex(outputs, kDistillationOutput);
  if (!teacher || !distillation)
    return hard;
  Value soft = bert::SoftCrossEntropyOp::create(
      builder, loc, lossType, logits, returnOp.getOperand(*teacher));
  Value half = arith::ConstantOp::create(builder, loc, lossType,
                                         DenseElementsAttr::get(lossType, 0.5f));
  Value prediction = arith::AddFOp::create(
      builder, loc, soft, arith::MulFOp::create(builder, loc, half, hard));
  return arith::AddFOp::create(builder, loc, prediction,
                               returnOp.getOperand(*distillation));
}

/// {name, offset, shape} per parameter, for runtimes and checkpoints.
static ArrayAttr describeParameters(Builder &builder,
                                    ArrayRef<Parameter> parameters) {
  SmallVector<Attribute> entries;
  for (const Parameter &parameter : parameters)
    entries.push_back(builder.getDictionaryAttr({
        builder.getNamedAttr("name", builder.getStringAttr(parameter.name)),
        builder.getNamedAttr("offset", builder.getI64IntegerAttr(parameter.offset)),
        builder.getNamedAttr("shape",
                             builder.getI64ArrayAttr(parameter.type.getShape())),
    }));
  return builder.getArrayAttr(entries);
}

void MakeTrainablePass::runOnOperation() {
  ModuleOp module = getOperation();
  auto entryName = module->getAttrOfType<StringAttr>("bertc.entry");
  auto entry = entryName ? module.lookupSymbol<func::FuncOp>(entryName)
                         : func::FuncOp();
  if (!entry || entry.isExternal()) {
    module.emitError() << "bert-make-trainable needs the module's entry "
                          "function (bertc.entry)";
    return signalPassFailure();
  }
  auto outputs = module->getAttrOfType<ArrayAttr>("bertc.outputs");
  if (!outputs || outputs.empty() ||
      cast<StringAttr>(outputs[0]).getValue() != "logits") {
    entry.emitError() << "training needs the model's logits as the first "
                         "result (a checkpoint with a classifier)";
    return signalPassFailure();
  }
  WalkResult calls = entry.walk([](CallOpInterface call) {
    call.emitError() << "bert-make-trainable needs the layers inlined; run "
                        "`inline` first";
    return WalkResult::interrupt();
  });
  if (calls.wasInterrupted())
    return signalPassFailure();

  SmallVector<float> flat;
  FailureOr<SmallVector<Parameter>> parameters = collectParameters(entry, flat);
  if (failed(parameters))
    return signalPassFailure();
  if (parameters->empty()) {
    entry.emitError() << "the model has no weight constants to train";
    return signalPassFailure();
  }

  MLIRContext *context = &getContext();
  OpBuilder builder(context);
  Location loc = entry.getLoc();
  auto flatType = RankedTensorType::get({int64_t(flat.size())},
                                        builder.getF32Type());
  auto labelsType = RankedTensorType::get({ShapedType::kDynamic},
                                          builder.getI32Type());
  unsigned parametersIndex = entry.getNumArguments();
  if (failed(entry.insertArgument(parametersIndex, flatType, {}, loc)))
    return signalPassFailure();
  Value parametersArg = entry.getArgument(parametersIndex);
  builder.setInsertionPointToStart(&entry.front());
  for (Parameter &parameter : *parameters)
    readFromFlat(builder, parametersArg, parameter);
  for (Parameter &parameter : *parameters)
    for (arith::ConstantOp constant : parameter.uses)
      constant.erase();

  // bert_logits(inputs..., parameters): the forward for evaluation.
  builder.setInsertionPointAfter(entry);
  auto logits = cast<func::FuncOp>(builder.clone(*entry));
  logits.setSymName("bert_logits");
  auto logitsReturn = cast<func::ReturnOp>(logits.front().getTerminator());
  logitsReturn->setOperands(logitsReturn.getOperand(0));
  logits.setType(FunctionType::get(context, logits.getArgumentTypes(),
                                   {logitsReturn.getOperand(0).getType()}));

  // The step reads the labels before the parameters (the C ABI's order).
  entry.setArgAttr(parametersIndex, kTrainableAttr, builder.getUnitAttr());
  if (failed(entry.insertArgument(parametersIndex, labelsType, {}, loc)))
    return signalPassFailure();
  Value labels = entry.getArgument(parametersIndex);

  auto returnOp = cast<func::ReturnOp>(entry.front().getTerminator());
  builder.setInsertionPoint(returnOp);
  auto lossType = RankedTensorType::get({}, builder.getF32Type());
  Value loss = buildLoss(builder, returnOp, outputs, labels);
  returnOp->setOperands(loss);
  entry.setType(FunctionType::get(context, entry.getArgumentTypes(), {lossType}));
  entry.setSymName("bert_train_step");

  // bert_initial_parameters() returns the checkpoint's values.
  builder.setInsertionPointAfter(logits);
  auto initial = func::FuncOp::create(
      builder, loc, "bert_initial_parameters",
      FunctionType::get(context, {}, {flatType}));
  initial->setAttr("llvm.emit_c_interface", builder.getUnitAttr());
  OpBuilder body = OpBuilder::atBlockBegin(initial.addEntryBlock());
  Value values = arith::ConstantOp::create(
      body, loc, flatType,
      cast<TypedAttr>(makeF32Resource(flatType, "bertc.parameters", flat)));
  func::ReturnOp::create(body, loc, values);

  module->setAttr("bertc.entry", builder.getStringAttr("bert_train_step"));
  module->setAttr("bertc.outputs", builder.getStrArrayAttr({"loss"}));
  module->setAttr(kParametersAttr, describeParameters(builder, *parameters));
}

std::string bertc::parameterNameOf(Value value) {
  if (auto expand = value.getDefiningOp<tensor::ExpandShapeOp>())
    value = expand.getSrc();
  auto slice = value.getDefiningOp<tensor::ExtractSliceOp>();
  if (!slice || slice.getStaticOffsets().size() != 1 ||
      ShapedType::isDynamic(slice.getStaticOffsets()[0]))
    return "";
  auto module = slice->getParentOfType<ModuleOp>();
  auto entries = module ? module->getAttrOfType<ArrayAttr>(kParametersAttr)
                        : ArrayAttr();
  if (!entries)
    return "";
  for (Attribute entry : entries) {
    auto dict = dyn_cast<DictionaryAttr>(entry);
    auto offset = dict ? dict.getAs<IntegerAttr>("offset") : IntegerAttr();
    if (offset && offset.getInt() == slice.getStaticOffsets()[0])
      return dict.getAs<StringAttr>("name").str();
  }
  return "";
}
