//===- BuildOptimizer.cpp - AdamW / BertAdam on the flat parameters -------===//
//
// The update runs tensor by tensor over static slices of the flat vectors:
// per-tensor clipping (BertAdam) and weight-decay exclusions are then
// compile-time facts of each slice, and each slice's elementwise update
// writes into the matching slice of its result in place.
//
//===----------------------------------------------------------------------===//

#include "bertc/Training/Passes.h"

#include "bertc/Utils/LinalgBuilders.h"

namespace bertc {
#define GEN_PASS_DEF_BUILDOPTIMIZERPASS
#include "bertc/Training/Passes.h.inc"
} // namespace bertc

using namespace mlir;
using namespace bertc;

namespace {

/// One tensor of the flat vector.
struct Slot {
  std::string name;
  int64_t offset = 0, count = 0;
  bool decays = true;
};

/// The scalars every element's update reads.
struct UpdateScalars {
  Value learningRate, biasCorrection, clipFactor;
};

struct BuildOptimizerPass
    : bertc::impl::BuildOptimizerPassBase<BuildOptimizerPass> {
  using BuildOptimizerPassBase::BuildOptimizerPassBase;
  void runOnOperation() override;

private:
  Value buildClipFactor(OpBuilder &builder, Location loc, Value sumOfSquares);
  Value buildUpdate(OpBuilder &builder, Location loc, const Slot &slot,
                    ValueRange inputs, ValueRange outputs,
                    const UpdateScalars &scalars);
};

} // namespace

/// The slots of bertc.parameters; bias and LayerNorm.weight do not decay.
static FailureOr<SmallVector<Slot>> readSlots(ModuleOp module) {
  auto entries = module->getAttrOfType<ArrayAttr>(kParametersAttr);
  if (!entries || entries.empty()) {
    module.emitError() << "bert-build-optimizer needs bertc.parameters (run "
                          "bert-make-trainable first)";
    return failure();
  }
  SmallVector<Slot> slots;
  for (Attribute entry : entries) {
    auto dict = dyn_cast<DictionaryAttr>(entry);
    auto name = dict ? dict.getAs<StringAttr>("name") : StringAttr();
    auto offset = dict ? dict.getAs<IntegerAttr>("offset") : IntegerAttr();
    auto shape = dict ? dict.getAs<ArrayAttr>("shape") : ArrayAttr();
    if (!name || !offset || !shape || offset.getInt() < 0 ||
        !llvm::all_of(shape, [](Attribute size) {
          auto value = dyn_cast<IntegerAttr>(size);
          return value && value.getInt() > 0;
        })) {
      module.emitError() << "bertc.parameters entries must be {name, offset, "
                            "shape} with a non-negative offset and positive "
                            "sizes, got "
                         << entry;
      return failure();
    }
    Slot slot;
    slot.name = name.str();
    slot.offset = offset.getInt();
    slot.count = 1;
    for (Attribute size : shape)
      slot.count *= cast<IntegerAttr>(size).getInt();
    slot.decays = !StringRef(slot.name).contains("bias") &&
                  !StringRef(slot.name).contains("LayerNorm.weight");
    slots.push_back(slot);
  }
  return slots;
}

/// sum x^2 over a vector, as an f32 scalar.
static Value buildSumOfSquares(OpBuilder &builder, Location loc, Value x) {
  Value sum = buildLastAxisReduction(
      builder, loc, x, buildF32(builder, loc, 0),
      [](OpBuilder &b, Location l, ValueRange args) -> Value {
        return buildMultiplyAccumulate(b, l, args[0], args[0], args[1]);
      });
  return tensor::ExtractOp::create(builder, loc, sum, ValueRange{});
}

/// min(1, max-grad-norm / (sqrt(sumOfSquares) + 1e-6)), as
/// torch.nn.utils.clip_grad_norm_; 1 when clipping is off.
Value BuildOptimizerPass::buildClipFactor(OpBuilder &builder, Location loc,
                                          Value sumOfSquares) {
  if (maxGradNorm <= 0)
    return buildF32(builder, loc, 1);
  Value norm = math::SqrtOp::create(builder, loc, sumOfSquares);
  Value coefficient = arith::DivFOp::create(
      builder, loc, buildF32(builder, loc, float(maxGradNorm)),
      arith::AddFOp::create(builder, loc, norm, buildF32(builder, loc, 1e-6f)));
  return arith::MinimumFOp::create(builder, loc, coefficient,
                                   buildF32(builder, loc, 1));
}

