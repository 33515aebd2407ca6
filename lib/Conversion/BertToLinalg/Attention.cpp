//===- Attention.cpp - bert.attention to linalg ---------------------------===//
//
// Heads become an axis of the iteration space: [B, L, H] is viewed as
// [B, L, heads, d], scores live in [B, heads, L, L]. Both products are
// tagged for bert-lower-attention, which gives them register-blocked
// kernels after bufferization.
//
//===----------------------------------------------------------------------===//

#include "Patterns.h"

#include "bertc/Utils/LinalgBuilders.h"
#include "bertc/Utils/Tags.h"
#include "dialects/Bert/IR/Bert.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

using namespace mlir;
using namespace bertc;

namespace {

struct AttentionLowering : OpConversionPattern<bert::AttentionOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(bert::AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    int64_t hidden = type.getDimSize(2);
    if (ShapedType::isDynamic(hidden))
      return rewriter.notifyMatchFailure(op, "needs a static hidden size");
    int64_t heads = op.getHeads(), headSize = hidden / heads;
    MLIRContext *context = getContext();

    Value batch = tensor::DimOp::create(rewriter, loc, adaptor.getQuery(), 0);
    Value length = tensor::DimOp::create(rewriter, loc, adaptor.getQuery(), 1);
    Value q = buildSplitHeads(rewriter, loc, adaptor.getQuery(), heads);
    Value k = buildSplitHeads(rewriter, loc, adaptor.getKey(), heads);
    Value v = buildSplitHeads(rewriter, loc, adaptor.getValue(), heads);
    auto zeros = [&](ArrayRef<int64_t> shape, ValueRange dynamicSizes) {
      return buildZeros(rewriter, loc, shape, dynamicSizes);
    };
    int64_t dyn = ShapedType::kDynamic;
    using IT = utils::IteratorType;

    // scores[b, h, i, j] = sum_e q[b, i, h, e] kT[b, h, e, j], with K
    // transposed per head once (L x d copies) so that, like the context
    // below, each head's product is a row-major matrix times a matrix whose
    // rows are contiguous: j runs along vectors, and no horizontal sum is
    // needed per score.
    SmallVector<OpFoldResult> keySizes = tensor::getMixedSizes(rewriter, loc, k);
    Value keysByHead = tensor::EmptyOp::create(
        rewriter, loc,
        ArrayRef<OpFoldResult>{keySizes[0], keySizes[2], keySizes[3], keySizes[1]},
        rewriter.getF32Type());
    Value kT = linalg::TransposeOp::create(rewriter, loc, k, keysByHead,
                                           ArrayRef<int64_t>{0, 2, 3, 1})
                   .getResult()[0];
    AffineExpr b, h, i, j, e;
    bindDims(context, b, h, i, j, e);
    const IT contractionIterators[] = {IT::parallel, IT::parallel,
                                       IT::parallel, IT::parallel,
                                       IT::reduction};
    Value scores = buildContraction(
        rewriter, loc, q, kT,
        zeros({dyn, heads, dyn, dyn}, {batch, length, length}),
        {AffineMap::get(5, 0, {b, i, h, e}, context),
         AffineMap::get(5, 0, {b, h, e, j}, context),
         AffineMap::get(5, 0, {b, h, i, j}, context)},
        contractionIterators);
    scores.getDefiningOp()->setAttr(tags::kHeadProduct, rewriter.getUnitAttr());
    // s / sqrt(d) + (1 - mask[b, j]) * -10000, as BERT's extended mask.
    scores = buildScaledMaskedScores(
        rewriter, loc, scores, adaptor.getMask(),
        static_cast<float>(std::sqrt(double(headSize))));
    DropoutSite dropout = op.getDropoutSite();
    dropout.seed = adaptor.getSeed();
    Value probabilities = bert::buildAttentionProbabilities(
        rewriter, loc, scores, op.getProbabilities(), dropout);

    // context[b, i, h, e] = sum_j p[b, h, i, j] v[b, j, h, e], iterated as
    // (b, h, i, j, e): the innermost loop runs over e, contiguous in v and
    // in the context, so it vectorizes as p * v[j, :] + context; with j
    // innermost it would stride over v's rows.
    AffineExpr cb, ch, ci, cj, ce;
    bindDims(context, cb, ch, ci, cj, ce);
    const IT contextIterators[] = {IT::parallel, IT::parallel, IT::parallel,
                                   IT::reduction, IT::parallel};
    Value attended = buildContraction(
        rewriter, loc, probabilities, v,
        zeros({dyn, dyn, heads, headSize}, {batch, length}),
        {AffineMap::get(5, 0, {cb, ch, ci, cj}, context),
         AffineMap::get(5, 0, {cb, cj, ch, ce}, context),
         AffineMap::get(5, 0, {cb, ci, ch, ce}, context)},
        contextIterators);
    attended.getDefiningOp()->setAttr(tags::kHeadProduct, rewriter.getUnitAttr());
    Value merged = buildMergeHeads(rewriter, loc, attended);
    if (merged.getType() != type)
      merged = tensor::CastOp::create(rewriter, loc, type, merged);
    rewriter.replaceOp(op, merged);
    return success();
  }
};

/// S[b, h, i, j] = sum_e x[b, i, h, e] x[b, j, h, e] / sqrt(d), e innermost
/// (a reduction along rows of x: distillation only, not on the hot path).
struct HeadSimilarityLowering : OpConversionPattern<bert::HeadSimilarityOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(bert::HeadSimilarityOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t heads = op.getHeads();
    int64_t headSize = op.getInput().getType().getDimSize(2) / heads;
    MLIRContext *context = getContext();
    Value x = buildSplitHeads(rewriter, loc, adaptor.getInput(), heads);
    Value batch = tensor::DimOp::create(rewriter, loc, adaptor.getInput(), 0);
    Value length = tensor::DimOp::create(rewriter, loc, adaptor.getInput(), 1);
    int64_t dyn = ShapedType::kDynamic;
    AffineExpr b, h, i, j, e;
    bindDims(context, b, h, i, j, e);
    using IT = utils::IteratorType;
    const IT iterators[] = {IT::parallel, IT::parallel, IT::parallel,
                            IT::parallel, IT::reduction};
    Value products = buildContraction(
        rewriter, loc, x, x,
        buildZeros(rewriter, loc, {dyn, heads, dyn, dyn}, {batch, length, length}),
        {AffineMap::get(5, 0, {b, i, h, e}, context),
         AffineMap::get(5, 0, {b, j, h, e}, context),
         AffineMap::get(5, 0, {b, h, i, j}, context)},
        iterators);
    Value root = buildF32(rewriter, loc,
                          static_cast<float>(std::sqrt(double(headSize))));
    Value scaled = buildElementwise(
        rewriter, loc, {products},
        [&](OpBuilder &ob, Location l, ValueRange args) -> Value {
          return arith::DivFOp::create(ob, l, args[0], root);
        });
    if (scaled.getType() != op.getType())
      scaled = tensor::CastOp::create(rewriter, loc, op.getType(), scaled);
    rewriter.replaceOp(op, scaled);
    return success();
  }
};

} // namespace

void bertc::bert_to_linalg::populateAttentionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<AttentionLowering, HeadSimilarityLowering>(patterns.getContext());
}
