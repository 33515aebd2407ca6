//===- LowerLinears.cpp - Register-blocked GEMM for tagged linears --------===//
//
// For out[M, N] += x[M, K] * w[K, N] (w prepacked at compile time), with V
// lanes per vector and R rows per block:
//
//   for j in [0, N) step 4 V:                     a panel of w, kept in cache
//     for i in [0, M - M % R) step R:
//       tile(i, R rows, j, 2 vectors); tile(i, R rows, j + 2V, 2 vectors)
//     for i in [M - M % R, M):
//       tile(i, 1 row, j, 4 vectors)                 4 chains hide FMA latency
//   tile(i, rows, j, C):
//     acc[r][c] = out[i + r, j + c V : V]
//     for k in [0, K):
//       acc[r][c] = fma(broadcast(x[i + r, k]), w[k, j + c V : V], acc[r][c])
//     out[i + r, j + c V : V] = acc[r][c]
//
// (int8 vpdpbusd products on 512-bit vectors: tile(i, R / 2 rows, j, 4
// vectors); exact AVX2 int8 products: 6 rows where R is 4; see
// rowBlockOf.) The accumulators are scf.for iter_args, so
// they stay in registers; each k step costs C vector loads and rows
// broadcasts for rows x C FMAs. Each
// (K, N) shape gets one kernel function, called by every product of that
// shape: BERT-base has three, and one function per layer would multiply
// code size and LLVM's time (loop strength reduction is superlinear in the
// size of a function).
//
//===----------------------------------------------------------------------===//

#include "MergeRuntime.h"
#include "RegisterTile.h"
#include "TileEpilogue.h"

#include "bertc/Transforms/Passes.h"
#include "bertc/Utils/ConstantData.h"
#include "bertc/Utils/PackedDots.h"
#include "bertc/Utils/Tags.h"

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Parser/Parser.h"

namespace bertc {
#define GEN_PASS_DEF_LOWERLINEARSPASS
#include "bertc/Transforms/Passes.h.inc"
} // namespace bertc

using namespace mlir;

namespace {

/// Called at the entry of every AMX kernel: Linux hands out the AMX tile
/// state only to a process that asked for it (arch_prctl
/// ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA, Linux 5.16+); without it
/// the first tile instruction raises SIGILL. The first call asks, later
/// ones read the flag. A refusal (a CPU or kernel without AMX: the object
/// was built for another machine) is reported and the process exits.
constexpr llvm::StringLiteral kAmxPermission = "__bertc_amx_permission";
constexpr llvm::StringLiteral kAmxRefused =
    "bertc: this code runs its int8 products on AMX tiles, which this CPU or "
    "kernel does not grant; recompile it with --int8-kernel=vnni, avx2 or "
    "generic";
constexpr llvm::StringLiteral kAmxRuntime = R"mlir(
llvm.func @syscall(i64, ...) -> i64
llvm.func @write(i32, !llvm.ptr, i64) -> i64
llvm.func @exit(i32)
llvm.mlir.global internal @__bertc_amx_granted(0 : i32) {alignment = 4 : i64} : i32
llvm.mlir.global internal constant @__bertc_amx_refused("@MESSAGE@\0A") {addr_space = 0 : i32}
llvm.func internal @__bertc_amx_permission() {
  %granted = llvm.mlir.addressof @__bertc_amx_granted : !llvm.ptr
  %flag = llvm.load %granted atomic monotonic {alignment = 4 : i64} : !llvm.ptr -> i32
  %one = llvm.mlir.constant(1 : i32) : i32
  %known = llvm.icmp "eq" %flag, %one : i32
  llvm.cond_br %known, ^done, ^ask
^ask:
  %arch_prctl = llvm.mlir.constant(158 : i64) : i64
  %request = llvm.mlir.constant(4131 : i64) : i64
  %xtiledata = llvm.mlir.constant(18 : i64) : i64
  %status = llvm.call @syscall(%arch_prctl, %request, %xtiledata) vararg(!llvm.func<i64 (i64, ...)>) : (i64, i64, i64) -> i64
  %zero = llvm.mlir.constant(0 : i64) : i64
  %ok = llvm.icmp "eq" %status, %zero : i64
  llvm.cond_br %ok, ^grant, ^refuse
^grant:
  llvm.store %one, %granted atomic monotonic {alignment = 4 : i64} : i32, !llvm.ptr
  llvm.br ^done
^refuse:
  %stderr = llvm.mlir.constant(2 : i32) : i32
  %message = llvm.mlir.addressof @__bertc_amx_refused : !llvm.ptr
  %length = llvm.mlir.constant(@LENGTH@ : i64) : i64
  %written = llvm.call @write(%stderr, %message, %length) : (i32, !llvm.ptr, i64) -> i64
  llvm.call @exit(%one) : (i32) -> ()
  llvm.unreachable
^done:
  llvm.return
}
)mlir";

/// What a tagged product multiplies.
enum class Product {
  F32,   ///< out += x * w
  Xnor,  ///< out += popcount(x XOR w) on 64-bit words of packed bits
  Vnni,  ///< out += 4 (x byte + 128) * (w byte), vpdpbusd on i32 words
  Avx2,  ///< out += 2 (x i16) * (w byte), vpmaddwd on widened bytes
};

Product productOf(Operation *op) {
  if (op->hasAttr(bertc::tags::kXnorLinear))
    return Product::Xnor;
  if (auto int8 = op->getAttrOfType<StringAttr>(bertc::tags::kInt8Linear))
    return int8.getValue() == "vnni" ? Product::Vnni : Product::Avx2;
  return Product::F32;
}

/// Vectors per column block: two beside a block of rows (but see
/// RowBlock), four for a single row (independent FMA chains hide the FMA
/// latency when M is 1).
constexpr unsigned kBlockColumns = 2;
constexpr unsigned kTailColumns = 4;

/// The register tile beside a block of rows: `rows` x `columns` vectors.
struct RowBlock {
  unsigned rows, columns;
};

