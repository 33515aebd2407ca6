// bert.layer_norm, bert.softmax and bert.gelu to linalg on tensors.
// RUN: bert-opt %s -convert-bert-to-linalg -split-input-file | FileCheck %s

// Mean, centring, biased variance, then (x - mean) / sqrt(var + eps) and the
// affine gamma/beta.
// CHECK-LABEL: func.func @layer_norm
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.addf
// CHECK: arith.divf
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK: linalg.generic
// CHECK: %[[VE:.*]] = arith.addf %{{.*}}, %[[EPS]] : f32
// CHECK: %[[SD:.*]] = math.sqrt %[[VE]] : f32
// CHECK: arith.divf %{{.*}}, %[[SD]] : f32
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK-NOT: bert.
func.func @layer_norm(%x: tensor<?x?x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<?x?x8xf32> {
  %y = bert.layer_norm %x, %g, %b epsilon(1.0e-5) : tensor<?x?x8xf32>, tensor<8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// Max-subtracted exponentials over the last axis.
// CHECK-LABEL: func.func @softmax
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: arith.maximumf
// CHECK: linalg.generic
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: linalg.generic
// CHECK: arith.divf
func.func @softmax(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %y = bert.softmax %x : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// x/2 (1 + erf(x / sqrt 2)).
// CHECK-LABEL: func.func @gelu_erf
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[R:.*]] = arith.constant 0.707106769 : f32
// CHECK: %[[S:.*]] = arith.mulf %[[X]], %[[R]] : f32
// CHECK: %[[E:.*]] = math.erf %[[S]] : f32
// CHECK: %[[H:.*]] = arith.mulf %[[X]], %{{.*}} : f32
// CHECK: %[[P:.*]] = arith.addf %[[E]], %{{.*}} : f32
// CHECK: arith.mulf %[[H]], %[[P]] : f32
// CHECK-NOT: math.tanh
func.func @gelu_erf(%x: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %y = bert.gelu %x : tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// CHECK-LABEL: func.func @gelu_tanh
// CHECK: arith.constant 4.471500e-02 : f32
// CHECK: math.tanh
// CHECK-NOT: math.erf
func.func @gelu_tanh(%x: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %y = bert.gelu %x approximation<tanh> : tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
