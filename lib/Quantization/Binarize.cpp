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

namespace {

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

/// alpha_o = mean |W_o| over each row of a constant [N, K] weight.
static Value rowMeanMagnitudes(OpBuilder &b, Location l, Value weight,
                               StringRef name) {
  Attribute value;
  if (!matchPattern(weight, m_Constant(&value)))
    return {};
  std::optional<SmallVector<float>> values = getF32Values(value);
  auto type = cast<RankedTensorType>(weight.getType());
  if (!values || type.getRank() != 2)
    return {};
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
  return arith::ConstantOp::create(b, l, alphaType, cast<TypedAttr>(attr));
}

/// A constant [N, K] weight (or table) as BiBERT stores it: alpha_o =
/// mean |W_o| (a new f32 blob) and the centred sign sign(W_o - mean W_o)
/// as [N, ceil(K / 64)] words, which canonicalize folds at compile time.
struct PackedSigns {
  Value alpha, bits;
};

static FailureOr<PackedSigns> packCentredSigns(OpBuilder &b, Location l,
                                               Operation *user, Value weight,
                                               StringRef name) {
  auto type = cast<RankedTensorType>(weight.getType());
  Value alpha = rowMeanMagnitudes(b, l, weight, name);
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
  return PackedSigns{alpha, bits};
}

/// y = alpha * (sign(x) . sign(Wc)) + b on packed bits.
static LogicalResult binarizeLinear(bert::LinearOp op) {
  std::string name = constantName(op.getWeight());
  if (!quantization::binarizesLinear(name))
    return success(); // not a checkpoint weight, or the f32 classifier
  OpBuilder b(op);
  Location l = op.getLoc();
  auto weightType = cast<RankedTensorType>(op.getWeight().getType());
  int64_t k = weightType.getDimSize(1);
  FailureOr<PackedSigns> weight =
      packCentredSigns(b, l, op, op.getWeight(), name);
  if (failed(weight))
    return failure();
  Value packedInput = packSigns(b, l, op.getInput());
  auto outType = cast<RankedTensorType>(op.getType());
  auto dotType = RankedTensorType::get(outType.getShape(), b.getI32Type());
  Value dots = bq::XnorMatmulOp::create(b, l, dotType, packedInput,
                                        weight->bits, b.getI64IntegerAttr(k));
  op.replaceAllUsesWith(
      buildDotEpilogue(b, l, dots, weight->alpha, op.getBias()));
  op.erase();
  return success();
}

/// [B, L, H] as [B, heads, L, d] (or [B, heads, d, L] with keysLast).
static Value headsFirst(OpBuilder &b, Location l, Value x, int64_t heads,
                        bool keysLast) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t hidden = type.getDimSize(2), d = hidden / heads;
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, l, x);
  auto split = tensor::ExpandShapeOp::create(
      b, l,
      RankedTensorType::get({type.getDimSize(0), type.getDimSize(1), heads, d},
                            type.getElementType()),
      x, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}},
      ArrayRef<OpFoldResult>{sizes[0], sizes[1], b.getIndexAttr(heads),
                             b.getIndexAttr(d)});
  SmallVector<int64_t> permutation =
      keysLast ? SmallVector<int64_t>{0, 2, 3, 1} : SmallVector<int64_t>{0, 2, 1, 3};
  SmallVector<OpFoldResult> splitSizes = {sizes[0], sizes[1],
                                          b.getIndexAttr(heads), b.getIndexAttr(d)};
  SmallVector<OpFoldResult> permuted;
  for (int64_t axis : permutation)
    permuted.push_back(splitSizes[axis]);
  Value init = tensor::EmptyOp::create(b, l, permuted, type.getElementType());
  return linalg::TransposeOp::create(b, l, split, init, permutation)
      .getResult()[0];
}

