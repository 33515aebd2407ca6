// bert.attention to linalg: heads become an axis of the iteration space.
// RUN: bert-opt %s -convert-bert-to-linalg -split-input-file | FileCheck %s

// CHECK-DAG: #[[Q:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d1, d4)>
// CHECK-DAG: #[[KT:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
// CHECK-DAG: #[[V:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d1, d4)>
// CHECK-DAG: #[[S:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[MASK:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3)>
// CHECK-LABEL: func.func @attention
// CHECK-SAME: (%[[QV:.*]]: tensor<?x?x96xf32>, %[[KV:.*]]: tensor<?x?x96xf32>, %[[VV:.*]]: tensor<?x?x96xf32>, %[[M:.*]]: tensor<?x?xf32>)
// Split [B, L, 96] into [B, L, 3, 32]:
// CHECK: %[[QH:.*]] = tensor.expand_shape %[[QV]] {{\[}}[0], [1], [2, 3]] output_shape [%{{.*}}, %{{.*}}, 3, 32]
// CHECK: %[[KH:.*]] = tensor.expand_shape %[[KV]]
// K per head, transposed to [B, 3, 32, L]; then
// scores[b, h, i, j] = sum_e q[b, i, h, e] kT[b, h, e, j], tagged for
// bert-lower-attention:
// CHECK: %[[KT_:.*]] = linalg.transpose ins(%[[KH]] : tensor<?x?x3x32xf32>) outs(%{{.*}} : tensor<?x3x32x?xf32>) permutation = [0, 2, 3, 1]
// CHECK: linalg.generic {indexing_maps = [#[[Q]], #[[KT]], #[[S]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[QH]], %[[KT_]] : {{.*}}) outs({{.*}}) attrs = {bertc.head_product}
// s / sqrt(32) + (1 - mask[b, j]) * -10000:
// CHECK: linalg.generic {{.*}}#[[MASK]]{{.*}} ins(%{{.*}}, %[[M]] :
// CHECK: arith.constant 5.65685415 : f32
// CHECK: arith.divf
// CHECK: arith.constant -1.000000e+04 : f32
// Softmax, then the context over the key axis (j, not innermost: e is, so
// the loop runs along contiguous rows of v), merged back to [B, L, 96]:
// CHECK: math.exp
// CHECK: linalg.generic {indexing_maps = [#[[S]], #[[V]], #[[Q]]], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} {{.*}} attrs = {bertc.head_product}
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : tensor<?x?x3x32xf32> into tensor<?x?x96xf32>
func.func @attention(%q: tensor<?x?x96xf32>, %k: tensor<?x?x96xf32>, %v: tensor<?x?x96xf32>, %m: tensor<?x?xf32>) -> tensor<?x?x96xf32> {
  %c = bert.attention %q, %k, %v mask %m heads(3) : tensor<?x?x96xf32>, tensor<?x?xf32>
  return %c : tensor<?x?x96xf32>
}

// -----

// Without a mask no key is penalised.
// CHECK-LABEL: func.func @attention_no_mask
// CHECK-NOT: -1.000000e+04
// CHECK: return
func.func @attention_no_mask(%x: tensor<2x5x8xf32>) -> tensor<2x5x8xf32> {
  %c = bert.attention %x, %x, %x heads(2) : tensor<2x5x8xf32>
  return %c : tensor<2x5x8xf32>
}

// -----

// Bi-Attention with dropout (SEMANTICS.md 2.5 step 4): the masked scores
// go through the dropout mask, then bool (> 0), then the context product.
// CHECK-LABEL: func.func @attention_dropout
// CHECK: %[[SCORES:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %arg1 : tensor<?x2x?x?xf32>, tensor<?x?xf32>)
// CHECK: %[[DROPPED:.*]] = linalg.generic {{.*}} ins(%[[SCORES]] : tensor<?x2x?x?xf32>)
// CHECK: linalg.index 3
// CHECK: arith.cmpi uge
// CHECK: %[[WEIGHTS:.*]] = linalg.generic {{.*}} ins(%[[DROPPED]] : tensor<?x2x?x?xf32>)
// CHECK: arith.cmpf ogt
// CHECK: linalg.generic {{.*}} ins(%[[WEIGHTS]], %{{.*}} : tensor<?x2x?x?xf32>, tensor<?x?x2x4xf32>) {{.*}} attrs = {bertc.head_product}
func.func @attention_dropout(%x: tensor<?x?x8xf32>, %m: tensor<?x?xf32>, %seed: i64) -> tensor<?x?x8xf32> {
  %c = bert.attention %x, %x, %x mask %m heads(2) probabilities<bool> dropout seed %seed stream(1) rate(0.2) : tensor<?x?x8xf32>, tensor<?x?xf32>
  return %c : tensor<?x?x8xf32>
}
