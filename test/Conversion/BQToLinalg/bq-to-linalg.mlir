// RUN: bert-opt %s --split-input-file --convert-bq-to-linalg --verify-diagnostics | FileCheck %s

// One word per step: a 64-lane read (padded past the end), one comparison
// with 0 (>= 0 with rule<nonnegative>: sign(0) packs as +1) and the 64 i1
// lanes bitcast to an i64.
// CHECK-LABEL: func.func @pack_whole
// CHECK: %[[PAD:.*]] = arith.constant -1.000000e+00 : f32
// CHECK: scf.for %[[ROW:[a-z0-9_]+]] =
// CHECK: scf.for %[[WORD:[a-z0-9_]+]] = {{.*}} iter_args(%[[ACC:[a-z0-9_]+]] = %{{.*}}) -> (tensor<?x2xi64>)
// CHECK: %[[AT:.*]] = arith.muli %[[WORD]], %c64{{.*}} : index
// CHECK: %[[V:.*]] = vector.transfer_read %arg0[%[[ROW]], %[[AT]]], %[[PAD]] : tensor<?x128xf32>, vector<64xf32>
// CHECK: %[[SET:.*]] = arith.cmpf oge, %[[V]], %{{.*}} : vector<64xf32>
// CHECK: %[[BITS:.*]] = vector.bitcast %[[SET]] : vector<64xi1> to vector<1xi64>
// CHECK: %[[W:.*]] = vector.extract %[[BITS]][0] : i64 from vector<1xi64>
// CHECK: tensor.insert %[[W]] into %[[ACC]][%[[ROW]], %[[WORD]]] : tensor<?x2xi64>
func.func @pack_whole(%x: tensor<?x128xf32>) -> tensor<?x2xi64> {
  %p = bq.pack_bits %x rule<nonnegative> : tensor<?x128xf32> -> tensor<?x2xi64>
  return %p : tensor<?x2xi64>
}

// -----

// 100 values in 2 words (x > 0; the padding 0 packs as 0), and a run-time
// length packing into ceil(L / 64) words.
// CHECK-LABEL: func.func @pack_partial
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: vector.transfer_read %arg0[{{.*}}], %[[ZERO]] : tensor<3x100xf32>, vector<64xf32>
// CHECK: arith.cmpf ogt
// CHECK-LABEL: func.func @pack_dynamic
// CHECK: %[[L:.*]] = tensor.dim %arg0, %c1
// CHECK: %[[L63:.*]] = arith.addi %[[L]], %c63
// CHECK: %[[WORDS:.*]] = arith.divui %[[L63]], %c64
// CHECK: tensor.empty(%{{.*}}, %[[WORDS]]) : tensor<?x?xi64>
func.func @pack_partial(%x: tensor<3x100xf32>) -> tensor<3x2xi64> {
  %p = bq.pack_bits %x : tensor<3x100xf32> -> tensor<3x2xi64>
  return %p : tensor<3x2xi64>
}
func.func @pack_dynamic(%x: tensor<?x?xf32>) -> tensor<?x?xi64> {
  %p = bq.pack_bits %x : tensor<?x?xf32> -> tensor<?x?xi64>
  return %p : tensor<?x?xi64>
}

// -----

// A constant weight [N, words] is transposed to [words, N] at compile time
// and the count tagged for bert-lower-linears; then 100 - 2 * count.
// CHECK-LABEL: func.func @xnor_weight
// CHECK: %[[WT:.*]] = arith.constant dense<{{\[\[}}1, 3], [2, 4]]> : tensor<2x2xi64>
// CHECK: %[[COUNT:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %[[WT]] : tensor<?x2xi64>, tensor<2x2xi64>) outs(%{{.*}} : tensor<?x2xi64>) attrs = {bertc.xnor_linear}
// CHECK: arith.xori
// CHECK: math.ctpop
// CHECK: arith.addi
// CHECK: linalg.generic {{.*}} ins(%[[COUNT]] : tensor<?x2xi64>) outs(%{{.*}} : tensor<?x2xi32>)
// CHECK: arith.trunci
// CHECK: arith.constant -2 : i32
// CHECK: arith.constant 100 : i32
func.func @xnor_weight(%x: tensor<?x2xi64>) -> tensor<?x2xi32> {
  %w = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi64>
  %d = bq.xnor_matmul %x, %w length(100) : tensor<?x2xi64>, tensor<2x2xi64> -> tensor<?x2xi32>
  return %d : tensor<?x2xi32>
}