/// AMX tiles: 16 rows; a tile row of bytes is 64 bytes, 16 packed words of
/// x (4 k each) or of w (one column's 4 k), so an accumulator tile is 16
/// rows x 16 columns of i32 and one tdpbusd step covers 64 k.
constexpr int64_t kTileRows = 16;
constexpr int64_t kTileWords = 16;

/// The operands of a tagged product, viewed as matrices.
struct Gemm {
  Value x, w, out; // memref<?xK>, memref<KxN> or panels, memref<?xN>
  /// K is dynamic (ShapedType::kDynamic) for a weight computed at run time
  /// whose rows are the batch's (a weight gradient, g^T x): the reduction
  /// length is then read from x.
  int64_t k, n;
  /// F32, or an XOR-popcount product of packed bits (tag
  /// `bertc.xnor_linear`, i64 words): out[m, n] += popcount(x[m, k] XOR
  /// w[k, n]), or an int8 product on packed words (`bertc.int8_linear`).
  Product product = Product::F32;
  /// out was only zero-filled before the product: the kernel overwrites it
  /// and the fill is dropped (for the counts of packed products, megabytes
  /// of memset per layer).
  bool overwrite = false;
  /// When nonzero, w is panel-major [N / P, K, P] with P = panelWidth
  /// rather than [K, N]: each panel contiguous, so its rows do not alias in
  /// L1 when N is a multiple of 1024 (rows 4 KiB apart map to the same
  /// cache sets). P is kTailColumns vectors, or one AMX tile's 16 columns
  /// for AMX kernels: then every operand tile of w is 1 KiB in one piece
  /// (16 k words x 64 bytes), which tileloadd reads about 1.4x faster than
  /// 16 rows a panel's stride apart (measured on a 128x768x768 product).
  int64_t panelWidth = 0;
  /// An int8 product's elementwise consumer run on its accumulators in
  /// registers (TileEpilogue.h), with its inputs as the kernel sees them
  /// (per-element ones as matrices) and its output matrix.
  std::optional<bertc::kernels::Epilogue> epilogue;
  SmallVector<Value> epilogueInputs;
  Value epilogueOut;
  /// The epilogue's float constants (Epilogue::parameters) as scalars.
  SmallVector<Value> epilogueParameters;
  /// A contiguous copy of a weight that is a strided view (a training
  /// step's slice of its parameter vector), freed after the call.
  Value weightCopy;
  /// A vnni product whose blocks of 16 rows run on AMX tiles (tdpbusd on
  /// the same packed words); the last M % 16 rows stay on vpdpbusd.
  bool amx = false;
  /// In a kernel whose epilogue consumes the sums: the tiles' own buffer
  /// of sums (ProductOperands::tileSums); null otherwise.
  Value tileSums;
};

/// The register tile of `gemm`'s row blocks, from the pass's rows per
/// block (of kBlockColumns vectors). An int8 vpdpbusd product on 512-bit
/// vectors takes the whole four-vector panel beside half as many rows:
/// the same 16 accumulators, but 4 weight loads and 4 broadcasts per 16
/// vpdpbusd instead of 2 and 8, and each k word of the panel read as one
/// 256-byte row (on a Zen 5 core, 512 x 3072 x 768 went from 3.55 to
/// 3.28 ms, other shapes unchanged). f32 products measured mixed (+-7%),
/// so they keep 2 x R.
///
/// The exact AVX2 product (vpmaddwd, then vpaddd into the accumulator)
/// takes 6 rows where the pass's rows are AVX2's 4: 12 accumulators, the 2
/// widened weight vectors, a broadcast and a product fill the 16 ymm
/// registers without spills, and each weight load and sign extension
/// serves 6 rows instead of 4.
static RowBlock rowBlockOf(const Gemm &gemm, unsigned lanes,
                           unsigned rowsPerBlock) {
  if (gemm.product == Product::Vnni && lanes == 16 && rowsPerBlock % 2 == 0)
    return {rowsPerBlock / 2, kTailColumns};
  if (gemm.product == Product::Avx2 && rowsPerBlock == 4)
    return {6, kBlockColumns};
  return {rowsPerBlock, kBlockColumns};
}

/// The elements of a constant global's [K, N] initial value reordered
/// panel-major [N / P, K, P], as an attribute of `type`: f32 weights (a
/// resource blob) or the int8 kernels' integer words (dense).
static Attribute reorderIntoPanels(Attribute initial, RankedTensorType type,
                                   StringRef name, int64_t k, int64_t n,
                                   int64_t panel) {
  auto panelIndex = [&](int64_t i) {
    int64_t p = i / (k * panel), row = (i / panel) % k, c = i % panel;
    return row * n + p * panel + c;
  };
  if (type.getElementType().isF32()) {
    std::optional<SmallVector<float>> values = bertc::getF32Values(initial);
    if (!values)
      return {};
    SmallVector<float> packed(values->size());
    for (int64_t i = 0, e = packed.size(); i < e; ++i)
      packed[i] = (*values)[panelIndex(i)];
    return bertc::makeF32Resource(type, name, packed);
  }
  auto dense = dyn_cast<DenseIntElementsAttr>(initial);
  if (!dense)
    return {};
  SmallVector<APInt> values(dense.getValues<APInt>());
  SmallVector<APInt> packed;
  packed.reserve(values.size());
  for (int64_t i = 0, e = values.size(); i < e; ++i)
    packed.push_back(values[panelIndex(i)]);
  return DenseIntElementsAttr::get(type, packed);
}

