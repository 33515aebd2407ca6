// Each quantizer's straight-through rule (SEMANTICS.md 1.8 and 2.9) as IR.
// RUN: bert-opt %s -bq-test-ste-gradients -split-input-file -verify-diagnostics | FileCheck %s

// Q8BERT: the identity, also where fq clamps.
// CHECK-LABEL: func.func @fake_quant
// CHECK-SAME: %[[DY:[a-z0-9]+]]: tensor<4xf32>) -> tensor<4xf32>
// CHECK-NOT: linalg.generic
// CHECK: return %[[DY]]
func.func @fake_quant(%x: tensor<4xf32>, %s: f32, %dy: tensor<4xf32>) -> tensor<4xf32> {
  %y = bq.fake_quant %x, %s bits 8 : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Binary-linear input sign: g * 1{|x| <= 1} (torch.clamp's inclusive bounds).
// CHECK-LABEL: func.func @sign_inclusive
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<2x8xf32>, %[[DY:[a-z0-9]+]]: tensor<2x8xf32>)
// CHECK: %[[G:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[DY]] : tensor<2x8xf32>, tensor<2x8xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %[[GIN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[ABS:.*]] = math.absf %[[IN]] : f32
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[INSIDE:.*]] = arith.cmpf ole, %[[ABS]], %[[ONE]] : f32
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[SEL:.*]] = arith.select %[[INSIDE]], %[[GIN]], %[[ZERO]] : f32
// CHECK: linalg.yield %[[SEL]]
// CHECK: return %[[G]]
func.func @sign_inclusive(%x: tensor<2x8xf32>, %dy: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %y = bq.binarize %x form<activation> : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// Q/K/V sign (BinaryQuantizer): g * 1{|x| < 1}.
// CHECK-LABEL: func.func @sign_strict
// CHECK: arith.cmpf olt
// CHECK-NOT: arith.cmpf ole
func.func @sign_strict(%x: tensor<2x8xf32>, %dy: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %y = bq.binarize %x form<activation> zero<plus_one> window<strict> : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// bool on scores: strict by default (the code), inclusive as the paper option.
// CHECK-LABEL: func.func @bool_code
// CHECK: arith.cmpf olt
func.func @bool_code(%a: tensor<4x4xf32>, %dy: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %y = bq.bool %a : tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// CHECK-LABEL: func.func @bool_paper
// CHECK: arith.cmpf ole
func.func @bool_paper(%a: tensor<4x4xf32>, %dy: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %y = bq.bool %a rule<ge> window<inclusive> : tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

// Weight binarizer: window on the centred weights Wc = W - rowmean(W), then
// back through the centring: g_W = g_c - rowmean(g_c). alpha gets nothing.
// CHECK-LABEL: func.func @weight
// CHECK-SAME: (%[[W:[a-z0-9]+]]: tensor<8x64xf32>, %[[DY:[a-z0-9]+]]: tensor<8x64xf32>)
// Row sums of W, then W minus the row mean:
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[W]] : tensor<8x64xf32>)
// CHECK: arith.addf
// CHECK: %[[WC:.*]] = linalg.generic {{.*}} ins(%[[W]], %[[SUM]] : tensor<8x64xf32>, tensor<8xf32>)
// CHECK: arith.divf
// CHECK: arith.subf
// The inclusive window on Wc:
// CHECK: %[[GC:.*]] = linalg.generic {{.*}} ins(%[[WC]], %[[DY]] : tensor<8x64xf32>, tensor<8x64xf32>)
// CHECK: arith.cmpf ole
// Centring of the windowed gradient:
// CHECK: %[[GSUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[GC]] : tensor<8x64xf32>)
// CHECK: %[[GW:.*]] = linalg.generic {{.*}} ins(%[[GC]], %[[GSUM]] : tensor<8x64xf32>, tensor<8xf32>)
// CHECK: arith.subf
// CHECK: return %[[GW]]
func.func @weight(%w: tensor<8x64xf32>, %dy: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %y = bq.binarize %w form<weight> : tensor<8x64xf32>
  return %y : tensor<8x64xf32>
}

// -----

// Rules compose along a chain, last op first, with dynamic shapes.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<?x16xf32>, %[[DY:[a-z0-9]+]]: tensor<?x16xf32>)
// CHECK: %[[Q:.*]] = bq.binarize %[[X]]
// CHECK: tensor.dim %[[Q]]
// CHECK: %[[G1:.*]] = linalg.generic {{.*}} ins(%[[Q]], %[[DY]] : tensor<?x16xf32>, tensor<?x16xf32>)
// CHECK: arith.cmpf olt
// CHECK: %[[G0:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[G1]] : tensor<?x16xf32>, tensor<?x16xf32>)
// CHECK: arith.cmpf olt
// CHECK: return %[[G0]] : tensor<?x16xf32>
func.func @chain(%x: tensor<?x16xf32>, %dy: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %q = bq.binarize %x form<activation> window<strict> : tensor<?x16xf32>
  %y = bq.bool %q : tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

func.func @not_a_quantizer(%x: tensor<4xf32>, %dy: tensor<4xf32>) -> tensor<4xf32> {
  %y = math.absf %x : tensor<4xf32>
  // expected-error @+1 {{the result does not come from a quantizer with a straight-through gradient}}
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{expects one result and a last argument holding its gradient}}
func.func @no_gradient_argument(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = bq.bool %x : tensor<4xf32>
  return %y : tensor<4xf32>
}