// -----

// Batched operands (attention, per head): the rhs words are transposed to
// [batch..., words, N] and the count is tagged for bert-lower-attention's
// packed kernel (not for the linears' one).
// CHECK-LABEL: func.func @xnor_batched
// CHECK-NOT: bertc.xnor_linear
// CHECK: %[[KT:.*]] = linalg.transpose ins(%arg1 : tensor<2x3x7x1xi64>) outs(%{{.*}} : tensor<2x3x1x7xi64>) permutation = [0, 1, 3, 2]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%arg0, %[[KT]] : tensor<2x3x5x1xi64>, tensor<2x3x1x7xi64>) outs(%{{.*}}) attrs = {bertc.head_product, bertc.packed = "xnor"}
// CHECK: math.ctpop
func.func @xnor_batched(%q: tensor<2x3x5x1xi64>, %k: tensor<2x3x7x1xi64>) -> tensor<2x3x5x7xi32> {
  %d = bq.xnor_matmul %q, %k length(64) : tensor<2x3x5x1xi64>, tensor<2x3x7x1xi64> -> tensor<2x3x5x7xi32>
  return %d : tensor<2x3x5x7xi32>
}

// -----

// BAMM: 2 * popcount(m AND v) - popcount(m) per word, tagged likewise.
// CHECK-LABEL: func.func @bamm
// CHECK: linalg.transpose ins(%arg1 : tensor<2x4x16x1xi64>) outs(%{{.*}} : tensor<2x4x1x16xi64>)
// CHECK: linalg.generic {{.*}} attrs = {bertc.head_product, bertc.packed = "bamm"}
// CHECK: arith.andi
// CHECK: math.ctpop
// CHECK: math.ctpop
// CHECK: arith.subi
func.func @bamm(%a: tensor<2x4x13x1xi64>, %v: tensor<2x4x16x1xi64>) -> tensor<2x4x13x16xi32> {
  %c = bq.bitwise_affine_matmul %a, %v length(13) : tensor<2x4x13x1xi64>, tensor<2x4x16x1xi64> -> tensor<2x4x13x16xi32>
  return %c : tensor<2x4x13x16xi32>
}

// -----

// torch.sign (0 stays 0), sign with 0 -> +1, bool > 0 and bool >= 0, and
// unpacking bit k of word k / 64 as 2b - 1.
// CHECK-LABEL: func.func @elementwise
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf olt
// CHECK: arith.subf
// CHECK: arith.cmpf oge
// CHECK: arith.constant -1.000000e+00
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf oge
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}]{{.*}} ins(%arg1 : tensor<4x2xi64>)
// CHECK: arith.shrui
// CHECK: arith.uitofp
func.func @elementwise(%x: tensor<4x100xf32>, %p: tensor<4x2xi64>) -> (tensor<4x100xf32>, tensor<4x100xf32>, tensor<4x100xf32>, tensor<4x100xf32>, tensor<4x100xf32>) {
  %a = bq.binarize %x form<activation> : tensor<4x100xf32>
  %b = bq.binarize %x form<activation> zero<plus_one> : tensor<4x100xf32>
  %c = bq.bool %x : tensor<4x100xf32>
  %d = bq.bool %x rule<ge> : tensor<4x100xf32>
  %e = bq.unpack_bits %p : tensor<4x2xi64> -> tensor<4x100xf32>
  return %a, %b, %c, %d, %e : tensor<4x100xf32>, tensor<4x100xf32>, tensor<4x100xf32>, tensor<4x100xf32>, tensor<4x100xf32>
}

