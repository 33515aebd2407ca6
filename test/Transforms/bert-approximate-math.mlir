// erf, exp and tanh become call-free polynomials; other math ops stay.
// RUN: bert-opt %s -bert-approximate-math | FileCheck %s
// RUN: bert-opt %s -bert-approximate-math=functions=exp | FileCheck %s --check-prefix=ONLY-EXP

// CHECK-LABEL: func.func @gelu_and_softmax_parts
// CHECK-NOT: math.erf
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK: math.fma
// CHECK: math.sqrt
// ONLY-EXP-LABEL: func.func @gelu_and_softmax_parts
// ONLY-EXP: math.erf
// ONLY-EXP-NOT: math.exp
// ONLY-EXP: math.tanh
func.func @gelu_and_softmax_parts(%x: f32) -> (f32, f32, f32, f32) {
  %e = math.erf %x : f32
  %p = math.exp %x : f32
  %t = math.tanh %x : f32
  %s = math.sqrt %x : f32
  return %e, %p, %t, %s : f32, f32, f32, f32
}