/// The weight as a panel-major constant, when it is a constant global: a
/// new global `<name>_panels<P>` [N / P, K, P] replaces the [K, N] one.
static Value packWeightPanels(OpBuilder &builder, Location loc, Value weight,
                              int64_t k, int64_t n, int64_t panel) {
  auto get = weight.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return {};
  auto module = get->getParentOfType<ModuleOp>();
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
      get, get.getNameAttr());
  if (!global || !global.getConstant() || !global.getInitialValue())
    return {};
  std::string name =
      (global.getSymName() + "_panels" + std::to_string(panel)).str();
  Type element = cast<MemRefType>(weight.getType()).getElementType();
  auto type = MemRefType::get({n / panel, k, panel}, element);
  if (!module.lookupSymbol<memref::GlobalOp>(name)) {
    auto tensorType = RankedTensorType::get(type.getShape(), element);
    Attribute attr = reorderIntoPanels(*global.getInitialValue(), tensorType,
                                       name, k, n, panel);
    if (!attr)
      return {};
    OpBuilder atModule(global);
    memref::GlobalOp::create(atModule, global.getLoc(),
                             atModule.getStringAttr(name),
                             atModule.getStringAttr("private"),
                             TypeAttr::get(type), attr, atModule.getUnitAttr(),
                             atModule.getI64IntegerAttr(64));
  }
  return memref::GetGlobalOp::create(builder, loc, type, name);
}

/// A contiguous memref [d0, ..., dk] as [d0 * ... * d(k-1), dk], with a
/// dynamic row count: kernels are shared by every product of a (K, N)
/// shape, whatever its rows (a weight gradient's rows are the layer's
/// static output features).
static Value asMatrix(OpBuilder &builder, Location loc, Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  Value matrix = memref;
  if (type.getRank() != 2) {
    ReassociationIndices leading;
    for (int64_t i = 0; i + 1 < type.getRank(); ++i)
      leading.push_back(i);
    matrix = memref::CollapseShapeOp::create(
        builder, loc, memref,
        ArrayRef<ReassociationIndices>{leading, {type.getRank() - 1}});
  }
  auto matrixType = cast<MemRefType>(matrix.getType());
  if (matrixType.isDynamicDim(0))
    return matrix;
  auto dynamicRows = MemRefType::get(
      {ShapedType::kDynamic, matrixType.getDimSize(1)},
      matrixType.getElementType(), matrixType.getLayout(),
      matrixType.getMemorySpace());
  return memref::CastOp::create(builder, loc, dynamicRows, matrix);
}

/// The product's operands if it has the shape the kernel handles; `amx`
/// when the target has AMX-INT8 (the product then runs on tiles if its
/// shape allows).
static std::optional<Gemm> matchGemm(linalg::GenericOp op, OpBuilder &builder,
                                     unsigned lanes, bool amx) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1)
    return std::nullopt;
  auto xType = dyn_cast<MemRefType>(op.getDpsInputs()[0].getType());
  auto wType = dyn_cast<MemRefType>(op.getDpsInputs()[1].getType());
  auto outType = dyn_cast<MemRefType>(op.getDpsInits()[0].getType());
  Product product = productOf(op);
  Type element = builder.getF32Type(), wElement;
  if (product == Product::Xnor)
    element = builder.getI64Type();
  else if (product != Product::F32)
    element = builder.getI32Type();
  wElement = product == Product::Avx2 ? Type(builder.getI16Type()) : element;
  if (!xType || !wType || !outType || xType.getElementType() != element ||
      wType.getElementType() != wElement ||
      outType.getElementType() != element || xType.getRank() < 2 ||
      wType.getRank() != 2 || wType.isDynamicDim(1) ||
      !xType.getLayout().isIdentity() || !outType.getLayout().isIdentity())
    return std::nullopt;
  int64_t k = wType.getDimSize(0), n = wType.getDimSize(1);
  if (n % (kTailColumns * lanes) != 0 || xType.getShape().back() != k ||
      outType.getShape().back() != n)
    return std::nullopt;
  Location loc = op.getLoc();
  Gemm gemm{asMatrix(builder, loc, op.getDpsInputs()[0]),
            op.getDpsInputs()[1],
            asMatrix(builder, loc, op.getDpsInits()[0]), k, n, product};
  // A weight view with an offset or strides (training reads its weights as
  // slices of one parameter vector) is copied into a contiguous buffer:
  // O(K N) against the product's O(M K N), and the kernel keeps its
  // unit-stride rows.
  if (!wType.getLayout().isIdentity()) {
    auto contiguous = MemRefType::get(wType.getShape(), wElement);
    SmallVector<Value> dynamicSizes;
    if (wType.isDynamicDim(0))
      dynamicSizes.push_back(memref::DimOp::create(builder, loc, gemm.w, 0));
    gemm.weightCopy = memref::AllocOp::create(builder, loc, contiguous,
                                              dynamicSizes,
                                              builder.getI64IntegerAttr(64));
    memref::CopyOp::create(builder, loc, gemm.w, gemm.weightCopy);
    gemm.w = gemm.weightCopy;
  }
  // Packed-bit weights stay [K, N]: K words is 12-48 rows, far fewer than
  // the 768-3072 rows of f32 weights whose aliasing panels avoid. (Only
  // constant weights are repacked, and those have a static K.)
  bool binary = product == Product::Xnor;
  // AMX tiles need a static reduction (it is unrolled) in whole tiles and
  // 64-column panels (four tiles wide).
  gemm.amx = amx && product == Product::Vnni && !ShapedType::isDynamic(k) &&
             k % kTileWords == 0 && kTailColumns * lanes == 4 * kTileWords;
  int64_t panelWidth = gemm.amx ? kTileWords : int64_t(kTailColumns * lanes);
  if (Value panels = binary || ShapedType::isDynamic(k)
                         ? Value()
                         : packWeightPanels(builder, loc, gemm.w, k, n,
                                            panelWidth)) {
    gemm.w = panels;
    gemm.panelWidth = panelWidth;
  }
  return gemm;
}

/// acc + popcount(broadcast XOR w): one 64-bit word of XNOR-popcount dot
/// products per lane (llvm.ctpop on vectors: vpopcntq with
/// AVX512-VPOPCNTDQ, a vpshufb nibble table on AVX2).
static Value xorPopcountAdd(OpBuilder &b, Location l, Value broadcast, Value w,
                            Value accumulator) {
  return arith::AddIOp::create(b, l, accumulator,
                               bertc::buildXorPopcount(b, l, broadcast, w));
}

