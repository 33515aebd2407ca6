//===- Binarize.cpp - BiBERT's 1-1-1 bit inference graph ------------------===//
//
// SEMANTICS.md section 2, official code: binary linears (sign(x) against the
// centred sign of the weight, alpha per output row), Bi-Attention (XNOR
// scores, bool instead of softmax, BAMM context) and a binarized word
// embedding; everything else stays f32. Bits are packed along the
// reduction axis; sign(0) packs as +1 (SEMANTICS.md 3.5).
//
//===----------------------------------------------------------------------===//

#include "bertc/Quantization/Passes.h"
#include "bertc/Quantization/Binarize.h"

#include "bertc/Support/QuantMath.h"
#include "bertc/Utils/ConstantData.h"
#include "bertc/Utils/LinalgBuilders.h"
#include "dialects/BQ/IR/BQ.h"
#include "dialects/Bert/IR/Bert.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

#include <cmath>

namespace bertc {
#define GEN_PASS_DEF_BINARIZEPASS
#include "bertc/Quantization/Passes.h.inc"
} // namespace bertc

using namespace mlir;
using namespace bertc;

bool bertc::quantization::binarizesLinear(StringRef name) {
  bool classifier =
      name.starts_with("classifier.") || name.contains(".classifier.");
  return !name.empty() && !classifier;
}

bool bertc::quantization::binarizesEmbedding(StringRef name) {
  return name.ends_with("embeddings.word_embeddings.weight");
}

/// True where `use` only needs sign(x): the input of a linear this pass
/// binarizes, or Q, K or V of an attention (Bi-Attention signs them).
static bool usesOnlySign(OpOperand &use) {
  Operation *owner = use.getOwner();
  if (auto linear = dyn_cast<bert::LinearOp>(owner))
    return &use == &linear.getInputMutable() &&
           quantization::binarizesLinear(constantName(linear.getWeight()));
  if (auto attention = dyn_cast<bert::AttentionOp>(owner))
    return &use == &attention.getQueryMutable() ||
           &use == &attention.getKeyMutable() ||
           &use == &attention.getValueMutable();
  return false;
}

bool bertc::quantization::onlySignsUsed(Value value) {
  return !value.use_empty() && llvm::all_of(value.getUses(), usesOnlySign);
}

quantization::SignUse bertc::quantization::signUseOf(Value y) {
  if (onlySignsUsed(y))
    return SignUse::Sign;
  auto signedErfGelu = [](Operation *user) {
    auto gelu = dyn_cast<bert::GeluOp>(user);
    return gelu && gelu.getApproximation() == bert::GeluApproximation::Erf &&
           onlySignsUsed(gelu.getResult());
  };
  if (!y.use_empty() && llvm::all_of(y.getUsers(), signedErfGelu))
    return SignUse::GeluSign;
  return SignUse::Float;
}

