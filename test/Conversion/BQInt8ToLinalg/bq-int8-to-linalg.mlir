// RUN: bert-opt %s --split-input-file --convert-bq-int8-to-linalg | FileCheck %s --check-prefix=GENERIC
// RUN: bert-opt %s --split-input-file --convert-bq-int8-to-linalg=kernel=vnni | FileCheck %s --check-prefix=VNNI
// RUN: bert-opt %s --split-input-file --convert-bq-int8-to-linalg=kernel=avx2 | FileCheck %s --check-prefix=AVX2
// RUN: not bert-opt %s --split-input-file --convert-bq-int8-to-linalg=kernel=fast 2>&1 | FileCheck %s --check-prefix=BAD

!q8 = !quant.uniform<i8<-127:127>:f32, 0.5>
!q32 = !quant.uniform<i32<-2147483647:2147483647>:f32, 0.25>

// A Q8BERT linear: quantize (x * 2, roundeven, clamp to +-127, NaN -> 0),
// the int8 product over a bias-initialized int32 accumulator, and the
// dequantization acc / 4.
// GENERIC-LABEL: func.func @linear
// GENERIC: linalg.generic
// GENERIC: arith.mulf %{{.*}}, %{{.*}} : f32
// GENERIC: math.roundeven
// GENERIC: arith.maximumf
// GENERIC: arith.minimumf
// GENERIC: arith.fptosi %{{.*}} : f32 to i8
// GENERIC: arith.cmpf uno
// GENERIC: arith.select
// GENERIC: bufferization.alloc_tensor
// GENERIC: linalg.generic {{.*}} ins(%{{.*}} : tensor<8xi32>)
// GENERIC: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<?x16xi8>, tensor<8x16xi8>)
// GENERIC: arith.extsi %{{.*}} : i8 to i32
// GENERIC: arith.extsi %{{.*}} : i8 to i32
// GENERIC: arith.muli
// GENERIC: arith.addi
// GENERIC: arith.sitofp %{{.*}} : i32 to f32
// GENERIC: arith.divf
// GENERIC-NOT: bq.
// GENERIC-NOT: quant.
//
// vnni: x packed 4 bytes per i32 with the sign bit flipped (x + 128 as
// unsigned), the weight prepacked [K / 4, N] (column 0: bytes 1, 2, 3, 4 =
// 0x04030201), the bias minus 128 * sum_k W[n, k] (10 - 128 * 10 = -1270,
// ...), and the product tagged for the vpdpbusd kernel.
// VNNI-LABEL: func.func @linear
// VNNI-DAG: arith.constant dense<{{\[}}[67305985, {{.*}}]]> : tensor<4x8xi32>
// VNNI-DAG: %[[BIAS:.*]] = arith.constant dense<[-1270, {{.*}}]> : tensor<8xi32>
// Quantizing x is fused into packing it: one pass reads the f32 values.
// VNNI-NOT: bq.quantize
// VNNI: tensor.expand_shape %arg0 {{\[}}[0], [1, 2]] {{.*}} : tensor<?x16xf32> into tensor<?x4x4xf32>
// VNNI: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}} : tensor<?x4x4xf32>) outs(%{{.*}} : tensor<?x4xi32>) attrs = {bertc.packed_activations}
// VNNI: math.roundeven
// VNNI: arith.fptosi %{{.*}} : f32 to i8
// VNNI: arith.xori %{{.*}}, %c-128_i8 : i8
// VNNI: arith.shli
// VNNI: arith.ori
// The product starts from zero (its kernel overwrites the output) and the
// bias is added after it, where it fuses into the dequantization.
// VNNI: %[[ZEROS:.*]] = linalg.fill ins(%c0_i32 : i32) outs(%{{.*}} : tensor<?x8xi32>)
// VNNI: %[[SUMS:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x4xi32>, tensor<4x8xi32>) outs(%[[ZEROS]] : tensor<?x8xi32>) attrs = {bertc.int8_linear = "vnni"}
// VNNI: linalg.generic {{.*}} ins(%[[SUMS]], %[[BIAS]] : tensor<?x8xi32>, tensor<8xi32>)
// VNNI-NEXT: ^bb0(%[[S:.*]]: i32, %[[B:.*]]: i32, %{{.*}}: i32):
// VNNI-NEXT: %[[WITH:.*]] = arith.addi %[[S]], %[[B]] : i32
// VNNI-NEXT: linalg.yield %[[WITH]]
//
// avx2: x as pairs of i16 per i32, the weight [K / 2, N] as pairs of bytes
// per i16 (0x0201 = 513), no compensation: the bias is the bias.
// AVX2-LABEL: func.func @linear
// AVX2-DAG: arith.constant dense<{{\[}}[513, {{.*}}]]> : tensor<8x8xi16>
// AVX2-DAG: arith.constant dense<[10, {{.*}}]> : tensor<8xi32>
// AVX2: arith.extsi %{{.*}} : i8 to i16
// AVX2: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x8xi32>, tensor<8x8xi16>) {{.*}} attrs = {bertc.int8_linear = "avx2"}
// BAD: convert-bq-int8-to-linalg: kernel must be generic, avx2 or vnni, not 'fast'
func.func @linear(%x: tensor<?x16xf32>) -> tensor<?x8xf32> {
  %w = arith.constant dense<[[1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                             [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
                             [-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
                             [127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -127],
                             [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                             [5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                             [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6],
                             [-127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127]]> : tensor<8x16xi8>
  %b = arith.constant dense<[10, 20, 30, 40, 50, 60, 70, 80]> : tensor<8xi32>
  %xq = bq.quantize %x : tensor<?x16xf32> -> tensor<?x16x!q8>
  %xi = quant.scast %xq : tensor<?x16x!q8> to tensor<?x16xi8>
  %acc = bq.int8_matmul %xi, %w bias %b : tensor<?x16xi8>, tensor<8x16xi8>, tensor<8xi32> -> tensor<?x8xi32>
  %aq = quant.scast %acc : tensor<?x8xi32> to tensor<?x8x!q32>
  %y = bq.dequantize %aq : tensor<?x8x!q32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// A weight that is not a constant cannot be prepacked: every kernel option
// keeps the plain reduction, which is correct on any target.
// VNNI-LABEL: func.func @runtime_weight
// VNNI-NOT: bertc.int8_linear
// VNNI: arith.extsi %{{.*}} : i8 to i32
func.func @runtime_weight(%x: tensor<?x16xi8>, %w: tensor<8x16xi8>) -> tensor<?x8xi32> {
  %acc = bq.int8_matmul %x, %w : tensor<?x16xi8>, tensor<8x16xi8> -> tensor<?x8xi32>
  return %acc : tensor<?x8xi32>
}

// -----

// fake_quant (a requantized output at inference): codes on the grid of the
// run-time multiplier, back to f32 by dividing by it.
// GENERIC-LABEL: func.func @fake_quant
// GENERIC: linalg.generic
// GENERIC: arith.mulf %{{.*}}, %arg1 : f32
// GENERIC: math.roundeven
// GENERIC: arith.fptosi %{{.*}} : f32 to i8
// GENERIC: arith.sitofp %{{.*}} : i8 to f32
// GENERIC: arith.divf %{{.*}}, %arg1 : f32
// GENERIC-NOT: bq.fake_quant
func.func @fake_quant(%x: tensor<?x8xf32>, %s: f32) -> tensor<?x8xf32> {
  %y = bq.fake_quant %x, %s bits 8 : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Q, K and V: three products of the same x quantized with the same scale
// share one packing; a fourth quantizer with another scale packs its own.
// VNNI-LABEL: func.func @shared_activations
// VNNI: %[[P:.*]] = linalg.generic {{.*}} attrs = {bertc.packed_activations}
// VNNI: linalg.generic {{.*}} ins(%[[P]], {{.*}} attrs = {bertc.int8_linear = "vnni"}
// VNNI: linalg.generic {{.*}} ins(%[[P]], {{.*}} attrs = {bertc.int8_linear = "vnni"}
// VNNI: linalg.generic {{.*}} ins(%[[P]], {{.*}} attrs = {bertc.int8_linear = "vnni"}
// VNNI: %[[Q:.*]] = linalg.generic {{.*}} attrs = {bertc.packed_activations}
// VNNI: linalg.generic {{.*}} ins(%[[Q]], {{.*}} attrs = {bertc.int8_linear = "vnni"}
// VNNI-NOT: bertc.packed_activations
!q8a = !quant.uniform<i8<-127:127>:f32, 0.5>
!q8b = !quant.uniform<i8<-127:127>:f32, 0.25>
func.func @shared_activations(%x: tensor<?x16xf32>) -> (tensor<?x8xi32>, tensor<?x8xi32>, tensor<?x8xi32>, tensor<?x8xi32>) {
  %w = arith.constant dense<3> : tensor<8x16xi8>
  %v = arith.constant dense<-2> : tensor<8x16xi8>
  %qa = bq.quantize %x : tensor<?x16xf32> -> tensor<?x16x!q8a>
  %a = quant.scast %qa : tensor<?x16x!q8a> to tensor<?x16xi8>
  %qb = bq.quantize %x : tensor<?x16xf32> -> tensor<?x16x!q8a>
  %b = quant.scast %qb : tensor<?x16x!q8a> to tensor<?x16xi8>
  %qc = bq.quantize %x : tensor<?x16xf32> -> tensor<?x16x!q8a>
  %c = quant.scast %qc : tensor<?x16x!q8a> to tensor<?x16xi8>
  %qd = bq.quantize %x : tensor<?x16xf32> -> tensor<?x16x!q8b>
  %d = quant.scast %qd : tensor<?x16x!q8b> to tensor<?x16xi8>
  %0 = bq.int8_matmul %a, %w : tensor<?x16xi8>, tensor<8x16xi8> -> tensor<?x8xi32>
  %1 = bq.int8_matmul %b, %v : tensor<?x16xi8>, tensor<8x16xi8> -> tensor<?x8xi32>
  %2 = bq.int8_matmul %c, %w : tensor<?x16xi8>, tensor<8x16xi8> -> tensor<?x8xi32>
  %3 = bq.int8_matmul %d, %w : tensor<?x16xi8>, tensor<8x16xi8> -> tensor<?x8xi32>
  return %0, %1, %2, %3 : tensor<?x8xi32>, tensor<?x8xi32>, tensor<?x8xi32>, tensor<?x8xi32>
}