/// acc + vpdpbusd: each i32 lane adds the 4 products of the unsigned bytes
/// of x (activations + 128) with the signed bytes of w (AVX512-VNNI on 16
/// lanes, AVX-VNNI or AVX512-VNNI/VL on 8).
static Value vnniDotAdd(OpBuilder &b, Location l, Value broadcast, Value w,
                        Value accumulator) {
  auto lanes = cast<VectorType>(accumulator.getType()).getDimSize(0);
  auto bytes = VectorType::get({4 * lanes}, b.getI8Type());
  Value x8 = vector::BitCastOp::create(b, l, bytes, broadcast);
  Value w8 = vector::BitCastOp::create(b, l, bytes, w);
  std::string name = "llvm.x86.avx512.vpdpbusd." + std::to_string(32 * lanes);
  return LLVM::CallIntrinsicOp::create(b, l, accumulator.getType(),
                                       b.getStringAttr(name),
                                       ValueRange{accumulator, x8, w8})
      .getResult(0);
}

/// acc + vpmaddwd: w's two signed bytes per column widened to i16, times
/// x's pair of i16, summed in i32 (exact: no vpmaddubsw saturation).
static Value avx2DotAdd(OpBuilder &b, Location l, Value broadcast, Value w,
                        Value accumulator) {
  auto lanes = cast<VectorType>(accumulator.getType()).getDimSize(0);
  Value w8 = vector::BitCastOp::create(
      b, l, VectorType::get({2 * lanes}, b.getI8Type()), w);
  auto halves = VectorType::get({2 * lanes}, b.getI16Type());
  Value w16 = arith::ExtSIOp::create(b, l, halves, w8);
  Value x16 = vector::BitCastOp::create(b, l, halves, broadcast);
  Value products =
      LLVM::CallIntrinsicOp::create(b, l, accumulator.getType(),
                                    b.getStringAttr("llvm.x86.avx2.pmadd.wd"),
                                    ValueRange{x16, w16})
          .getResult(0);
  return arith::AddIOp::create(b, l, accumulator, products);
}

/// `gemm`'s epilogue after each tile, on the kernel's own operands.
static bertc::kernels::TileFn epilogueAfterTile(const Gemm &gemm) {
  bool local = static_cast<bool>(gemm.tileSums);
  return bertc::kernels::epilogueAfterTile(
      *gemm.epilogue, local ? gemm.tileSums : gemm.out, gemm.epilogueInputs,
      gemm.epilogueOut, gemm.epilogueParameters, local);
}

/// One register tile of `gemm` (see RegisterTile.h).
static void emitTile(OpBuilder &b, Location l, const Gemm &gemm, Value row,
                     unsigned rows, Value col, unsigned columns,
                     unsigned lanes) {
  Value reduction = ShapedType::isDynamic(gemm.k)
                        ? memref::DimOp::create(b, l, gemm.x, 1).getResult()
                        : arith::ConstantIndexOp::create(b, l, gemm.k).getResult();
  bertc::kernels::ProductOperands operands{
      gemm.x, gemm.w, gemm.out, reduction,
      gemm.panelWidth};
  switch (gemm.product) {
  case Product::F32:
    break;
  case Product::Xnor:
    operands.elementType = b.getI64Type();
    operands.combine = xorPopcountAdd;
    break;
  case Product::Vnni:
    operands.elementType = b.getI32Type();
    operands.combine = vnniDotAdd;
    break;
  case Product::Avx2:
    operands.elementType = b.getI32Type();
    operands.wElementType = b.getI16Type();
    operands.combine = avx2DotAdd;
    break;
  }
  operands.overwrite = gemm.overwrite;
  if (gemm.epilogue)
    operands.afterTile = epilogueAfterTile(gemm);
  operands.tileSums = gemm.tileSums;
  bertc::kernels::emitRegisterTile(b, l, operands, row, rows, col, columns,
                                   lanes);
}

/// The end of the whole blocks of `block` rows in [firstRow, rows) (from
/// row 0 when firstRow is null).
static Value endOfBlocks(OpBuilder &b, Location l, Value firstRow, Value rows,
                         Value block) {
  Value count =
      firstRow ? arith::SubIOp::create(b, l, rows, firstRow).getResult() : rows;
  return arith::SubIOp::create(b, l, rows,
                               arith::RemUIOp::create(b, l, count, block));
}

/// Rows [firstRow, rows) of the column panel at `col` on vector registers:
/// blocks of `block` rows (up to fullRows) over sub-panels of its columns,
/// then the remaining rows one at a time over the whole panel.
static void emitVectorRows(OpBuilder &b, Location l, const Gemm &gemm,
                           unsigned lanes, RowBlock block, Value col,
                           Value firstRow, Value fullRows, Value rows) {
  auto index = [&](OpBuilder &builder, int64_t value) -> Value {
    return arith::ConstantIndexOp::create(builder, l, value);
  };
  scf::ForOp::create(
      b, l, firstRow, fullRows, index(b, block.rows), ValueRange{},
      [&](OpBuilder &rb, Location rl, Value row, ValueRange) {
        for (unsigned sub = 0; sub < kTailColumns; sub += block.columns) {
          Value subCol =
              sub == 0 ? col
                       : arith::AddIOp::create(rb, rl, col,
                                               index(rb, sub * lanes))
                             .getResult();
          emitTile(rb, rl, gemm, row, block.rows, subCol, block.columns,
                   lanes);
        }
        scf::YieldOp::create(rb, rl);
      });
  scf::ForOp::create(
      b, l, fullRows, rows, index(b, 1), ValueRange{},
      [&](OpBuilder &rb, Location rl, Value row, ValueRange) {
        emitTile(rb, rl, gemm, row, 1, col, kTailColumns, lanes);
        scf::YieldOp::create(rb, rl);
      });
}