/// Bi-Attention (SEMANTICS.md 2.5) on packed bits.
static void binarizeAttention(bert::AttentionOp op, bq::BoolRule rule) {
  OpBuilder b(op);
  Location l = op.getLoc();
  auto type = cast<RankedTensorType>(op.getType());
  int64_t heads = op.getHeads(), d = type.getDimSize(2) / heads;
  // scores = sign(Q) sign(K)^T over d bits, per head.
  Value q = packSigns(b, l, headsFirst(b, l, op.getQuery(), heads, false));
  Value k = packSigns(b, l, headsFirst(b, l, op.getKey(), heads, false));
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
  Value v = packSigns(b, l, headsFirst(b, l, op.getValue(), heads, true));
  auto contextType =
      RankedTensorType::get({type.getDimSize(0), heads, dyn, d}, b.getI32Type());
  Value attended = bq::BitwiseAffineMatmulOp::create(
      b, l, contextType, packedAttention, v, /*length=*/IntegerAttr());
  // Back to [B, L, H] in f32 (exact integers).
  Value floats = buildElementwise(
      b, l, ValueRange{attended},
      [](OpBuilder &ib, Location il, ValueRange args) -> Value {
        return arith::SIToFPOp::create(ib, il, ib.getF32Type(), args[0]);
      },
      b.getF32Type());
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, l, floats);
  Value byToken = tensor::EmptyOp::create(
      b, l, ArrayRef<OpFoldResult>{sizes[0], sizes[2], sizes[1], sizes[3]},
      b.getF32Type());
  Value tokens = linalg::TransposeOp::create(b, l, floats, byToken,
                                             ArrayRef<int64_t>{0, 2, 1, 3})
                     .getResult()[0];
  Value merged = tensor::CollapseShapeOp::create(
      b, l, tokens, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
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
  Value alpha = table->alpha, bits = table->bits;
  auto resultType = op.getType();
  int64_t rank = resultType.getRank();
  Value ids = op.getIds();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, l, ids);
  sizes.push_back(b.getIndexAttr(hidden));
  Value init = tensor::EmptyOp::create(b, l, sizes, b.getF32Type());
  AffineMap idsMap = AffineMap::getMultiDimIdentityMap(rank, b.getContext())
                         .getMajorSubMap(rank - 1);
  auto lookup = linalg::GenericOp::create(
      b, l, TypeRange{init.getType()}, ValueRange{ids}, ValueRange{init},
      ArrayRef<AffineMap>{idsMap, b.getMultiDimIdentityMap(rank)},
      SmallVector<IT>(rank, IT::parallel),
      [&](OpBuilder &ib, Location il, ValueRange args) {
        auto index = [&](int64_t v) -> Value {
          return arith::ConstantIndexOp::create(ib, il, v);
        };
        // Ids are checked at the entry point; the clamp keeps reads in
        // bounds for callers that bypass it, as bert.embedding does.
        Value id = arith::IndexCastOp::create(ib, il, ib.getIndexType(), args[0]);
        Value row = arith::MinSIOp::create(
            ib, il, arith::MaxSIOp::create(ib, il, id, index(0)),
            index(vocab - 1));
        Value column = linalg::IndexOp::create(ib, il, rank - 1);
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
        linalg::YieldOp::create(
            ib, il, ValueRange{arith::SelectOp::create(ib, il, set, scale, negative)});
      });
  Value result = lookup.getResult(0);
  if (result.getType() != resultType)
    result = tensor::CastOp::create(b, l, resultType, result);
  op.replaceAllUsesWith(result);
  op.erase();
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
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<bert::LinearOp, bert::AttentionOp, bert::EmbeddingOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      if (auto linear = dyn_cast<bert::LinearOp>(op)) {
        if (failed(binarizeLinear(linear)))
          return signalPassFailure();
      } else if (auto attention = dyn_cast<bert::AttentionOp>(op)) {
        binarizeAttention(attention, *rule);
      } else if (failed(binarizeWordEmbedding(cast<bert::EmbeddingOp>(op)))) {
        return signalPassFailure();
      }
    }
  }
};

} // namespace