namespace {

using quantization::onlySignsUsed;
using quantization::SignUse;
using quantization::signUseOf;
using IT = utils::IteratorType;

/// [..., K] f32 packed into ceil(K / 64) words, sign(0) as +1.
static Value packSigns(OpBuilder &b, Location l, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape(type.getShape());
  int64_t length = shape.back();
  shape.back() = ShapedType::isDynamic(length) ? ShapedType::kDynamic
                                               : packedWordCount(length);
  return bq::PackBitsOp::create(
      b, l, RankedTensorType::get(shape, b.getI64Type()), x,
      bq::PackRule::NonNegative);
}

/// [..., N] i32 as f32 scale[n] * value + offset[n] (no offset when null).
static Value buildDotEpilogue(OpBuilder &b, Location l, Value dots,
                              Value scale, Value offset) {
  auto type = cast<RankedTensorType>(dots.getType());
  unsigned rank = type.getRank();
  MLIRContext *context = b.getContext();
  AffineMap full = AffineMap::getMultiDimIdentityMap(rank, context);
  AffineMap last =
      AffineMap::get(rank, 0, {getAffineDimExpr(rank - 1, context)}, context);
  SmallVector<Value> inputs = {dots, scale};
  SmallVector<AffineMap> maps = {full, last};
  if (offset) {
    inputs.push_back(offset);
    maps.push_back(last);
  }
  maps.push_back(full);
  Value init = buildEmptyLike(b, l, dots, b.getF32Type());
  return linalg::GenericOp::create(
             b, l, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
             SmallVector<IT>(rank, IT::parallel),
             [&](OpBuilder &ib, Location il, ValueRange args) {
               Value value =
                   arith::SIToFPOp::create(ib, il, ib.getF32Type(), args[0]);
               value = arith::MulFOp::create(ib, il, value, args[1]);
               if (offset)
                 value = arith::AddFOp::create(ib, il, value, args[2]);
               linalg::YieldOp::create(ib, il, ValueRange{value});
             })
      .getResult(0);
}

/// The f32 values of a constant tensor, if it is one.
static std::optional<SmallVector<float>> constantValues(Value value) {
  Attribute attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  return getF32Values(attr);
}

/// alpha_o = mean |W_o| over each row of a constant [N, K] weight, as a
/// constant tensor and as values.
struct RowScales {
  Value constant;
  SmallVector<float> values;
};

static std::optional<RowScales> rowMeanMagnitudes(OpBuilder &b, Location l,
                                                  Value weight, StringRef name) {
  std::optional<SmallVector<float>> values = constantValues(weight);
  auto type = cast<RankedTensorType>(weight.getType());
  if (!values || type.getRank() != 2)
    return std::nullopt;
  int64_t n = type.getDimSize(0), k = type.getDimSize(1);
  SmallVector<float> alpha(n);
  for (int64_t row = 0; row < n; ++row) {
    double sum = 0;
    for (int64_t col = 0; col < k; ++col)
      sum += std::fabs((*values)[row * k + col]);
    alpha[row] = static_cast<float>(sum / double(k));
  }
  auto alphaType = RankedTensorType::get({n}, b.getF32Type());
  auto attr = makeF32Resource(alphaType, (name + ".alpha").str(), alpha);
  return RowScales{
      arith::ConstantOp::create(b, l, alphaType, cast<TypedAttr>(attr)), alpha};
}

/// A constant [N, K] weight (or table) as BiBERT stores it: alpha_o =
/// mean |W_o| (a new f32 blob) and the centred sign sign(W_o - mean W_o)
/// as [N, ceil(K / 64)] words, which canonicalize folds at compile time.
struct PackedSigns {
  RowScales alpha;
  Value bits;
};

static FailureOr<PackedSigns> packCentredSigns(OpBuilder &b, Location l,
                                               Operation *user, Value weight,
                                               StringRef name) {
  auto type = cast<RankedTensorType>(weight.getType());
  std::optional<RowScales> alpha = rowMeanMagnitudes(b, l, weight, name);
  if (!alpha)
    return user->emitError("bert-binarize: cannot read the constant ") << name;
  Value signs = bq::BinarizeOp::create(b, l, weight, bq::BinarizeForm::Weight,
                                       bq::SignZeroPolicy::PlusOne,
                                       bq::SteWindow::Inclusive);
  auto bitsType = RankedTensorType::get(
      {type.getDimSize(0), packedWordCount(type.getDimSize(1))},
      b.getI64Type());
  Value bits =
      bq::PackBitsOp::create(b, l, bitsType, signs, bq::PackRule::Positive);
  return PackedSigns{std::move(*alpha), bits};
}

//===----------------------------------------------------------------------===//
// Integer thresholds where a binary layer feeds sign()
//===----------------------------------------------------------------------===//

static Value i32Vector(OpBuilder &b, Location l, ArrayRef<int32_t> values) {
  auto type = RankedTensorType::get({int64_t(values.size())}, b.getI32Type());
  return arith::ConstantOp::create(b, l, type,
                                   DenseIntElementsAttr::get(type, values));
}

static int32_t firstDotAsI32(float alpha, float bias, int64_t length,
                             function_ref<bool(float)> test) {
  return static_cast<int32_t>(firstDotWhere(alpha, bias, length, test));
}

/// sign(y) (or sign(GELU(y))) of y = alpha[n] * dot + bias[n] as i8 ±1, by
/// integer thresholds on the dot found at compile time from the same f32
/// arithmetic the epilogue would run: bits go from one popcount kernel to
/// the next without a float round trip. sign(0) -> +1 as everywhere.
static Value buildSignThresholds(OpBuilder &b, Location l, Value dots,
                                 ArrayRef<float> alpha, ArrayRef<float> bias,
                                 int64_t length, bool throughGelu) {
  SmallVector<int32_t> atLeast, below;
  for (auto [scale, offset] : llvm::zip_equal(alpha, bias)) {
    atLeast.push_back(firstDotAsI32(scale, offset, length,
                                    [](float y) { return y >= 0; }));
    // GELU(y) < 0 for every negative y above kLastGeluZero; at and below
    // it GELU is -0, whose sign packs as +1.
    below.push_back(firstDotAsI32(scale, offset, length, [](float y) {
      return y > kLastGeluZero;
    }));
  }
  auto type = cast<RankedTensorType>(dots.getType());
  auto signsType = RankedTensorType::get(type.getShape(), b.getI8Type());
  Value lower = throughGelu ? i32Vector(b, l, below) : Value();
  return bq::ThresholdOp::create(b, l, signsType, dots,
                                 i32Vector(b, l, atLeast), lower);
}

//===----------------------------------------------------------------------===//
// The rewrite
//===----------------------------------------------------------------------===//

/// [B, L, H] as [B, L, heads, H / heads] (no copy).
static Value splitHeads(OpBuilder &b, Location l, Value x, int64_t heads) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t d = type.getDimSize(2) / heads;
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, l, x);
  return tensor::ExpandShapeOp::create(
      b, l,
      RankedTensorType::get({type.getDimSize(0), type.getDimSize(1), heads, d},
                            type.getElementType()),
      x, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}},
      ArrayRef<OpFoldResult>{sizes[0], sizes[1], b.getIndexAttr(heads),
                             b.getIndexAttr(d)});
}

