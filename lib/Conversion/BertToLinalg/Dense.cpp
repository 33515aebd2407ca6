//===- Dense.cpp - bert.linear and bert.embedding to linalg ---------------===//

#include "Patterns.h"

#include "bertc/Utils/ConstantData.h"
#include "bertc/Utils/LinalgBuilders.h"
#include "bertc/Utils/Tags.h"
#include "dialects/Bert/IR/Bert.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace bertc;

namespace {

/// The constant weight [N, K] as a new constant [K, N], so that the GEMM
/// kernel reads contiguous columns; null when the weight is not a constant.
/// (Transposing at compile time is part of prepacking weights.)
static Value transposeConstantWeight(OpBuilder &builder, Location loc,
                                     Value weight) {
  auto constant = weight.getDefiningOp<arith::ConstantOp>();
  auto type = cast<RankedTensorType>(weight.getType());
  if (!constant || !type.hasStaticShape() || !type.getElementType().isF32())
    return {};
  std::optional<SmallVector<float>> values = getF32Values(constant.getValue());
  if (!values)
    return {};
  std::string name = "weight";
  if (auto blob = dyn_cast<DenseF32ResourceElementsAttr>(constant.getValue()))
    name = blob.getRawHandle().getKey().str();
  int64_t n = type.getDimSize(0), k = type.getDimSize(1);
  SmallVector<float> transposed(values->size());
  for (int64_t row = 0; row < n; ++row)
    for (int64_t col = 0; col < k; ++col)
      transposed[col * n + row] = (*values)[row * k + col];
  auto transposedType = RankedTensorType::get({k, n}, type.getElementType());
  auto attr = makeF32Resource(transposedType, name + ".kn", transposed);
  return arith::ConstantOp::create(builder, loc, transposedType,
                                   cast<TypedAttr>(attr));
}

/// A statically shaped f32 weight [N, K] transposed to [K, N] by a
/// linalg.transpose; null for other weights.
static Value transposeAtRunTime(OpBuilder &builder, Location loc, Value weight) {
  auto type = cast<RankedTensorType>(weight.getType());
  if (!type.hasStaticShape() || !type.getElementType().isF32())
    return {};
  Value empty = tensor::EmptyOp::create(
      builder, loc, ArrayRef<int64_t>{type.getDimSize(1), type.getDimSize(0)},
      type.getElementType());
  return linalg::TransposeOp::create(builder, loc, weight, empty,
                                     ArrayRef<int64_t>{1, 0})
      .getResult()[0];
}

/// out[r..., n] = bias[n] + sum_k x[r..., k] * w[n, k], iterating over the
/// leading axes r directly. (Collapsing them to a matrix and expanding back
/// would be shorter, but MLIR 22's expand-strided-metadata crashes on an
/// expand_shape of a dynamic collapse_shape; see docs/ARCHITECTURE.md.)
struct LinearLowering : OpConversionPattern<bert::LinearOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(bert::LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    RankedTensorType resultType = op.getType();
    unsigned rank = resultType.getRank(); // rows..., n
    MLIRContext *context = rewriter.getContext();

    // Iteration space (r..., n, k).
    SmallVector<AffineExpr> rows;
    for (unsigned i = 0; i + 1 < rank; ++i)
      rows.push_back(getAffineDimExpr(i, context));
    AffineExpr n = getAffineDimExpr(rank - 1, context);
    AffineExpr k = getAffineDimExpr(rank, context);
    auto withTail = [&](ArrayRef<AffineExpr> tail) {
      SmallVector<AffineExpr> exprs(rows);
      exprs.append(tail.begin(), tail.end());
      return AffineMap::get(rank + 1, 0, exprs, context);
    };

    SmallVector<Value> dynamicSizes;
    for (unsigned i = 0; i + 1 < rank; ++i)
      if (resultType.isDynamicDim(i))
        dynamicSizes.push_back(tensor::DimOp::create(rewriter, loc, x, i));
    Value empty = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                          resultType.getElementType(),
                                          dynamicSizes);
    Value acc;
    if (Value bias = adaptor.getBias()) {
      AffineMap full = rewriter.getMultiDimIdentityMap(rank);
      AffineMap last = AffineMap::get(
          rank, 0, {getAffineDimExpr(rank - 1, context)}, context);
      acc = linalg::GenericOp::create(
                rewriter, loc, TypeRange{resultType}, ValueRange{bias},
                ValueRange{empty}, ArrayRef<AffineMap>{last, full},
                SmallVector<utils::IteratorType>(rank,
                                                 utils::IteratorType::parallel),
                [](OpBuilder &b, Location l, ValueRange args) {
                  linalg::YieldOp::create(b, l, args[0]);
                })
                .getResult(0);
    } else {
      acc = linalg::FillOp::create(rewriter, loc,
                                   ValueRange{buildF32(rewriter, loc, 0)},
                                   ValueRange{empty})
                .getResult(0);
    }
    SmallVector<utils::IteratorType> iterators(rank + 1,
                                               utils::IteratorType::parallel);
    iterators.back() = utils::IteratorType::reduction;
    // The weight as [K, N], so that the GEMM kernel reads contiguous
    // columns: a constant is transposed at compile time (prepacking); a
    // weight computed at run time (training's parameters, gradients'
    // transposes) is transposed per call, O(N K) against the product's
    // O(M N K). The product is tagged for bert-lower-linears, which
    // replaces it by a register-blocked kernel after bufferization.
    Value weight = adaptor.getWeight();
    Value transposed = transposeConstantWeight(rewriter, loc, weight);
    // A gradient's W^T (dx = g W): W itself is the [K, N] operand.
    if (!transposed)
      if (auto transpose = weight.getDefiningOp<linalg::TransposeOp>())
        if (transpose.getPermutation() == ArrayRef<int64_t>{1, 0})
          transposed = transpose.getInput();
    if (!transposed)
      transposed = transposeAtRunTime(rewriter, loc, weight);
    AffineMap weightMap = AffineMap::get(rank + 1, 0, {n, k}, context);
    if (transposed) {
      weight = transposed;
      weightMap = AffineMap::get(rank + 1, 0, {k, n}, context);
    }
    Value product =
        buildContraction(rewriter, loc, x, weight, acc,
                         {withTail({k}), weightMap, withTail({n})}, iterators);
    if (transposed)
      product.getDefiningOp()->setAttr(tags::kLinear, rewriter.getUnitAttr());
    rewriter.replaceOp(op, product);
    return success();
  }
};

/// out[i..., h] = table[clamp(ids[i...], 0, V - 1), h]. The entry point
/// rejects out-of-range ids before running; the clamp makes the gather safe
/// even for callers that bypass it.
struct EmbeddingLowering : OpConversionPattern<bert::EmbeddingOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(bert::EmbeddingOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value table = adaptor.getTable();
    Value vocab = tensor::DimOp::create(rewriter, loc, table, 0);
    Value hidden = tensor::DimOp::create(rewriter, loc, table, 1);
    Value gather = buildTableLookup(
        rewriter, loc, adaptor.getIds(), vocab, hidden, op.getType(),
        [&](OpBuilder &b, Location l, Value row, Value column) -> Value {
          return tensor::ExtractOp::create(b, l, table, ValueRange{row, column});
        });
    rewriter.replaceOp(op, gather);
    return success();
  }
};

} // namespace

void bertc::bert_to_linalg::populateDensePatterns(RewritePatternSet &patterns) {
  patterns.add<LinearLowering, EmbeddingLowering>(patterns.getContext());
}