/// The tile_load indices of w's columns from `col`, with a placeholder
/// (null) for the k word: w is [K, N] or panel-major [N / P, K, P]; either
/// way a tile row is a k word and the next one is the memref's row stride
/// further (implicit stride).
static SmallVector<Value> weightColumnIndices(OpBuilder &b, Location l,
                                              const Gemm &gemm, Value col,
                                              unsigned lanes) {
  if (!gemm.panelWidth)
    return {Value(), col};
  Value width = arith::ConstantIndexOp::create(b, l, gemm.panelWidth);
  Value panel = arith::DivUIOp::create(b, l, col, width);
  Value inPanel = arith::RemUIOp::create(b, l, col, width);
  return {panel, Value(), inPanel};
}

/// rowTiles x colTiles accumulator tiles of out from (row, col), the whole
/// reduction unrolled (K is static for constant weights): loop-carried
/// tiles would have to cross block arguments, which the llvm type
/// conversion of cf does not know. Eight tile registers hold 2 x 2
/// accumulators and their 2 + 2 operand tiles.
static void emitAmxBlock(OpBuilder &b, Location l, const Gemm &gemm,
                         Value row, unsigned rowTiles, Value col,
                         unsigned colTiles, unsigned lanes) {
  auto index = [&](int64_t value) -> Value {
    return arith::ConstantIndexOp::create(b, l, value);
  };
  auto accumulatorType =
      amx::TileType::get({kTileRows, kTileWords}, b.getI32Type());
  SmallVector<Value> rowAt, colAt;
  for (unsigned i = 0; i < rowTiles; ++i)
    rowAt.push_back(i == 0 ? row
                           : arith::AddIOp::create(b, l, row,
                                                   index(i * kTileRows))
                                 .getResult());
  SmallVector<SmallVector<Value>> wAt;
  for (unsigned j = 0; j < colTiles; ++j) {
    colAt.push_back(j == 0 ? col
                           : arith::AddIOp::create(b, l, col,
                                                   index(j * kTileWords))
                                 .getResult());
    wAt.push_back(weightColumnIndices(b, l, gemm, colAt[j], lanes));
  }
  // The k word's position in wAt's indices.
  const unsigned wordAt = gemm.panelWidth ? 1 : 0;
  SmallVector<Value> sums;
  for (unsigned i = 0; i < rowTiles; ++i)
    for (unsigned j = 0; j < colTiles; ++j)
      sums.push_back(
          gemm.overwrite
              ? amx::TileZeroOp::create(b, l, accumulatorType).getResult()
              : amx::TileLoadOp::create(b, l, accumulatorType, gemm.out,
                                        ValueRange{rowAt[i], colAt[j]})
                    .getResult());
  // Every tile is 16 rows of 64 bytes: a tile register's shape is fixed
  // for the whole function (one tile configuration), so a K that is not a
  // multiple of 64 would need more than the eight registers.
  auto operandType = amx::TileType::get({kTileRows, 4 * kTileWords},
                                        b.getI8Type());
  for (int64_t word = 0; word < gemm.k; word += kTileWords) {
    Value wordIndex = index(word);
    // Each operand tile is loaded right before its first product: tile
    // registers are not renamed, so a load waits for the products that
    // read the register before; interleaved, the loads of this step
    // overlap the products of the last.
    SmallVector<Value> xTiles(rowTiles), wTiles(colTiles);
    for (unsigned i = 0; i < rowTiles; ++i)
      for (unsigned j = 0; j < colTiles; ++j) {
        if (!xTiles[i])
          xTiles[i] = amx::TileLoadOp::create(b, l, operandType, gemm.x,
                                              ValueRange{rowAt[i], wordIndex});
        if (!wTiles[j]) {
          wAt[j][wordAt] = wordIndex;
          wTiles[j] = amx::TileLoadOp::create(b, l, operandType, gemm.w, wAt[j]);
        }
        // x bytes are the activations + 128 (unsigned), w bytes signed:
        // the vnni packing, so tdpbusd gives vpdpbusd's sums exactly.
        sums[i * colTiles + j] = amx::TileMulIOp::create(
            b, l, accumulatorType, xTiles[i], wTiles[j],
            sums[i * colTiles + j], /*isZextLhs=*/true, /*isZextRhs=*/false);
      }
  }
  for (unsigned i = 0; i < rowTiles; ++i)
    for (unsigned j = 0; j < colTiles; ++j)
      amx::TileStoreOp::create(b, l, gemm.out, ValueRange{rowAt[i], colAt[j]},
                               sums[i * colTiles + j]);
}

/// The rows of the panel at `col` that fill whole AMX tiles: blocks of 32
/// rows (2 x 2 tiles per half panel), then one block of 16 if left. Returns
/// the first row left for the vector code.
static Value emitAmxRows(OpBuilder &b, Location l, const Gemm &gemm,
                         unsigned lanes, Value col, Value rows) {
  auto index = [&](OpBuilder &builder, int64_t value) -> Value {
    return arith::ConstantIndexOp::create(builder, l, value);
  };
  const int64_t halfPanel = kTailColumns * lanes / 2;
  auto halves = [&](OpBuilder &hb, Location hl, Value row, unsigned rowTiles) {
    for (int64_t offset = 0; offset < 2 * halfPanel; offset += halfPanel) {
      Value half = offset == 0 ? col
                               : arith::AddIOp::create(hb, hl, col,
                                                       index(hb, offset))
                                     .getResult();
      emitAmxBlock(hb, hl, gemm, row, rowTiles, half, halfPanel / kTileWords,
                   lanes);
    }
  };
  Value pair = index(b, 2 * kTileRows);
  Value pairedRows = arith::SubIOp::create(
      b, l, rows, arith::RemUIOp::create(b, l, rows, pair));
  scf::ForOp::create(b, l, index(b, 0), pairedRows, pair, ValueRange{},
                     [&](OpBuilder &rb, Location rl, Value row, ValueRange) {
                       halves(rb, rl, row, 2);
                       scf::YieldOp::create(rb, rl);
                     });
  Value tiledRows = arith::SubIOp::create(
      b, l, rows, arith::RemUIOp::create(b, l, rows, index(b, kTileRows)));
  Value single = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult,
                                       pairedRows, tiledRows);
  scf::IfOp::create(b, l, single, [&](OpBuilder &ib, Location il) {
    halves(ib, il, pairedRows, 1);
    scf::YieldOp::create(ib, il);
  });
  // The epilogue reads the panel's sums once all its tiles are stored:
  // right after a block's tilestored, vector loads of the same lines
  // stalled (a fifth of the kernel's samples).
  if (gemm.epilogue) {
    bertc::kernels::TileFn epilogue = epilogueAfterTile(gemm);
    scf::ForOp::create(b, l, index(b, 0), tiledRows, index(b, kTileRows),
                       ValueRange{},
                       [&](OpBuilder &eb, Location el, Value row, ValueRange) {
                         epilogue(eb, el, row, kTileRows, col, kTailColumns,
                                  lanes);
                         scf::YieldOp::create(eb, el);
                       });
  }
  return tiledRows;
}

