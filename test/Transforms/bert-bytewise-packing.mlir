// RUN: bert-opt %s -split-input-file -bert-bytewise-packing | FileCheck %s

// The vnni packing of a product's activations (convert-bq-int8-to-linalg on
// buffers): the words' buffer becomes bytes viewed as words (which the
// product reads) and as codes [M, K], written by an elementwise generic
// that computes the code only; the zero fill and the shifts go, and the
// dealloc frees the byte buffer.
// CHECK-LABEL: func.func @vnni
// CHECK-SAME: (%[[X:.*]]: memref<?x64xf32>, %[[W:.*]]: memref<16x32xi32>, %[[OUT:.*]]: memref<?x32xi32>)
// CHECK: %[[M:.*]] = memref.dim %[[X]]
// CHECK: %[[BYTES:.*]] = arith.muli %{{.*}}, %[[M]] : index
// CHECK: %[[RAW:.*]] = memref.alloc(%[[BYTES]]) {alignment = 64 : i64} : memref<?xi8>
// CHECK: %[[WORDS:.*]] = memref.view %[[RAW]][%{{.*}}][%[[M]]] : memref<?xi8> to memref<?x16xi32>
// CHECK: %[[CODES:.*]] = memref.view %[[RAW]][%{{.*}}][%[[M]]] : memref<?xi8> to memref<?x64xi8>
// CHECK-NOT: linalg.fill
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} ins(%[[X]] : memref<?x64xf32>) outs(%[[CODES]] : memref<?x64xi8>)
// CHECK: arith.fptosi
// CHECK: %[[CODE:.*]] = arith.xori
// CHECK-NOT: linalg.index
// CHECK-NOT: arith.shli
// CHECK: linalg.yield %[[CODE]] : i8
// CHECK: linalg.generic {{.*}} ins(%[[WORDS]], %[[W]] : memref<?x16xi32>, memref<16x32xi32>)
// CHECK: memref.dealloc %[[RAW]] : memref<?xi8>
#x4 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#w = affine_map<(d0, d1, d2) -> (d0, d1)>
#px = affine_map<(d0, d1, d2) -> (d0, d2)>
#pw = affine_map<(d0, d1, d2) -> (d2, d1)>
func.func @vnni(%x: memref<?x64xf32>, %w: memref<16x32xi32>, %out: memref<?x32xi32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0 : i32
  %c8 = arith.constant 8 : i32
  %flip = arith.constant -128 : i8
  %scale = arith.constant 254.0 : f32
  %m = memref.dim %x, %c0 : memref<?x64xf32>
  %grouped = memref.expand_shape %x [[0], [1, 2]] output_shape [%m, 16, 4] : memref<?x64xf32> into memref<?x16x4xf32>
  %words = memref.alloc(%m) {alignment = 64 : i64} : memref<?x16xi32>
  linalg.fill ins(%zero : i32) outs(%words : memref<?x16xi32>)
  linalg.generic {indexing_maps = [#x4, #w], iterator_types = ["parallel", "parallel", "reduction"]} ins(%grouped : memref<?x16x4xf32>) outs(%words : memref<?x16xi32>) attrs = {bertc.packed_activations} {
  ^bb0(%in: f32, %acc: i32):
    %s = arith.mulf %in, %scale : f32
    %r = math.roundeven %s : f32
    %q = arith.fptosi %r : f32 to i8
    %u = arith.xori %q, %flip : i8
    %b = arith.extui %u : i8 to i32
    %t = linalg.index 2 : index
    %t32 = arith.index_cast %t : index to i32
    %shift = arith.muli %t32, %c8 : i32
    %placed = arith.shli %b, %shift : i32
    %word = arith.ori %acc, %placed : i32
    linalg.yield %word : i32
  }
  linalg.generic {indexing_maps = [#px, #pw, #w], iterator_types = ["parallel", "parallel", "reduction"]} ins(%words, %w : memref<?x16xi32>, memref<16x32xi32>) outs(%out : memref<?x32xi32>) attrs = {bertc.int8_linear = "vnni"} {
  ^bb0(%a: i32, %bw: i32, %o: i32):
    %p = arith.muli %a, %bw : i32
    %sum = arith.addi %o, %p : i32
    linalg.yield %sum : i32
  }
  memref.dealloc %words : memref<?x16xi32>
  return
}

// -----

// The avx2 layout packs i16 halves: the codes are viewed as i16, rank 3.
// CHECK-LABEL: func.func @avx2
// CHECK: memref.alloc(%{{.*}}) : memref<?xi8>
// CHECK: memref.view {{.*}} to memref<2x?x8xi32>
// CHECK: %[[CODES:.*]] = memref.view {{.*}} to memref<2x?x16xi16>
// CHECK: linalg.generic {{.*}} outs(%[[CODES]] : memref<2x?x16xi16>)
// CHECK: %[[WIDE:.*]] = arith.extsi %{{.*}} : i8 to i16
// CHECK-NEXT: linalg.yield %[[WIDE]] : i16
#a4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#a3 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
func.func @avx2(%x: memref<2x?x16xi8>) -> memref<2x?x8xi32> {
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : i32
  %n = memref.dim %x, %c1 : memref<2x?x16xi8>
  %grouped = memref.expand_shape %x [[0], [1], [2, 3]] output_shape [2, %n, 8, 2] : memref<2x?x16xi8> into memref<2x?x8x2xi8>
  %zero = arith.constant 0 : i32
  %words = memref.alloc(%n) : memref<2x?x8xi32>
  linalg.fill ins(%zero : i32) outs(%words : memref<2x?x8xi32>)
  linalg.generic {indexing_maps = [#a4, #a3], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%grouped : memref<2x?x8x2xi8>) outs(%words : memref<2x?x8xi32>) attrs = {bertc.packed_activations} {
  ^bb0(%in: i8, %acc: i32):
    %wide = arith.extsi %in : i8 to i16
    %b = arith.extui %wide : i16 to i32
    %t = linalg.index 3 : index
    %t32 = arith.index_cast %t : index to i32
    %shift = arith.muli %t32, %c16 : i32
    %placed = arith.shli %b, %shift : i32
    %word = arith.ori %acc, %placed : i32
    linalg.yield %word : i32
  }
  return %words : memref<2x?x8xi32>
}

// -----

// A code that depends on its position is not one byte per element: left.
// CHECK-LABEL: func.func @position_dependent
// CHECK: memref.alloc(%{{.*}}) : memref<?x16xi32>
// CHECK-NOT: memref.view
// CHECK: bertc.packed_activations
#p4 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#p2 = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @position_dependent(%x: memref<?x64xi8>) -> memref<?x16xi32> {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : i32
  %m = memref.dim %x, %c0 : memref<?x64xi8>
  %grouped = memref.expand_shape %x [[0], [1, 2]] output_shape [%m, 16, 4] : memref<?x64xi8> into memref<?x16x4xi8>
  %words = memref.alloc(%m) : memref<?x16xi32>
  linalg.generic {indexing_maps = [#p4, #p2], iterator_types = ["parallel", "parallel", "reduction"]} ins(%grouped : memref<?x16x4xi8>) outs(%words : memref<?x16xi32>) attrs = {bertc.packed_activations} {
  ^bb0(%in: i8, %acc: i32):
    %t = linalg.index 2 : index
    %t8 = arith.index_cast %t : index to i8
    %mixed = arith.addi %in, %t8 : i8
    %b = arith.extui %mixed : i8 to i32
    %t32 = arith.index_cast %t : index to i32
    %shift = arith.muli %t32, %c8 : i32
    %placed = arith.shli %b, %shift : i32
    %word = arith.ori %acc, %placed : i32
    linalg.yield %word : i32
  }
  return %words : memref<?x16xi32>
}

// -----

// Words that another op reads before the packing writes them: left.
// CHECK-LABEL: func.func @read_before
// CHECK-NOT: memref.view
// CHECK: memref.copy
// CHECK: bertc.packed_activations
#r4 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#r2 = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @read_before(%x: memref<4x64xi8>, %seen: memref<4x16xi32>) {
  %c8 = arith.constant 8 : i32
  %grouped = memref.expand_shape %x [[0], [1, 2]] output_shape [4, 16, 4] : memref<4x64xi8> into memref<4x16x4xi8>
  %words = memref.alloc() : memref<4x16xi32>
  memref.copy %words, %seen : memref<4x16xi32> to memref<4x16xi32>
  linalg.generic {indexing_maps = [#r4, #r2], iterator_types = ["parallel", "parallel", "reduction"]} ins(%grouped : memref<4x16x4xi8>) outs(%words : memref<4x16xi32>) attrs = {bertc.packed_activations} {
  ^bb0(%in: i8, %acc: i32):
    %b = arith.extui %in : i8 to i32
    %t = linalg.index 2 : index
    %t32 = arith.index_cast %t : index to i32
    %shift = arith.muli %t32, %c8 : i32
    %placed = arith.shli %b, %shift : i32
    %word = arith.ori %acc, %placed : i32
    linalg.yield %word : i32
  }
  memref.dealloc %words : memref<4x16xi32>
  return
}

// -----

// Codes placed in reverse order (not the order of bytes in memory), and a
// packing that starts from what the buffer held: left.
// CHECK-LABEL: func.func @not_in_order
// CHECK-NOT: memref.view
// CHECK-COUNT-2: bertc.packed_activations
#o4 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#o2 = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @not_in_order(%x: memref<4x64xi8>) -> (memref<4x16xi32>, memref<4x16xi32>) {
  %c8 = arith.constant 8 : i32
  %c24 = arith.constant 24 : i32
  %zero = arith.constant 0 : i32
  %grouped = memref.expand_shape %x [[0], [1, 2]] output_shape [4, 16, 4] : memref<4x64xi8> into memref<4x16x4xi8>
  %reversed = memref.alloc() : memref<4x16xi32>
  linalg.fill ins(%zero : i32) outs(%reversed : memref<4x16xi32>)
  linalg.generic {indexing_maps = [#o4, #o2], iterator_types = ["parallel", "parallel", "reduction"]} ins(%grouped : memref<4x16x4xi8>) outs(%reversed : memref<4x16xi32>) attrs = {bertc.packed_activations} {
  ^bb0(%in: i8, %acc: i32):
    %b = arith.extui %in : i8 to i32
    %t = linalg.index 2 : index
    %t32 = arith.index_cast %t : index to i32
    %up = arith.muli %t32, %c8 : i32
    %shift = arith.subi %c24, %up : i32
    %placed = arith.shli %b, %shift : i32
    %word = arith.ori %acc, %placed : i32
    linalg.yield %word : i32
  }
  %unfilled = memref.alloc() : memref<4x16xi32>
  linalg.generic {indexing_maps = [#o4, #o2], iterator_types = ["parallel", "parallel", "reduction"]} ins(%grouped : memref<4x16x4xi8>) outs(%unfilled : memref<4x16xi32>) attrs = {bertc.packed_activations} {
  ^bb0(%in: i8, %acc: i32):
    %b = arith.extui %in : i8 to i32
    %t = linalg.index 2 : index
    %t32 = arith.index_cast %t : index to i32
    %shift = arith.muli %t32, %c8 : i32
    %placed = arith.shli %b, %shift : i32
    %word = arith.ori %acc, %placed : i32
    linalg.yield %word : i32
  }
  return %reversed, %unfilled : memref<4x16xi32>, memref<4x16xi32>
}
