//===- RowKernels.cpp - Row-parallel linalg ops as thread-pool kernels ----===//
//
// With the GEMMs split across threads, what was left on the calling thread
// (LayerNorm, softmax, GELU-free elementwise chains, quantizing the
// activations) was a third of a 2-thread BERT-base run while the other
// thread spun. These ops work row by row: every output element belongs to
// one row of the leading dimensions. This pass outlines each such op into
// a kernel over a range of rows (the leading dimensions flattened), tagged
// `bertc.parallel` like the GEMM kernels, so that bert-parallelize-kernels
// splits its rows across the pool. A row is computed by the same
// instructions whatever the split: results do not depend on the thread
// count.
//
//===----------------------------------------------------------------------===//

#include "RegisterTile.h"

#include "bertc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/xxhash.h"

namespace bertc {
#define GEN_PASS_DEF_ROWKERNELSPASS
#include "bertc/Transforms/Passes.h.inc"
} // namespace bertc

using namespace mlir;

namespace {

/// Rows shorter than this (static last loop) are not worth a dispatch.
constexpr int64_t kMinimumRowLength = 64;

/// How an operand is read: per row (its leading results are the row loops
/// in order, then maybe the last loop) or the same for every row (it does
/// not mention the row loops).
enum class Access { PerRow, Shared };

/// An op whose loops are `rowLoops` parallel loops and one inner loop.
struct RowOp {
  linalg::GenericOp op;
  unsigned rowLoops;
  SmallVector<Access> access; ///< per operand
};

std::optional<Access> accessOf(AffineMap map, unsigned rowLoops) {
  ArrayRef<AffineExpr> results = map.getResults();
  unsigned leading = 0;
  while (leading < results.size() && leading < rowLoops &&
         results[leading] == getAffineDimExpr(leading, map.getContext()))
    ++leading;
  AffineExpr last = getAffineDimExpr(rowLoops, map.getContext());
  ArrayRef<AffineExpr> rest = results.drop_front(leading);
  bool restIsLast = rest.empty() || (rest.size() == 1 && rest[0] == last);
  if (leading == rowLoops && restIsLast)
    return Access::PerRow;
  if (leading == 0 && restIsLast)
    return Access::Shared;
  return std::nullopt;
}

/// Whether the body needs nothing from outside but constants, and no
/// loop index (the row loops are flattened in the kernel).
bool bodyIsSelfContained(linalg::GenericOp op) {
  WalkResult result = op.getRegion().walk([&](Operation *inner) {
    if (isa<linalg::IndexOp>(inner))
      return WalkResult::interrupt();
    for (Value operand : inner->getOperands()) {
      Operation *definition = operand.getDefiningOp();
      bool inside = definition ? op->isProperAncestor(definition)
                               : op->isAncestor(cast<BlockArgument>(operand)
                                                    .getOwner()
                                                    ->getParentOp());
      if (!inside && !matchPattern(operand, m_Constant()))
        return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return !result.wasInterrupted();
}

std::optional<RowOp> matchRowOp(linalg::GenericOp op) {
  auto function = op->getParentOfType<func::FuncOp>();
  if (!op.hasPureBufferSemantics() || !function ||
      function->hasAttr(bertc::kernels::kParallelAttr))
    return std::nullopt;
  unsigned loops = op.getNumLoops();
  if (loops < 2)
    return std::nullopt;
  RowOp row{op, loops - 1, {}};
  auto iterators = op.getIteratorTypesArray();
  for (unsigned loop = 0; loop < row.rowLoops; ++loop)
    if (iterators[loop] != utils::IteratorType::parallel)
      return std::nullopt;
  int64_t length = op.getStaticLoopRanges().back();
  bool worthIt = ShapedType::isDynamic(length) ? loops >= 3
                                               : length >= kMinimumRowLength;
  if (!worthIt || !bodyIsSelfContained(op))
    return std::nullopt;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    std::optional<Access> access =
        accessOf(op.getMatchingIndexingMap(&operand), row.rowLoops);
    if (!type || !access)
      return std::nullopt;
    // Row operands are collapsed to [rows, ...]: contiguous layouts only.
    if (*access == Access::PerRow && !type.getLayout().isIdentity())
      return std::nullopt;
    // Every row writes only its own elements.
    if (op.isDpsInit(&operand) && *access != Access::PerRow)
      return std::nullopt;
    row.access.push_back(*access);
  }
  return row;
}

/// `operand` of the kernel as the op reads it for rows [first, end): a
/// row operand collapsed to [rows, rest] and cut to the range; a shared
/// one as it is.
Value operandForRows(OpBuilder &b, Location l, Value operand, Access access,
                     unsigned rowLoops, Value first, Value count) {
  if (access == Access::Shared)
    return operand;
  auto type = cast<MemRefType>(operand.getType());
  Value rows = operand;
  if (rowLoops > 1) {
    SmallVector<ReassociationIndices> groups(1);
    for (unsigned axis = 0; axis < rowLoops; ++axis)
      groups[0].push_back(axis);
    for (unsigned axis = rowLoops; axis < type.getRank(); ++axis)
      groups.push_back({int64_t(axis)});
    rows = memref::CollapseShapeOp::create(b, l, operand, groups);
  }
  unsigned rank = cast<MemRefType>(rows.getType()).getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes = memref::getMixedSizes(b, l, rows);
  SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
  offsets[0] = first;
  sizes[0] = count;
  return memref::SubViewOp::create(b, l, rows, offsets, sizes, strides);
}

/// The op's operands, each once, in order.
SmallVector<Value> distinctOperands(linalg::GenericOp op) {
  SmallVector<Value> distinct;
  for (Value operand : op->getOperands())
    if (!llvm::is_contained(distinct, operand))
      distinct.push_back(operand);
  return distinct;
}

/// The op's maps over (row, inner) loops.
AffineMap rowMap(AffineMap map, Access access, unsigned rowLoops,
                 MLIRContext *context) {
  SmallVector<AffineExpr> results;
  if (access == Access::PerRow)
    results.push_back(getAffineDimExpr(0, context));
  AffineExpr last = getAffineDimExpr(rowLoops, context);
  if (llvm::is_contained(map.getResults(), last))
    results.push_back(getAffineDimExpr(1, context));
  return AffineMap::get(2, 0, results, context);
}

/// @bertc_rows_<hash>(operands..., first, end): the op on rows
/// [first, end) of its flattened row loops. Kernels with the same text are
/// shared (the same LayerNorm in every layer).
func::FuncOp getOrCreateKernel(ModuleOp module, const RowOp &row) {
  linalg::GenericOp op = row.op;
  MLIRContext *context = op.getContext();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location l = op.getLoc();
  // One argument per distinct operand: an op that updates a buffer in
  // place reads and writes the same memref, and as two arguments LLVM
  // could not tell that they are one (its vectorized loop's alias check
  // failed at run time and the scalar loop ran).
  SmallVector<Value> distinct = distinctOperands(op);
  SmallVector<Type> argumentTypes;
  for (Value operand : distinct)
    argumentTypes.push_back(operand.getType());
  argumentTypes.append(2, b.getIndexType());
  auto kernel = func::FuncOp::create(b, l, "bertc_rows",
                                     b.getFunctionType(argumentTypes, {}));
  bertc::kernels::markKernel(kernel);
  kernel->setAttr(bertc::kernels::kParallelAttr, b.getUnitAttr());
  Block *body = kernel.addEntryBlock();
  b.setInsertionPointToStart(body);
  Value first = body->getArgument(distinct.size());
  Value count = arith::SubIOp::create(
      b, l, body->getArgument(distinct.size() + 1), first);
  SmallVector<Value> distinctViews;
  for (auto [i, operand] : llvm::enumerate(distinct)) {
    unsigned use = llvm::find(op->getOperands(), operand) -
                   op->getOperands().begin();
    distinctViews.push_back(operandForRows(b, l, body->getArgument(i),
                                           row.access[use], row.rowLoops,
                                           first, count));
  }
  SmallVector<Value> views;
  SmallVector<AffineMap> maps;
  for (OpOperand &operand : op->getOpOperands()) {
    unsigned i = operand.getOperandNumber();
    views.push_back(distinctViews[llvm::find(distinct, operand.get()) -
                                  distinct.begin()]);
    maps.push_back(rowMap(op.getIndexingMapsArray()[i], row.access[i],
                          row.rowLoops, context));
  }
  // The body's constants, defined in the kernel.
  IRMapping mapping;
  op.getRegion().walk([&](Operation *inner) {
    for (Value operand : inner->getOperands())
      if (Operation *constant = operand.getDefiningOp();
          constant && !op->isProperAncestor(constant) &&
          !mapping.contains(operand))
        mapping.map(operand, b.clone(*constant)->getResult(0));
  });
  SmallVector<utils::IteratorType> iterators = {
      utils::IteratorType::parallel, op.getIteratorTypesArray().back()};
  unsigned inputs = op.getNumDpsInputs();
  auto outlined = linalg::GenericOp::create(
      b, l, TypeRange{}, ArrayRef<Value>(views).take_front(inputs),
      ArrayRef<Value>(views).drop_front(inputs), maps, iterators);
  op.getRegion().cloneInto(&outlined.getRegion(), mapping);
  func::ReturnOp::create(b, l);

  // Named after its text: equal kernels are one function.
  std::string text;
  llvm::raw_string_ostream stream(text);
  kernel.print(stream, OpPrintingFlags().printGenericOpForm());
  std::string name = "bertc_rows_" + llvm::utohexstr(llvm::xxh3_64bits(text));
  if (auto existing = module.lookupSymbol<func::FuncOp>(name)) {
    kernel.erase();
    return existing;
  }
  kernel.setName(name);
  return kernel;
}

/// The op replaced by a call of its kernel on all rows.
void outline(ModuleOp module, const RowOp &row) {
  func::FuncOp kernel = getOrCreateKernel(module, row);
  linalg::GenericOp op = row.op;
  OpBuilder b(op);
  Location l = op.getLoc();
  Value out = op.getDpsInitOperand(0)->get();
  Value rows = arith::ConstantIndexOp::create(b, l, 1);
  for (unsigned axis = 0; axis < row.rowLoops; ++axis) {
    Value size = memref::DimOp::create(b, l, out, axis);
    rows = arith::MulIOp::create(b, l, rows, size);
  }
  SmallVector<Value> arguments = distinctOperands(op);
  arguments.push_back(arith::ConstantIndexOp::create(b, l, 0));
  arguments.push_back(rows);
  func::CallOp::create(b, l, kernel, arguments);
  op.erase();
}

struct RowKernelsPass : bertc::impl::RowKernelsPassBase<RowKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<RowOp> rows;
    module.walk([&](linalg::GenericOp op) {
      if (std::optional<RowOp> row = matchRowOp(op))
        rows.push_back(*row);
    });
    for (const RowOp &row : rows)
      outline(module, row);
  }
};

} // namespace
