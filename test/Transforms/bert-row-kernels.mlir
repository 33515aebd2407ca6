// RUN: bert-opt %s -split-input-file -bert-row-kernels | FileCheck %s

// LayerNorm's last step: per-row operands [B, L, 768] and [B, L], a
// shared gamma [768]. The op becomes a call on rows [0, B * L) of a
// bertc.parallel kernel that runs it on those rows of collapsed views.
// CHECK-LABEL: func.func @normalize
// CHECK-SAME: (%[[X:.*]]: memref<?x?x768xf32>, %[[MEAN:.*]]: memref<?x?xf32>, %[[G:.*]]: memref<768xf32>, %[[Y:.*]]: memref<?x?x768xf32>)
// CHECK: %[[B:.*]] = memref.dim %[[Y]], %c0
// CHECK: %[[R1:.*]] = arith.muli %{{.*}}, %[[B]]
// CHECK: %[[L:.*]] = memref.dim %[[Y]], %c1
// CHECK: %[[ROWS:.*]] = arith.muli %[[R1]], %[[L]]
// CHECK: call @[[KERNEL:bertc_rows_[0-9A-F]+]](%[[X]], %[[MEAN]], %[[G]], %[[Y]], %{{.*}}, %[[ROWS]])
// CHECK-NOT: linalg.generic
// CHECK: return
// CHECK: func.func private @[[KERNEL]](%[[KX:.*]]: memref<?x?x768xf32>, %[[KM:.*]]: memref<?x?xf32>, %[[KG:.*]]: memref<768xf32>, %[[KY:.*]]: memref<?x?x768xf32>, %[[FIRST:.*]]: index, %[[END:.*]]: index)
// CHECK-SAME: bertc.parallel
// CHECK-SAME: passthrough = ["noinline"]
// CHECK: %[[COUNT:.*]] = arith.subi %[[END]], %[[FIRST]]
// CHECK: %[[CX:.*]] = memref.collapse_shape %[[KX]] {{\[}}[0, 1], [2]] : memref<?x?x768xf32> into memref<?x768xf32>
// CHECK: %[[SX:.*]] = memref.subview %[[CX]][%[[FIRST]], 0] [%[[COUNT]], 768] [1, 1]
// CHECK: %[[CM:.*]] = memref.collapse_shape %[[KM]] {{\[}}[0, 1]] : memref<?x?xf32> into memref<?xf32>
// CHECK: %[[SM:.*]] = memref.subview %[[CM]][%[[FIRST]]] [%[[COUNT]]] [1]
// CHECK: %[[SY:.*]] = memref.subview %{{.*}}[%[[FIRST]], 0] [%[[COUNT]], 768] [1, 1]
// CHECK: %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK: linalg.generic {indexing_maps = [#[[ROW2:.*]], #[[ROW1:.*]], #[[LAST:.*]], #[[ROW2]]], iterator_types = ["parallel", "parallel"]} ins(%[[SX]], %[[SM]], %[[KG]] : {{.*}}) outs(%[[SY]] : {{.*}})
// CHECK: arith.addf %{{.*}}, %[[EPS]]
#x3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#r2 = affine_map<(d0, d1, d2) -> (d0, d1)>
#c1 = affine_map<(d0, d1, d2) -> (d2)>
func.func @normalize(%x: memref<?x?x768xf32>, %mean: memref<?x?xf32>, %gamma: memref<768xf32>, %y: memref<?x?x768xf32>) {
  %eps = arith.constant 1.0e-5 : f32
  linalg.generic {indexing_maps = [#x3, #r2, #c1, #x3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %mean, %gamma : memref<?x?x768xf32>, memref<?x?xf32>, memref<768xf32>) outs(%y : memref<?x?x768xf32>) {
  ^bb0(%a: f32, %m: f32, %g: f32, %o: f32):
    %d = arith.subf %a, %m : f32
    %e = arith.addf %d, %eps : f32
    %s = arith.mulf %e, %g : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A row reduction (the inner loop reduces), and an update in place: the
// buffer read and written is one argument of the kernel. Two equal ops
// (as in every layer) share one kernel.
// CHECK-LABEL: func.func @reduce_and_update
// CHECK: call @[[SUM:bertc_rows_[0-9A-F]+]](%arg0, %arg1, %{{.*}}, %{{.*}}) : (memref<?x?x?xf32>, memref<?x?xf32>, index, index)
// CHECK: call @[[SCALE:bertc_rows_[0-9A-F]+]](%arg0, %{{.*}}, %{{.*}}) : (memref<?x?x?xf32>, index, index)
// CHECK: call @[[SCALE]](%arg2, %{{.*}}, %{{.*}}) : (memref<?x?x?xf32>, index, index)
// CHECK-NOT: linalg.generic
// CHECK: func.func private @[[SUM]](
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: func.func private @[[SCALE]](%[[A:.*]]: memref<?x?x?xf32>, %{{.*}}: index, %{{.*}}: index)
// CHECK: %[[V:.*]] = memref.subview
// CHECK: linalg.generic {{.*}} ins(%[[V]] : {{.*}}) outs(%[[V]] : {{.*}})
// CHECK-NOT: func.func
#s3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#s2 = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @reduce_and_update(%scores: memref<?x?x?xf32>, %sums: memref<?x?xf32>, %other: memref<?x?x?xf32>) {
  %half = arith.constant 0.5 : f32
  linalg.generic {indexing_maps = [#s3, #s2], iterator_types = ["parallel", "parallel", "reduction"]} ins(%scores : memref<?x?x?xf32>) outs(%sums : memref<?x?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#s3, #s3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%scores : memref<?x?x?xf32>) outs(%scores : memref<?x?x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.mulf %a, %half : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#s3, #s3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%other : memref<?x?x?xf32>) outs(%other : memref<?x?x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.mulf %a, %half : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Left where they are: a transposed operand, a body that reads the loop
// index, rows statically shorter than 64, an output that is not per row
// (a column sum), a strided operand, an op that reads a non-constant
// value from outside, and an op in a kernel already.
// CHECK-LABEL: func.func @left
// CHECK-NOT: call
// CHECK-COUNT-6: linalg.generic
// CHECK-LABEL: func.func private @kernel
// CHECK: linalg.generic
#t3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#tt = affine_map<(d0, d1, d2) -> (d1, d0, d2)>
#m2 = affine_map<(d0, d1) -> (d0, d1)>
#m1 = affine_map<(d0, d1) -> (d1)>
func.func @left(%x: memref<4x4x128xf32>, %y: memref<4x4x128xf32>, %short: memref<?x16xf32>, %wide: memref<?x128xf32>, %columns: memref<128xf32>, %strided: memref<?x128xf32, strided<[256, 1]>>, %s: f32) {
  linalg.generic {indexing_maps = [#tt, #t3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : memref<4x4x128xf32>) outs(%y : memref<4x4x128xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [#t3, #t3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : memref<4x4x128xf32>) outs(%y : memref<4x4x128xf32>) {
  ^bb0(%a: f32, %o: f32):
    %i = linalg.index 0 : index
    %i32 = arith.index_cast %i : index to i32
    %f = arith.sitofp %i32 : i32 to f32
    %r = arith.addf %a, %f : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#m2, #m2], iterator_types = ["parallel", "parallel"]} ins(%short : memref<?x16xf32>) outs(%short : memref<?x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %a, %a : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#m2, #m1], iterator_types = ["reduction", "parallel"]} ins(%wide : memref<?x128xf32>) outs(%columns : memref<128xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#m2, #m2], iterator_types = ["parallel", "parallel"]} ins(%strided : memref<?x128xf32, strided<[256, 1]>>) outs(%wide : memref<?x128xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [#m2, #m2], iterator_types = ["parallel", "parallel"]} ins(%wide : memref<?x128xf32>) outs(%wide : memref<?x128xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %s : f32
    linalg.yield %r : f32
  }
  return
}
func.func private @kernel(%wide: memref<?x128xf32>, %first: index, %end: index) attributes {bertc.parallel} {
  linalg.generic {indexing_maps = [#m2, #m2], iterator_types = ["parallel", "parallel"]} ins(%wide : memref<?x128xf32>) outs(%wide : memref<?x128xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %a, %a : f32
    linalg.yield %r : f32
  }
  return
}
