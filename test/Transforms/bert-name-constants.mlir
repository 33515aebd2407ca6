// RUN: bert-opt %s --bert-name-constants | FileCheck %s

// Globals holding checkpoint blobs take the blob's name and move to the top
// in name order; their uses follow. A second global of one blob gets a
// suffix; a global without a blob keeps its name and place.
// CHECK-LABEL: module
// CHECK-NEXT: memref.global "private" constant @a.bias : memref<2xf32> = dense_resource<a.bias>
// CHECK-NEXT: memref.global "private" constant @a.bias_1 : memref<2xf32> = dense_resource<a.bias>
// CHECK-NEXT: memref.global "private" constant @b.weight : memref<2xf32> = dense_resource<b.weight>
// CHECK-NEXT: memref.global "private" constant @__constant_2xf32 : memref<2xf32> = dense<1.000000e+00>
// CHECK: func.func @f
// CHECK: memref.get_global @b.weight
// CHECK: memref.get_global @a.bias
// CHECK: memref.get_global @a.bias_1
// CHECK: memref.get_global @__constant_2xf32
module {
  memref.global "private" constant @__constant_2xf32 : memref<2xf32> = dense<1.0>
  memref.global "private" constant @__constant_2xf32_0 : memref<2xf32> = dense_resource<b.weight>
  memref.global "private" constant @__constant_2xf32_1 : memref<2xf32> = dense_resource<a.bias>
  memref.global "private" constant @__constant_2xf32_2 : memref<2xf32> = dense_resource<a.bias>
  func.func @f() -> (memref<2xf32>, memref<2xf32>, memref<2xf32>, memref<2xf32>) {
    %0 = memref.get_global @__constant_2xf32_0 : memref<2xf32>
    %1 = memref.get_global @__constant_2xf32_1 : memref<2xf32>
    %2 = memref.get_global @__constant_2xf32_2 : memref<2xf32>
    %3 = memref.get_global @__constant_2xf32 : memref<2xf32>
    return %0, %1, %2, %3 : memref<2xf32>, memref<2xf32>, memref<2xf32>, memref<2xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      a.bias: "0x040000000000803F00000040",
      b.weight: "0x040000000000404000008040"
    }
  }
#-}
