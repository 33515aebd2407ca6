// RUN: bert-opt %s --split-input-file --bert-lower-attention="vector-width=16 rows=8" | FileCheck %s
// RUN: bert-opt %s --split-input-file --bert-lower-attention | FileCheck %s --check-prefix=AVX2

#q = affine_map<(b, h, i, j, e) -> (b, i, h, e)>
#kt = affine_map<(b, h, i, j, e) -> (b, h, e, j)>
#s = affine_map<(b, h, i, j, e) -> (b, h, i, j)>

// Attention scores: q [B, L, heads, d] times kT [B, heads, d, L]. The
// product becomes a call of a loop over all B x heads (batch, head) pairs,
// which calls the kernel on 2-D strided views of each operand.
// CHECK-LABEL: func.func @scores
// CHECK-SAME: (%[[Q:.*]]: memref<?x?x2x32xf32>, %[[KT:.*]]: memref<?x2x32x?xf32>, %[[S:.*]]: memref<?x2x?x?xf32>)
// CHECK-NOT: linalg.generic
// CHECK: %[[B:.*]] = memref.dim %[[Q]], %{{.*}} : memref<?x?x2x32xf32>
// CHECK: %[[PAIRS:.*]] = arith.muli %[[B]], %[[HEADS:.*]] : index
// CHECK: call @[[LOOP:bertc_heads_[0-9A-F]+]](%[[Q]], %[[KT]], %[[S]], %[[B]], %[[HEADS]], %{{.*}}, %[[PAIRS]])
func.func @scores(%q: memref<?x?x2x32xf32>, %kt: memref<?x2x32x?xf32>, %s: memref<?x2x?x?xf32>) {
  linalg.generic {indexing_maps = [#q, #kt, #s],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %kt : memref<?x?x2x32xf32>, memref<?x2x32x?xf32>) outs(%s : memref<?x2x?x?xf32>)
      attrs = {bertc.head_product} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %c, %m : f32
    linalg.yield %r : f32
  }
  return
}

// The kernel: full column blocks of 2 vectors with 8-row register tiles
// (16 accumulators carried through the reduction), single rows, then the
// last columns one masked vector at a time.
// CHECK-LABEL: func.func private @bertc_head_gemm
// CHECK-SAME: attributes {passthrough = ["noinline"]}
// CHECK: %[[K:.*]] = memref.dim %arg0, %c1{{.*}}
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %[[K]] step %c1{{.*}} iter_args(%{{[^)]*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: vector.fma
// CHECK: vector.create_mask %{{.*}} : vector<16xi1>
// CHECK: vector.maskedload
// CHECK: vector.maskedstore
// AVX2-LABEL: func.func private @bertc_head_gemm
// AVX2: iter_args(%{{[^)]*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// AVX2: vector.create_mask %{{.*}} : vector<8xi1>
// The loop over the pairs [first, end) of the flat (batch, head) index,
// tagged for bert-parallelize-kernels, which splits the range across
// threads.
// CHECK: func.func private @[[LOOP]]
// CHECK-SAME: (%[[LQ:[a-z0-9]+]]: memref<?x?x2x32xf32>, %{{.*}}: memref<?x2x32x?xf32>, %{{.*}}: memref<?x2x?x?xf32>, %{{.*}}: index, %[[INNER:[a-z0-9]+]]: index, %[[FIRST:[a-z0-9]+]]: index, %[[END:[a-z0-9]+]]: index)
// CHECK-SAME: attributes {bertc.parallel, passthrough = ["noinline"]}
// CHECK: scf.for %[[F:.*]] = %[[FIRST]] to %[[END]] step
// CHECK: %[[BI:.*]] = arith.divui %[[F]], %[[INNER]] : index
// CHECK: %[[HI:.*]] = arith.remui %[[F]], %[[INNER]] : index
// CHECK: %[[QV:.*]] = memref.subview %[[LQ]][%[[BI]], 0, %[[HI]], 0] [1, %{{.*}}, 1, 32] [1, 1, 1, 1] : memref<?x?x2x32xf32> to memref<?x32xf32, strided<[64, 1], offset: ?>>
// CHECK: %[[QC:.*]] = memref.cast %[[QV]] : {{.*}} to memref<?x?xf32, strided<[?, 1], offset: ?>>
// CHECK: memref.subview %{{.*}}[%[[BI]], %[[HI]], 0, 0] [1, 1, 32, %{{.*}}] [1, 1, 1, 1]
// CHECK: memref.subview %{{.*}}[%[[BI]], %[[HI]], 0, 0] [1, 1, %{{.*}}, %{{.*}}] [1, 1, 1, 1]
// CHECK: call @bertc_head_gemm(%[[QC]], %{{.*}}, %{{.*}})

// -----

#p = affine_map<(b, h, i, j, e) -> (b, h, i, j)>
#v = affine_map<(b, h, i, j, e) -> (b, j, h, e)>
#c = affine_map<(b, h, i, j, e) -> (b, i, h, e)>

// The context, reduced over j (not the last loop): the same kernel.
// CHECK-LABEL: func.func @context
// CHECK: call @bertc_heads_
// CHECK-NOT: linalg.generic
func.func @context(%p: memref<3x2x5x5xf32>, %v: memref<3x5x2x24xf32>, %c: memref<3x5x2x24xf32>) {
  linalg.generic {indexing_maps = [#p, #v, #c],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]}
      ins(%p, %v : memref<3x2x5x5xf32>, memref<3x5x2x24xf32>) outs(%c : memref<3x5x2x24xf32>)
      attrs = {bertc.head_product} {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  }
  return
}

// -----

#p = affine_map<(b, h, i, j, e) -> (b, h, i, j)>
#v = affine_map<(b, h, i, j, e) -> (b, j, h, e)>
#vt = affine_map<(b, h, i, j, e) -> (b, h, e, j)>
#c = affine_map<(b, h, i, j, e) -> (b, i, h, e)>

// Left alone: an untagged product, a tagged body that is not a
// multiply-accumulate, and a w whose innermost axis is the reduction (no
// contiguous vectors along the columns).
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: call @bertc_head_gemm
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT: bertc_head_gemm
func.func @left_alone(%p: memref<3x2x5x5xf32>, %v: memref<3x5x2x24xf32>, %vt: memref<3x2x24x5xf32>, %c: memref<3x5x2x24xf32>) {
  linalg.generic {indexing_maps = [#p, #v, #c],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]}
      ins(%p, %v : memref<3x2x5x5xf32>, memref<3x5x2x24xf32>) outs(%c : memref<3x5x2x24xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#p, #v, #c],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]}
      ins(%p, %v : memref<3x2x5x5xf32>, memref<3x5x2x24xf32>) outs(%c : memref<3x5x2x24xf32>)
      attrs = {bertc.head_product} {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.maximumf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#p, #vt, #c],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]}
      ins(%p, %vt : memref<3x2x5x5xf32>, memref<3x2x24x5xf32>) outs(%c : memref<3x5x2x24xf32>)
      attrs = {bertc.head_product} {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  }
  return
}

// -----

#a = affine_map<(b, h, i, e, w) -> (b, h, i, w)>
#vt = affine_map<(b, h, i, e, w) -> (b, h, w, e)>
#o = affine_map<(b, h, i, e, w) -> (b, h, i, e)>

// Bi-Attention's BAMM on packed words (tagged by convert-bq-to-linalg):
// the same loop nest on i64 lanes (half the f32 width), with the step
// acc += 2 popcount(x AND w) - popcount(x), masked past N.
// CHECK-LABEL: func.func @bamm
// CHECK: call @bertc_heads_
// CHECK-LABEL: func.func private @bertc_head_bamm
// CHECK-SAME: memref<?x?xi64, strided<[?, 1], offset: ?>>
// CHECK: arith.andi %{{.*}} : vector<8xi64>
// CHECK: math.ctpop %{{.*}} : vector<8xi64>
// CHECK: arith.subi %{{.*}} : vector<8xi64>
// CHECK: vector.create_mask %{{.*}} : vector<8xi1>
// AVX2-LABEL: func.func private @bertc_head_bamm
// AVX2: math.ctpop %{{.*}} : vector<4xi64>
func.func @bamm(%m: memref<?x2x?x?xi64>, %v: memref<?x2x?x24xi64>, %c: memref<?x2x?x24xi64>) {
  linalg.generic {indexing_maps = [#a, #vt, #o],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%m, %v : memref<?x2x?x?xi64>, memref<?x2x?x24xi64>) outs(%c : memref<?x2x?x24xi64>)
      attrs = {bertc.head_product, bertc.packed = "bamm"} {
  ^bb0(%x: i64, %w: i64, %acc: i64):
    %both = arith.andi %x, %w : i64
    %n = math.ctpop %both : i64
    %n2 = arith.addi %n, %n : i64
    %o = math.ctpop %x : i64
    %t = arith.subi %n2, %o : i64
    %r = arith.addi %acc, %t : i64
    linalg.yield %r : i64
  }
  return
}
