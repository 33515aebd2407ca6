// RUN: bert-opt %s --bert-strided-copies-to-loops | FileCheck %s

// A copy between dynamically sized, strided views (the [CLS] rows of a
// batch inside [B, L, H]) becomes linalg.copy (loops, no memrefCopy call);
// contiguous copies stay memref.copy (a memcpy), also a row at a run-time
// offset.
// CHECK-LABEL: func.func @copies
// CHECK: memref.copy %arg0, %{{.*}} : memref<8xf32> to memref<8xf32, strided<[1], offset: ?>>
// CHECK: linalg.copy ins(%arg2 : memref<?x1x8xf32>) outs(%{{.*}} : memref<?x1x8xf32, strided<[?, 8, 1]>>)
// CHECK: memref.copy %arg0, %{{.*}} : memref<8xf32> to memref<8xf32, strided<[1], offset: 8>>
// CHECK: memref.copy %arg0, %arg0 : memref<8xf32> to memref<8xf32>
func.func @copies(%row: memref<8xf32>, %table: memref<4x8xf32>, %cls: memref<?x1x8xf32>,
                  %hidden: memref<?x5x8xf32>, %i: index, %b: index) {
  %dst = memref.subview %table[%i, 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<8xf32, strided<[1], offset: ?>>
  memref.copy %row, %dst : memref<8xf32> to memref<8xf32, strided<[1], offset: ?>>
  %first = memref.subview %hidden[0, 0, 0] [%b, 1, 8] [1, 1, 1] : memref<?x5x8xf32> to memref<?x1x8xf32, strided<[40, 8, 1]>>
  %cast = memref.cast %first : memref<?x1x8xf32, strided<[40, 8, 1]>> to memref<?x1x8xf32, strided<[?, 8, 1]>>
  memref.copy %cls, %cast : memref<?x1x8xf32> to memref<?x1x8xf32, strided<[?, 8, 1]>>
  %second = memref.subview %table[1, 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<8xf32, strided<[1], offset: 8>>
  memref.copy %row, %second : memref<8xf32> to memref<8xf32, strided<[1], offset: 8>>
  memref.copy %row, %row : memref<8xf32> to memref<8xf32>
  return
}
