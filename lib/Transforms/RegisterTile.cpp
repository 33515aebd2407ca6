//===- RegisterTile.cpp - One register tile of a matrix product -----------===//

#include "RegisterTile.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace {

/// Vector loads and stores, masked for the guarded vector.
struct VectorAccess {
  VectorType type;
  Value mask; // null: unmasked

  Value load(OpBuilder &b, Location l, Value base, ValueRange at,
             bool guarded) const {
    if (!guarded || !mask)
      return vector::LoadOp::create(b, l, type, base, at);
    Value zeros = arith::ConstantOp::create(b, l, type, b.getZeroAttr(type));
    return vector::MaskedLoadOp::create(b, l, type, base, at, mask, zeros);
  }

  void store(OpBuilder &b, Location l, Value value, Value base, ValueRange at,
             bool guarded) const {
    if (!guarded || !mask) {
      vector::StoreOp::create(b, l, value, base, at);
      return;
    }
    vector::MaskedStoreOp::create(b, l, base, at, mask, value);
  }
};

Value offsetBy(OpBuilder &b, Location l, Value base, int64_t delta) {
  if (delta == 0)
    return base;
  return arith::AddIOp::create(b, l, base,
                               arith::ConstantIndexOp::create(b, l, delta));
}

} // namespace

Value bertc::kernels::fusedMultiplyAdd(OpBuilder &b, Location l,
                                       Value broadcast, Value w,
                                       Value accumulator) {
  return vector::FMAOp::create(b, l, broadcast, w, accumulator);
}

void bertc::kernels::emitRegisterTile(OpBuilder &b, Location l,
                                      const ProductOperands &operands,
                                      Value row, unsigned rows, Value col,
                                      unsigned columns, unsigned lanes,
                                      Value lastMask) {
  Type element = operands.elementType ? operands.elementType : b.getF32Type();
  VectorAccess access{VectorType::get({lanes}, element), lastMask};
  Type wElement = operands.wElementType ? operands.wElementType : element;
  VectorAccess wAccess{VectorType::get({lanes}, wElement), lastMask};
  SmallVector<Value> rowIndex, colIndex;
  for (unsigned r = 0; r < rows; ++r)
    rowIndex.push_back(offsetBy(b, l, row, r));
  for (unsigned c = 0; c < columns; ++c)
    colIndex.push_back(offsetBy(b, l, col, c * lanes));
  // With panels, w[k, j] is w[j / P, k, j % P]; the vectors of a tile may
  // lie in different panels (AMX kernels' panels are one vector wide).
  SmallVector<Value> panelIndex, panelColumn;
  if (operands.panelWidth) {
    Value panel = arith::ConstantIndexOp::create(b, l, operands.panelWidth);
    for (Value column : colIndex) {
      panelIndex.push_back(arith::DivUIOp::create(b, l, column, panel));
      panelColumn.push_back(arith::RemUIOp::create(b, l, column, panel));
    }
  }
  auto isLast = [&](unsigned c) { return c + 1 == columns; };

  SmallVector<Value> accumulators;
  Value zero;
  if (operands.overwrite)
    zero = arith::ConstantOp::create(b, l, access.type,
                                     b.getZeroAttr(access.type));
  for (unsigned r = 0; r < rows; ++r)
    for (unsigned c = 0; c < columns; ++c)
      accumulators.push_back(
          operands.overwrite
              ? zero
              : access.load(b, l, operands.out, {rowIndex[r], colIndex[c]},
                            isLast(c)));

  auto reduction = scf::ForOp::create(
      b, l, arith::ConstantIndexOp::create(b, l, 0), operands.reduction,
      arith::ConstantIndexOp::create(b, l, 1), accumulators,
      [&](OpBuilder &kb, Location kl, Value k, ValueRange acc) {
        SmallVector<Value> weights;
        for (unsigned c = 0; c < columns; ++c) {
          SmallVector<Value> at = {k, colIndex[c]};
          if (operands.panelWidth)
            at = {panelIndex[c], k, panelColumn[c]};
          weights.push_back(wAccess.load(kb, kl, operands.w, at, isLast(c)));
        }
        SmallVector<Value> next;
        for (unsigned r = 0; r < rows; ++r) {
          Value scalar = memref::LoadOp::create(kb, kl, operands.x,
                                                ValueRange{rowIndex[r], k});
          Value broadcast =
              vector::BroadcastOp::create(kb, kl, access.type, scalar);
          for (unsigned c = 0; c < columns; ++c)
            next.push_back(operands.combine(kb, kl, broadcast, weights[c],
                                            acc[r * columns + c]));
        }
        scf::YieldOp::create(kb, kl, next);
      });
  // Into the tile's own buffer at tile-local positions (whole vectors:
  // it has room for every lane), or into out.
  Value sums = operands.tileSums ? operands.tileSums : operands.out;
  for (unsigned r = 0; r < rows; ++r)
    for (unsigned c = 0; c < columns; ++c) {
      SmallVector<Value, 2> at = {rowIndex[r], colIndex[c]};
      if (operands.tileSums)
        at = {arith::ConstantIndexOp::create(b, l, r),
              arith::ConstantIndexOp::create(b, l, c * lanes)};
      access.store(b, l, reduction.getResult(r * columns + c), sums, at,
                   !operands.tileSums && isLast(c));
    }
  if (operands.afterTile)
    operands.afterTile(b, l, row, rows, col, columns, lanes);
}

void bertc::kernels::markKernel(func::FuncOp kernel) {
  MLIRContext *context = kernel.getContext();
  kernel.setPrivate();
  kernel->setAttr("passthrough",
                  ArrayAttr::get(context, {StringAttr::get(context, "noinline")}));
}