/// Emits the body of a kernel function. The column panel is the outer loop
/// so that its slice of w (K x 4 vectors, ~100 KB for K = 768 with AVX-512)
/// stays in cache while every row block uses it; with rows outside, all of
/// w would stream through the cache once per row block.
///
/// The kernel computes the panels [firstPanel, endPanel) only, so that
/// bert-parallelize-kernels can hand disjoint panel ranges to threads: every
/// output element is computed by the same instructions whatever the split.
///
/// When an epilogue consumes the sums of a product that overwrites them,
/// the tiles go through a buffer of one tile on the stack instead of the
/// [M, N] buffer of sums: that buffer (1.5 MB of i32 for a BERT-base FFN1
/// at M = 128) was written and read back once, through L2 and beyond.
static void emitKernelBody(OpBuilder &builder, Location loc,
                           const Gemm &product, unsigned lanes,
                           unsigned rowsPerBlock, Value firstPanel,
                           Value endPanel) {
  auto index = [&](OpBuilder &b, int64_t value) -> Value {
    return arith::ConstantIndexOp::create(b, loc, value);
  };
  Gemm gemm = product;
  Value rows = memref::DimOp::create(builder, loc, gemm.x, 0);
  RowBlock block = rowBlockOf(gemm, lanes, rowsPerBlock);
  if (gemm.epilogue && gemm.overwrite && !gemm.amx) {
    Type sumType = cast<MemRefType>(gemm.out.getType()).getElementType();
    auto tileType = MemRefType::get(
        {static_cast<int64_t>(block.rows), kTailColumns * lanes}, sumType);
    gemm.tileSums = memref::AllocaOp::create(builder, loc, tileType,
                                             builder.getI64IntegerAttr(64));
  }
  // Without AMX every row is on vector registers, from row 0.
  Value fullRows =
      gemm.amx ? Value()
               : endOfBlocks(builder, loc, Value(), rows,
                             index(builder, block.rows));
  const unsigned panel = kTailColumns * lanes;
  Value panelWidth = index(builder, panel);
  Value firstColumn =
      arith::MulIOp::create(builder, loc, firstPanel, panelWidth);
  Value endColumn = arith::MinUIOp::create(
      builder, loc, arith::MulIOp::create(builder, loc, endPanel, panelWidth),
      index(builder, gemm.n));
  scf::ForOp::create(
      builder, loc, firstColumn, endColumn, panelWidth, ValueRange{},
      [&](OpBuilder &b, Location l, Value col, ValueRange) {
        if (!gemm.amx) {
          emitVectorRows(b, l, gemm, lanes, block, col, index(b, 0), fullRows,
                         rows);
        } else {
          Value firstRow = emitAmxRows(b, l, gemm, lanes, col, rows);
          emitVectorRows(
              b, l, gemm, lanes, block, col, firstRow,
              endOfBlocks(b, l, firstRow, rows, index(b, block.rows)), rows);
        }
        scf::YieldOp::create(b, l);
      });
}

/// The kernel function for `gemm`'s shape, created on first use:
/// @bertc_gemm_<K>x<N>(x: memref<?xK>, w: memref<KxN>, out: memref<?xN>,
/// [epilogue operands,] firstPanel: index, endPanel: index), tagged
/// `bertc.parallel` (its last two arguments are a range of independent work
/// items; see bert-parallelize-kernels).
static func::FuncOp getOrCreateKernel(ModuleOp module, const Gemm &gemm,
                                      unsigned lanes, unsigned rowsPerBlock) {
  static const char *const prefixes[] = {"bertc_gemm_", "bertc_xnor_",
                                         "bertc_int8vnni_", "bertc_int8avx2_"};
  std::string name = std::string(prefixes[static_cast<int>(gemm.product)]) +
                     (ShapedType::isDynamic(gemm.k) ? std::string("d")
                                                    : std::to_string(gemm.k)) +
                     "x" +
                     std::to_string(gemm.n) + (gemm.panelWidth ? "_panels" : "") +
                     (gemm.overwrite ? "_overwrite" : "") +
                     (cast<MemRefType>(gemm.x.getType()).getLayout().isIdentity()
                          ? ""
                          : "_xt") +
                     (gemm.epilogue ? "_e" + gemm.epilogue->key : "") +
                     (gemm.amx ? "_amx" : "");
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  Location loc = module.getLoc();
  SmallVector<Type> argumentTypes = {gemm.x.getType(), gemm.w.getType(),
                                     gemm.out.getType()};
  for (Value input : gemm.epilogueInputs)
    argumentTypes.push_back(input.getType());
  if (gemm.epilogue)
    argumentTypes.push_back(gemm.epilogueOut.getType());
  for (Value parameter : gemm.epilogueParameters)
    argumentTypes.push_back(parameter.getType());
  argumentTypes.append(2, builder.getIndexType());
  auto type = builder.getFunctionType(argumentTypes, {});
  auto kernel = func::FuncOp::create(builder, loc, name, type);
  bertc::kernels::markKernel(kernel);
  kernel->setAttr(bertc::kernels::kParallelAttr, builder.getUnitAttr());
  Block *body = kernel.addEntryBlock();
  builder.setInsertionPointToStart(body);
  Gemm arguments{body->getArgument(0), body->getArgument(1),
                 body->getArgument(2), gemm.k, gemm.n, gemm.product,
                 gemm.overwrite, gemm.panelWidth};
  arguments.amx = gemm.amx;
  if (gemm.amx)
    LLVM::CallOp::create(builder, loc, TypeRange{},
                         FlatSymbolRefAttr::get(builder.getContext(),
                                                kAmxPermission),
                         ValueRange{});
  if (gemm.epilogue) {
    arguments.epilogue = gemm.epilogue;
    unsigned count = gemm.epilogueInputs.size();
    for (unsigned i = 0; i < count; ++i)
      arguments.epilogueInputs.push_back(body->getArgument(3 + i));
    arguments.epilogueOut = body->getArgument(3 + count);
    for (unsigned i = 0, e = gemm.epilogueParameters.size(); i < e; ++i)
      arguments.epilogueParameters.push_back(body->getArgument(4 + count + i));
  }
  unsigned arity = body->getNumArguments();
  emitKernelBody(builder, loc, arguments, lanes, rowsPerBlock,
                 body->getArgument(arity - 2), body->getArgument(arity - 1));
  func::ReturnOp::create(builder, loc);
  return kernel;
}

