//===- BytewisePacking.cpp - Activation packing as a plain byte loop ------===//
//
// convert-bq-int8-to-linalg packs an int8 product's activations into the
// int32 words of its kernel's layout with a reduction: word |= code(x[4w +
// t]) << 8t (vnni; i16 halves for avx2). In memory those words are the
// codes in order (little endian), so after bufferization the words' buffer
// can be written as an array of codes through a second view of the same
// bytes: an elementwise loop that LLVM vectorizes into conversions and
// narrowing stores, instead of a zero fill and a loop over strided
// elements that it vectorized with four shuffles per 16 words (a third of
// a 128 x 768 x 768 int8 linear's time on the AMX kernel).
//
//===----------------------------------------------------------------------===//

#include "bertc/Transforms/Passes.h"
#include "bertc/Utils/Tags.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace bertc {
#define GEN_PASS_DEF_BYTEWISEPACKINGPASS
#include "bertc/Transforms/Passes.h.inc"
} // namespace bertc

using namespace mlir;

namespace {

/// Set by convert-bq-int8-to-linalg on the generic that packs x.

/// A tagged packing in the form convert-bq-int8-to-linalg builds, on
/// buffers: x [..., K] f32 or i8 expanded to [..., K / g, g], words [...,
/// K / g] i32 in a buffer of its own, and one code of `codeBits` bits per
/// element, zero-extended into its field.
struct Packing {
  linalg::GenericOp pack;
  Value source;            ///< x before its expansion, [..., K]
  memref::AllocOp words;   ///< the words' buffer
  arith::ExtUIOp field;    ///< the code widened into its field of the word
  SmallVector<Operation *> code; ///< the body's ops that compute the code
  linalg::FillOp zeroFill; ///< the zero fill of the words before it
};

/// The body's ops that compute the code widened by `field`, in body order,
/// if they read only the element of x (no index, no accumulator): the code
/// can then be computed elementwise over x.
std::optional<SmallVector<Operation *>> codeComputation(arith::ExtUIOp field,
                                                        linalg::GenericOp pack) {
  Block *body = pack.getBody();
  llvm::SmallPtrSet<Operation *, 16> needed;
  SmallVector<Value> pending = {field.getIn()};
  while (!pending.empty()) {
    Value value = pending.pop_back_val();
    if (auto argument = dyn_cast<BlockArgument>(value)) {
      if (argument.getOwner() == body && argument.getArgNumber() != 0)
        return std::nullopt;
      continue;
    }
    Operation *op = value.getDefiningOp();
    if (op->getBlock() != body || !needed.insert(op).second)
      continue; // defined above (a constant), or seen
    if (isa<linalg::IndexOp>(op) || !isPure(op) || op->getNumRegions())
      return std::nullopt;
    llvm::append_range(pending, op->getOperands());
  }
  SmallVector<Operation *> ordered;
  for (Operation &op : body->without_terminator())
    if (needed.contains(&op))
      ordered.push_back(&op);
  return ordered;
}

/// Whether the body ORs `field` into the accumulator at bit position
/// codeBits * t (t: the last loop), as a little-endian word holds its
/// codes in order.
bool placesFieldsInOrder(linalg::GenericOp pack, arith::ExtUIOp field,
                         unsigned codeBits) {
  Block *body = pack.getBody();
  auto combined =
      body->getTerminator()->getOperand(0).getDefiningOp<arith::OrIOp>();
  if (!combined)
    return false;
  Value accumulator = body->getArguments().back();
  Value placed = combined.getLhs() == accumulator   ? combined.getRhs()
                 : combined.getRhs() == accumulator ? combined.getLhs()
                                                    : Value();
  auto shift = placed ? placed.getDefiningOp<arith::ShLIOp>() : nullptr;
  if (!shift || shift.getLhs() != field.getResult())
    return false;
  auto offset = shift.getRhs().getDefiningOp<arith::MulIOp>();
  if (!offset)
    return false;
  auto isPosition = [&](Value value) {
    auto cast = value.getDefiningOp<arith::IndexCastOp>();
    auto index = cast ? cast.getIn().getDefiningOp<linalg::IndexOp>()
                      : linalg::IndexOp();
    return index && index.getDim() == pack.getNumLoops() - 1;
  };
  auto isWidth = [&](Value value) {
    APInt width;
    return matchPattern(value, m_ConstantInt(&width)) && width == codeBits;
  };
  return (isPosition(offset.getLhs()) && isWidth(offset.getRhs())) ||
         (isPosition(offset.getRhs()) && isWidth(offset.getLhs()));
}

std::optional<Packing> matchPacking(linalg::GenericOp pack) {
  if (!pack->hasAttr(bertc::tags::kPackedActivations) || pack.getNumDpsInputs() != 1 ||
      pack.getNumDpsInits() != 1)
    return std::nullopt;
  auto expansion =
      pack.getDpsInputOperand(0)->get().getDefiningOp<memref::ExpandShapeOp>();
  auto words = pack.getDpsInitOperand(0)->get().getDefiningOp<memref::AllocOp>();
  if (!expansion || !words || !words.getType().getLayout().isIdentity() ||
      !words.getType().getElementType().isInteger(32))
    return std::nullopt;
  arith::ExtUIOp field;
  for (Operation &op : pack.getBody()->without_terminator())
    if (auto extension = dyn_cast<arith::ExtUIOp>(op))
      field = field ? arith::ExtUIOp() : extension; // exactly one
  if (!field || !field.getType().isInteger(32))
    return std::nullopt;
  unsigned codeBits = field.getIn().getType().getIntOrFloatBitWidth();
  auto sourceType = cast<MemRefType>(expansion.getSrc().getType());
  int64_t group = cast<MemRefType>(expansion.getType()).getShape().back();
  if ((codeBits != 8 && codeBits != 16) || group * codeBits != 32 ||
      ShapedType::isDynamic(sourceType.getShape().back()))
    return std::nullopt;
  std::optional<SmallVector<Operation *>> code = codeComputation(field, pack);
  if (!code || !placesFieldsInOrder(pack, field, codeBits))
    return std::nullopt;
  Packing packing{pack, expansion.getSrc(), words, field, *code, {}};
  // Everything else that touches the words: the zero fill right before
  // the packing (which the ORs start from; dropped: every byte is
  // written), readers after it, deallocs.
  for (Operation *user : words->getUsers()) {
    if (user == pack)
      continue;
    if (auto fill = dyn_cast<linalg::FillOp>(user);
        fill && fill->getNextNode() == pack &&
        matchPattern(fill.getInputs()[0], m_Zero())) {
      packing.zeroFill = fill;
      continue;
    }
    if (isa<memref::DeallocOp>(user))
      continue;
    Operation *sibling = pack->getBlock()->findAncestorOpInBlock(*user);
    if (!sibling || !pack->isBeforeInBlock(sibling))
      return std::nullopt;
  }
  if (!packing.zeroFill)
    return std::nullopt;
  return packing;
}

/// The words' buffer reallocated as bytes, viewed as words (replacing the
/// old buffer) and returned viewed as codes [..., K] of `codeType`.
Value reallocateAsCodes(OpBuilder &b, const Packing &packing,
                                         Type codeType) {
  memref::AllocOp words = packing.words;
  Location l = words.getLoc();
  MemRefType wordsType = words.getType();
  Value bytes = arith::ConstantIndexOp::create(
      b, l, wordsType.getShape().back() * 4);
  for (auto [axis, size] : llvm::enumerate(wordsType.getShape()))
    if (ShapedType::isDynamic(size))
      bytes = arith::MulIOp::create(
          b, l, bytes,
          words.getDynamicSizes()[wordsType.getDynamicDimIndex(axis)]);
  auto flatType = MemRefType::get({ShapedType::kDynamic}, b.getI8Type());
  auto flat = memref::AllocOp::create(b, l, flatType, ValueRange{bytes},
                                      words.getAlignmentAttr());
  Value zero = arith::ConstantIndexOp::create(b, l, 0);
  Value wordsView = memref::ViewOp::create(b, l, wordsType, flat, zero,
                                           words.getDynamicSizes());
  SmallVector<int64_t> codeShape(wordsType.getShape());
  codeShape.back() *= 32 / codeType.getIntOrFloatBitWidth();
  Value codesView = memref::ViewOp::create(
      b, l, MemRefType::get(codeShape, codeType), flat, zero,
      words.getDynamicSizes());
  // Deallocations free the flat buffer; other users read the words.
  for (OpOperand &use : llvm::make_early_inc_range(words->getUses()))
    use.set(isa<memref::DeallocOp>(use.getOwner()) ? flat.getResult()
                                                   : wordsView);
  return codesView;
}

/// codes[..., k] = code(x[..., k]): the packing's body up to the code,
/// elementwise over x.
void emitBytewisePacking(OpBuilder &b, const Packing &packing, Value codes) {
  linalg::GenericOp pack = packing.pack;
  Value code = arith::ExtUIOp(packing.field).getIn();
  unsigned rank = cast<MemRefType>(codes.getType()).getRank();
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  linalg::GenericOp::create(
      b, pack.getLoc(), TypeRange{}, ValueRange{packing.source},
      ValueRange{codes}, ArrayRef<AffineMap>{identity, identity},
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &ib, Location il, ValueRange args) {
        IRMapping mapping;
        mapping.map(pack.getBody()->getArgument(0), args[0]);
        for (Operation *op : packing.code)
          ib.clone(*op, mapping);
        linalg::YieldOp::create(
            ib, il, ValueRange{mapping.lookup(code)});
      });
}

struct BytewisePackingPass
    : bertc::impl::BytewisePackingPassBase<BytewisePackingPass> {
  void runOnOperation() override {
    SmallVector<Packing> packings;
    getOperation()->walk([&](linalg::GenericOp pack) {
      if (std::optional<Packing> packing = matchPacking(pack))
        packings.push_back(*packing);
    });
    for (Packing &packing : packings) {
      OpBuilder b(packing.words);
      Value codes =
          reallocateAsCodes(b, packing, packing.field.getIn().getType());
      b.setInsertionPoint(packing.pack);
      emitBytewisePacking(b, packing, codes);
      packing.pack->erase();
      if (packing.zeroFill)
        packing.zeroFill->erase();
      packing.words->erase();
    }
  }
};

} // namespace
