//===- LowerAttention.cpp - Register-blocked kernels for attention --------===//
//
// Attention's two products per (batch, head), scores = Q_h K_h^T and
// context = P_h V_h, are small matrix products (L x d x L, L x L x d) that
// the plain loop nest computed badly: the scores as one horizontal sum per
// element, the context with its accumulators going through memory. Both
// come from convert-bert-to-linalg tagged `bertc.head_product`, as 5-D
// contractions whose operands each hold the two batch axes and a row-major
// matrix. This pass replaces each by a call of a loop over the (batch,
// head) pairs (tagged `bertc.parallel`, so that bert-parallelize-kernels
// can split the pairs across threads) that calls, for each pair, one kernel
// on 2-D strided views:
//
//   for col in [0, N - N % 2V) step 2V:
//     row blocks of R: tile(R rows, 2 vectors); remaining rows one by one
//   for col in [N - N % 2V, N) step V:          the last vector masked
//     row blocks of R: tile(R rows, 1 vector); remaining rows one by one
//
// with the tiles of RegisterTile.h (accumulators in registers over the
// whole reduction). Sizes are run-time values: L is the sequence length.
//
//===----------------------------------------------------------------------===//

#include "RegisterTile.h"

#include "bertc/Transforms/Passes.h"
#include "bertc/Utils/PackedDots.h"
#include "bertc/Utils/Tags.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/xxhash.h"

namespace bertc {
#define GEN_PASS_DEF_LOWERATTENTIONPASS
#include "bertc/Transforms/Passes.h.inc"
} // namespace bertc

using namespace mlir;

namespace {


/// A tagged product out[batch, row, col] += x[batch, row, k] w[batch, k, col]
/// in terms of its loop dimensions.
struct HeadProduct {
  linalg::GenericOp op;
  SmallVector<unsigned, 2> batchLoops;
  /// "" for f32 multiply-accumulate; "xnor" (acc += popcount(x XOR w)) or
  /// "bamm" (acc += 2 popcount(x AND w) - popcount(x)) on i64 words.
  std::string packed;
};

/// The reduction step of a packed product, on vectors of i64 words.
static Value packedStep(StringRef kind, OpBuilder &b, Location l, Value x,
                        Value w, Value acc) {
  Value term = kind == "xnor" ? bertc::buildXorPopcount(b, l, x, w)
                              : bertc::buildBitwiseAffineTerm(b, l, x, w);
  return arith::AddIOp::create(b, l, acc, term);
}

/// The loop dimensions (in result order) of a projected-permutation map.
static SmallVector<unsigned> loopsOf(AffineMap map) {
  SmallVector<unsigned> loops;
  for (AffineExpr result : map.getResults())
    loops.push_back(cast<AffineDimExpr>(result).getPosition());
  return loops;
}

/// True if `loops` without the batch loops is exactly {first, second}, with
/// `second` the innermost memref axis (contiguous: vectors run along it).
static bool holdsMatrix(ArrayRef<unsigned> loops,
                        ArrayRef<unsigned> batchLoops, unsigned first,
                        unsigned second) {
  SmallVector<unsigned> rest;
  for (unsigned loop : loops)
    if (!llvm::is_contained(batchLoops, loop))
      rest.push_back(loop);
  return rest.size() == 2 && rest[0] == first && rest[1] == second &&
         loops.back() == second;
}

/// The product's structure if it is one the kernel computes.
static std::optional<HeadProduct> matchHeadProduct(linalg::GenericOp op) {
  auto packedAttr = op->getAttrOfType<StringAttr>("bertc.packed");
  std::string packed = packedAttr ? packedAttr.getValue().str() : "";
  if (!packed.empty() && packed != "xnor" && packed != "bamm")
    return std::nullopt;
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumLoops() != 5 ||
      op.getNumReductionLoops() != 1 ||
      (packed.empty() && !linalg::isaContractionOpInterface(op)))
    return std::nullopt;
  Type element = packed.empty() ? Type(Float32Type::get(op.getContext()))
                                : Type(IntegerType::get(op.getContext(), 64));
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type || type.getRank() != 4 || type.getElementType() != element ||
        !type.getLayout().isIdentity() ||
        !op.getMatchingIndexingMap(&operand).isProjectedPermutation(
            /*allowZeroInResults=*/false))
      return std::nullopt;
  }
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<unsigned> x = loopsOf(maps[0]), w = loopsOf(maps[1]),
                        out = loopsOf(maps[2]);
  SmallVector<unsigned> reductions;
  op.getReductionDims(reductions);
  unsigned k = reductions.front();
  HeadProduct product{op, {}, packed};
  std::optional<unsigned> row, col;
  for (unsigned loop : out) {
    bool inX = llvm::is_contained(x, loop), inW = llvm::is_contained(w, loop);
    if (inX && inW)
      product.batchLoops.push_back(loop);
    else if (inX)
      row = loop;
    else if (inW)
      col = loop;
  }
  if (product.batchLoops.size() != 2 || !row || !col ||
      !holdsMatrix(x, product.batchLoops, *row, k) ||
      !holdsMatrix(w, product.batchLoops, k, *col) ||
      !holdsMatrix(out, product.batchLoops, *row, *col))
    return std::nullopt;
  return product;
}

