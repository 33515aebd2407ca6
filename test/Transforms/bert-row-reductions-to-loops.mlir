// RUN: bert-opt %s -split-input-file -bert-row-reductions-to-loops | FileCheck %s

// A row sum (LayerNorm's mean): strips of 8 rows whose sums are loaded
// once, carried through one loop over the row's elements in order, and
// stored once; then the rows left, one at a time.
// CHECK-LABEL: func.func @row_sum
// CHECK-SAME: (%[[X:.*]]: memref<?x768xf32>, %[[S:.*]]: memref<?xf32>)
// CHECK: %[[M:.*]] = memref.dim %[[X]]
// CHECK: %[[C8:.*]] = arith.constant 8 : index
// CHECK: %[[LEFT:.*]] = arith.remui %[[M]], %[[C8]]
// CHECK: %[[STRIPPED:.*]] = arith.subi %[[M]], %[[LEFT]]
// CHECK: scf.for %[[R:.*]] = %{{.*}} to %[[STRIPPED]] step %[[C8]] {
// CHECK: %[[A0:.*]] = memref.load %[[S]][%[[R]]]
// CHECK: %[[R1:.*]] = arith.addi %[[R]], %{{.*}}
// CHECK: %[[A1:.*]] = memref.load %[[S]][%[[R1]]]
// CHECK-COUNT-6: memref.load %[[S]]
// CHECK: %[[C768:.*]] = arith.constant 768 : index
// CHECK: %[[SUMS:.*]]:8 = scf.for %[[K:.*]] = %{{.*}} to %[[C768]] step %{{.*}} iter_args(%[[B0:.*]] = %[[A0]], %[[B1:.*]] = %[[A1]], {{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK: %[[X0:.*]] = memref.load %[[X]][%[[R]], %[[K]]]
// CHECK: %[[N0:.*]] = arith.addf %[[X0]], %[[B0]] : f32
// CHECK: %[[X1:.*]] = memref.load %[[X]][%[[R1]], %[[K]]]
// CHECK: %[[N1:.*]] = arith.addf %[[X1]], %[[B1]] : f32
// CHECK-COUNT-6: arith.addf
// CHECK: scf.yield %[[N0]], %[[N1]],
// CHECK: memref.store %[[SUMS]]#0, %[[S]][%[[R]]]
// CHECK: memref.store %[[SUMS]]#1, %[[S]][%[[R1]]]
// CHECK-COUNT-6: memref.store
// CHECK: scf.for %[[T:.*]] = %[[STRIPPED]] to %[[M]] step %{{.*}} {
// CHECK: %[[A:.*]] = memref.load %[[S]][%[[T]]]
// CHECK: %[[SUM:.*]] = scf.for %[[K2:.*]] = {{.*}} iter_args(%[[B:.*]] = %[[A]]) -> (f32) {
// CHECK: arith.addf %{{.*}}, %[[B]] : f32
// CHECK: memref.store %[[SUM]], %[[S]][%[[T]]]
// CHECK-NOT: linalg.generic
#rows = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @row_sum(%x: memref<?x768xf32>, %sums: memref<?xf32>) {
  linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]} ins(%x : memref<?x768xf32>) outs(%sums : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Rank 3 with a per-row input (LayerNorm's variance around the mean): the
// outer parallel loop stays a loop, the mean is read per row, the body is
// cloned per row of the strip; index ops read the loop counters.
// CHECK-LABEL: func.func @variance
// CHECK-SAME: (%[[X:.*]]: memref<2x?x64xf32>, %[[MEAN:.*]]: memref<2x?xf32>, %[[V:.*]]: memref<2x?xf32>)
// CHECK: scf.for %[[B:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: scf.for %[[R:.*]] = {{.*}} step %{{.*}} {
// CHECK: memref.load %[[V]][%[[B]], %[[R]]]
// CHECK: scf.for %[[K:.*]] = {{.*}} iter_args(
// CHECK: %[[XV:.*]] = memref.load %[[X]][%[[B]], %[[R]], %[[K]]]
// CHECK: %[[MV:.*]] = memref.load %[[MEAN]][%[[B]], %[[R]]]
// CHECK: arith.subf %[[XV]], %[[MV]]
// CHECK: arith.index_cast %[[K]]
#x3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#r2 = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @variance(%x: memref<2x?x64xf32>, %mean: memref<2x?xf32>, %var: memref<2x?xf32>) {
  linalg.generic {indexing_maps = [#x3, #r2, #r2], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %mean : memref<2x?x64xf32>, memref<2x?xf32>) outs(%var : memref<2x?xf32>) {
  ^bb0(%in: f32, %m: f32, %acc: f32):
    %d = arith.subf %in, %m : f32
    %k = linalg.index 2 : index
    %k32 = arith.index_cast %k : index to i32
    %kf = arith.sitofp %k32 : i32 to f32
    %w = arith.mulf %d, %kf : f32
    %sq = arith.mulf %w, %d : f32
    %s = arith.addf %sq, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Not reductions over the last axis alone, or on tensors: left to
// convert-linalg-to-loops.
// CHECK-LABEL: func.func @left
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT: scf.for
#c2 = affine_map<(d0, d1) -> (d0, d1)>
#c1 = affine_map<(d0, d1) -> (d1)>
#c0 = affine_map<(d0, d1) -> (d0)>
#t0 = affine_map<(d0, d1) -> ()>
func.func @left(%x: memref<?x8xf32>, %columns: memref<8xf32>, %total: memref<f32>, %t: tensor<4x8xf32>, %rows: tensor<4xf32>) -> tensor<4xf32> {
  // A column sum: the reduction is the first loop.
  linalg.generic {indexing_maps = [#c2, #c1], iterator_types = ["reduction", "parallel"]} ins(%x : memref<?x8xf32>) outs(%columns : memref<8xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  }
  // A total: two reduction loops.
  linalg.generic {indexing_maps = [#c2, #t0], iterator_types = ["reduction", "reduction"]} ins(%x : memref<?x8xf32>) outs(%total : memref<f32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  }
  // On tensors.
  %r = linalg.generic {indexing_maps = [#c2, #c0], iterator_types = ["parallel", "reduction"]} ins(%t : tensor<4x8xf32>) outs(%rows : tensor<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}
