//===- RowReductionsToLoops.cpp - Last-axis reductions, a lane per row ----===//
//
// convert-linalg-to-loops lowers a reduction over the last axis with that
// axis innermost: each row sum of a LayerNorm or a softmax became a chain
// of dependent scalar adds (LLVM may not reassociate float sums, and the
// accumulator went through memory), about a tenth of a BERT layer's time.
// This pass lowers such reductions itself, reducing strips of 8 rows
// together: their accumulators stay in registers and their 8 chains run in
// parallel, while every row still adds its values in order, so the results
// are bit for bit those of the sequential loop. (Reassociating the sums so
// that LLVM vectorizes them moved LayerNorm outputs by an ulp, enough to
// flip int8 codes of the next quantizer against the Q8BERT reference; a
// lane per row vectorizes with gathers, slower than the scalar chains.)
//
//===----------------------------------------------------------------------===//

#include "bertc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

namespace bertc {
#define GEN_PASS_DEF_ROWREDUCTIONSTOLOOPSPASS
#include "bertc/Transforms/Passes.h.inc"
} // namespace bertc

using namespace mlir;

namespace {

/// A generic on buffers reducing its inputs' last axis into one output:
/// parallel loops then one reduction loop, inputs read through projected
/// permutations, the output through the parallel loops in order.
bool isRowReduction(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumLoops() < 2 || op.getNumReductionLoops() != 1 ||
      op.getIteratorTypesArray().back() != utils::IteratorType::reduction)
    return false;
  unsigned loops = op.getNumLoops();
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (outMap != AffineMap::getMultiDimIdentityMap(loops, op.getContext())
                    .getMajorSubMap(loops - 1))
    return false;
  for (OpOperand *input : op.getDpsInputOperands())
    if (!isa<MemRefType>(input->get().getType()) ||
        !op.getMatchingIndexingMap(input).isProjectedPermutation())
      return false;
  return true;
}

/// The indices of `map` (a projected permutation) at the loop counters.
SmallVector<Value> indicesAt(AffineMap map, ArrayRef<Value> counters) {
  SmallVector<Value> indices;
  for (AffineExpr result : map.getResults())
    indices.push_back(counters[cast<AffineDimExpr>(result).getPosition()]);
  return indices;
}

/// Rows reduced together: as many independent accumulator chains as keep
/// the adders busy (a float add's latency over its reciprocal throughput).
constexpr unsigned kRowsPerStrip = 8;

/// The body of `op` at `counters` (indexed by loop) with the accumulator
/// `sum`: the inputs loaded, the body's ops cloned. Returns the new sum.
Value emitStep(OpBuilder &b, linalg::GenericOp op, ArrayRef<Value> counters,
               Value sum) {
  Location l = op.getLoc();
  Block *body = op.getBody();
  IRMapping mapping;
  for (OpOperand *input : op.getDpsInputOperands())
    mapping.map(body->getArgument(input->getOperandNumber()),
                memref::LoadOp::create(b, l, input->get(),
                                       indicesAt(op.getMatchingIndexingMap(input),
                                                 counters)));
  mapping.map(body->getArguments().back(), sum);
  for (Operation &inner : body->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      mapping.map(index.getResult(), counters[index.getDim()]);
      continue;
    }
    b.clone(inner, mapping);
  }
  return mapping.lookup(body->getTerminator()->getOperand(0));
}