/// A linalg.transpose of a rank-4 tensor.
static Value permute(OpBuilder &b, Location l, Value x,
                     ArrayRef<int64_t> permutation) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, l, x), permuted;
  for (int64_t axis : permutation)
    permuted.push_back(sizes[axis]);
  Value init = tensor::EmptyOp::create(
      b, l, permuted, cast<RankedTensorType>(x.getType()).getElementType());
  return linalg::TransposeOp::create(b, l, x, init, permutation).getResult()[0];
}

/// Rewrites one function's float graph; values whose consumers only need
/// their signs travel as i8 ±1 tensors (`signsOf`), and the float ops they
/// replace are erased once those consumers are rewritten.
class Binarizer {
public:
  Binarizer(bq::BoolRule rule, bool foldThresholds)
      : rule(rule), foldThresholds(foldThresholds) {}

  LogicalResult rewrite(Operation *root);

private:
  LogicalResult binarizeLinear(bert::LinearOp op);
  void binarizeAttention(bert::AttentionOp op);
  Value packedSignsOf(OpBuilder &b, Location l, Value x);
  Value signsOrValue(Value x) {
    Value signs = signsOf.lookup(x);
    return signs ? signs : x;
  }

  bq::BoolRule rule;
  bool foldThresholds;
  DenseMap<Value, Value> signsOf;
  SmallVector<Operation *> replaced;
};

/// sign(x) packed along the last axis, from x's i8 signs where a threshold
/// made them.
Value Binarizer::packedSignsOf(OpBuilder &b, Location l, Value x) {
  return packSigns(b, l, signsOrValue(x));
}

/// y = alpha * (sign(x) . sign(Wc)) + b on packed bits, or only its signs.
LogicalResult Binarizer::binarizeLinear(bert::LinearOp op) {
  std::string name = constantName(op.getWeight());
  if (!quantization::binarizesLinear(name))
    return success(); // not a checkpoint weight, or the f32 classifier
  OpBuilder b(op);
  Location l = op.getLoc();
  auto weightType = cast<RankedTensorType>(op.getWeight().getType());
  int64_t n = weightType.getDimSize(0), k = weightType.getDimSize(1);
  FailureOr<PackedSigns> weight =
      packCentredSigns(b, l, op, op.getWeight(), name);
  if (failed(weight))
    return failure();
  Value packedInput = packedSignsOf(b, l, op.getInput());
  auto outType = cast<RankedTensorType>(op.getType());
  auto dotType = RankedTensorType::get(outType.getShape(), b.getI32Type());
  Value dots = bq::XnorMatmulOp::create(b, l, dotType, packedInput,
                                        weight->bits, b.getI64IntegerAttr(k));
  SignUse use = foldThresholds ? signUseOf(op.getResult()) : SignUse::Float;
  std::optional<SmallVector<float>> bias =
      op.getBias() ? constantValues(op.getBias())
                   : std::optional<SmallVector<float>>(SmallVector<float>(n));
  if (use != SignUse::Float && bias && int64_t(bias->size()) == n) {
    Value signs = buildSignThresholds(b, l, dots, weight->alpha.values, *bias,
                                      k, use == SignUse::GeluSign);
    replaced.push_back(op);
    if (use == SignUse::Sign) {
      signsOf[op.getResult()] = signs;
      return success();
    }
    for (Operation *gelu : op.getResult().getUsers()) {
      signsOf[gelu->getResult(0)] = signs;
      replaced.push_back(gelu);
    }
    return success();
  }
  op.replaceAllUsesWith(
      buildDotEpilogue(b, l, dots, weight->alpha.constant, op.getBias()));
  op.erase();
  return success();
}