/// memref<?x?xT, strided<[?, 1], offset: ?>>: every view the kernels take.
static MemRefType matrixViewType(Type element) {
  MLIRContext *context = element.getContext();
  int64_t dyn = ShapedType::kDynamic;
  return MemRefType::get(
      {dyn, dyn}, element,
      StridedLayoutAttr::get(context, dyn, ArrayRef<int64_t>{dyn, 1}));
}

/// The 2-D view of `operand` at the batch loops' indices `at`.
static Value matrixView(OpBuilder &b, Location l, Value memref, AffineMap map,
                        ArrayRef<unsigned> batchLoops, ValueRange at) {
  SmallVector<OpFoldResult> offsets, sizes, strides;
  SmallVector<int64_t> viewShape;
  for (auto [axis, loop] : llvm::enumerate(loopsOf(map))) {
    auto batch = llvm::find(batchLoops, loop);
    strides.push_back(b.getIndexAttr(1));
    if (batch != batchLoops.end()) {
      offsets.push_back(at[batch - batchLoops.begin()]);
      sizes.push_back(b.getIndexAttr(1));
    } else {
      offsets.push_back(b.getIndexAttr(0));
      sizes.push_back(memref::getMixedSize(b, l, memref, axis));
      viewShape.push_back(
          getConstantIntValue(sizes.back()).value_or(ShapedType::kDynamic));
    }
  }
  auto viewType = memref::SubViewOp::inferRankReducedResultType(
      viewShape, cast<MemRefType>(memref.getType()), offsets, sizes, strides);
  Value view = memref::SubViewOp::create(b, l, cast<MemRefType>(viewType),
                                         memref, offsets, sizes, strides);
  MemRefType kernelType =
      matrixViewType(cast<MemRefType>(memref.getType()).getElementType());
  if (viewType == kernelType)
    return view;
  return memref::CastOp::create(b, l, kernelType, view);
}

/// Rows in blocks of `rowsPerBlock`, then one at a time, for one column
/// block of `columns` vectors at `col`.
static void emitRowLoops(OpBuilder &b, Location l,
                         const bertc::kernels::ProductOperands &operands,
                         Value rows, Value fullRows, Value col,
                         unsigned columns, unsigned lanes,
                         unsigned rowsPerBlock, Value mask) {
  auto index = [&](OpBuilder &ob, int64_t v) -> Value {
    return arith::ConstantIndexOp::create(ob, l, v);
  };
  scf::ForOp::create(b, l, index(b, 0), fullRows, index(b, rowsPerBlock),
                     ValueRange{},
                     [&](OpBuilder &rb, Location rl, Value row, ValueRange) {
                       bertc::kernels::emitRegisterTile(
                           rb, rl, operands, row, rowsPerBlock, col, columns,
                           lanes, mask);
                       scf::YieldOp::create(rb, rl);
                     });
  scf::ForOp::create(b, l, fullRows, rows, index(b, 1), ValueRange{},
                     [&](OpBuilder &rb, Location rl, Value row, ValueRange) {
                       bertc::kernels::emitRegisterTile(
                           rb, rl, operands, row, 1, col, columns, lanes, mask);
                       scf::YieldOp::create(rb, rl);
                     });
}

