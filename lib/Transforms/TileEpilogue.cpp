//===- TileEpilogue.cpp - An elementwise consumer run on the tile ---------===//

#include "TileEpilogue.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/Hashing.h"

using namespace mlir;
using namespace bertc::kernels;

namespace {

/// The first op after `product` that touches `buffer`, skipping ops without
/// memory effects and fresh allocations; null if another op with effects
/// comes first.
Operation *nextUser(Operation *product, Value buffer) {
  for (Operation *op = product->getNextNode(); op; op = op->getNextNode()) {
    if (isa<memref::DimOp>(op))
      continue; // reads the sizes, not the data
    if (llvm::is_contained(op->getOperands(), buffer))
      return op;
    if (!isMemoryEffectFree(op) && !isa<memref::AllocOp>(op))
      return nullptr;
  }
  return nullptr;
}

/// True for a body the tile can run on vectors: elementwise ops on scalars
/// (no linalg.index) and constants, inside the body or captured from the
/// function (the kernel is a function of its own: nothing else can cross).
bool isVectorizableBody(Block &body) {
  for (Operation &op : body.without_terminator()) {
    if (isa<arith::ConstantOp>(op))
      continue;
    if (!op.hasTrait<OpTrait::Elementwise>() || op.getNumRegions() != 0 ||
        op.getNumResults() != 1)
      return false;
    for (Value operand : op.getOperands())
      if (operand.getParentBlock() != &body &&
          !operand.getDefiningOp<arith::ConstantOp>())
        return false;
  }
  return true;
}

/// True if `buffer` is not read after `op`: its next user in the block is
/// a dealloc, a fill of it, or a generic that writes it without reading
/// its old values (bufferization reuses one buffer for Q, K and V).
bool isDeadAfter(Operation *op, Value buffer) {
  for (Operation *next = op->getNextNode(); next; next = next->getNextNode()) {
    if (!llvm::is_contained(next->getOperands(), buffer) ||
        isa<memref::DimOp>(next))
      continue;
    if (isa<memref::DeallocOp>(next))
      return true;
    if (auto fill = dyn_cast<linalg::FillOp>(next))
      return fill.getDpsInits()[0] == buffer &&
             !llvm::is_contained(fill.getDpsInputs(), buffer);
    auto generic = dyn_cast<linalg::GenericOp>(next);
    if (!generic || generic.getNumDpsInits() != 1 ||
        generic.getDpsInits()[0] != buffer ||
        llvm::is_contained(generic.getDpsInputs(), buffer) ||
        generic.getNumLoops() != generic.getNumParallelLoops())
      return false;
    return generic.getMatchingBlockArgument(generic.getDpsInitOperand(0))
        .use_empty();
  }
  return true;
}

/// The float constant that `value` is, if any.
FloatAttr floatConstant(Value value) {
  auto constant = value.getDefiningOp<arith::ConstantOp>();
  return constant ? dyn_cast<FloatAttr>(constant.getValue()) : FloatAttr();
}

/// The body's float constants, each once, in the order the body first
/// uses or defines them: the kernel's parameters.
SmallVector<Value> parametersOf(Block &body) {
  SmallVector<Value> parameters;
  auto note = [&](Value value) {
    if (floatConstant(value) && !llvm::is_contained(parameters, value))
      parameters.push_back(value);
  };
  for (Operation &op : body.without_terminator()) {
    for (Value operand : op.getOperands())
      note(operand);
    for (Value result : op.getResults())
      note(result);
  }
  return parameters;
}

/// The body with its float constants as numbered parameters (their values
/// are kernel arguments; integer constants shape the code and stay).
std::string bodyKey(Block &body, ArrayRef<Value> parameters,
                    ArrayRef<bool> perElement) {
  std::string text;
  llvm::raw_string_ostream os(text);
  auto parameterIndex = [&](Value value) {
    return llvm::find(parameters, value) - parameters.begin();
  };
  for (Operation &op : body) {
    if (op.getNumResults() == 1 && floatConstant(op.getResult(0))) {
      os << "parameter " << parameterIndex(op.getResult(0)) << " : "
         << op.getResult(0).getType() << "\n";
      continue;
    }
    op.print(os, OpPrintingFlags().useLocalScope());
    // Constants captured from the function are part of the body too.
    for (Value operand : op.getOperands()) {
      if (operand.getParentBlock() == &body)
        continue;
      if (floatConstant(operand))
        os << " captured parameter " << parameterIndex(operand);
      else if (auto constant = operand.getDefiningOp<arith::ConstantOp>())
        os << " captured " << constant.getValue();
    }
  }
  for (bool element : perElement)
    os << (element ? 'e' : 'c');
  return llvm::utohexstr(llvm::hash_value(os.str()));
}

} // namespace