/// The linalg.fill of 0 into `op`'s output that immediately precedes it, if
/// any: then nothing reads the output between the fill and the product.
static linalg::FillOp zeroFillJustBefore(linalg::GenericOp op) {
  auto fill = dyn_cast_or_null<linalg::FillOp>(op->getPrevNode());
  if (!fill || !fill.hasPureBufferSemantics() ||
      fill.getDpsInits()[0] != op.getDpsInits()[0])
    return {};
  Attribute value;
  if (!matchPattern(fill.getInputs()[0], m_Constant(&value)))
    return {};
  if (auto integer = dyn_cast<IntegerAttr>(value))
    return integer.getValue().isZero() ? fill : linalg::FillOp();
  if (auto real = dyn_cast<FloatAttr>(value))
    return real.getValue().isPosZero() ? fill : linalg::FillOp();
  return {};
}

/// The buffer a view is a view of.
static Value rootOf(Value memref) {
  auto typed = dyn_cast<MemrefValue>(memref);
  return typed ? memref::skipViewLikeOps(typed) : memref;
}

/// Whether `op` may write memory of the buffer `root` (unknown effects
/// count as writes).
static bool mayWrite(Operation *op, Value root) {
  if (isMemoryEffectFree(op))
    return false;
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return true;
  SmallVector<MemoryEffects::EffectInstance> instances;
  effects.getEffects(instances);
  return llvm::any_of(instances, [&](MemoryEffects::EffectInstance &effect) {
    if (!isa<MemoryEffects::Write>(effect.getEffect()))
      return false;
    Value written = effect.getValue();
    return !written || rootOf(written) == root;
  });
}

/// The linalg.transpose that fills `op`'s x, for an f32 product whose x is
/// a transposed copy read by nothing else: a weight gradient dW = g^T x
/// transposes g [rows, N] into a fresh buffer, a column-wise gather of g
/// that took about a fifth of a training step. The kernel reads x one
/// element at a time (broadcasts), so it can read g through a transposed
/// view instead. Null unless nothing between the copy and the product
/// writes g.
static linalg::TransposeOp transposedInput(linalg::GenericOp op) {
  Value x = op.getDpsInputs()[0];
  if (productOf(op) != Product::F32 || !x.getDefiningOp<memref::AllocOp>())
    return {};
  linalg::TransposeOp transpose;
  for (Operation *user : x.getUsers()) {
    if (user == op.getOperation() || isa<memref::DeallocOp>(user))
      continue;
    auto copy = dyn_cast<linalg::TransposeOp>(user);
    if (!copy || transpose || copy.getInit() != x)
      return {};
    transpose = copy;
  }
  if (!transpose || transpose->getBlock() != op->getBlock() ||
      !transpose->isBeforeInBlock(op) ||
      transpose.getPermutation() != ArrayRef<int64_t>{1, 0})
    return {};
  Value root = rootOf(transpose.getInput());
  for (Operation *between = transpose->getNextNode(); between != op;
       between = between->getNextNode())
    if (mayWrite(between, root))
      return {};
  return transpose;
}

/// Removes a transposed copy that the product no longer reads, and its
/// buffer where nothing else uses it.
static void eraseTransposedCopy(linalg::TransposeOp transpose) {
  Value buffer = transpose.getInit();
  transpose.erase();
  // matchGemm's view of the buffer, now unused.
  for (Operation *user : llvm::make_early_inc_range(buffer.getUsers()))
    if (isOpTriviallyDead(user))
      user->erase();
  if (!llvm::all_of(buffer.getUsers(),
                    [](Operation *user) { return isa<memref::DeallocOp>(user); }))
    return;
  for (Operation *user : llvm::make_early_inc_range(buffer.getUsers()))
    user->erase();
  buffer.getDefiningOp()->erase();
}