/// @bertc_head_gemm(x, w, out) for f32, @bertc_head_<packed>(...) for
/// packed words, created on first use. `lanes` counts f32 lanes; a vector
/// holds half as many i64 words.
static func::FuncOp getOrCreateKernel(ModuleOp module, StringRef packed,
                                      unsigned lanes, unsigned rowsPerBlock) {
  std::string name =
      "bertc_head_" + (packed.empty() ? std::string("gemm") : packed.str());
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location l = module.getLoc();
  Type element = packed.empty() ? Type(b.getF32Type()) : Type(b.getI64Type());
  if (!packed.empty())
    lanes = std::max(1u, lanes / 2);
  MemRefType view = matrixViewType(element);
  auto kernel = func::FuncOp::create(b, l, name,
                                     b.getFunctionType({view, view, view}, {}));
  bertc::kernels::markKernel(kernel);
  Block *body = kernel.addEntryBlock();
  b.setInsertionPointToStart(body);
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, l, v);
  };
  Value x = body->getArgument(0), w = body->getArgument(1),
        out = body->getArgument(2);
  bertc::kernels::ProductOperands operands{
      x, w, out, memref::DimOp::create(b, l, x, 1).getResult()};
  operands.elementType = element;
  if (!packed.empty()) {
    std::string kind = packed.str();
    operands.combine = [kind](OpBuilder &ob, Location ol, Value x, Value w,
                              Value acc) {
      return packedStep(kind, ob, ol, x, w, acc);
    };
  }
  Value rows = memref::DimOp::create(b, l, x, 0);
  Value columns = memref::DimOp::create(b, l, w, 1);
  Value fullRows = arith::SubIOp::create(
      b, l, rows, arith::RemUIOp::create(b, l, rows, index(rowsPerBlock)));
  Value fullColumns = arith::SubIOp::create(
      b, l, columns, arith::RemUIOp::create(b, l, columns, index(2 * lanes)));
  scf::ForOp::create(b, l, index(0), fullColumns, index(2 * lanes),
                     ValueRange{},
                     [&](OpBuilder &cb, Location cl, Value col, ValueRange) {
                       emitRowLoops(cb, cl, operands, rows, fullRows, col, 2,
                                    lanes, rowsPerBlock, Value());
                       scf::YieldOp::create(cb, cl);
                     });
  // The last columns, one vector at a time, masked past N.
  auto maskType = VectorType::get({lanes}, b.getI1Type());
  scf::ForOp::create(
      b, l, fullColumns, columns, index(lanes), ValueRange{},
      [&](OpBuilder &cb, Location cl, Value col, ValueRange) {
        Value left = arith::SubIOp::create(cb, cl, columns, col);
        Value mask = vector::CreateMaskOp::create(cb, cl, maskType,
                                                  ValueRange{left});
        emitRowLoops(cb, cl, operands, rows, fullRows, col, 1, lanes,
                     rowsPerBlock, mask);
        scf::YieldOp::create(cb, cl);
      });
  func::ReturnOp::create(b, l);
  return kernel;
}

