// The register-blocked GEMM that replaces tagged linear products.
// RUN: bert-opt %s -split-input-file -pass-pipeline='builtin.module(bert-lower-linears{vector-width=8 rows=4})' | FileCheck %s
// RUN: bert-opt %s -split-input-file -pass-pipeline='builtin.module(bert-lower-linears{vector-width=16 rows=8})' | FileCheck %s --check-prefix=WIDE
// RUN: bert-opt %s -split-input-file -pass-pipeline='builtin.module(bert-lower-linears{vector-width=16 rows=8 amx=true})' | FileCheck %s --check-prefix=AMX

#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#w = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// Rows of [B, L, K] are flattened and the product calls its shape's kernel.
// CHECK-LABEL: func.func @gemm
// CHECK-SAME: (%[[X:.*]]: memref<?x?x64xf32>, %[[W:.*]]: memref<64x64xf32>, %[[O:.*]]: memref<?x?x64xf32>)
// CHECK-NOT: linalg.generic
// CHECK-DAG: %[[X2:.*]] = memref.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : memref<?x?x64xf32> into memref<?x64xf32>
// CHECK-DAG: %[[O2:.*]] = memref.collapse_shape %[[O]] {{\[}}[0, 1], [2]] : memref<?x?x64xf32> into memref<?x64xf32>
// The last two arguments are the range of column panels, all of them (64
// columns in panels of 4 vectors = 2 panels); bert-parallelize-kernels may
// split it across threads.
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK: call @bertc_gemm_64x64(%[[X2]], %[[W]], %[[O2]], %[[C0]], %[[C2]]) : (memref<?x64xf32>, memref<64x64xf32>, memref<?x64xf32>, index, index) -> ()
// A second product of the same shape reuses the kernel.
// CHECK-LABEL: func.func @gemm_again
// CHECK: call @bertc_gemm_64x64(
// CHECK-NOT: func.func private @bertc_gemm_64x64{{.*}}
// CHECK-LABEL: func.func private @bertc_gemm_64x64
// CHECK-SAME: (%[[KX:.*]]: memref<?x64xf32>, %[[KW:.*]]: memref<64x64xf32>, %[[KO:.*]]: memref<?x64xf32>, %[[FIRST:.*]]: index, %[[END:.*]]: index)
// CHECK-SAME: attributes {bertc.parallel
// CHECK: %[[M:.*]] = memref.dim %[[KX]], %{{.*}} : memref<?x64xf32>
// CHECK: %[[REM:.*]] = arith.remui %[[M]], %{{.*}} : index
// CHECK: %[[FULL:.*]] = arith.subi %[[M]], %[[REM]] : index
// Panels of 4 vectors (32 columns) outside, so w's panel stays in cache,
// from column FIRST * 32 to min(END * 32, 64); inside, blocks of 4 rows x 2
// vectors: 8 accumulators through the k loop.
// CHECK: %[[LOW:.*]] = arith.muli %[[FIRST]], %{{.*}} : index
// CHECK: %[[HIGHEST:.*]] = arith.muli %[[END]], %{{.*}} : index
// CHECK: %[[HIGH:.*]] = arith.minui %[[HIGHEST]], %{{.*}} : index
// CHECK: scf.for %[[J:.*]] = %[[LOW]] to %[[HIGH]] step %{{.*}} {
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

// -----