/// Rows [row, row + count) of the last parallel loop (the loops before it
/// at `counters`): their accumulators loaded, carried through one pass of
/// the reduction loop, stored.
void emitStrip(OpBuilder &b, linalg::GenericOp op, SmallVector<Value> counters,
               Value row, unsigned count, const Range &reduction) {
  Location l = op.getLoc();
  const unsigned rowLoop = counters.size() - 2, reductionLoop = rowLoop + 1;
  Value out = op.getDpsInitOperand(0)->get();
  SmallVector<Value> rows, sums;
  for (unsigned i = 0; i < count; ++i) {
    rows.push_back(i == 0 ? row
                          : arith::AddIOp::create(
                                b, l, row, arith::ConstantIndexOp::create(b, l, i))
                                .getResult());
    counters[rowLoop] = rows.back();
    sums.push_back(memref::LoadOp::create(
        b, l, out, ArrayRef<Value>(counters).take_front(reductionLoop)));
  }
  // One op per statement: argument evaluation order differs by compiler.
  Value first = getValueOrCreateConstantIndexOp(b, l, reduction.offset);
  Value end = getValueOrCreateConstantIndexOp(b, l, reduction.size);
  Value step = getValueOrCreateConstantIndexOp(b, l, reduction.stride);
  auto loop = scf::ForOp::create(
      b, l, first, end, step, sums,
      [&](OpBuilder &ib, Location, Value k, ValueRange carried) {
        SmallVector<Value> next;
        counters[reductionLoop] = k;
        for (unsigned i = 0; i < count; ++i) {
          counters[rowLoop] = rows[i];
          next.push_back(emitStep(ib, op, counters, carried[i]));
        }
        scf::YieldOp::create(ib, l, next);
      });
  for (unsigned i = 0; i < count; ++i) {
    counters[rowLoop] = rows[i];
    memref::StoreOp::create(b, l, loop.getResult(i), out,
                            ArrayRef<Value>(counters).take_front(reductionLoop));
  }
}

/// Loops over the parallel dimensions but the last; then strips of
/// kRowsPerStrip rows of the last one (and the rows left one at a time),
/// each strip's accumulators carried through the reduction loop together.
/// Every row still combines its values in the order of the reduction axis
/// (the same results, bit for bit, as the sequential loop), but the
/// strip's chains are independent and run in parallel.
void lowerRowReduction(linalg::GenericOp op) {
  OpBuilder b(op);
  Location l = op.getLoc();
  SmallVector<Range, 4> ranges =
      cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(b, l);
  const unsigned loops = ranges.size(), rowLoop = loops - 2;
  SmallVector<Value> counters(loops);
  std::function<void(OpBuilder &, unsigned)> nest = [&](OpBuilder &nb,
                                                        unsigned loop) {
    auto index = [&](int64_t value) -> Value {
      return arith::ConstantIndexOp::create(nb, l, value);
    };
    if (loop == rowLoop) {
      // Linalg's loops start at 0 with step 1.
      Value rows = getValueOrCreateConstantIndexOp(nb, l, ranges[rowLoop].size);
      Value strip = index(kRowsPerStrip);
      Value stripped = arith::SubIOp::create(
          nb, l, rows, arith::RemUIOp::create(nb, l, rows, strip));
      auto rowsOf = [&](Value first, Value end, Value step, unsigned count) {
        scf::ForOp::create(
            nb, l, first, end, step, ValueRange{},
            [&](OpBuilder &ib, Location, Value row, ValueRange) {
              emitStrip(ib, op, counters, row, count, ranges.back());
              scf::YieldOp::create(ib, l);
            });
      };
      rowsOf(index(0), stripped, strip, kRowsPerStrip);
      rowsOf(stripped, rows, index(1), 1);
      return;
    }
    Value first = getValueOrCreateConstantIndexOp(nb, l, ranges[loop].offset);
    Value end = getValueOrCreateConstantIndexOp(nb, l, ranges[loop].size);
    Value step = getValueOrCreateConstantIndexOp(nb, l, ranges[loop].stride);
    scf::ForOp::create(nb, l, first, end, step, ValueRange{},
                       [&](OpBuilder &ib, Location, Value counter, ValueRange) {
                         counters[loop] = counter;
                         nest(ib, loop + 1);
                         scf::YieldOp::create(ib, l);
                       });
  };
  nest(b, 0);
  op.erase();
}

struct RowReductionsToLoopsPass
    : bertc::impl::RowReductionsToLoopsPassBase<RowReductionsToLoopsPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> reductions;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (isRowReduction(op))
        reductions.push_back(op);
    });
    for (linalg::GenericOp op : reductions)
      lowerRowReduction(op);
  }
};

} // namespace
