// RUN: bert-opt %s -bert-exact-constant-division | FileCheck %s

// Q8BERT's dequantization: an int32 sum as f32, divided by the constant
// scale, becomes a multiplication by the f64 reciprocal (the same f32 for
// every int32, see bertc::divisionOfIntegersIsMultiplication).
// CHECK-LABEL: func.func @dequantize
// CHECK-SAME: (%[[S:.*]]: i32)
// CHECK-DAG: %[[R:.*]] = arith.constant 1.5500009415{{[0-9]*}}E-5 : f64
// CHECK-DAG: %[[A:.*]] = arith.sitofp %[[S]] : i32 to f32
// CHECK: %[[W:.*]] = arith.extf %[[A]] : f32 to f64
// CHECK: %[[P:.*]] = arith.mulf %[[W]], %[[R]] : f64
// CHECK: %[[Q:.*]] = arith.truncf %[[P]] : f64 to f32
// CHECK-NOT: arith.divf
// CHECK: return %[[Q]]
func.func @dequantize(%sum: i32) -> f32 {
  %scale = arith.constant 64516.0898 : f32
  %a = arith.sitofp %sum : i32 to f32
  %q = arith.divf %a, %scale : f32
  return %q : f32
}

// On vectors, with a splat divisor.
// CHECK-LABEL: func.func @vectors
// CHECK: arith.constant dense<0.3333333333{{[0-9]*}}> : vector<16xf64>
// CHECK: arith.extf %{{.*}} : vector<16xf32> to vector<16xf64>
// CHECK: arith.mulf %{{.*}} : vector<16xf64>
// CHECK: arith.truncf %{{.*}} : vector<16xf64> to vector<16xf32>
// CHECK-NOT: arith.divf
func.func @vectors(%sums: vector<16xi32>) -> vector<16xf32> {
  %scale = arith.constant dense<3.0> : vector<16xf32>
  %a = arith.sitofp %sums : vector<16xi32> to vector<16xf32>
  %q = arith.divf %a, %scale : vector<16xf32>
  return %q : vector<16xf32>
}

// Left as divisions: a dividend that is not a converted integer of at most
// 32 bits (its quotient could be subnormal, or a's magnitude beyond 2^31),
// a divisor known only at run time (dynamic quantization), and a divisor
// whose quotients could overflow.
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-4: arith.divf
// CHECK-NOT: arith.mulf
func.func @kept(%x: f32, %wide: i64, %sum: i32, %scale: f32) -> (f32, f32, f32, f32) {
  %c = arith.constant 64516.0898 : f32
  %tiny = arith.constant 1.0e-30 : f32
  %q0 = arith.divf %x, %c : f32
  %w = arith.sitofp %wide : i64 to f32
  %q1 = arith.divf %w, %c : f32
  %a = arith.sitofp %sum : i32 to f32
  %q2 = arith.divf %a, %scale : f32
  %q3 = arith.divf %a, %tiny : f32
  return %q0, %q1, %q2, %q3 : f32, f32, f32, f32
}
