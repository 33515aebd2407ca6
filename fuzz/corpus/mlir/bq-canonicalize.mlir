// Folders and canonicalization patterns of bq: compile-time quantization,
// binarization and packing, each with a case that must not fold.
// RUN: bert-opt %s -canonicalize -split-input-file | FileCheck %s

!q8 = !quant.uniform<i8<-127:127>:f32, 0.5>

// s = 1 / 0.5 = 2: x * s = [2.5, 3.5, -2.5, 200, -200, 0.5] rounds half to
// even and clamps to the restricted range.
// CHECK-LABEL: func.func @quantize_constant
// CHECK: %[[C:.*]] = bq.constant dense<[2, 4, -2, 127, -127, 0]> : tensor<6xi8> -> tensor<6x!quant.uniform<i8<-127:127>:f32, 5.000000e-01>>
// CHECK-NOT: bq.quantize
// CHECK: return %[[C]]
func.func @quantize_constant() -> tensor<6x!q8> {
  %x = arith.constant dense<[1.25, 1.75, -1.25, 100.0, -100.0, 0.25]> : tensor<6xf32>
  %q = bq.quantize %x : tensor<6xf32> -> tensor<6x!q8>
  return %q : tensor<6x!q8>
}

// -----

// CHECK-LABEL: func.func @quantize_argument
// CHECK: bq.quantize
func.func @quantize_argument(%x: tensor<6xf32>) -> tensor<6x!quant.uniform<i8<-127:127>:f32, 0.5>> {
  %q = bq.quantize %x : tensor<6xf32> -> tensor<6x!quant.uniform<i8<-127:127>:f32, 0.5>>
  return %q : tensor<6x!quant.uniform<i8<-127:127>:f32, 0.5>>
}

// -----

// CHECK-LABEL: func.func @dequantize_constant
// CHECK: %[[C:.*]] = arith.constant dense<[1.000000e+00, -6.350000e+01]> : tensor<2xf32>
// CHECK: return %[[C]]
func.func @dequantize_constant() -> tensor<2xf32> {
  %c = bq.constant dense<[2, -127]> : tensor<2xi8> -> tensor<2x!quant.uniform<i8<-127:127>:f32, 0.5>>
  %x = bq.dequantize %c : tensor<2x!quant.uniform<i8<-127:127>:f32, 0.5>> -> tensor<2xf32>
  return %x : tensor<2xf32>
}

// -----

// The int8 kernels take plain storage constants.
// CHECK-LABEL: func.func @storage_cast_of_constant
// CHECK: %[[C:.*]] = arith.constant dense<[2, -127]> : tensor<2xi8>
// CHECK-NOT: quant.scast
// CHECK: return %[[C]]
func.func @storage_cast_of_constant() -> tensor<2xi8> {
  %c = bq.constant dense<[2, -127]> : tensor<2xi8> -> tensor<2x!quant.uniform<i8<-127:127>:f32, 0.5>>
  %i = quant.scast %c : tensor<2x!quant.uniform<i8<-127:127>:f32, 0.5>> to tensor<2xi8>
  return %i : tensor<2xi8>
}

// CHECK-LABEL: func.func @storage_cast_of_argument
// CHECK: quant.scast
func.func @storage_cast_of_argument(%q: tensor<2x!quant.uniform<i8<-127:127>:f32, 0.5>>) -> tensor<2xi8> {
  %i = quant.scast %q : tensor<2x!quant.uniform<i8<-127:127>:f32, 0.5>> to tensor<2xi8>
  return %i : tensor<2xi8>
}

// -----

// quantize(dequantize(q)) of one 8-bit type is exact: it folds to q.
// CHECK-LABEL: func.func @quantize_of_dequantize
// CHECK-SAME: (%[[Q:.*]]: tensor
// CHECK-NEXT: return %[[Q]]
func.func @quantize_of_dequantize(%q: tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5>>) -> tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5>> {
  %x = bq.dequantize %q : tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5>> -> tensor<4xf32>
  %r = bq.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5>>
  return %r : tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5>>
}

// -----

// With 32-bit storage q / s * s is not exact in f32: no fold.
// CHECK-LABEL: func.func @quantize_of_dequantize_i32
// CHECK: bq.dequantize
// CHECK: bq.quantize
!q32 = !quant.uniform<i32<-2147483647:2147483647>:f32, 0.001>
func.func @quantize_of_dequantize_i32(%q: tensor<4x!q32>) -> tensor<4x!q32> {
  %x = bq.dequantize %q : tensor<4x!q32> -> tensor<4xf32>
  %r = bq.quantize %x : tensor<4xf32> -> tensor<4x!q32>
  return %r : tensor<4x!q32>
}

// -----

