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
// CHECK: memref.global "private" constant @w_panels : memref<2x2x32xf32> = dense_resource<w_panels>
// CHECK-LABEL: func.func @packed
// CHECK: %[[P:.*]] = memref.get_global @w_panels : memref<2x2x32xf32>
// CHECK: call @bertc_gemm_2x64_panels(%{{.*}}, %[[P]], %{{.*}}, %{{.*}}, %{{.*}}) : (memref<?x2xf32>, memref<2x2x32xf32>, memref<?x64xf32>, index, index) -> ()
// CHECK-LABEL: func.func private @bertc_gemm_2x64_panels
// CHECK-SAME: %[[KW:[a-z0-9]+]]: memref<2x2x32xf32>
// CHECK: %[[PANEL:.*]] = arith.divui %{{.*}}, %{{.*}} : index
// CHECK: %[[WITHIN:.*]] = arith.remui %{{.*}}, %{{.*}} : index
// CHECK: vector.load %[[KW]][%[[PANEL]], %{{.*}}, %[[WITHIN]]] : memref<2x2x32xf32>, vector<8xf32>
// Panel-major order: w[0][31] = 31.0 (0000F841 little-endian) is followed
// by w[1][0] = 64.0 (00008042), and w[1][31] = 95.0 (0000BE42) by panel 1's
// w[0][32] = 32.0 (00000042).
// CHECK: w_panels: "0x04000000
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
// i16 pairs by vpmaddwd, on 8 i32 lanes whatever the vector width.
// CHECK-LABEL: func.func @int8
// CHECK: call @bertc_int8vnni_4x64(
// CHECK: call @bertc_int8avx2_8x64(
// CHECK-LABEL: func.func private @bertc_int8vnni_4x64
// CHECK: vector.load %arg1[{{.*}}] : memref<4x64xi32>, vector<8xi32>
// CHECK: vector.bitcast %{{.*}} : vector<8xi32> to vector<32xi8>
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%{{.*}}, %{{.*}}, %{{.*}}) : (vector<8xi32>, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
// CHECK-LABEL: func.func private @bertc_int8avx2_8x64
// CHECK: vector.load %arg1[{{.*}}] : memref<8x64xi16>, vector<8xi16>
// CHECK: arith.extsi %{{.*}} : vector<16xi8> to vector<16xi16>
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%{{.*}}, %{{.*}}) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// CHECK: arith.addi %{{.*}} : vector<8xi32>
// WIDE-LABEL: func.func private @bertc_int8vnni_4x64
// WIDE: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %{{.*}}, %{{.*}}) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
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
// vectors (constants splat, the residual loaded per element), writing the
// consumer's output; the consumer is gone and the call takes its operands.
// The kernel's name carries the body (scales differ from layer to layer).
// CHECK-LABEL: func.func @epilogue
// CHECK: %[[OUT:.*]] = memref.alloc
// CHECK: call @bertc_int8vnni_4x64_e{{[0-9A-F]+}}(%arg0, %arg1, %arg2, %arg3, %[[OUT]], %{{.*}}, %{{.*}})
// CHECK-NOT: linalg.generic
// CHECK: return %[[OUT]]
// CHECK-LABEL: func.func private @bertc_int8vnni_4x64_e
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// CHECK: vector.store %{{.*}}, %arg2
// CHECK: scf.for
// CHECK: scf.for
// CHECK: vector.load %arg2[{{.*}}] : memref<?x64xi32>, vector<8xi32>
// CHECK: vector.load %arg3[{{.*}}] : memref<?x64xf32>, vector<8xf32>
// CHECK: arith.sitofp %{{.*}} : vector<8xi32> to vector<8xf32>
// CHECK: arith.constant dense<2.500000e-01> : vector<8xf32>
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: vector.store %{{.*}}, %arg4
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
