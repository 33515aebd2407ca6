// bert.layer_norm, bert.softmax, bert.gelu and bert.cross_entropy to linalg
// on tensors.
// RUN: bert-opt %s -convert-bert-to-linalg -split-input-file | FileCheck %s

// Mean, centring, biased variance, the per-row deviation sqrt(var + eps),
// then (x - mean) / deviation and the affine gamma/beta.
// CHECK-LABEL: func.func @layer_norm
// CHECK: %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.addf
// CHECK: arith.divf
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.divf
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: %[[VE:.*]] = arith.addf %{{.*}}, %[[EPS]] : f32
// CHECK: math.sqrt %[[VE]] : f32
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel"]
// CHECK: arith.divf %{{.*}}, %{{.*}} : f32
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

// -----

// Mean cross-entropy: per row the log-sum-exp (max-subtracted) minus the
// label's logit, read at the clamped label; the sum over rows divided by B.
// CHECK-LABEL: func.func @cross_entropy
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %arg1 : tensor<?xf32>, tensor<?xf32>, tensor<?xi32>)
// CHECK: linalg.index 0
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: tensor.extract %arg0
// CHECK: math.log
// CHECK: arith.subf
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%{{.*}} : tensor<?xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK: arith.divf
// CHECK-NOT: bert.
func.func @cross_entropy(%z: tensor<?x3xf32>, %y: tensor<?xi32>) -> tensor<f32> {
  %l = bert.cross_entropy %z, %y : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Dropout keeps element i where the top 24 bits of fmix64(seed * M1 +
// stream * M2 + i) reach round(rate * 2^24), and scales it by 1 / (1 - rate)
// (bertc/Utils/Dropout.h): i is the row-major index from linalg.index.
// CHECK-LABEL: func.func @dropout
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[SEED:.*]]: i64)
// CHECK: %[[M1:.*]] = arith.constant -3335678366873096957 : i64
// CHECK: %[[KEYED:.*]] = arith.muli %[[SEED]], %[[M1]] : i64
// CHECK: %[[STREAM:.*]] = arith.constant -2691343689449507777 : i64
// CHECK: %[[BASE:.*]] = arith.addi %[[KEYED]], %[[STREAM]] : i64
// CHECK-DAG: %[[THRESHOLD:.*]] = arith.constant 1677722 : i64
// CHECK-DAG: %[[SCALE:.*]] = arith.constant 1.11111116 : f32
// CHECK: linalg.generic {{.*}} ins(%[[X]] : tensor<?x8xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK: linalg.index 0
// CHECK: linalg.index 1
// CHECK: %[[KEY:.*]] = arith.addi %[[BASE]], %{{.*}} : i64
// CHECK: arith.shrui %[[KEY]], %{{.*}} : i64
// CHECK: arith.constant -49064778989728563 : i64
// CHECK: arith.constant -4265267296055464877 : i64
// CHECK: %[[FORTY:.*]] = arith.constant 40 : i64
// CHECK: %[[TOP:.*]] = arith.shrui %{{.*}}, %[[FORTY]] : i64
// CHECK: %[[KEEP:.*]] = arith.cmpi uge, %[[TOP]], %[[THRESHOLD]] : i64
// CHECK: %[[SCALED:.*]] = arith.mulf %[[IN]], %[[SCALE]] : f32
// CHECK: arith.select %[[KEEP]], %[[SCALED]], %{{.*}} : f32
func.func @dropout(%x: tensor<?x8xf32>, %seed: i64) -> tensor<?x8xf32> {
  %y = bert.dropout %x seed %seed stream(3) rate(0.1) : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