/// One slice's elementwise update: (p, g, m, v) -> (p', m', v').
Value BuildOptimizerPass::buildUpdate(OpBuilder &builder, Location loc,
                                      const Slot &slot, ValueRange inputs,
                                      ValueRange outputs,
                                      const UpdateScalars &scalars) {
  bool adamw = kind == "adamw";
  float decay = slot.decays ? float(weightDecay) : 0.0f;
  AffineMap identity = builder.getMultiDimIdentityMap(1);
  auto generic = linalg::GenericOp::create(
      builder, loc, TypeRange(outputs), inputs, outputs,
      SmallVector<AffineMap>(7, identity),
      ArrayRef<utils::IteratorType>{utils::IteratorType::parallel},
      [&](OpBuilder &b, Location l, ValueRange args) {
        auto f32 = [&](double value) { return buildF32(b, l, float(value)); };
        auto mul = [&](Value x, Value y) { return arith::MulFOp::create(b, l, x, y).getResult(); };
        auto add = [&](Value x, Value y) { return arith::AddFOp::create(b, l, x, y).getResult(); };
        auto sub = [&](Value x, Value y) { return arith::SubFOp::create(b, l, x, y).getResult(); };
        Value p = args[0], g = mul(args[1], scalars.clipFactor);
        Value m = add(mul(f32(beta1), args[2]), mul(f32(1 - beta1), g));
        Value v = add(mul(f32(beta2), args[3]), mul(f32(1 - beta2), mul(g, g)));
        Value direction = arith::DivFOp::create(
            b, l, m, add(math::SqrtOp::create(b, l, v), f32(epsilon)));
        Value updated;
        if (adamw) {
          // Hugging Face's AdamW: the bias-corrected step, then the
          // decoupled decay of the updated weight.
          Value step = mul(scalars.learningRate, scalars.biasCorrection);
          updated = sub(p, mul(step, direction));
          if (decay != 0)
            updated = sub(updated, mul(mul(scalars.learningRate, f32(decay)), updated));
        } else {
          // BertAdam: no bias correction; the decay joins the update.
          Value update = decay != 0 ? add(direction, mul(f32(decay), p)) : direction;
          updated = sub(p, mul(scalars.learningRate, update));
        }
        linalg::YieldOp::create(b, l, ValueRange{updated, m, v});
      });
  return generic.getResult(0);
}

void BuildOptimizerPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (kind != "adamw" && kind != "bert-adam") {
    module.emitError() << "bert-build-optimizer: kind must be adamw or "
                          "bert-adam, not '"
                       << kind << "'";
    return signalPassFailure();
  }
  FailureOr<SmallVector<Slot>> slots = readSlots(module);
  if (failed(slots))
    return signalPassFailure();
  int64_t total = slots->back().offset + slots->back().count;
  for (const Slot &slot : *slots)
    total = std::max(total, slot.offset + slot.count);

  MLIRContext *context = &getContext();
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  Location loc = module.getLoc();
  auto flat = RankedTensorType::get({total}, builder.getF32Type());
  auto hyperType = RankedTensorType::get({2}, builder.getF32Type());
  auto function = func::FuncOp::create(
      builder, loc, "bert_optimizer_step",
      FunctionType::get(context, {flat, flat, flat, flat, hyperType},
                        {flat, flat, flat}));
  function->setAttr("llvm.emit_c_interface", builder.getUnitAttr());
  builder.setInsertionPointToStart(function.addEntryBlock());
  ValueRange args = function.getArguments();
  Value params = args[0], grads = args[1], first = args[2], second = args[3];
  auto scalar = [&](int64_t index) -> Value {
    Value position = arith::ConstantIndexOp::create(builder, loc, index);
    return tensor::ExtractOp::create(builder, loc, args[4], ValueRange{position});
  };
  UpdateScalars scalars{scalar(0), scalar(1), Value()};
  // Hugging Face AdamW recipes clip the global norm once.
  if (kind == "adamw")
    scalars.clipFactor =
        buildClipFactor(builder, loc, buildSumOfSquares(builder, loc, grads));

  SmallVector<Value> results;
  for (int i = 0; i < 3; ++i)
    results.push_back(tensor::EmptyOp::create(builder, loc, ArrayRef<int64_t>{total},
                                              builder.getF32Type()));
  for (const Slot &slot : *slots) {
    auto slice = [&](Value vector) -> Value {
      return tensor::ExtractSliceOp::create(
          builder, loc, RankedTensorType::get({slot.count}, builder.getF32Type()),
          vector, ArrayRef<OpFoldResult>{builder.getIndexAttr(slot.offset)},
          ArrayRef<OpFoldResult>{builder.getIndexAttr(slot.count)},
          ArrayRef<OpFoldResult>{builder.getIndexAttr(1)});
    };
    SmallVector<Value> inputs = {slice(params), slice(grads), slice(first),
                                 slice(second)};
    if (kind == "bert-adam")
      scalars.clipFactor =
          buildClipFactor(builder, loc, buildSumOfSquares(builder, loc, inputs[1]));
    SmallVector<Value> outputs = {slice(results[0]), slice(results[1]),
                                  slice(results[2])};
    Value updated = buildUpdate(builder, loc, slot, inputs, outputs, scalars);
    Operation *generic = updated.getDefiningOp();
    for (int i = 0; i < 3; ++i)
      results[i] = tensor::InsertSliceOp::create(
          builder, loc, generic->getResult(i), results[i],
          ArrayRef<OpFoldResult>{builder.getIndexAttr(slot.offset)},
          ArrayRef<OpFoldResult>{builder.getIndexAttr(slot.count)},
          ArrayRef<OpFoldResult>{builder.getIndexAttr(1)});
  }
  func::ReturnOp::create(builder, loc, results);
  // What the runtime needs to schedule the steps.
  module->setAttr("bertc.optimizer",
                  builder.getDictionaryAttr(
                      {builder.getNamedAttr("kind", builder.getStringAttr(kind)),
                       builder.getNamedAttr("beta1", builder.getF64FloatAttr(beta1)),
                       builder.getNamedAttr("beta2", builder.getF64FloatAttr(beta2))}));
}
