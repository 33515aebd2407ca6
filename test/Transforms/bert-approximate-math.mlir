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

// f32 erf: x clamped to [-4, 4] by compare-and-select (NaN stays NaN), then
// one rational function of x^2, without upstream's per-interval blends.
// CHECK-LABEL: func.func @erf_vector
// CHECK-SAME: (%[[X:.*]]: vector<16xf32>)
// CHECK-DAG: %[[FOUR:.*]] = arith.constant dense<4.000000e+00> : vector<16xf32>
// CHECK-DAG: %[[MINUS_FOUR:.*]] = arith.constant dense<-4.000000e+00> : vector<16xf32>
// CHECK: %[[ABOVE:.*]] = arith.cmpf ogt, %[[X]], %[[FOUR]]
// CHECK: %[[HIGH:.*]] = arith.select %[[ABOVE]], %[[FOUR]], %[[X]]
// CHECK: %[[BELOW:.*]] = arith.cmpf olt, %[[HIGH]], %[[MINUS_FOUR]]
// CHECK: %[[CLAMPED:.*]] = arith.select %[[BELOW]], %[[MINUS_FOUR]], %[[HIGH]]
// CHECK: %[[X2:.*]] = arith.mulf %[[CLAMPED]], %[[CLAMPED]]
// CHECK-COUNT-6: math.fma {{.*}}, %[[X2]]
// CHECK: %[[P:.*]] = arith.mulf %[[CLAMPED]], %{{.*}}
// CHECK-COUNT-4: math.fma {{.*}}, %[[X2]]
// CHECK: arith.divf %[[P]], %{{.*}} : vector<16xf32>
// CHECK-NOT: arith.select
// CHECK: return
// ONLY-EXP-LABEL: func.func @erf_vector
// ONLY-EXP: math.erf
func.func @erf_vector(%x: vector<16xf32>) -> vector<16xf32> {
  %e = math.erf %x : vector<16xf32>
  return %e : vector<16xf32>
}
