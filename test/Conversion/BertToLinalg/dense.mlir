// bert.linear and bert.embedding to linalg on tensors.
// RUN: bert-opt %s -convert-bert-to-linalg -split-input-file | FileCheck %s

// The bias fills the accumulator; a weight computed at run time (an
// argument here; training's parameters) is transposed per call to [K, N]
// and the product, iterating (rows..., n, k), is tagged for
// bert-lower-linears' kernel, with no reshapes.
// CHECK-DAG: #[[BIAS:.*]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-DAG: #[[ID3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[XV:.*]]: tensor<?x?x8xf32>, %[[WV:.*]]: tensor<4x8xf32>, %[[BV:.*]]: tensor<4xf32>)
// CHECK-NOT: collapse_shape
// CHECK: %[[ACC:.*]] = linalg.generic {indexing_maps = [#[[BIAS]], #[[ID3]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[BV]] : tensor<4xf32>)
// CHECK: %[[WT:.*]] = linalg.transpose ins(%[[WV]] : tensor<4x8xf32>) outs(%{{.*}} : tensor<8x4xf32>) permutation = [1, 0]
// CHECK: %[[Y:.*]] = linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[XV]], %[[WT]] : tensor<?x?x8xf32>, tensor<8x4xf32>) outs(%[[ACC]] : tensor<?x?x4xf32>) attrs =  {bertc.linear}
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK-NOT: expand_shape
// CHECK: return %[[Y]]
func.func @linear(%x: tensor<?x?x8xf32>, %w: tensor<4x8xf32>, %b: tensor<4xf32>) -> tensor<?x?x4xf32> {
  %y = bert.linear %x, %w bias %b : tensor<?x?x8xf32>, tensor<4x8xf32>, tensor<4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// A gradient's dx = g W reads W^T: W itself is the [K, N] operand, not a
// transpose of the transpose (the input's own transpose is left dead).
// CHECK-LABEL: func.func @transposed_weight
// CHECK-SAME: %[[W:[a-z0-9]+]]: tensor<4x8xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[W]] : tensor<?x4xf32>, tensor<4x8xf32>) {{.*}} attrs =  {bertc.linear}
func.func @transposed_weight(%g: tensor<?x4xf32>, %w: tensor<4x8xf32>) -> tensor<?x8xf32> {
  %e = tensor.empty() : tensor<8x4xf32>
  %t = linalg.transpose ins(%w : tensor<4x8xf32>) outs(%e : tensor<8x4xf32>) permutation = [1, 0]
  %y = bert.linear %g, %t : tensor<?x4xf32>, tensor<8x4xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Without a bias the accumulator starts at zero.
// CHECK-LABEL: func.func @linear_no_bias
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: linalg.fill ins(%[[ZERO]] : f32)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
func.func @linear_no_bias(%x: tensor<3x8xf32>, %w: tensor<4x8xf32>) -> tensor<3x4xf32> {
  %y = bert.linear %x, %w : tensor<3x8xf32>, tensor<4x8xf32> -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// A gather whose row index is clamped into [0, vocab - 1].
// CHECK-LABEL: func.func @embedding
// CHECK-SAME: (%[[T:.*]]: tensor<10x4xf32>, %[[IDS:.*]]: tensor<?x?xi32>)
// CHECK: %[[V:.*]] = tensor.dim %[[T]], %{{.*}} : tensor<10x4xf32>
// CHECK: linalg.generic {{.*}} ins(%[[IDS]] : tensor<?x?xi32>)
// CHECK: %[[ID:.*]] = arith.index_cast %{{.*}} : i32 to index
// CHECK: %[[LAST:.*]] = arith.subi %[[V]], %{{.*}} : index
// CHECK: %[[LOW:.*]] = arith.maxsi %[[ID]], %{{.*}} : index
// CHECK: %[[ROW:.*]] = arith.minsi %[[LOW]], %[[LAST]] : index
// CHECK: %[[COL:.*]] = linalg.index 2 : index
// CHECK: tensor.extract %[[T]][%[[ROW]], %[[COL]]] : tensor<10x4xf32>
func.func @embedding(%t: tensor<10x4xf32>, %ids: tensor<?x?xi32>) -> tensor<?x?x4xf32> {
  %e = bert.embedding %t, %ids : tensor<10x4xf32>, tensor<?x?xi32> -> tensor<?x?x4xf32>
  return %e : tensor<?x?x4xf32>
}

// -----

// A constant weight is prepacked at compile time as [K, N] (a new
// dense_resource blob) and the product is tagged for bert-lower-linears.
// CHECK-DAG: #[[XK:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[KN:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-LABEL: func.func @linear_constant_weight
// CHECK: %[[WT:.*]] = arith.constant dense_resource<w.kn> : tensor<3x2xf32>
// CHECK: linalg.generic {indexing_maps = [#[[XK]], #[[KN]], {{.*}}]{{.*}} ins(%{{.*}}, %[[WT]] : tensor<?x3xf32>, tensor<3x2xf32>){{.*}} attrs = {bertc.linear}
// CHECK: w.kn: "0x04000000
// The transpose of [[1, 2, 3], [4, 5, 6]] is [[1, 4], [2, 5], [3, 6]]:
// CHECK-SAME: 0000803F00008040000000400000A040000040400000C040"
func.func @linear_constant_weight(%x: tensor<?x3xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense_resource<w> : tensor<2x3xf32>
  %y = bert.linear %x, %w : tensor<?x3xf32>, tensor<2x3xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F0000004000004040000080400000A0400000C040"
    }
  }
#-}
