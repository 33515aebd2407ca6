// The register-blocked GEMM that replaces tagged linear products.
// RUN: bert-opt %s -split-input-file -pass-pipeline='builtin.module(bert-lower-linears{vector-width=8 rows=4})' | FileCheck %s
// RUN: bert-opt %s -split-input-file -pass-pipeline='builtin.module(bert-lower-linears{vector-width=16 rows=8})' | FileCheck %s --check-prefix=WIDE

#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#w = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// Rows of [B, L, K] are flattened and the product calls its shape's kernel.
// CHECK-LABEL: func.func @gemm
// CHECK-SAME: (%[[X:.*]]: memref<?x?x64xf32>, %[[W:.*]]: memref<64x64xf32>, %[[O:.*]]: memref<?x?x64xf32>)
// CHECK-NOT: linalg.generic
// CHECK-DAG: %[[X2:.*]] = memref.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : memref<?x?x64xf32> into memref<?x64xf32>
// CHECK-DAG: %[[O2:.*]] = memref.collapse_shape %[[O]] {{\[}}[0, 1], [2]] : memref<?x?x64xf32> into memref<?x64xf32>
// CHECK: call @bertc_gemm_64x64(%[[X2]], %[[W]], %[[O2]]) : (memref<?x64xf32>, memref<64x64xf32>, memref<?x64xf32>) -> ()
// A second product of the same shape reuses the kernel.
// CHECK-LABEL: func.func @gemm_again
// CHECK: call @bertc_gemm_64x64(
// CHECK-NOT: func.func private @bertc_gemm_64x64{{.*}}
// CHECK-LABEL: func.func private @bertc_gemm_64x64
// CHECK-SAME: (%[[KX:.*]]: memref<?x64xf32>, %[[KW:.*]]: memref<64x64xf32>, %[[KO:.*]]: memref<?x64xf32>)
// CHECK: %[[M:.*]] = memref.dim %[[KX]], %{{.*}} : memref<?x64xf32>
// CHECK: %[[REM:.*]] = arith.remui %[[M]], %{{.*}} : index
// CHECK: %[[FULL:.*]] = arith.subi %[[M]], %[[REM]] : index
// Panels of 4 vectors (32 columns) outside, so w's panel stays in cache;
// inside, blocks of 4 rows x 2 vectors: 8 accumulators through the k loop.
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %[[FULL]] step %{{.*}} {
// CHECK-COUNT-8: vector.load %[[KO]]
// CHECK: scf.for %[[K:.*]] = {{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// CHECK: vector.load %[[KW]][%[[K]], %[[J]]] : memref<64x64xf32>, vector<8xf32>
// CHECK: %[[XS:.*]] = memref.load %[[KX]][%[[I]], %[[K]]] : memref<?x64xf32>
// CHECK: %[[XB:.*]] = vector.broadcast %[[XS]] : f32 to vector<8xf32>
// CHECK: vector.fma %[[XB]], %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: vector.store %{{.*}}, %[[KO]][%[[I]], %[[J]]]
// The second half of the panel, another 8-accumulator tile:
// CHECK: iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// The remaining rows one at a time, over the whole panel with 4 vectors.
// CHECK: scf.for %{{.*}} = %[[FULL]] to %[[M]] step %{{.*}} {
// CHECK: iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// WIDE-LABEL: func.func private @bertc_gemm_64x64
// WIDE: -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
func.func @gemm(%x: memref<?x?x64xf32>, %w: memref<64x64xf32>, %o: memref<?x?x64xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %w : memref<?x?x64xf32>, memref<64x64xf32>) outs(%o : memref<?x?x64xf32>) attrs = {bertc.linear} {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %m = arith.mulf %in, %in_0 : f32
    %s = arith.addf %out, %m : f32
    linalg.yield %s : f32
  }
  return
}
func.func @gemm_again(%x: memref<?x?x64xf32>, %w: memref<64x64xf32>, %o: memref<?x?x64xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %w : memref<?x?x64xf32>, memref<64x64xf32>) outs(%o : memref<?x?x64xf32>) attrs = {bertc.linear} {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %m = arith.mulf %in, %in_0 : f32
    %s = arith.addf %out, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// N not a multiple of four vectors (here 2 outputs): left as it is, as is an
// untagged product.
#x2 = affine_map<(d0, d1, d2) -> (d0, d2)>
#w2 = affine_map<(d0, d1, d2) -> (d2, d1)>
#o2 = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @narrow
// CHECK: linalg.generic
// CHECK-NOT: vector.fma
// CHECK-LABEL: func.func @untagged
// CHECK: linalg.generic
// CHECK-NOT: vector.fma
func.func @narrow(%x: memref<?x64xf32>, %w: memref<64x2xf32>, %o: memref<?x2xf32>) {
  linalg.generic {indexing_maps = [#x2, #w2, #o2], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<?x64xf32>, memref<64x2xf32>) outs(%o : memref<?x2xf32>) attrs = {bertc.linear} {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %m = arith.mulf %in, %in_0 : f32
    %s = arith.addf %out, %m : f32
    linalg.yield %s : f32
  }
  return
}
func.func @untagged(%x: memref<?x64xf32>, %w: memref<64x32xf32>, %o: memref<?x32xf32>) {
  linalg.generic {indexing_maps = [#x2, #w2, #o2], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<?x64xf32>, memref<64x32xf32>) outs(%o : memref<?x32xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %m = arith.mulf %in, %in_0 : f32
    %s = arith.addf %out, %m : f32
    linalg.yield %s : f32
  }
  return
}