// Different scales: no fold.
// CHECK-LABEL: func.func @quantize_of_dequantize_rescale
// CHECK: bq.dequantize
// CHECK: bq.quantize
func.func @quantize_of_dequantize_rescale(%q: tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5>>) -> tensor<4x!quant.uniform<i8<-127:127>:f32, 0.25>> {
  %x = bq.dequantize %q : tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5>> -> tensor<4xf32>
  %r = bq.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8<-127:127>:f32, 0.25>>
  return %r : tensor<4x!quant.uniform<i8<-127:127>:f32, 0.25>>
}

// -----

// dequantize(quantize(x)) is fake quantization with s = 1 / 0.25 = 4.
// CHECK-LABEL: func.func @dequantize_of_quantize
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[S:.*]] = arith.constant 4.000000e+00 : f32
// CHECK: %[[Y:.*]] = bq.fake_quant %[[X]], %[[S]] bits 8 : tensor<4xf32>
// CHECK-NOT: bq.quantize
// CHECK: return %[[Y]]
func.func @dequantize_of_quantize(%x: tensor<4xf32>) -> tensor<4xf32> {
  %q = bq.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8<-127:127>:f32, 0.25>>
  %y = bq.dequantize %q : tensor<4x!quant.uniform<i8<-127:127>:f32, 0.25>> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// A dequantize of an argument stays.
// CHECK-LABEL: func.func @dequantize_argument
// CHECK: bq.dequantize
func.func @dequantize_argument(%q: tensor<4x!quant.uniform<i8<-127:127>:f32, 0.25>>) -> tensor<4xf32> {
  %y = bq.dequantize %q : tensor<4x!quant.uniform<i8<-127:127>:f32, 0.25>> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// fq with s = 2, M = 127: [1.25, 1.75, 100] -> [2, 4, 127] / 2.
// CHECK-LABEL: func.func @fake_quant_constant
// CHECK: arith.constant dense<[1.000000e+00, 2.000000e+00, 6.350000e+01]> : tensor<3xf32>
// CHECK-NOT: bq.fake_quant
func.func @fake_quant_constant() -> tensor<3xf32> {
  %x = arith.constant dense<[1.25, 1.75, 100.0]> : tensor<3xf32>
  %s = arith.constant 2.0 : f32
  %y = bq.fake_quant %x, %s bits 8 : tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// fq is idempotent for one scale and bit width.
// CHECK-LABEL: func.func @fake_quant_twice
// CHECK-COUNT-1: bq.fake_quant
// CHECK-NOT: bq.fake_quant
func.func @fake_quant_twice(%x: tensor<3xf32>, %s: f32) -> tensor<3xf32> {
  %y = bq.fake_quant %x, %s bits 8 : tensor<3xf32>
  %z = bq.fake_quant %y, %s bits 8 : tensor<3xf32>
  return %z : tensor<3xf32>
}

// -----

// CHECK-LABEL: func.func @fake_quant_two_scales
// CHECK-COUNT-2: bq.fake_quant
func.func @fake_quant_two_scales(%x: tensor<3xf32>, %s: f32, %t: f32) -> tensor<3xf32> {
  %y = bq.fake_quant %x, %s bits 8 : tensor<3xf32>
  %z = bq.fake_quant %y, %t bits 8 : tensor<3xf32>
  return %z : tensor<3xf32>
}

// -----

// sign(0) is 0 by default (torch.sign) and +1 with zero<plus_one>.
// CHECK-LABEL: func.func @binarize_activation_constant
// CHECK-DAG: arith.constant dense<[1.000000e+00, -1.000000e+00, 0.000000e+00]> : tensor<3xf32>
// CHECK-DAG: arith.constant dense<[1.000000e+00, -1.000000e+00, 1.000000e+00]> : tensor<3xf32>
// CHECK-NOT: bq.binarize
func.func @binarize_activation_constant() -> (tensor<3xf32>, tensor<3xf32>) {
  %x = arith.constant dense<[0.3, -2.0, 0.0]> : tensor<3xf32>
  %a = bq.binarize %x form<activation> : tensor<3xf32>
  %b = bq.binarize %x form<activation> zero<plus_one> : tensor<3xf32>
  return %a, %b : tensor<3xf32>, tensor<3xf32>
}

// -----

// Row 0: mean 3, alpha 3, centred [-2, -1, 0, 3]. Row 1: mean 0, alpha 2.
// CHECK-LABEL: func.func @binarize_weight_constant
// CHECK-DAG: arith.constant dense<{{\[}}[-3.000000e+00, -3.000000e+00, 0.000000e+00, 3.000000e+00], [2.000000e+00, -2.000000e+00, 2.000000e+00, -2.000000e+00]]> : tensor<2x4xf32>
// CHECK-DAG: arith.constant dense<{{\[}}[-3.000000e+00, -3.000000e+00, 3.000000e+00, 3.000000e+00], [2.000000e+00, -2.000000e+00, 2.000000e+00, -2.000000e+00]]> : tensor<2x4xf32>
// CHECK-NOT: bq.binarize
func.func @binarize_weight_constant() -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 6.0], [2.0, -2.0, 2.0, -2.0]]> : tensor<2x4xf32>
  %a = bq.binarize %w form<weight> : tensor<2x4xf32>
  %b = bq.binarize %w form<weight> zero<plus_one> : tensor<2x4xf32>
  return %a, %b : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// binarize(binarize(x)) must stay: the outer STE window changes the gradient.
// CHECK-LABEL: func.func @binarize_twice_stays
// CHECK-COUNT-2: bq.binarize
func.func @binarize_twice_stays(%x: tensor<3xf32>) -> tensor<3xf32> {
  %a = bq.binarize %x form<activation> : tensor<3xf32>
  %b = bq.binarize %a form<activation> window<strict> : tensor<3xf32>
  return %b : tensor<3xf32>
}

// -----

// CHECK-LABEL: func.func @bool_constant
// CHECK-DAG: arith.constant dense<[0.000000e+00, 0.000000e+00, 1.000000e+00]> : tensor<3xf32>
// CHECK-DAG: arith.constant dense<[0.000000e+00, 1.000000e+00, 1.000000e+00]> : tensor<3xf32>
// CHECK-NOT: bq.bool
func.func @bool_constant() -> (tensor<3xf32>, tensor<3xf32>) {
  %x = arith.constant dense<[-10000.0, 0.0, 0.125]> : tensor<3xf32>
  %a = bq.bool %x : tensor<3xf32>
  %b = bq.bool %x rule<ge> : tensor<3xf32>
  return %a, %b : tensor<3xf32>, tensor<3xf32>
}

// -----

// Bits little-endian: [+1, -1, +1] is 0b101 = 5; a zero packs as 1 only with
// rule<nonnegative>.
// CHECK-LABEL: func.func @pack_constant
// CHECK-DAG: arith.constant dense<{{\[}}[5], [0]]> : tensor<2x1xi64>
// CHECK-DAG: arith.constant dense<5> : tensor<2x1xi64>
// CHECK-NOT: bq.pack_bits
func.func @pack_constant() -> (tensor<2x1xi64>, tensor<2x1xi64>) {
  %x = arith.constant dense<[[1.0, -1.0, 1.0], [0.0, -1.0, 0.0]]> : tensor<2x3xf32>
  %a = bq.pack_bits %x : tensor<2x3xf32> -> tensor<2x1xi64>
  %b = bq.pack_bits %x rule<nonnegative> : tensor<2x3xf32> -> tensor<2x1xi64>
  return %a, %b : tensor<2x1xi64>, tensor<2x1xi64>
}

// -----

// 65 ones: a full word (-1 as i64) and one bit; padding bits stay 0.
// CHECK-LABEL: func.func @pack_padding
// CHECK: arith.constant dense<{{\[}}[-1, 1]]> : tensor<1x2xi64>
func.func @pack_padding() -> tensor<1x2xi64> {
  %x = arith.constant dense<1.0> : tensor<1x65xf32>
  %p = bq.pack_bits %x : tensor<1x65xf32> -> tensor<1x2xi64>
  return %p : tensor<1x2xi64>
}

// -----

// CHECK-LABEL: func.func @unpack_constant
// CHECK-DAG: arith.constant dense<[1.000000e+00, -1.000000e+00, 1.000000e+00]> : tensor<3xf32>
// CHECK-DAG: arith.constant dense<[1, 0, 1]> : tensor<3xi8>
// CHECK-NOT: bq.unpack_bits
func.func @unpack_constant() -> (tensor<3xf32>, tensor<3xi8>) {
  %p = arith.constant dense<[5]> : tensor<1xi64>
  %a = bq.unpack_bits %p : tensor<1xi64> -> tensor<3xf32>
  %b = bq.unpack_bits %p encoding<boolean> : tensor<1xi64> -> tensor<3xi8>
  return %a, %b : tensor<3xf32>, tensor<3xi8>
}

// -----

// lhs [+1,-1,+1]; rhs rows [+1,-1,+1] and [-1,+1,-1]: dots 3 and -3.
// CHECK-LABEL: func.func @xnor_constant
// CHECK: arith.constant dense<{{\[}}[3, -3]]> : tensor<1x2xi32>
// CHECK-NOT: bq.xnor_matmul
func.func @xnor_constant() -> tensor<1x2xi32> {
  %a = arith.constant dense<[[5]]> : tensor<1x1xi64>
  %b = arith.constant dense<[[5], [2]]> : tensor<2x1xi64>
  %d = bq.xnor_matmul %a, %b length(3) : tensor<1x1xi64>, tensor<2x1xi64> -> tensor<1x2xi32>
  return %d : tensor<1x2xi32>
}

// -----

// m = [1, 0, 1] against v = [+1,-1,+1] and [-1,+1,-1]: 2 and -2.
// CHECK-LABEL: func.func @bamm_constant
// CHECK: arith.constant dense<{{\[}}[2, -2]]> : tensor<1x2xi32>
// CHECK-NOT: bq.bitwise_affine_matmul
func.func @bamm_constant() -> tensor<1x2xi32> {
  %m = arith.constant dense<[[5]]> : tensor<1x1xi64>
  %v = arith.constant dense<[[5], [2]]> : tensor<2x1xi64>
  %c = bq.bitwise_affine_matmul %m, %v length(3) : tensor<1x1xi64>, tensor<2x1xi64> -> tensor<1x2xi32>
  return %c : tensor<1x2xi32>
}

// -----

// Batched: batch 0 uses rhs rows [5, 2], batch 1 uses [2, 2].
// CHECK-LABEL: func.func @xnor_batched_constant
// CHECK: arith.constant dense<{{\[}}{{\[}}[3, -3]], {{\[}}[-3, -3]]]> : tensor<2x1x2xi32>
func.func @xnor_batched_constant() -> tensor<2x1x2xi32> {
  %a = arith.constant dense<[[[5]], [[5]]]> : tensor<2x1x1xi64>
  %b = arith.constant dense<[[[5], [2]], [[2], [2]]]> : tensor<2x2x1xi64>
  %d = bq.xnor_matmul %a, %b length(3) : tensor<2x1x1xi64>, tensor<2x2x1xi64> -> tensor<2x1x2xi32>
  return %d : tensor<2x1x2xi32>
}

// -----

// CHECK-LABEL: func.func @xnor_argument
// CHECK: bq.xnor_matmul
func.func @xnor_argument(%a: tensor<1x1xi64>) -> tensor<1x2xi32> {
  %b = arith.constant dense<[[5], [2]]> : tensor<2x1xi64>
  %d = bq.xnor_matmul %a, %b length(3) : tensor<1x1xi64>, tensor<2x1xi64> -> tensor<1x2xi32>
  return %d : tensor<1x2xi32>
}

// -----

// [[1,2],[3,4]] x [[1,1],[0,-1]]^T + [10, 20] = [[13, 18], [17, 16]].
// CHECK-LABEL: func.func @int8_constant
// CHECK: arith.constant dense<{{\[}}[13, 18], [17, 16]]> : tensor<2x2xi32>
// CHECK-NOT: bq.int8_matmul
func.func @int8_constant() -> tensor<2x2xi32> {
  %x = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %w = arith.constant dense<[[1, 1], [0, -1]]> : tensor<2x2xi8>
  %b = arith.constant dense<[10, 20]> : tensor<2xi32>
  %y = bq.int8_matmul %x, %w bias %b : tensor<2x2xi8>, tensor<2x2xi8>, tensor<2xi32> -> tensor<2x2xi32>
  return %y : tensor<2x2xi32>
}

// -----

// How weights reach a kernel: binarize and pack at compile time, leaving one
// packed constant and the run-time XNOR matmul.
// CHECK-LABEL: func.func @binary_linear_weights
// CHECK: %[[W:.*]] = arith.constant dense<{{\[}}[5], [2]]> : tensor<2x1xi64>
// CHECK-NOT: form<weight>
// CHECK: %[[XB:.*]] = bq.binarize %{{.*}} form<activation> zero<plus_one>
// CHECK: %[[XP:.*]] = bq.pack_bits %[[XB]]
// CHECK: bq.xnor_matmul %[[XP]], %[[W]] length(3)
func.func @binary_linear_weights(%x: tensor<4x3xf32>) -> tensor<4x2xi32> {
  %w = arith.constant dense<[[0.5, -0.25, 0.75], [-1.0, 1.0, -1.0]]> : tensor<2x3xf32>
  %wb = bq.binarize %w form<weight> zero<plus_one> : tensor<2x3xf32>
  %wp = bq.pack_bits %wb : tensor<2x3xf32> -> tensor<2x1xi64>
  %xb = bq.binarize %x form<activation> zero<plus_one> : tensor<4x3xf32>
  %xp = bq.pack_bits %xb : tensor<4x3xf32> -> tensor<4x1xi64>
  %d = bq.xnor_matmul %xp, %wp length(3) : tensor<4x1xi64>, tensor<2x1xi64> -> tensor<4x2xi32>
  return %d : tensor<4x2xi32>
}
