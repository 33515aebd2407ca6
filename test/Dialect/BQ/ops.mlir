// Round trip of every bq op, in the custom and in the generic form.
// RUN: bert-opt %s | bert-opt | FileCheck %s
// RUN: bert-opt %s --mlir-print-op-generic | bert-opt | FileCheck %s

!q8 = !quant.uniform<i8<-127:127>:f32, 0.5>
!q32 = !quant.uniform<i32<-2147483647:2147483647>:f32, 0.001>

// CHECK-LABEL: func.func @quantize_dequantize
func.func @quantize_dequantize(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK: %[[Q:.*]] = bq.quantize %{{.*}} : tensor<4x8xf32> -> tensor<4x8x!quant.uniform<i8<-127:127>:f32, 5.000000e-01>>
  %q = bq.quantize %x : tensor<4x8xf32> -> tensor<4x8x!q8>
  // CHECK: bq.dequantize %[[Q]] : tensor<4x8x!quant.uniform<i8<-127:127>:f32, 5.000000e-01>> -> tensor<4x8xf32>
  %y = bq.dequantize %q : tensor<4x8x!q8> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @quantize_bias_and_dynamic
func.func @quantize_bias_and_dynamic(%b: tensor<?xf32>) -> tensor<?x!q32> {
  // CHECK: bq.quantize %{{.*}} : tensor<?xf32> -> tensor<?x!quant.uniform<i32<-2147483647:2147483647>:f32, 1.000000e-03>>
  %q = bq.quantize %b : tensor<?xf32> -> tensor<?x!q32>
  return %q : tensor<?x!q32>
}

// CHECK-LABEL: func.func @constant
func.func @constant() -> tensor<2x!q8> {
  // CHECK: bq.constant dense<[1, -127]> : tensor<2xi8> -> tensor<2x!quant.uniform<i8<-127:127>:f32, 5.000000e-01>>
  %c = bq.constant dense<[1, -127]> : tensor<2xi8> -> tensor<2x!q8>
  return %c : tensor<2x!q8>
}

// CHECK-LABEL: func.func @fake_quant
func.func @fake_quant(%x: tensor<2x3xf32>, %s: f32) -> tensor<2x3xf32> {
  // CHECK: bq.fake_quant %{{.*}}, %{{.*}} bits 8 : tensor<2x3xf32>
  %y = bq.fake_quant %x, %s bits 8 : tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @binarize
func.func @binarize(%x: tensor<2x64xf32>, %w: tensor<8x64xf32>) -> (tensor<2x64xf32>, tensor<2x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>) {
  // CHECK: bq.binarize %{{.*}} form<activation> : tensor<2x64xf32>
  %a = bq.binarize %x form<activation> : tensor<2x64xf32>
  // CHECK: bq.binarize %{{.*}} form<activation> zero<plus_one> window<strict> : tensor<2x64xf32>
  %b = bq.binarize %x form<activation> zero<plus_one> window<strict> : tensor<2x64xf32>
  // CHECK: bq.binarize %{{.*}} form<weight> : tensor<8x64xf32>
  %c = bq.binarize %w form<weight> : tensor<8x64xf32>
  // Defaults are elided when spelled out.
  // CHECK: bq.binarize %{{.*}} form<weight> zero<plus_one> : tensor<8x64xf32>
  %d = bq.binarize %w form<weight> zero<plus_one> window<inclusive> : tensor<8x64xf32>
  return %a, %b, %c, %d : tensor<2x64xf32>, tensor<2x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>
}

// CHECK-LABEL: func.func @bool
func.func @bool(%s: tensor<2x4x16x16xf32>) -> (tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>) {
  // CHECK: bq.bool %{{.*}} : tensor<2x4x16x16xf32>
  %a = bq.bool %s : tensor<2x4x16x16xf32>
  // CHECK: bq.bool %{{.*}} rule<ge> window<inclusive> : tensor<2x4x16x16xf32>
  %b = bq.bool %s rule<ge> window<inclusive> : tensor<2x4x16x16xf32>
  return %a, %b : tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>
}

// CHECK-LABEL: func.func @pack_unpack
func.func @pack_unpack(%x: tensor<4x100xf32>, %y: tensor<?x65xi8>) -> (tensor<4x100xf32>, tensor<4x100xf32>, tensor<?x2xi64>) {
  // CHECK: %[[P:.*]] = bq.pack_bits %{{.*}} : tensor<4x100xf32> -> tensor<4x2xi64>
  %p = bq.pack_bits %x : tensor<4x100xf32> -> tensor<4x2xi64>
  // CHECK: bq.pack_bits %{{.*}} rule<nonnegative> : tensor<?x65xi8> -> tensor<?x2xi64>
  %q = bq.pack_bits %y rule<nonnegative> : tensor<?x65xi8> -> tensor<?x2xi64>
  // CHECK: bq.unpack_bits %[[P]] : tensor<4x2xi64> -> tensor<4x100xf32>
  %u = bq.unpack_bits %p : tensor<4x2xi64> -> tensor<4x100xf32>
  // CHECK: bq.unpack_bits %[[P]] encoding<boolean> : tensor<4x2xi64> -> tensor<4x100xf32>
  %m = bq.unpack_bits %p encoding<boolean> : tensor<4x2xi64> -> tensor<4x100xf32>
  return %u, %m, %q : tensor<4x100xf32>, tensor<4x100xf32>, tensor<?x2xi64>
}

// CHECK-LABEL: func.func @xnor_matmul
func.func @xnor_matmul(%x: tensor<2x128x12xi64>, %w: tensor<768x12xi64>, %q: tensor<2x4x13x1xi64>, %k: tensor<2x4x13x1xi64>) -> (tensor<2x128x768xi32>, tensor<2x4x13x13xi32>) {
  // CHECK: bq.xnor_matmul %{{.*}}, %{{.*}} length(768) : tensor<2x128x12xi64>, tensor<768x12xi64> -> tensor<2x128x768xi32>
  %y = bq.xnor_matmul %x, %w length(768) : tensor<2x128x12xi64>, tensor<768x12xi64> -> tensor<2x128x768xi32>
  // CHECK: bq.xnor_matmul %{{.*}}, %{{.*}} length(64) : tensor<2x4x13x1xi64>, tensor<2x4x13x1xi64> -> tensor<2x4x13x13xi32>
  %s = bq.xnor_matmul %q, %k length(64) : tensor<2x4x13x1xi64>, tensor<2x4x13x1xi64> -> tensor<2x4x13x13xi32>
  return %y, %s : tensor<2x128x768xi32>, tensor<2x4x13x13xi32>
}

// CHECK-LABEL: func.func @bitwise_affine_matmul
func.func @bitwise_affine_matmul(%a: tensor<2x4x13x1xi64>, %vt: tensor<2x4x16x1xi64>) -> tensor<2x4x13x16xi32> {
  // CHECK: bq.bitwise_affine_matmul %{{.*}}, %{{.*}} length(13) : tensor<2x4x13x1xi64>, tensor<2x4x16x1xi64> -> tensor<2x4x13x16xi32>
  %c = bq.bitwise_affine_matmul %a, %vt length(13) : tensor<2x4x13x1xi64>, tensor<2x4x16x1xi64> -> tensor<2x4x13x16xi32>
  return %c : tensor<2x4x13x16xi32>
}

// CHECK-LABEL: func.func @int8_matmul
func.func @int8_matmul(%x: tensor<?x768xi8>, %w: tensor<3072x768xi8>, %b: tensor<3072xi32>) -> (tensor<?x3072xi32>, tensor<?x3072xi32>) {
  // CHECK: bq.int8_matmul %{{.*}}, %{{.*}} bias %{{.*}} : tensor<?x768xi8>, tensor<3072x768xi8>, tensor<3072xi32> -> tensor<?x3072xi32>
  %y = bq.int8_matmul %x, %w bias %b : tensor<?x768xi8>, tensor<3072x768xi8>, tensor<3072xi32> -> tensor<?x3072xi32>
  // CHECK: bq.int8_matmul %{{.*}}, %{{.*}} : tensor<?x768xi8>, tensor<3072x768xi8> -> tensor<?x3072xi32>
  %z = bq.int8_matmul %x, %w : tensor<?x768xi8>, tensor<3072x768xi8> -> tensor<?x3072xi32>
  return %y, %z : tensor<?x3072xi32>, tensor<?x3072xi32>
}

// BAMM over a run-time key count: no length.
// CHECK-LABEL: func.func @bitwise_affine_matmul_dynamic
func.func @bitwise_affine_matmul_dynamic(%a: tensor<1x12x?x?xi64>, %vt: tensor<1x12x64x?xi64>) -> tensor<1x12x?x64xi32> {
  // CHECK: bq.bitwise_affine_matmul %{{.*}}, %{{.*}} : tensor<1x12x?x?xi64>, tensor<1x12x64x?xi64> -> tensor<1x12x?x64xi32>
  %c = bq.bitwise_affine_matmul %a, %vt : tensor<1x12x?x?xi64>, tensor<1x12x64x?xi64> -> tensor<1x12x?x64xi32>
  return %c : tensor<1x12x?x64xi32>
}

// CHECK-LABEL: func.func @threshold
func.func @threshold(%d: tensor<?x8xi32>, %t: tensor<8xi32>, %u: tensor<8xi32>) -> (tensor<?x8xi8>, tensor<?x8xi8>) {
  // CHECK: bq.threshold %{{.*}} at_least %{{.*}} : tensor<?x8xi32>, tensor<8xi32> -> tensor<?x8xi8>
  %a = bq.threshold %d at_least %t : tensor<?x8xi32>, tensor<8xi32> -> tensor<?x8xi8>
  // CHECK: bq.threshold %{{.*}} at_least %{{.*}} below %{{.*}} : tensor<?x8xi32>, tensor<8xi32>, tensor<8xi32> -> tensor<?x8xi8>
  %b = bq.threshold %d at_least %t below %u : tensor<?x8xi32>, tensor<8xi32>, tensor<8xi32> -> tensor<?x8xi8>
  return %a, %b : tensor<?x8xi8>, tensor<?x8xi8>
}