/// Replaces `op` by a call of its shape's kernel; false if it does not match.
static bool lowerProduct(ModuleOp module, linalg::GenericOp op, unsigned lanes,
                         unsigned rowsPerBlock, bool amx) {
  // Looked up first: matchGemm inserts views right before op (and uses of
  // its operands).
  linalg::FillOp zeroFill = zeroFillJustBefore(op);
  linalg::TransposeOp transposed = transposedInput(op);
  Product product = productOf(op);
  std::optional<bertc::kernels::Epilogue> epilogue;
  if (product == Product::Vnni || product == Product::Avx2)
    epilogue = bertc::kernels::matchEpilogue(op);
  OpBuilder builder(op);
  std::optional<Gemm> gemm = matchGemm(op, builder, lanes, amx);
  if (!gemm)
    return false;
  if (linalg::FillOp fill = zeroFill) {
    gemm->overwrite = true;
    fill.erase();
  }
  if (transposed) {
    Location loc = op.getLoc();
    Value view = memref::TransposeOp::create(
        builder, loc, transposed.getInput(),
        AffineMapAttr::get(AffineMap::getPermutationMap(
            ArrayRef<unsigned>{1, 0}, builder.getContext())));
    // The column stride (g's row length) is dynamic in the type: one
    // kernel serves every g; rows of the view stay adjacent (stride 1).
    Value matrix = asMatrix(builder, loc, view);
    auto matrixType = cast<MemRefType>(matrix.getType());
    int64_t dynamic = ShapedType::kDynamic;
    auto anyStrides = MemRefType::get(
        matrixType.getShape(), matrixType.getElementType(),
        StridedLayoutAttr::get(builder.getContext(), dynamic, {1, dynamic}));
    gemm->x = memref::CastOp::create(builder, loc, anyStrides, matrix);
  }
  SmallVector<Value> callArguments = {gemm->x, gemm->w, gemm->out};
  if (epilogue) {
    // The call goes where the consumer was: its output may be allocated
    // after the product (only allocations and pure ops lie in between).
    builder.setInsertionPoint(epilogue->consumer);
    gemm->epilogue = epilogue;
    for (auto [input, perElement] :
         llvm::zip_equal(epilogue->extras, epilogue->perElement))
      gemm->epilogueInputs.push_back(
          perElement ? asMatrix(builder, op.getLoc(), input) : input);
    gemm->epilogueOut = asMatrix(builder, op.getLoc(), epilogue->out);
    llvm::append_range(callArguments, gemm->epilogueInputs);
    callArguments.push_back(gemm->epilogueOut);
    for (TypedAttr value : epilogue->parameters)
      gemm->epilogueParameters.push_back(
          arith::ConstantOp::create(builder, op.getLoc(), value));
    llvm::append_range(callArguments, gemm->epilogueParameters);
  }
  // The whole panel range; bert-parallelize-kernels may split it.
  callArguments.push_back(arith::ConstantIndexOp::create(builder, op.getLoc(), 0));
  callArguments.push_back(arith::ConstantIndexOp::create(
      builder, op.getLoc(), gemm->n / (kTailColumns * lanes)));
  func::FuncOp kernel = getOrCreateKernel(module, *gemm, lanes, rowsPerBlock);
  func::CallOp::create(builder, op.getLoc(), kernel, callArguments);
  if (gemm->weightCopy)
    memref::DeallocOp::create(builder, op.getLoc(), gemm->weightCopy);
  op.erase();
  if (transposed)
    eraseTransposedCopy(transposed);
  if (epilogue)
    epilogue->consumer.erase();
  return true;
}

/// Defines kAmxPermission in `module` if an AMX kernel calls it.
static LogicalResult defineAmxPermission(ModuleOp module) {
  if (SymbolTable::symbolKnownUseEmpty(
          StringAttr::get(module.getContext(), kAmxPermission), module))
    return success();
  std::string text = kAmxRuntime.str();
  // The message and its newline, written without the terminating zero.
  text.replace(text.find("@LENGTH@"), 8, std::to_string(kAmxRefused.size() + 1));
  text.replace(text.find("@MESSAGE@"), 9, kAmxRefused.str());
  OwningOpRef<ModuleOp> runtime = parseSourceString<ModuleOp>(
      text, module.getContext(), "bert-lower-linears AMX runtime");
  if (!runtime)
    return module.emitError("bert-lower-linears: the AMX runtime did not parse");
  return bertc::mergeRuntime(module, *runtime, "bert-lower-linears");
}

struct LowerLinearsPass
    : bertc::impl::LowerLinearsPassBase<LowerLinearsPass> {
  using LowerLinearsPassBase::LowerLinearsPassBase;

  /// Elements per vector: vector-width f32 or i32 (vpdpbusd on 512 or 256
  /// bits), half as many 64-bit words, and 8 i32 for vpmaddwd, an AVX2
  /// instruction.
  unsigned lanesOf(Product product) const {
    switch (product) {
    case Product::Xnor:
      return std::max(1u, unsigned(vectorWidth) / 2);
    case Product::Avx2:
      return 8;
    case Product::F32:
    case Product::Vnni:
      break;
    }
    return vectorWidth;
  }

  void runOnOperation() override {
    if (vectorWidth == 0 || rowsPerBlock == 0) {
      getOperation().emitError() << "bert-lower-linears needs a positive "
                                    "vector-width and rows";
      return signalPassFailure();
    }
    SmallVector<linalg::GenericOp> products;
    getOperation().walk([&](linalg::GenericOp op) {
      if (op->hasAttr(bertc::tags::kLinear) || op->hasAttr(bertc::tags::kXnorLinear) ||
          op->hasAttr(bertc::tags::kInt8Linear))
        products.push_back(op);
    });
    for (linalg::GenericOp op : products)
      lowerProduct(getOperation(), op, lanesOf(productOf(op)), rowsPerBlock,
                   amx);
    if (amx && failed(defineAmxPermission(getOperation())))
      return signalPassFailure();
    // [K, N] weights that were repacked into panels are dead now; without
    // this they would be emitted too, doubling the object's size.
    SmallVector<memref::GlobalOp> dead;
    for (auto global : getOperation().getOps<memref::GlobalOp>())
      if (global.isPrivate() &&
          SymbolTable::symbolKnownUseEmpty(global, getOperation()))
        dead.push_back(global);
    for (memref::GlobalOp global : dead)
      global.erase();
  }
};

} // namespace