// -----

// A weight binarization that did not fold (the weight is computed at run
// time: BiBERT training's latent weights): per row, the sum and the sum of
// magnitudes, then alpha * sign(w - mean) with alpha = mean |w|.
// CHECK-LABEL: func.func @weight_not_constant
// CHECK: %[[SUMS:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<8x64xf32>) outs(%{{.*}} : tensor<8xf32>)
// CHECK: arith.addf
// CHECK: %[[MAGNITUDES:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<8x64xf32>) outs(%{{.*}} : tensor<8xf32>)
// CHECK: math.absf
// CHECK: linalg.generic {{.*}} ins(%arg0, %[[SUMS]], %[[MAGNITUDES]] : tensor<8x64xf32>, tensor<8xf32>, tensor<8xf32>)
// CHECK: arith.divf
// CHECK: arith.divf
// CHECK: arith.subf
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf olt
// CHECK: arith.mulf
func.func @weight_not_constant(%w: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %b = bq.binarize %w form<weight> : tensor<8x64xf32>
  return %b : tensor<8x64xf32>
}

// -----

// Integer signs pack like floats: one 64-lane compare (sge 0 with
// rule<nonnegative>, padded with -1).
// CHECK-LABEL: func.func @pack_i8
// CHECK: %[[PAD:.*]] = arith.constant -1 : i8
// CHECK: vector.transfer_read %arg0[{{.*}}], %[[PAD]] : tensor<?x?x64xi8>, vector<64xi8>
// CHECK: arith.cmpi sge, %{{.*}}, %{{.*}} : vector<64xi8>
// CHECK: vector.bitcast %{{.*}} : vector<64xi1> to vector<1xi64>
func.func @pack_i8(%x: tensor<?x?x64xi8>) -> tensor<?x?x1xi64> {
  %p = bq.pack_bits %x rule<nonnegative> : tensor<?x?x64xi8> -> tensor<?x?x1xi64>
  return %p : tensor<?x?x1xi64>
}

// -----

// Thresholds: +1 where dot >= at_least[n] or dot < below[n], else -1, in
// one elementwise generic with the thresholds broadcast over rows.
// CHECK-DAG: #[[FULL:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[LAST:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @threshold
// CHECK: linalg.generic {indexing_maps = [#[[FULL]], #[[LAST]], #[[LAST]], #[[FULL]]]
// CHECK-SAME: ins(%arg0, %arg1, %arg2 : tensor<?x8xi32>, tensor<8xi32>, tensor<8xi32>) outs(%{{.*}} : tensor<?x8xi8>)
// CHECK: ^bb0(%[[D:.*]]: i32, %[[T:.*]]: i32, %[[U:.*]]: i32, %{{.*}}: i8):
// CHECK: %[[GE:.*]] = arith.cmpi sge, %[[D]], %[[T]] : i32
// CHECK: %[[LT:.*]] = arith.cmpi slt, %[[D]], %[[U]] : i32
// CHECK: %[[SET:.*]] = arith.ori %[[GE]], %[[LT]] : i1
// CHECK: arith.select %[[SET]], %{{.*}}, %{{.*}} : i8
// CHECK-LABEL: func.func @threshold_at_least
// CHECK-NOT: arith.ori
// CHECK: arith.cmpi sge
// CHECK-NOT: arith.ori
// CHECK: return
func.func @threshold(%d: tensor<?x8xi32>, %t: tensor<8xi32>, %u: tensor<8xi32>) -> tensor<?x8xi8> {
  %s = bq.threshold %d at_least %t below %u : tensor<?x8xi32>, tensor<8xi32>, tensor<8xi32> -> tensor<?x8xi8>
  return %s : tensor<?x8xi8>
}
func.func @threshold_at_least(%d: tensor<?x8xi32>, %t: tensor<8xi32>) -> tensor<?x8xi8> {
  %s = bq.threshold %d at_least %t : tensor<?x8xi32>, tensor<8xi32> -> tensor<?x8xi8>
  return %s : tensor<?x8xi8>
}