std::optional<Epilogue> bertc::kernels::matchEpilogue(linalg::GenericOp product) {
  Value sums = product.getDpsInits()[0];
  auto sumsType = dyn_cast<MemRefType>(sums.getType());
  auto consumer = dyn_cast_or_null<linalg::GenericOp>(nextUser(product, sums));
  if (!sumsType || !consumer || !consumer.hasPureBufferSemantics() ||
      consumer.getNumDpsInits() != 1 ||
      consumer.getNumLoops() != consumer.getNumParallelLoops() ||
      consumer.getNumLoops() != unsigned(sumsType.getRank()))
    return std::nullopt;
  OpOperand *output = consumer.getDpsInitOperand(0);
  if (!consumer.getMatchingIndexingMap(output).isIdentity() ||
      output->get() == sums ||
      cast<MemRefType>(output->get().getType()).getShape() != sumsType.getShape())
    return std::nullopt;
  Epilogue epilogue{consumer};
  bool found = false;
  unsigned rank = sumsType.getRank();
  for (OpOperand *input : consumer.getDpsInputOperands()) {
    AffineMap map = consumer.getMatchingIndexingMap(input);
    if (input->get() == sums) {
      if (found || !map.isIdentity())
        return std::nullopt;
      found = true;
      epilogue.sumsInput = input->getOperandNumber();
      continue;
    }
    auto type = dyn_cast<MemRefType>(input->get().getType());
    if (!type || !type.getLayout().isIdentity())
      return std::nullopt;
    bool perColumn = map.getNumResults() == 1 &&
                     map.getResult(0) == getAffineDimExpr(rank - 1, map.getContext());
    if (!map.isIdentity() && !perColumn)
      return std::nullopt;
    epilogue.extras.push_back(input->get());
    epilogue.perElement.push_back(!perColumn);
  }
  Block &body = consumer.getRegion().front();
  if (!found || !isVectorizableBody(body))
    return std::nullopt;
  // Nothing may read the sums after the consumer (they will not exist):
  // the buffer's next user, if any, frees it or overwrites it whole.
  if (!isDeadAfter(consumer, sums))
    return std::nullopt;
  epilogue.out = output->get();
  SmallVector<Value> parameters = parametersOf(body);
  for (Value parameter : parameters)
    epilogue.parameters.push_back(floatConstant(parameter));
  epilogue.key = bodyKey(body, parameters, epilogue.perElement);
  return epilogue;
}

TileFn bertc::kernels::epilogueAfterTile(const Epilogue &epilogue, Value sums,
                                         ValueRange extras, Value out,
                                         ValueRange parameters,
                                         bool tileLocalSums) {
  linalg::GenericOp consumer = epilogue.consumer;
  SmallVector<Value> extraValues(extras.begin(), extras.end());
  SmallVector<Value> parameterValues(parameters.begin(), parameters.end());
  SmallVector<Value> constants = parametersOf(consumer.getRegion().front());
  SmallVector<bool> perElement = epilogue.perElement;
  unsigned sumsInput = epilogue.sumsInput;
  return [=](OpBuilder &builder, Location loc, Value row, unsigned rows,
             Value col, unsigned columns, unsigned lanes) mutable {
    auto index = [&](OpBuilder &b, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    auto vectorOf = [&](Type element) { return VectorType::get({lanes}, element); };
    // Each parameter in every lane, once per tile (LLVM hoists them out of
    // the kernel's loops); the body's constants map to them.
    Block &body = consumer.getRegion().front();
    IRMapping broadcasts;
    for (auto [constant, parameter] : llvm::zip_equal(constants, parameterValues))
      broadcasts.map(constant, vector::BroadcastOp::create(
                                   builder, loc, vectorOf(parameter.getType()),
                                   parameter));
    scf::ForOp::create(
        builder, loc, index(builder, 0), index(builder, rows),
        index(builder, 1), ValueRange{},
        [&](OpBuilder &rb, Location rl, Value r, ValueRange) {
          Value at = arith::AddIOp::create(rb, rl, row, r);
          scf::ForOp::create(
              rb, rl, index(rb, 0), index(rb, columns * lanes),
              index(rb, lanes), ValueRange{},
              [&](OpBuilder &b, Location l, Value c, ValueRange) {
                Value column = arith::AddIOp::create(b, l, col, c);
                auto load = [&](Value memref, ValueRange position) -> Value {
                  auto type = vectorOf(
                      cast<MemRefType>(memref.getType()).getElementType());
                  return vector::LoadOp::create(b, l, type, memref, position);
                };
                IRMapping map = broadcasts;
                unsigned extra = 0;
                for (unsigned i = 0, e = consumer.getNumDpsInputs(); i < e; ++i) {
                  Value argument = body.getArgument(i);
                  if (i == sumsInput) {
                    map.map(argument, tileLocalSums ? load(sums, {r, c})
                                                    : load(sums, {at, column}));
                    continue;
                  }
                  Value memref = extraValues[extra];
                  map.map(argument, perElement[extra] ? load(memref, {at, column})
                                                      : load(memref, {column}));
                  ++extra;
                }
                Value outArgument = body.getArgument(consumer.getNumDpsInputs());
                if (!outArgument.use_empty())
                  map.map(outArgument, load(out, {at, column}));
                // An integer constant in every lane (from the body or
                // captured); float ones are parameters.
                auto splat = [&](arith::ConstantOp constant) -> Value {
                  auto type = vectorOf(constant.getType());
                  return arith::ConstantOp::create(
                      b, l, type,
                      DenseElementsAttr::get(
                          type, ArrayRef<Attribute>{constant.getValue()}));
                };
                for (Operation &op : body.without_terminator()) {
                  if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
                    if (!map.contains(constant.getResult()))
                      map.map(constant.getResult(), splat(constant));
                    continue;
                  }
                  SmallVector<Value> operands;
                  for (Value operand : op.getOperands()) {
                    if (Value mapped = map.lookupOrNull(operand))
                      operands.push_back(mapped);
                    else
                      operands.push_back(
                          splat(operand.getDefiningOp<arith::ConstantOp>()));
                  }
                  OperationState state(op.getLoc(), op.getName());
                  state.addOperands(operands);
                  state.addTypes(vectorOf(op.getResult(0).getType()));
                  state.addAttributes(op.getAttrs());
                  map.map(op.getResult(0), b.create(state)->getResult(0));
                }
                Value result = map.lookup(body.getTerminator()->getOperand(0));
                vector::StoreOp::create(b, l, result, out, ValueRange{at, column});
                scf::YieldOp::create(b, l);
              });
          scf::YieldOp::create(rb, rl);
        });
  };
}
