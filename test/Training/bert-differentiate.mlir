// RUN: bert-opt %s --bert-differentiate --canonicalize -split-input-file -verify-diagnostics | FileCheck %s

// linear + cross_entropy: dz = (softmax(z) - onehot(y)) / B scaled by the
// seed 1; dW = dz^T x as a bert.linear of dz^T [3, rows] and x^T [4, rows]
// (so that it runs on the GEMM kernel; the lowering takes x itself as the
// [rows, 4] operand), db = sum_rows dz. The input is not trainable:
// canonicalize drops its gradient (dz W).
// CHECK-LABEL: func.func @linear
// CHECK-SAME: -> (tensor<f32>, tensor<3x4xf32>, tensor<3xf32>)
// CHECK: %[[LOSS:.*]] = bert.cross_entropy
// CHECK: %[[DZ:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %arg3 : tensor<2x3xf32>, tensor<2xi32>)
// CHECK: linalg.index 1
// CHECK: arith.cmpi eq
// CHECK: arith.subf %{{.*}}, %{{.*}} : f32
// CHECK: arith.select
// CHECK-DAG: %[[DZT:.*]] = linalg.transpose ins(%[[DZ]] : tensor<2x3xf32>)
// CHECK-DAG: %[[XT:.*]] = linalg.transpose ins(%arg0 : tensor<2x4xf32>)
// CHECK: %[[DW:.*]] = bert.linear %[[DZT]], %[[XT]] : tensor<3x2xf32>, tensor<4x2xf32> -> tensor<3x4xf32>
// CHECK: %[[DB:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%[[DZ]] : tensor<2x3xf32>)
// CHECK: return %[[LOSS]], %[[DW]], %[[DB]]
func.func @linear(%x: tensor<2x4xf32>, %w: tensor<3x4xf32> {bertc.trainable}, %b: tensor<3xf32> {bertc.trainable}, %labels: tensor<2xi32>) -> tensor<f32> {
  %y = bert.linear %x, %w bias %b : tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %loss = bert.cross_entropy %y, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// Through a hidden layer: the trainable input of the second linear gets
// dz W (a linear with the transposed weight), then tanh's g (1 - y^2).
// CHECK-LABEL: func.func @chain
// CHECK: %[[H:.*]] = math.tanh
// CHECK: %[[T:.*]] = linalg.transpose ins(%arg1 : tensor<3x4xf32>)
// CHECK: %[[DH:.*]] = bert.linear %{{.*}}, %[[T]] : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x4xf32>
// CHECK: linalg.generic {{.*}} ins(%[[H]], %[[DH]] : tensor<2x4xf32>, tensor<2x4xf32>)
// CHECK: arith.mulf
// CHECK: arith.subf
// CHECK: arith.mulf
func.func @chain(%x: tensor<2x4xf32> {bertc.trainable}, %w: tensor<3x4xf32>, %labels: tensor<2xi32>) -> tensor<f32> {
  %h = math.tanh %x : tensor<2x4xf32>
  %y = bert.linear %h, %w : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
  %loss = bert.cross_entropy %y, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// A value used twice (the residual): its gradients are summed.
// CHECK-LABEL: func.func @residual
// CHECK: bert.cross_entropy
// CHECK: %[[SUM:.*]] = arith.addf %[[G:.*]], %[[G]] : tensor<2x3xf32>
// CHECK: return %{{.*}}, %[[SUM]]
func.func @residual(%x: tensor<2x3xf32> {bertc.trainable}, %labels: tensor<2xi32>) -> tensor<f32> {
  %y = arith.addf %x, %x : tensor<2x3xf32>
  %loss = bert.cross_entropy %y, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// A flat parameter vector read through disjoint static slices: the
// gradients are placed into one zero vector, no sums over the whole vector.
// CHECK-LABEL: func.func @flat
// CHECK: %[[ZERO:.*]] = linalg.fill {{.*}} -> tensor<8xf32>
// CHECK: %[[FIRST:.*]] = tensor.insert_slice %{{.*}} into %[[ZERO]][6] [2] [1] : tensor<2xf32> into tensor<8xf32>
// CHECK: %[[BOTH:.*]] = tensor.insert_slice %{{.*}} into %[[FIRST]][0] [6] [1] : tensor<6xf32> into tensor<8xf32>
// CHECK-NOT: arith.addf {{.*}} : tensor<8xf32>
// CHECK: return %{{.*}}, %[[BOTH]]
func.func @flat(%x: tensor<4x3xf32>, %p: tensor<8xf32> {bertc.trainable}, %labels: tensor<4xi32>) -> tensor<f32> {
  %wf = tensor.extract_slice %p[0] [6] [1] : tensor<8xf32> to tensor<6xf32>
  %w = tensor.expand_shape %wf [[0, 1]] output_shape [2, 3] : tensor<6xf32> into tensor<2x3xf32>
  %b = tensor.extract_slice %p[6] [2] [1] : tensor<8xf32> to tensor<2xf32>
  %y = bert.linear %x, %w bias %b : tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32> -> tensor<4x2xf32>
  %loss = bert.cross_entropy %y, %labels : tensor<4x2xf32>, tensor<4xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// LayerNorm: dgamma = sum_rows g x-hat, dbeta = sum_rows g, and dx from
// x-hat and the per-row deviation sqrt(var + eps).
// CHECK-LABEL: func.func @layer_norm
// CHECK: math.sqrt
// CHECK: arith.divf
// CHECK: return %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<f32>, tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>
func.func @layer_norm(%x: tensor<2x3xf32> {bertc.trainable}, %gamma: tensor<3xf32> {bertc.trainable}, %beta: tensor<3xf32> {bertc.trainable}, %labels: tensor<2xi32>) -> tensor<f32> {
  %y = bert.layer_norm %x, %gamma, %beta epsilon(1.0e-12) : tensor<2x3xf32>, tensor<3xf32>
  %loss = bert.cross_entropy %y, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// erf GELU: Phi(x) + x phi(x).
// CHECK-LABEL: func.func @gelu
// CHECK: math.erf
// CHECK: math.exp
func.func @gelu(%x: tensor<2x3xf32> {bertc.trainable}, %labels: tensor<2xi32>) -> tensor<f32> {
  %y = bert.gelu %x : tensor<2x3xf32>
  %loss = bert.cross_entropy %y, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// softmax: y (g - sum_row(g y)), from the forward's own result.
// CHECK-LABEL: func.func @softmax
// CHECK: %[[Y:.*]] = bert.softmax
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[Y]] : tensor<2x3xf32>, tensor<2x3xf32>)
func.func @softmax(%x: tensor<2x3xf32> {bertc.trainable}, %labels: tensor<2xi32>) -> tensor<f32> {
  %y = bert.softmax %x : tensor<2x3xf32>
  %loss = bert.cross_entropy %y, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// An embedding table: a scatter-add loop over the tokens, padding_idx's
// row kept at 0.
// CHECK-LABEL: func.func @embedding
// CHECK: tensor.collapse_shape %arg1
// CHECK: scf.for
// CHECK: tensor.extract %{{.*}}[%{{.*}}] : tensor<?xi32>
// CHECK: arith.cmpi eq
// CHECK: tensor.insert_slice
// CHECK: scf.yield
func.func @embedding(%table: tensor<5x3xf32> {bertc.trainable}, %ids: tensor<?x2xi32>, %labels: tensor<?xi32>) -> tensor<f32> {
  %e = bert.embedding %table, %ids padding_idx(0) : tensor<5x3xf32>, tensor<?x2xi32> -> tensor<?x2x3xf32>
  %c = tensor.extract_slice %e[0, 0, 0] [4, 1, 3] [1, 1, 1] : tensor<?x2x3xf32> to tensor<4x3xf32>
  %l = tensor.cast %labels : tensor<?xi32> to tensor<4xi32>
  %loss = bert.cross_entropy %c, %l : tensor<4x3xf32>, tensor<4xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// An op on the path without a rule is named.
func.func @no_rule(%x: tensor<2x3xf32> {bertc.trainable}, %labels: tensor<2xi32>) -> tensor<f32> {
  // expected-error @below {{lies between a trainable argument and the loss but has no gradient rule}}
  %y = math.exp %x : tensor<2x3xf32>
  %loss = bert.cross_entropy %y, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// expected-error @below {{the first result must be the loss, a tensor<f32>}}
func.func @not_scalar(%x: tensor<2x3xf32> {bertc.trainable}) -> tensor<2x3xf32> {
  return %x : tensor<2x3xf32>
}

// -----

func.func private @callee(tensor<2x3xf32>) -> tensor<f32>
func.func @call(%x: tensor<2x3xf32> {bertc.trainable}) -> tensor<f32> {
  // expected-error @below {{does not follow calls; run `inline` first}}
  %loss = func.call @callee(%x) : (tensor<2x3xf32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// Attention: P recomputed (scores, scale and mask, softmax), then
// dP = G V^T, dS = P (dP - rowsum(dP P)) / sqrt(d), and dQ = dS K,
// dK = dS^T Q, dV = P^T G, each iterating (b, h, i, j, e) with e innermost;
// the mask gets no gradient.
// CHECK-LABEL: func.func @attention
// CHECK: %[[Q:.*]] = tensor.expand_shape %arg0
// CHECK: %[[K:.*]] = tensor.expand_shape %arg1
// CHECK: %[[V:.*]] = tensor.expand_shape %arg2
// CHECK: %[[G:.*]] = tensor.expand_shape
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[Q]], %[[K]] :
// CHECK: ins(%{{.*}}, %arg3 : tensor<2x2x3x3xf32>, tensor<2x3xf32>)
// CHECK: math.exp
// CHECK: %[[P:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x2x3x3xf32>, tensor<2x2x3xf32>)
// CHECK: %[[DP:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[G]], %[[V]] :
// CHECK: linalg.generic {{.*}} ins(%[[DP]], %[[P]] : tensor<2x2x3x3xf32>, tensor<2x2x3x3xf32>)
// CHECK: %[[DS:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[P]] : tensor<2x2x3x3xf32>, tensor<2x2x3x3xf32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%[[DS]], %[[K]] :
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "parallel", "parallel"]} ins(%[[DS]], %[[Q]] :
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "parallel", "parallel"]} ins(%[[P]], %[[G]] :
// CHECK: return {{.*}} : tensor<f32>, tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32>
func.func @attention(%q: tensor<2x3x8xf32> {bertc.trainable}, %k: tensor<2x3x8xf32> {bertc.trainable},
                     %v: tensor<2x3x8xf32> {bertc.trainable}, %mask: tensor<2x3xf32>,
                     %labels: tensor<2xi32>) -> tensor<f32> {
  %c = bert.attention %q, %k, %v mask %mask heads(2) : tensor<2x3x8xf32>, tensor<2x3xf32>
  %cls = tensor.extract_slice %c[0, 0, 0] [2, 1, 8] [1, 1, 1] : tensor<2x3x8xf32> to tensor<2x8xf32>
  %loss = bert.cross_entropy %cls, %labels : tensor<2x8xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// Bi-Attention (probabilities<bool>): P = 1{A > 0} of the masked scores;
// dS is dP inside the strict window |A| < 1, divided by sqrt(d) (no
// softmax Jacobian).
// CHECK-LABEL: func.func @bi_attention
// CHECK: %[[A:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %arg3 : tensor<2x2x3x3xf32>, tensor<2x3xf32>)
// CHECK: %[[P:.*]] = linalg.generic {{.*}} ins(%[[A]] : tensor<2x2x3x3xf32>)
// CHECK: arith.cmpf ogt
// CHECK: %[[DP:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK: %[[DS:.*]] = linalg.generic {{.*}} ins(%[[DP]], %[[A]] : tensor<2x2x3x3xf32>, tensor<2x2x3x3xf32>)
// CHECK: math.absf
// CHECK: arith.cmpf olt
// CHECK: arith.select
// CHECK: linalg.generic {{.*}} ins(%[[DS]], %{{.*}} : tensor<2x2x3x3xf32>, tensor<2x3x2x4xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[P]], %{{.*}} : tensor<2x2x3x3xf32>, tensor<2x3x2x4xf32>)
// CHECK: return
func.func @bi_attention(%q: tensor<2x3x8xf32> {bertc.trainable}, %k: tensor<2x3x8xf32>,
                        %v: tensor<2x3x8xf32> {bertc.trainable}, %mask: tensor<2x3xf32>,
                        %labels: tensor<2xi32>) -> tensor<f32> {
  %c = bert.attention %q, %k, %v mask %mask heads(2) probabilities<bool> : tensor<2x3x8xf32>, tensor<2x3xf32>
  %cls = tensor.extract_slice %c[0, 0, 0] [2, 1, 8] [1, 1, 1] : tensor<2x3x8xf32> to tensor<2x8xf32>
  %loss = bert.cross_entropy %cls, %labels : tensor<2x8xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}
