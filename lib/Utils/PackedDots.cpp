//===- PackedDots.cpp - One word of the packed-bit dot products -----------===//

#include "bertc/Utils/PackedDots.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;

Value bertc::buildXorPopcount(OpBuilder &b, Location l, Value a, Value w) {
  return math::CtPopOp::create(b, l, arith::XOrIOp::create(b, l, a, w));
}

Value bertc::buildBitwiseAffineTerm(OpBuilder &b, Location l, Value m,
                                    Value v) {
  Value both = math::CtPopOp::create(b, l, arith::AndIOp::create(b, l, m, v));
  Value ones = math::CtPopOp::create(b, l, m);
  return arith::SubIOp::create(b, l, arith::AddIOp::create(b, l, both, both),
                               ones);
}