/// @bertc_heads_<hash>(x, w, out, n0, n1, first, end): the kernel on the
/// (batch, head) pairs whose flat index i0 * n1 + i1 lies in [first, end),
/// for the product's operand types and maps (one function serves every
/// layer's product of that form). Tagged `bertc.parallel`: the pairs are
/// independent, and bert-parallelize-kernels splits them across threads.
static func::FuncOp getOrCreateHeadLoop(ModuleOp module,
                                        const HeadProduct &product,
                                        func::FuncOp kernel) {
  linalg::GenericOp op = product.op;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  std::string key;
  llvm::raw_string_ostream keyStream(key);
  keyStream << kernel.getName();
  for (Value operand : op->getOperands())
    keyStream << operand.getType();
  for (AffineMap map : maps)
    keyStream << map;
  keyStream << product.batchLoops[0] << "," << product.batchLoops[1];
  // xxh3, not llvm::hash_value: names must not change from run to run.
  std::string name = "bertc_heads_" + llvm::utohexstr(llvm::xxh3_64bits(key));
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;

  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location l = module.getLoc();
  SmallVector<Type> argumentTypes(op->getOperandTypes());
  argumentTypes.append(4, b.getIndexType());
  auto loop = func::FuncOp::create(b, l, name,
                                   b.getFunctionType(argumentTypes, {}));
  bertc::kernels::markKernel(loop);
  loop->setAttr(bertc::kernels::kParallelAttr, b.getUnitAttr());
  Block *body = loop.addEntryBlock();
  b.setInsertionPointToStart(body);
  Value innerCount = body->getArgument(4);
  Value one = arith::ConstantIndexOp::create(b, l, 1);
  scf::ForOp::create(
      b, l, body->getArgument(5), body->getArgument(6), one, ValueRange{},
      [&](OpBuilder &nb, Location nl, Value flat, ValueRange) {
        Value at[] = {arith::DivUIOp::create(nb, nl, flat, innerCount),
                      arith::RemUIOp::create(nb, nl, flat, innerCount)};
        SmallVector<Value> views;
        for (unsigned i = 0; i < 3; ++i)
          views.push_back(matrixView(nb, nl, body->getArgument(i), maps[i],
                                     product.batchLoops, at));
        func::CallOp::create(nb, nl, kernel, views);
        scf::YieldOp::create(nb, nl);
      });
  func::ReturnOp::create(b, l);
  return loop;
}

/// Replaces the product by a call of its (batch, head) loop over all pairs.
static void lowerHeadProduct(ModuleOp module, const HeadProduct &product,
                             func::FuncOp kernel) {
  linalg::GenericOp op = product.op;
  func::FuncOp loop = getOrCreateHeadLoop(module, product, kernel);
  OpBuilder b(op);
  Location l = op.getLoc();
  SmallVector<Range, 4> ranges =
      cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(b, l);
  SmallVector<Value> arguments(op->getOperands());
  for (unsigned batchLoop : product.batchLoops)
    arguments.push_back(
        getValueOrCreateConstantIndexOp(b, l, ranges[batchLoop].size));
  arguments.push_back(arith::ConstantIndexOp::create(b, l, 0));
  arguments.push_back(
      arith::MulIOp::create(b, l, arguments[3], arguments[4]).getResult());
  func::CallOp::create(b, l, loop, arguments);
  op.erase();
}

struct LowerAttentionPass
    : bertc::impl::LowerAttentionPassBase<LowerAttentionPass> {
  using LowerAttentionPassBase::LowerAttentionPassBase;

  void runOnOperation() override {
    if (vectorWidth == 0 || rowsPerBlock == 0) {
      getOperation().emitError() << "bert-lower-attention needs a positive "
                                    "vector-width and rows";
      return signalPassFailure();
    }
    SmallVector<HeadProduct> products;
    getOperation().walk([&](linalg::GenericOp op) {
      if (!op->hasAttr(bertc::tags::kHeadProduct))
        return;
      if (std::optional<HeadProduct> product = matchHeadProduct(op))
        products.push_back(*product);
    });
    for (const HeadProduct &product : products)
      lowerHeadProduct(getOperation(), product,
                       getOrCreateKernel(getOperation(),
                                                  product.packed, vectorWidth,
                                                  rowsPerBlock));
  }
};

} // namespace