// A constant weight global is repacked panel-major [N / P, K, P] (P = 4
// vectors = 32 here) into a new global; the [K, N] one is erased.
#x3 = affine_map<(d0, d1, d2) -> (d0, d2)>
#w3 = affine_map<(d0, d1, d2) -> (d2, d1)>
#o3 = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-NOT: memref.global "private" constant @w : memref<2x64xf32>
// CHECK: memref.global "private" constant @w_panels32 : memref<2x2x32xf32> = dense_resource<w_panels32>
// CHECK-LABEL: func.func @packed
// CHECK: %[[P:.*]] = memref.get_global @w_panels32 : memref<2x2x32xf32>
// CHECK: call @bertc_gemm_2x64_panels(%{{.*}}, %[[P]], %{{.*}}, %{{.*}}, %{{.*}}) : (memref<?x2xf32>, memref<2x2x32xf32>, memref<?x64xf32>, index, index) -> ()
// CHECK-LABEL: func.func private @bertc_gemm_2x64_panels
// CHECK-SAME: %[[KW:[a-z0-9]+]]: memref<2x2x32xf32>
// CHECK: %[[PANEL:.*]] = arith.divui %{{.*}}, %{{.*}} : index
// CHECK: %[[WITHIN:.*]] = arith.remui %{{.*}}, %{{.*}} : index
// CHECK: vector.load %[[KW]][%[[PANEL]], %{{.*}}, %[[WITHIN]]] : memref<2x2x32xf32>, vector<8xf32>
// Panel-major order: w[0][31] = 31.0 (0000F841 little-endian) is followed
// by w[1][0] = 64.0 (00008042), and w[1][31] = 95.0 (0000BE42) by panel 1's
// w[0][32] = 32.0 (00000042).
// CHECK: w_panels32: "0x04000000
// CHECK-SAME: 0000F84100008042
// CHECK-SAME: 0000BE4200000042
memref.global "private" constant @w : memref<2x64xf32> = dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0, 40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0, 48.0, 49.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0, 56.0, 57.0, 58.0, 59.0, 60.0, 61.0, 62.0, 63.0], [64.0, 65.0, 66.0, 67.0, 68.0, 69.0, 70.0, 71.0, 72.0, 73.0, 74.0, 75.0, 76.0, 77.0, 78.0, 79.0, 80.0, 81.0, 82.0, 83.0, 84.0, 85.0, 86.0, 87.0, 88.0, 89.0, 90.0, 91.0, 92.0, 93.0, 94.0, 95.0, 96.0, 97.0, 98.0, 99.0, 100.0, 101.0, 102.0, 103.0, 104.0, 105.0, 106.0, 107.0, 108.0, 109.0, 110.0, 111.0, 112.0, 113.0, 114.0, 115.0, 116.0, 117.0, 118.0, 119.0, 120.0, 121.0, 122.0, 123.0, 124.0, 125.0, 126.0, 127.0]]>
func.func @packed(%x: memref<?x2xf32>, %o: memref<?x64xf32>) {
  %w = memref.get_global @w : memref<2x64xf32>
  linalg.generic {indexing_maps = [#x3, #w3, #o3], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<?x2xf32>, memref<2x64xf32>) outs(%o : memref<?x64xf32>) attrs = {bertc.linear} {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %m = arith.mulf %in, %in_0 : f32
    %s = arith.addf %out, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#xw = affine_map<(d0, d1, d2) -> (d0, d2)>
#ww = affine_map<(d0, d1, d2) -> (d2, d1)>
#ow = affine_map<(d0, d1, d2) -> (d0, d1)>

// An XNOR-popcount product on packed words (tag bertc.xnor_linear): the
// same tiles on i64 lanes (vector-width / 2) with acc += popcount(x XOR w).
// The zero fill right before it is dropped and the kernel starts from 0,
// overwriting the counts; the same product without that fill accumulates.
// CHECK-LABEL: func.func @xnor
// CHECK-NOT: linalg.fill
// CHECK: call @bertc_xnor_2x64_overwrite(
// CHECK: linalg.fill
// CHECK: call @bertc_xnor_2x64(
// CHECK-LABEL: func.func private @bertc_xnor_2x64_overwrite
// CHECK: arith.constant dense<0> : vector<4xi64>
// CHECK: scf.for {{.*}} -> (vector<4xi64>, vector<4xi64>, vector<4xi64>, vector<4xi64>, vector<4xi64>, vector<4xi64>, vector<4xi64>, vector<4xi64>)
// CHECK: arith.xori %{{.*}} : vector<4xi64>
// CHECK: math.ctpop %{{.*}} : vector<4xi64>
// CHECK: arith.addi %{{.*}} : vector<4xi64>
// CHECK-LABEL: func.func private @bertc_xnor_2x64(
// CHECK: vector.load %arg2
// WIDE-LABEL: func.func private @bertc_xnor_2x64_overwrite
// WIDE: math.ctpop %{{.*}} : vector<8xi64>
func.func @xnor(%x: memref<?x2xi64>, %w: memref<2x64xi64>, %o: memref<?x64xi64>, %p: memref<?x64xi64>) {
  %zero = arith.constant 0 : i64
  linalg.fill ins(%zero : i64) outs(%o : memref<?x64xi64>)
  linalg.generic {indexing_maps = [#xw, #ww, #ow], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x2xi64>, memref<2x64xi64>) outs(%o : memref<?x64xi64>) attrs = {bertc.xnor_linear} {
  ^bb0(%a: i64, %b: i64, %c: i64):
    %d = arith.xori %a, %b : i64
    %n = math.ctpop %d : i64
    %s = arith.addi %c, %n : i64
    linalg.yield %s : i64
  }
  linalg.fill ins(%zero : i64) outs(%p : memref<?x64xi64>)
  %one = arith.constant 1 : index
  linalg.generic {indexing_maps = [#xw, #ww, #ow], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x2xi64>, memref<2x64xi64>) outs(%p : memref<?x64xi64>) attrs = {bertc.xnor_linear} {
  ^bb0(%a: i64, %b: i64, %c: i64):
    %d = arith.xori %a, %b : i64
    %n = math.ctpop %d : i64
    %s = arith.addi %c, %n : i64
    linalg.yield %s : i64
  }
  return
}

// -----

#xi = affine_map<(d0, d1, d2) -> (d0, d2)>
#wi = affine_map<(d0, d1, d2) -> (d2, d1)>
#oi = affine_map<(d0, d1, d2) -> (d0, d1)>

// Q8BERT's products (tag bertc.int8_linear, prepacked by
// convert-bq-int8-to-linalg). vnni: i32 words of 4 bytes on both sides,
// one vpdpbusd per accumulator and step (256 bits at vector-width 8, 512
// at 16). avx2: w holds byte pairs (i16) widened to i16 lanes, times x's
// i16 pairs by vpmaddwd, on 8 i32 lanes whatever the vector width, in
// blocks of 6 rows x 2 vectors where rows is 4 (12 accumulators fit the
// 16 ymm registers).
// CHECK-LABEL: func.func @int8
// CHECK: call @bertc_int8vnni_4x64(
// CHECK: call @bertc_int8avx2_8x64(
// CHECK-LABEL: func.func private @bertc_int8vnni_4x64
// CHECK: vector.load %arg1[{{.*}}] : memref<4x64xi32>, vector<8xi32>
// CHECK: vector.bitcast %{{.*}} : vector<8xi32> to vector<32xi8>
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%{{.*}}, %{{.*}}, %{{.*}}) : (vector<8xi32>, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
// CHECK-LABEL: func.func private @bertc_int8avx2_8x64
// CHECK: %[[ROWS:.*]] = memref.dim %arg0
// CHECK-NEXT: %[[BLOCK:.*]] = arith.constant 6 : index
// CHECK-NEXT: arith.remui %[[ROWS]], %[[BLOCK]] : index
// CHECK: %{{.*}}:12 = scf.for
// CHECK: vector.load %arg1[{{.*}}] : memref<8x64xi16>, vector<8xi16>
// CHECK: arith.extsi %{{.*}} : vector<16xi8> to vector<16xi16>
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%{{.*}}, %{{.*}}) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// CHECK: arith.addi %{{.*}} : vector<8xi32>
// On 512 bits the vnni row blocks are rows / 2 = 4 rows x the panel's 4
// vectors (16 accumulators, 4 weight loads then one x word per k step);
// the single-row tail too loads 4 vectors per step.
// WIDE-LABEL: func.func private @bertc_int8vnni_4x64
// WIDE: %[[ROWS:.*]] = memref.dim %arg0
// WIDE-NEXT: %[[BLOCK:.*]] = arith.constant 4 : index
// WIDE-NEXT: arith.remui %[[ROWS]], %[[BLOCK]] : index
// WIDE: %{{.*}}:16 = scf.for
// WIDE-NEXT: vector.load %arg1[{{.*}}] : memref<4x64xi32>, vector<16xi32>
// WIDE-NEXT: vector.load %arg1[{{.*}}] : memref<4x64xi32>, vector<16xi32>
// WIDE-NEXT: vector.load %arg1[{{.*}}] : memref<4x64xi32>, vector<16xi32>
// WIDE-NEXT: vector.load %arg1[{{.*}}] : memref<4x64xi32>, vector<16xi32>
// WIDE-NEXT: memref.load %arg0
// WIDE: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %{{.*}}, %{{.*}}) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// WIDE-NOT: %{{.*}}:8 = scf.for
// WIDE: %{{.*}}:4 = scf.for
// WIDE-LABEL: func.func private @bertc_int8avx2_8x64
// WIDE: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%{{.*}}, %{{.*}}) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
func.func @int8(%x: memref<?x4xi32>, %w: memref<4x64xi32>, %o: memref<?x64xi32>,
                %x2: memref<?x8xi32>, %w2: memref<8x64xi16>, %o2: memref<?x64xi32>) {
  linalg.generic {indexing_maps = [#xi, #wi, #oi], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x4xi32>, memref<4x64xi32>) outs(%o : memref<?x64xi32>) attrs = {bertc.int8_linear = "vnni"} {
  ^bb0(%a: i32, %b: i32, %c: i32):
    %p = arith.muli %a, %b : i32
    %s = arith.addi %c, %p : i32
    linalg.yield %s : i32
  }
  linalg.generic {indexing_maps = [#xi, #wi, #oi], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x2, %w2 : memref<?x8xi32>, memref<8x64xi16>) outs(%o2 : memref<?x64xi32>) attrs = {bertc.int8_linear = "avx2"} {
  ^bb0(%a: i32, %b: i16, %c: i32):
    %e = arith.extsi %b : i16 to i32
    %p = arith.muli %a, %e : i32
    %s = arith.addi %c, %p : i32
    linalg.yield %s : i32
  }
  return
}

// -----

#xe = affine_map<(d0, d1, d2) -> (d0, d2)>
#we = affine_map<(d0, d1, d2) -> (d2, d1)>
#oe = affine_map<(d0, d1, d2) -> (d0, d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>

// The elementwise op that reads an int8 product's sums right after it (its
// dequantization, here with a residual add) becomes the kernel's epilogue:
// after each tile, a loop reads the tile's sums back and runs the body on
// vectors (the residual loaded per element), writing the consumer's
// output; the consumer is gone and the call takes its operands. The
// body's float constants (the scale, which differs from layer to layer)
// are the kernel's scalar arguments, broadcast once per tile: epilogues
// that differ only in their scales share one kernel.
// CHECK-LABEL: func.func @epilogue(
// CHECK: %[[OUT:.*]] = memref.alloc
// CHECK: call @[[KERNEL:bertc_int8vnni_4x64_e[0-9A-F]+]](%arg0, %arg1, %arg2, %arg3, %[[OUT]], %{{.*}}, %{{.*}}, %{{.*}}) : (memref<?x4xi32>, memref<4x64xi32>, memref<?x64xi32>, memref<?x64xf32>, memref<?x64xf32>, f32, index, index) -> ()
// CHECK-NOT: linalg.generic
// CHECK: return %[[OUT]]
// CHECK-LABEL: func.func @epilogue_other_scale(
// CHECK: arith.constant 5.000000e-01 : f32
// CHECK: call @[[KERNEL]](
// CHECK-LABEL: func.func private @bertc_int8vnni_4x64_e
// CHECK-SAME: %[[SCALE:[a-z0-9]+]]: f32, %{{[a-z0-9]+}}: index, %{{[a-z0-9]+}}: index)
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// CHECK: vector.store %{{.*}}, %arg2
// CHECK: %[[SPLAT:.*]] = vector.broadcast %[[SCALE]] : f32 to vector<8xf32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: vector.load %arg2[{{.*}}] : memref<?x64xi32>, vector<8xi32>
// CHECK: vector.load %arg3[{{.*}}] : memref<?x64xf32>, vector<8xf32>
// CHECK: arith.sitofp %{{.*}} : vector<8xi32> to vector<8xf32>
// CHECK: arith.mulf %{{.*}}, %[[SPLAT]]
// CHECK: arith.addf
// CHECK: vector.store %{{.*}}, %arg4
// CHECK-NOT: func.func private @bertc_int8vnni_4x64_e
func.func @epilogue(%x: memref<?x4xi32>, %w: memref<4x64xi32>, %sums: memref<?x64xi32>,
                    %residual: memref<?x64xf32>) -> memref<?x64xf32> {
  linalg.generic {indexing_maps = [#xe, #we, #oe], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x4xi32>, memref<4x64xi32>) outs(%sums : memref<?x64xi32>) attrs = {bertc.int8_linear = "vnni"} {
  ^bb0(%a: i32, %b: i32, %c: i32):
    %p = arith.muli %a, %b : i32
    %s = arith.addi %c, %p : i32
    linalg.yield %s : i32
  }
  %c0 = arith.constant 0 : index
  %m = memref.dim %sums, %c0 : memref<?x64xi32>
  %out = memref.alloc(%m) : memref<?x64xf32>
  %quarter = arith.constant 0.25 : f32
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sums, %residual : memref<?x64xi32>, memref<?x64xf32>) outs(%out : memref<?x64xf32>) {
  ^bb0(%s: i32, %r: f32, %o: f32):
    %f = arith.sitofp %s : i32 to f32
    %scaled = arith.mulf %f, %quarter : f32
    %y = arith.addf %scaled, %r : f32
    linalg.yield %y : f32
  }
  return %out : memref<?x64xf32>
}
func.func @epilogue_other_scale(%x: memref<?x4xi32>, %w: memref<4x64xi32>, %sums: memref<?x64xi32>,
                                %residual: memref<?x64xf32>) -> memref<?x64xf32> {
  linalg.generic {indexing_maps = [#xe, #we, #oe], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x4xi32>, memref<4x64xi32>) outs(%sums : memref<?x64xi32>) attrs = {bertc.int8_linear = "vnni"} {
  ^bb0(%a: i32, %b: i32, %c: i32):
    %p = arith.muli %a, %b : i32
    %s = arith.addi %c, %p : i32
    linalg.yield %s : i32
  }
  %c0 = arith.constant 0 : index
  %m = memref.dim %sums, %c0 : memref<?x64xi32>
  %out = memref.alloc(%m) : memref<?x64xf32>
  %half = arith.constant 0.5 : f32
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sums, %residual : memref<?x64xi32>, memref<?x64xf32>) outs(%out : memref<?x64xf32>) {
  ^bb0(%s: i32, %r: f32, %o: f32):
    %f = arith.sitofp %s : i32 to f32
    %scaled = arith.mulf %f, %half : f32
    %y = arith.addf %scaled, %r : f32
    linalg.yield %y : f32
  }
  return %out : memref<?x64xf32>
}

// -----

// When the product overwrites its sums (only a zero fill before it) and an
// epilogue consumes them, the tiles go through a one-tile buffer on the
// kernel's stack: the [M, N] buffer of sums is neither written nor read.
// CHECK-LABEL: func.func private @bertc_int8vnni_4x64_overwrite_e
// CHECK-SAME: (%{{.*}}: memref<?x4xi32>, %{{.*}}: memref<4x64xi32>, %[[SUMS:[a-z0-9]+]]: memref<?x64xi32>, %{{.*}}: memref<?x64xf32>, %[[OUT:[a-z0-9]+]]: memref<?x64xf32>,
// CHECK: %[[TILE:.*]] = memref.alloca() {alignment = 64 : i64} : memref<4x32xi32>
// CHECK-NOT: vector.store %{{.*}}, %[[SUMS]]
// CHECK-NOT: vector.load %[[SUMS]]
// CHECK: vector.store %{{.*}}, %[[TILE]][%{{.*}}, %{{.*}}] : memref<4x32xi32>, vector<8xi32>
// CHECK: vector.load %[[TILE]][%{{.*}}, %{{.*}}] : memref<4x32xi32>, vector<8xi32>
// CHECK: vector.store %{{.*}}, %[[OUT]]
// CHECK-NOT: vector.store %{{.*}}, %[[SUMS]]
// CHECK-NOT: vector.load %[[SUMS]]
// CHECK: return
#xe = affine_map<(d0, d1, d2) -> (d0, d2)>
#we = affine_map<(d0, d1, d2) -> (d2, d1)>
#oe = affine_map<(d0, d1, d2) -> (d0, d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @epilogue_overwrite(%x: memref<?x4xi32>, %w: memref<4x64xi32>, %sums: memref<?x64xi32>,
                              %residual: memref<?x64xf32>) -> memref<?x64xf32> {
  %zero = arith.constant 0 : i32
  linalg.fill ins(%zero : i32) outs(%sums : memref<?x64xi32>)
  linalg.generic {indexing_maps = [#xe, #we, #oe], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x4xi32>, memref<4x64xi32>) outs(%sums : memref<?x64xi32>) attrs = {bertc.int8_linear = "vnni"} {
  ^bb0(%a: i32, %b: i32, %c: i32):
    %p = arith.muli %a, %b : i32
    %s = arith.addi %c, %p : i32
    linalg.yield %s : i32
  }
  %c0 = arith.constant 0 : index
  %m = memref.dim %sums, %c0 : memref<?x64xi32>
  %out = memref.alloc(%m) : memref<?x64xf32>
  %quarter = arith.constant 0.25 : f32
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sums, %residual : memref<?x64xi32>, memref<?x64xf32>) outs(%out : memref<?x64xf32>) {
  ^bb0(%s: i32, %r: f32, %o: f32):
    %f = arith.sitofp %s : i32 to f32
    %scaled = arith.mulf %f, %quarter : f32
    %y = arith.addf %scaled, %r : f32
    linalg.yield %y : f32
  }
  return %out : memref<?x64xf32>
}

// -----

#xn = affine_map<(d0, d1, d2) -> (d0, d2)>
#wn = affine_map<(d0, d1, d2) -> (d2, d1)>
#on = affine_map<(d0, d1, d2) -> (d0, d1)>
#idn = affine_map<(d0, d1) -> (d0, d1)>

// No epilogue when the sums are read again after the consumer: they must
// stay in memory, so the consumer stays a loop of its own.
// CHECK-LABEL: func.func @sums_read_later
// CHECK: call @bertc_int8vnni_4x64(%arg0, %arg1, %arg2, %{{.*}}, %{{.*}})
// CHECK: linalg.generic
// CHECK: memref.copy %arg2
func.func @sums_read_later(%x: memref<?x4xi32>, %w: memref<4x64xi32>, %sums: memref<?x64xi32>,
                           %out: memref<?x64xf32>, %keep: memref<?x64xi32>) {
  linalg.generic {indexing_maps = [#xn, #wn, #on], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x4xi32>, memref<4x64xi32>) outs(%sums : memref<?x64xi32>) attrs = {bertc.int8_linear = "vnni"} {
  ^bb0(%a: i32, %b: i32, %c: i32):
    %p = arith.muli %a, %b : i32
    %s = arith.addi %c, %p : i32
    linalg.yield %s : i32
  }
  linalg.generic {indexing_maps = [#idn, #idn], iterator_types = ["parallel", "parallel"]}
      ins(%sums : memref<?x64xi32>) outs(%out : memref<?x64xf32>) {
  ^bb0(%s: i32, %o: f32):
    %f = arith.sitofp %s : i32 to f32
    linalg.yield %f : f32
  }
  memref.copy %sums, %keep : memref<?x64xi32> to memref<?x64xi32>
  return
}

// -----

// A weight gradient, dW = g^T x: the "weight" operand is the activation x
// [rows, 64], whose rows (the reduction) are known at run time only. The
// kernel (K written `d`) reads the reduction length from its x operand;
// the weight is not repacked.
#x4 = affine_map<(d0, d1, d2) -> (d0, d2)>
#w4 = affine_map<(d0, d1, d2) -> (d2, d1)>
#o4 = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @weight_gradient
// Static rows (8, the layer's output features) become dynamic, so that
// one kernel serves every product of the (K, N) shape.
// CHECK-DAG: %[[X:.*]] = memref.cast %arg0 : memref<8x?xf32> to memref<?x?xf32>
// CHECK-DAG: %[[O:.*]] = memref.cast %arg2 : memref<8x64xf32> to memref<?x64xf32>
// CHECK: call @bertc_gemm_dx64(%[[X]], %arg1, %[[O]], %{{.*}}, %{{.*}}) : (memref<?x?xf32>, memref<?x64xf32>, memref<?x64xf32>, index, index) -> ()
// CHECK-LABEL: func.func private @bertc_gemm_dx64
// CHECK-SAME: (%[[GX:.*]]: memref<?x?xf32>, %[[GW:.*]]: memref<?x64xf32>, %{{.*}}: memref<?x64xf32>, %{{.*}}: index, %{{.*}}: index)
// CHECK: %[[ONE:.*]] = arith.constant 1 : index
// CHECK: %[[ROWS:.*]] = memref.dim %[[GX]], %[[ONE]] : memref<?x?xf32>
// CHECK: scf.for %[[R:.*]] = %{{.*}} to %[[ROWS]] step %{{.*}} iter_args(
// CHECK: vector.load %[[GW]][%[[R]], %{{.*}}] : memref<?x64xf32>, vector<8xf32>
func.func @weight_gradient(%x: memref<8x?xf32>, %w: memref<?x64xf32>, %o: memref<8x64xf32>) {
  linalg.generic {indexing_maps = [#x4, #w4, #o4], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<8x?xf32>, memref<?x64xf32>) outs(%o : memref<8x64xf32>) attrs = {bertc.linear} {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %m = arith.mulf %in, %in_0 : f32
    %s = arith.addf %out, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// The same product as bufferization leaves it: g^T copied out of g [rows, 8]
// by a linalg.transpose that nothing else reads. The kernel reads g through
// a transposed view instead (its broadcasts read x one element at a time),
// and the copy and its buffer go: a column-wise gather of g was about a
// fifth of a training step.
#x5 = affine_map<(d0, d1, d2) -> (d0, d2)>
#w5 = affine_map<(d0, d1, d2) -> (d2, d1)>
#o5 = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @transposed_gradient
// CHECK-SAME: (%[[G:.*]]: memref<?x8xf32>,
// CHECK-NOT: linalg.transpose
// CHECK-NOT: memref.alloc
// CHECK: %[[VIEW:.*]] = memref.transpose %[[G]] (d0, d1) -> (d1, d0) : memref<?x8xf32> to memref<8x?xf32, strided<[1, 8]>>
// CHECK: %[[ROWS:.*]] = memref.cast %[[VIEW]] : memref<8x?xf32, strided<[1, 8]>> to memref<?x?xf32, strided<[1, 8]>>
// CHECK: %[[X:.*]] = memref.cast %[[ROWS]] : memref<?x?xf32, strided<[1, 8]>> to memref<?x?xf32, strided<[1, ?], offset: ?>>
// CHECK: call @bertc_gemm_dx64_xt(%[[X]],
// CHECK-NOT: memref.dealloc
// CHECK: return
// CHECK-LABEL: func.func private @bertc_gemm_dx64_xt
// CHECK-SAME: (%{{.*}}: memref<?x?xf32, strided<[1, ?], offset: ?>>,
func.func @transposed_gradient(%g: memref<?x8xf32>, %w: memref<?x64xf32>, %o: memref<8x64xf32>) {
  %c0 = arith.constant 0 : index
  %rows = memref.dim %g, %c0 : memref<?x8xf32>
  %gt = memref.alloc(%rows) {alignment = 64 : i64} : memref<8x?xf32>
  linalg.transpose ins(%g : memref<?x8xf32>) outs(%gt : memref<8x?xf32>) permutation = [1, 0]
  linalg.generic {indexing_maps = [#x5, #w5, #o5], iterator_types = ["parallel", "parallel", "reduction"]} ins(%gt, %w : memref<8x?xf32>, memref<?x64xf32>) outs(%o : memref<8x64xf32>) attrs = {bertc.linear} {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %m = arith.mulf %in, %in_0 : f32
    %s = arith.addf %out, %m : f32
    linalg.yield %s : f32
  }
  memref.dealloc %gt : memref<8x?xf32>
  return
}

// -----

// A write to g between the copy and the product keeps the copy (the
// product must see g as it was copied).
#x6 = affine_map<(d0, d1, d2) -> (d0, d2)>
#w6 = affine_map<(d0, d1, d2) -> (d2, d1)>
#o6 = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @transposed_gradient_overwritten
// CHECK: linalg.transpose
// CHECK: call @bertc_gemm_dx64(
func.func @transposed_gradient_overwritten(%g: memref<?x8xf32>, %w: memref<?x64xf32>, %o: memref<8x64xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %rows = memref.dim %g, %c0 : memref<?x8xf32>
  %gt = memref.alloc(%rows) {alignment = 64 : i64} : memref<8x?xf32>
  linalg.transpose ins(%g : memref<?x8xf32>) outs(%gt : memref<8x?xf32>) permutation = [1, 0]
  linalg.fill ins(%zero : f32) outs(%g : memref<?x8xf32>)
  linalg.generic {indexing_maps = [#x6, #w6, #o6], iterator_types = ["parallel", "parallel", "reduction"]} ins(%gt, %w : memref<8x?xf32>, memref<?x64xf32>) outs(%o : memref<8x64xf32>) attrs = {bertc.linear} {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %m = arith.mulf %in, %in_0 : f32
    %s = arith.addf %out, %m : f32
    linalg.yield %s : f32
  }
  memref.dealloc %gt : memref<8x?xf32>
  return
}

// -----

// With amx=true, a vnni product whose K fills whole tiles (16 words = 64
// k here) keeps its blocks of 16 rows on AMX tiles and the rest on
// vpdpbusd; its constant weight is repacked into panels one tile wide
// (P = 16), so that each operand tile of w is 1 KiB in one piece. The
// vector rows read those panels too, each vector from its own panel.
#xa = affine_map<(d0, d1, d2) -> (d0, d2)>
#wa = affine_map<(d0, d1, d2) -> (d2, d1)>
#oa = affine_map<(d0, d1, d2) -> (d0, d1)>
// Panel 0 holds columns 0-15 of each k word: w[0][15] = 15 (0F000000
// little-endian) is followed by w[1][0] = 64 (40000000).
// AMX: memref.global "private" constant @wa_panels16 : memref<4x16x16xi32> = dense<"0x00000000
// AMX-SAME: 0E0000000F0000004000000041000000
// AMX-LABEL: func.func @int8_amx
// AMX: %[[P:.*]] = memref.get_global @wa_panels16 : memref<4x16x16xi32>
// AMX: call @bertc_int8vnni_16x64_panels_amx(%{{.*}}, %[[P]], %{{.*}}, %{{.*}}, %{{.*}})
// AMX-LABEL: func.func private @bertc_int8vnni_16x64_panels_amx
// AMX-SAME: %[[W:[a-z0-9]+]]: memref<4x16x16xi32>
// AMX: amx.tile_load %[[W]][%{{.*}}, %{{.*}}, %{{.*}}] : memref<4x16x16xi32> into !amx.tile<16x64xi8>
// AMX: amx.tile_muli
// AMX: vector.load %[[W]][%{{.*}}, %{{.*}}, %{{.*}}] : memref<4x16x16xi32>, vector<16xi32>
memref.global "private" constant @wa : memref<16x64xi32> = dense<[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63], [64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127], [128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 142, 143, 144, 145, 146, 147, 148, 149, 150, 151, 152, 153, 154, 155, 156, 157, 158, 159, 160, 161, 162, 163, 164, 165, 166, 167, 168, 169, 170, 171, 172, 173, 174, 175, 176, 177, 178, 179, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 190, 191], [192, 193, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211, 212, 213, 214, 215, 216, 217, 218, 219, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255], [256, 257, 258, 259, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 270, 271, 272, 273, 274, 275, 276, 277, 278, 279, 280, 281, 282, 283, 284, 285, 286, 287, 288, 289, 290, 291, 292, 293, 294, 295, 296, 297, 298, 299, 300, 301, 302, 303, 304, 305, 306, 307, 308, 309, 310, 311, 312, 313, 314, 315, 316, 317, 318, 319], [320, 321, 322, 323, 324, 325, 326, 327, 328, 329, 330, 331, 332, 333, 334, 335, 336, 337, 338, 339, 340, 341, 342, 343, 344, 345, 346, 347, 348, 349, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 360, 361, 362, 363, 364, 365, 366, 367, 368, 369, 370, 371, 372, 373, 374, 375, 376, 377, 378, 379, 380, 381, 382, 383], [384, 385, 386, 387, 388, 389, 390, 391, 392, 393, 394, 395, 396, 397, 398, 399, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 419, 420, 421, 422, 423, 424, 425, 426, 427, 428, 429, 430, 431, 432, 433, 434, 435, 436, 437, 438, 439, 440, 441, 442, 443, 444, 445, 446, 447], [448, 449, 450, 451, 452, 453, 454, 455, 456, 457, 458, 459, 460, 461, 462, 463, 464, 465, 466, 467, 468, 469, 470, 471, 472, 473, 474, 475, 476, 477, 478, 479, 480, 481, 482, 483, 484, 485, 486, 487, 488, 489, 490, 491, 492, 493, 494, 495, 496, 497, 498, 499, 500, 501, 502, 503, 504, 505, 506, 507, 508, 509, 510, 511], [512, 513, 514, 515, 516, 517, 518, 519, 520, 521, 522, 523, 524, 525, 526, 527, 528, 529, 530, 531, 532, 533, 534, 535, 536, 537, 538, 539, 540, 541, 542, 543, 544, 545, 546, 547, 548, 549, 550, 551, 552, 553, 554, 555, 556, 557, 558, 559, 560, 561, 562, 563, 564, 565, 566, 567, 568, 569, 570, 571, 572, 573, 574, 575], [576, 577, 578, 579, 580, 581, 582, 583, 584, 585, 586, 587, 588, 589, 590, 591, 592, 593, 594, 595, 596, 597, 598, 599, 600, 601, 602, 603, 604, 605, 606, 607, 608, 609, 610, 611, 612, 613, 614, 615, 616, 617, 618, 619, 620, 621, 622, 623, 624, 625, 626, 627, 628, 629, 630, 631, 632, 633, 634, 635, 636, 637, 638, 639], [640, 641, 642, 643, 644, 645, 646, 647, 648, 649, 650, 651, 652, 653, 654, 655, 656, 657, 658, 659, 660, 661, 662, 663, 664, 665, 666, 667, 668, 669, 670, 671, 672, 673, 674, 675, 676, 677, 678, 679, 680, 681, 682, 683, 684, 685, 686, 687, 688, 689, 690, 691, 692, 693, 694, 695, 696, 697, 698, 699, 700, 701, 702, 703], [704, 705, 706, 707, 708, 709, 710, 711, 712, 713, 714, 715, 716, 717, 718, 719, 720, 721, 722, 723, 724, 725, 726, 727, 728, 729, 730, 731, 732, 733, 734, 735, 736, 737, 738, 739, 740, 741, 742, 743, 744, 745, 746, 747, 748, 749, 750, 751, 752, 753, 754, 755, 756, 757, 758, 759, 760, 761, 762, 763, 764, 765, 766, 767], [768, 769, 770, 771, 772, 773, 774, 775, 776, 777, 778, 779, 780, 781, 782, 783, 784, 785, 786, 787, 788, 789, 790, 791, 792, 793, 794, 795, 796, 797, 798, 799, 800, 801, 802, 803, 804, 805, 806, 807, 808, 809, 810, 811, 812, 813, 814, 815, 816, 817, 818, 819, 820, 821, 822, 823, 824, 825, 826, 827, 828, 829, 830, 831], [832, 833, 834, 835, 836, 837, 838, 839, 840, 841, 842, 843, 844, 845, 846, 847, 848, 849, 850, 851, 852, 853, 854, 855, 856, 857, 858, 859, 860, 861, 862, 863, 864, 865, 866, 867, 868, 869, 870, 871, 872, 873, 874, 875, 876, 877, 878, 879, 880, 881, 882, 883, 884, 885, 886, 887, 888, 889, 890, 891, 892, 893, 894, 895], [896, 897, 898, 899, 900, 901, 902, 903, 904, 905, 906, 907, 908, 909, 910, 911, 912, 913, 914, 915, 916, 917, 918, 919, 920, 921, 922, 923, 924, 925, 926, 927, 928, 929, 930, 931, 932, 933, 934, 935, 936, 937, 938, 939, 940, 941, 942, 943, 944, 945, 946, 947, 948, 949, 950, 951, 952, 953, 954, 955, 956, 957, 958, 959], [960, 961, 962, 963, 964, 965, 966, 967, 968, 969, 970, 971, 972, 973, 974, 975, 976, 977, 978, 979, 980, 981, 982, 983, 984, 985, 986, 987, 988, 989, 990, 991, 992, 993, 994, 995, 996, 997, 998, 999, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015, 1016, 1017, 1018, 1019, 1020, 1021, 1022, 1023]]>
func.func @int8_amx(%x: memref<?x16xi32>, %o: memref<?x64xi32>) {
  %w = memref.get_global @wa : memref<16x64xi32>
  linalg.generic {indexing_maps = [#xa, #wa, #oa], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x16xi32>, memref<16x64xi32>) outs(%o : memref<?x64xi32>) attrs = {bertc.int8_linear = "vnni"} {
  ^bb0(%a: i32, %b: i32, %c: i32):
    %p = arith.muli %a, %b : i32
    %s = arith.addi %c, %p : i32
    linalg.yield %s : i32
  }
  return
}
