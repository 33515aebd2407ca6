// Round trip of every bert op, in the custom and in the generic form.
// RUN: bert-opt %s | bert-opt | FileCheck %s
// RUN: bert-opt %s --mlir-print-op-generic | bert-opt | FileCheck %s

// CHECK-LABEL: func.func @encoder_layer
func.func @encoder_layer(%table: tensor<30522x96xf32>, %ids: tensor<3x13xi64>,
                         %mask: tensor<3x13xf32>, %w: tensor<96x96xf32>,
                         %b: tensor<96xf32>, %g: tensor<96xf32>) -> tensor<3x13x96xf32> {
  // CHECK: bert.embedding %{{.*}}, %{{.*}} : tensor<30522x96xf32>, tensor<3x13xi64> -> tensor<3x13x96xf32>
  %e = bert.embedding %table, %ids : tensor<30522x96xf32>, tensor<3x13xi64> -> tensor<3x13x96xf32>
  // CHECK: bert.layer_norm %{{.*}}, %{{.*}}, %{{.*}} epsilon(9.99999996E-13) : tensor<3x13x96xf32>, tensor<96xf32>
  %h = bert.layer_norm %e, %g, %b epsilon(1.0e-12) : tensor<3x13x96xf32>, tensor<96xf32>
  // CHECK: bert.linear %{{.*}}, %{{.*}} bias %{{.*}} : tensor<3x13x96xf32>, tensor<96x96xf32>, tensor<96xf32> -> tensor<3x13x96xf32>
  %q = bert.linear %h, %w bias %b : tensor<3x13x96xf32>, tensor<96x96xf32>, tensor<96xf32> -> tensor<3x13x96xf32>
  // CHECK: bert.linear %{{.*}}, %{{.*}} : tensor<3x13x96xf32>, tensor<96x96xf32> -> tensor<3x13x96xf32>
  %k = bert.linear %h, %w : tensor<3x13x96xf32>, tensor<96x96xf32> -> tensor<3x13x96xf32>
  // CHECK: bert.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} heads(3) : tensor<3x13x96xf32>, tensor<3x13xf32>
  %c = bert.attention %q, %k, %h mask %mask heads(3) : tensor<3x13x96xf32>, tensor<3x13xf32>
  // CHECK: bert.attention %{{.*}}, %{{.*}}, %{{.*}} heads(3) : tensor<3x13x96xf32>
  %d = bert.attention %q, %k, %c heads(3) : tensor<3x13x96xf32>
  // CHECK: bert.gelu %{{.*}} : tensor<3x13x96xf32>
  %a = bert.gelu %d : tensor<3x13x96xf32>
  // CHECK: bert.gelu %{{.*}} approximation<tanh> : tensor<3x13x96xf32>
  %t = bert.gelu %a approximation<tanh> : tensor<3x13x96xf32>
  // CHECK: bert.softmax %{{.*}} : tensor<3x13x96xf32>
  %s = bert.softmax %t : tensor<3x13x96xf32>
  return %s : tensor<3x13x96xf32>
}

// CHECK-LABEL: func.func @dynamic_shapes
func.func @dynamic_shapes(%x: tensor<?x?x768xf32>, %w: tensor<3072x768xf32>, %m: tensor<?x?xf32>) -> tensor<?x?x3072xf32> {
  // CHECK: bert.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} heads(12) : tensor<?x?x768xf32>, tensor<?x?xf32>
  %c = bert.attention %x, %x, %x mask %m heads(12) : tensor<?x?x768xf32>, tensor<?x?xf32>
  // CHECK: bert.linear %{{.*}}, %{{.*}} : tensor<?x?x768xf32>, tensor<3072x768xf32> -> tensor<?x?x3072xf32>
  %y = bert.linear %c, %w : tensor<?x?x768xf32>, tensor<3072x768xf32> -> tensor<?x?x3072xf32>
  return %y : tensor<?x?x3072xf32>
}

// nn.Embedding's padding_idx (training only), and the loss of a training step.
// CHECK-LABEL: func.func @training
func.func @training(%table: tensor<50x8xf32>, %ids: tensor<?x?xi32>,
                    %logits: tensor<?x3xf32>, %labels: tensor<?xi32>) -> tensor<f32> {
  // CHECK: bert.embedding %{{.*}}, %{{.*}} padding_idx(0) : tensor<50x8xf32>, tensor<?x?xi32> -> tensor<?x?x8xf32>
  %e = bert.embedding %table, %ids padding_idx(0) : tensor<50x8xf32>, tensor<?x?xi32> -> tensor<?x?x8xf32>
  // CHECK: bert.cross_entropy %{{.*}}, %{{.*}} : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
  %loss = bert.cross_entropy %logits, %labels : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// BiBERT training: attention weights other than softmax, and the
// distillation ops.
// CHECK-LABEL: func.func @distillation
func.func @distillation(%q: tensor<2x4x8xf32>, %m: tensor<2x4xf32>, %z: tensor<2x3xf32>, %t: tensor<2x3xf32>) -> (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<f32>, tensor<f32>) {
  // CHECK: bert.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} heads(2) probabilities<bool> :
  %a = bert.attention %q, %q, %q mask %m heads(2) probabilities<bool> : tensor<2x4x8xf32>, tensor<2x4xf32>
  // CHECK: bert.attention %{{.*}}, %{{.*}}, %{{.*}} heads(2) probabilities<sign_softmax> :
  %b = bert.attention %q, %q, %q heads(2) probabilities<sign_softmax> : tensor<2x4x8xf32>
  // CHECK: bert.head_similarity %{{.*}} heads(2) : tensor<2x4x8xf32> -> tensor<2x2x4x4xf32>
  %s = bert.head_similarity %q heads(2) : tensor<2x4x8xf32> -> tensor<2x2x4x4xf32>
  // CHECK: bert.normalized_distance %{{.*}}, %{{.*}} : tensor<2x2x4x4xf32> -> tensor<f32>
  %d = bert.normalized_distance %s, %s : tensor<2x2x4x4xf32> -> tensor<f32>
  // CHECK: bert.soft_cross_entropy %{{.*}}, %{{.*}} : tensor<2x3xf32> -> tensor<f32>
  %l = bert.soft_cross_entropy %z, %t : tensor<2x3xf32> -> tensor<f32>
  return %a, %b, %d, %l : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<f32>, tensor<f32>
}

// Training-mode dropout: the op, and attention with dropout of its weights.
// CHECK-LABEL: func.func @dropout
func.func @dropout(%x: tensor<?x4x8xf32>, %m: tensor<?x4xf32>, %seed: i64) -> (tensor<?x4x8xf32>, tensor<?x4x8xf32>) {
  // CHECK: bert.dropout %{{.*}} seed %{{.*}} stream(3) rate(1.000000e-01) : tensor<?x4x8xf32>
  %y = bert.dropout %x seed %seed stream(3) rate(0.1) : tensor<?x4x8xf32>
  // CHECK: bert.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} heads(2) probabilities<bool> dropout seed %{{.*}} stream(1) rate(2.500000e-01) : tensor<?x4x8xf32>, tensor<?x4xf32>
  %a = bert.attention %y, %y, %y mask %m heads(2) probabilities<bool> dropout seed %seed stream(1) rate(0.25) : tensor<?x4x8xf32>, tensor<?x4xf32>
  return %y, %a : tensor<?x4x8xf32>, tensor<?x4x8xf32>
}