/// Bi-Attention (SEMANTICS.md 2.5) on packed bits.
void Binarizer::binarizeAttention(bert::AttentionOp op) {
  OpBuilder b(op);
  Location l = op.getLoc();
  auto type = cast<RankedTensorType>(op.getType());
  int64_t heads = op.getHeads(), d = type.getDimSize(2) / heads;
  // scores = sign(Q) sign(K)^T over d bits, per head: packed per head in
  // token order, then the words (1/64 of the values) move heads first.
  auto packedHeads = [&](Value x) {
    return permute(b, l, packSigns(b, l, splitHeads(b, l, x, heads)),
                   {0, 2, 1, 3});
  };
  Value q = packedHeads(signsOrValue(op.getQuery()));
  Value k = packedHeads(signsOrValue(op.getKey()));
  int64_t dyn = ShapedType::kDynamic;
  auto scoreType =
      RankedTensorType::get({type.getDimSize(0), heads, dyn, dyn}, b.getI32Type());
  Value dots = bq::XnorMatmulOp::create(b, l, scoreType, q, k,
                                        b.getI64IntegerAttr(d));
  // A = dot / sqrt(d) + (1 - mask[b, j]) * -10000, then B_A = bool(A).
  Value scores = buildScaledMaskedScores(
      b, l, dots, op.getMask(), static_cast<float>(std::sqrt(double(d))));
  Value attention = bq::BoolOp::create(b, l, scores, rule, bq::SteWindow::Strict);
  // context = B_A sign(V): BAMM over the keys, V packed along them.
  Value packedAttention = bq::PackBitsOp::create(
      b, l,
      RankedTensorType::get({type.getDimSize(0), heads, dyn, dyn}, b.getI64Type()),
      attention, bq::PackRule::Positive);
  Value v = packSigns(
      b, l, permute(b, l, splitHeads(b, l, signsOrValue(op.getValue()), heads),
                    {0, 2, 3, 1}));
  auto contextType =
      RankedTensorType::get({type.getDimSize(0), heads, dyn, d}, b.getI32Type());
  Value attended = bq::BitwiseAffineMatmulOp::create(
      b, l, contextType, packedAttention, v, /*length=*/IntegerAttr());
  // The output projection only needs sign(context): i8 signs by a zero
  // threshold instead of f32 values (exact integers either way).
  bool signsOnly = foldThresholds && onlySignsUsed(op.getResult());
  Value values =
      signsOnly
          ? bq::ThresholdOp::create(
                b, l,
                RankedTensorType::get(contextType.getShape(), b.getI8Type()),
                attended, i32Vector(b, l, SmallVector<int32_t>(d, 0)), Value())
          : buildElementwise(
                b, l, ValueRange{attended},
                [](OpBuilder &ib, Location il, ValueRange args) -> Value {
                  return arith::SIToFPOp::create(ib, il, ib.getF32Type(),
                                                 args[0]);
                },
                b.getF32Type());
  // Back to [B, L, H].
  Value merged = tensor::CollapseShapeOp::create(
      b, l, permute(b, l, values, {0, 2, 1, 3}),
      ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
  if (signsOnly) {
    signsOf[op.getResult()] = merged;
    replaced.push_back(op);
    return;
  }
  if (merged.getType() != type)
    merged = tensor::CastOp::create(b, l, type, merged);
  op.replaceAllUsesWith(merged);
  op.erase();
}

/// The word-embedding table as alpha_t * sign(E_t - mean E_t), stored as
/// one bit per entry (the centred sign, packed at compile time) and one f32
/// alpha per token: 1/32 of the f32 table. The lookup unpacks the row of
/// each (clamped) id: out[..., h] = alpha[id] * (bit h of row id ? 1 : -1).
static LogicalResult binarizeWordEmbedding(bert::EmbeddingOp op) {
  std::string name = constantName(op.getTable());
  if (!quantization::binarizesEmbedding(name))
    return success();
  OpBuilder b(op);
  Location l = op.getLoc();
  auto tableType = cast<RankedTensorType>(op.getTable().getType());
  int64_t vocab = tableType.getDimSize(0), hidden = tableType.getDimSize(1);
  FailureOr<PackedSigns> table = packCentredSigns(b, l, op, op.getTable(), name);
  if (failed(table))
    return failure();
  Value alpha = table->alpha.constant, bits = table->bits;
  Value result = buildTableLookup(
      b, l, op.getIds(), arith::ConstantIndexOp::create(b, l, vocab),
      arith::ConstantIndexOp::create(b, l, hidden), op.getType(),
      [&](OpBuilder &ib, Location il, Value row, Value column) -> Value {
        auto index = [&](int64_t v) -> Value {
          return arith::ConstantIndexOp::create(ib, il, v);
        };
        Value wordIndex = arith::DivUIOp::create(ib, il, column, index(64));
        Value word = tensor::ExtractOp::create(ib, il, bits,
                                               ValueRange{row, wordIndex});
        Value position = arith::IndexCastOp::create(
            ib, il, ib.getI64Type(),
            arith::RemUIOp::create(ib, il, column, index(64)));
        Value bit = arith::AndIOp::create(
            ib, il, arith::ShRUIOp::create(ib, il, word, position),
            arith::ConstantOp::create(ib, il, ib.getI64IntegerAttr(1)));
        Value set = arith::CmpIOp::create(
            ib, il, arith::CmpIPredicate::ne, bit,
            arith::ConstantOp::create(ib, il, ib.getI64IntegerAttr(0)));
        Value scale = tensor::ExtractOp::create(ib, il, alpha, ValueRange{row});
        Value negative = arith::NegFOp::create(ib, il, scale);
        return arith::SelectOp::create(ib, il, set, scale, negative);
      });
  op.replaceAllUsesWith(result);
  op.erase();
  return success();
}

LogicalResult Binarizer::rewrite(Operation *root) {
  SmallVector<Operation *> ops;
  root->walk([&](Operation *op) {
    if (isa<bert::LinearOp, bert::AttentionOp, bert::EmbeddingOp>(op))
      ops.push_back(op);
  });
  for (Operation *op : ops) {
    if (auto linear = dyn_cast<bert::LinearOp>(op)) {
      if (failed(binarizeLinear(linear)))
        return failure();
    } else if (auto attention = dyn_cast<bert::AttentionOp>(op)) {
      // The packed inference kernels have no dropout (training only).
      if (attention.getSeed())
        return attention.emitOpError()
               << "has dropout, which bert-binarize's inference kernels do "
                  "not implement (dropout is for training graphs)";
      binarizeAttention(attention);
    } else if (failed(binarizeWordEmbedding(cast<bert::EmbeddingOp>(op)))) {
      return failure();
    }
  }
  // Producers whose signs went on as i8: their float consumers are gone.
  for (Operation *op : llvm::reverse(replaced)) {
    if (!op->use_empty())
      return op->emitError("bert-binarize: a folded sign still has a float "
                           "user");
    op->erase();
  }
  return success();
}

struct BinarizePass : bertc::impl::BinarizePassBase<BinarizePass> {
  using BinarizePassBase::BinarizePassBase;

  void runOnOperation() override {
    std::optional<bq::BoolRule> rule = bq::symbolizeBoolRule(boolRule);
    if (!rule) {
      getOperation().emitError("bert-binarize: bool-rule must be gt or ge, not '")
          << boolRule << "'";
      return signalPassFailure();
    }
    if (failed(Binarizer(*rule, foldThresholds).rewrite(getOperation())))
      signalPassFailure();
  }
};

} // namespace
