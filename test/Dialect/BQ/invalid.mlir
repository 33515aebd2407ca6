// Every bq verifier message, once.
// RUN: bert-opt %s -split-input-file -verify-diagnostics

func.func @quantize_shape(%x: tensor<4xf32>) {
  // expected-error @+1 {{result must have shape [4], got [5]}}
  %q = bq.quantize %x : tensor<4xf32> -> tensor<5x!quant.uniform<i8<-127:127>:f32, 0.5>>
  return
}

// -----

func.func @quantize_full_range(%x: tensor<4xf32>) {
  // expected-error @+1 {{must use the restricted symmetric range [-127:127], got [-128:127]}}
  %q = bq.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 0.5>>
  return
}

// -----

func.func @quantize_zero_point(%x: tensor<4xf32>) {
  // expected-error @+1 {{must have zero point 0, got 3}}
  %q = bq.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5:3>>
  return
}

// -----

func.func @quantize_unsigned(%x: tensor<4xf32>) {
  // expected-error @+1 {{must have signed storage}}
  %q = bq.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<u8:f32, 0.5>>
  return
}

// -----

func.func @quantize_expressed(%x: tensor<4xf32>) {
  // expected-error @+1 {{must express 'f32'}}
  %q = bq.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8<-127:127>:f16, 0.5>>
  return
}

// -----

func.func @quantize_tiny_scale(%x: tensor<4xf32>) {
  // expected-error @+1 {{must have a positive finite scale whose reciprocal fits in f32}}
  %q = bq.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8<-127:127>:f32, 1.0e-40>>
  return
}

// -----

func.func @quantize_f16_input(%x: tensor<4xf16>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float values}}
  %q = bq.quantize %x : tensor<4xf16> -> tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5>>
  return
}

// -----

func.func @dequantize_shape(%q: tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5>>) {
  // expected-error @+1 {{result must have shape [4], got [2, 2]}}
  %x = bq.dequantize %q : tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5>> -> tensor<2x2xf32>
  return
}

// -----

func.func @dequantize_asymmetric(%q: tensor<4x!quant.uniform<i8:f32, 0.5:1>>) {
  // expected-error @+1 {{must have zero point 0, got 1}}
  %x = bq.dequantize %q : tensor<4x!quant.uniform<i8:f32, 0.5:1>> -> tensor<4xf32>
  return
}

// -----

func.func @constant_storage_type() {
  // expected-error @+1 {{value must hold the storage type 'i8', got 'i16'}}
  %c = bq.constant dense<[1, 2]> : tensor<2xi16> -> tensor<2x!quant.uniform<i8<-127:127>:f32, 0.5>>
  return
}

// -----

func.func @constant_out_of_range() {
  // expected-error @+1 {{value -128 lies outside the storage range [-127:127]}}
  %c = bq.constant dense<[1, -128]> : tensor<2xi8> -> tensor<2x!quant.uniform<i8<-127:127>:f32, 0.5>>
  return
}

// -----

func.func @constant_shape() {
  // expected-error @+1 {{value shape [2] must equal the static result shape [3]}}
  %c = bq.constant dense<[1, 2]> : tensor<2xi8> -> tensor<3x!quant.uniform<i8<-127:127>:f32, 0.5>>
  return
}

// -----

func.func @fake_quant_bits(%x: tensor<4xf32>, %s: f32) {
  // expected-error @+1 {{attribute 'bits' failed to satisfy constraint: 64-bit signless integer attribute whose minimum value is 2}}
  %y = bq.fake_quant %x, %s bits 1 : tensor<4xf32>
  return
}

// -----

func.func @binarize_weight_rank(%w: tensor<2x3x4xf32>) {
  // expected-error @+1 {{weight form needs a rank-2 [out, in] tensor, got rank 3}}
  %b = bq.binarize %w form<weight> : tensor<2x3x4xf32>
  return
}

// -----

func.func @binarize_unknown_form(%x: tensor<4xf32>) {
  // expected-error @+2 {{expected ::bertc::bq::BinarizeForm to be one of: activation, weight}}
  // expected-error @+1 {{failed to parse BQ_BinarizeFormAttr parameter 'value'}}
  %b = bq.binarize %x form<ternary> : tensor<4xf32>
  return
}

// -----

func.func @bool_unknown_rule(%x: tensor<4xf32>) {
  // expected-error @+2 {{expected ::bertc::bq::BoolRule to be one of: gt, ge}}
  // expected-error @+1 {{failed to parse BQ_BoolRuleAttr parameter 'value'}}
  %b = bq.bool %x rule<gte> : tensor<4xf32>
  return
}

// -----

func.func @bool_integer(%x: tensor<4xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float values}}
  %b = bq.bool %x : tensor<4xi32>
  return
}

// -----

func.func @pack_word_count(%x: tensor<4x65xf32>) {
  // expected-error @+1 {{the packed tensor holds 1 words along its packed axis, but 65 bits need 2}}
  %p = bq.pack_bits %x : tensor<4x65xf32> -> tensor<4x1xi64>
  return
}

// -----

func.func @pack_rank(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{packed and unpacked tensors must have the same rank >= 1, got [4, 64] and [4, 1, 1]}}
  %p = bq.pack_bits %x : tensor<4x64xf32> -> tensor<4x1x1xi64>
  return
}

// -----

func.func @pack_leading(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{the leading axes must have shape [4], got [3]}}
  %p = bq.pack_bits %x : tensor<4x64xf32> -> tensor<3x1xi64>
  return
}

// -----

func.func @pack_to_i32(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of 64-bit signless integer values}}
  %p = bq.pack_bits %x : tensor<4x64xf32> -> tensor<4x2xi32>
  return
}

// -----

func.func @unpack_word_count(%p: tensor<2x3xi64>) {
  // expected-error @+1 {{the packed tensor holds 3 words along its packed axis, but 128 bits need 2}}
  %x = bq.unpack_bits %p : tensor<2x3xi64> -> tensor<2x128xf32>
  return
}

// -----

func.func @xnor_length(%a: tensor<2x1xi64>, %b: tensor<3x1xi64>) {
  // expected-error @+1 {{lhs holds 1 words along its packed axis, but 100 bits need 2}}
  %d = bq.xnor_matmul %a, %b length(100) : tensor<2x1xi64>, tensor<3x1xi64> -> tensor<2x3xi32>
  return
}

// -----

func.func @xnor_zero_length(%a: tensor<2x1xi64>, %b: tensor<3x1xi64>) {
  // expected-error @+1 {{attribute 'length' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %d = bq.xnor_matmul %a, %b length(0) : tensor<2x1xi64>, tensor<3x1xi64> -> tensor<2x3xi32>
  return
}

// -----

func.func @xnor_result(%a: tensor<2x1xi64>, %b: tensor<3x1xi64>) {
  // expected-error @+1 {{result must have shape [2, 3], got [3, 2]}}
  %d = bq.xnor_matmul %a, %b length(64) : tensor<2x1xi64>, tensor<3x1xi64> -> tensor<3x2xi32>
  return
}

// -----

func.func @xnor_reduction(%a: tensor<2x2xi64>, %b: tensor<3x1xi64>) {
  // expected-error @+1 {{reduction axes differ: lhs [2, 2] vs rhs [3, 1]}}
  %d = bq.xnor_matmul %a, %b length(64) : tensor<2x2xi64>, tensor<3x1xi64> -> tensor<2x3xi32>
  return
}

// -----

func.func @xnor_rhs_rank(%a: tensor<2x1xi64>, %b: tensor<1xi64>) {
  // expected-error @+1 {{rhs must have rank >= 2 ([N, K] or [batch..., N, K]), got [1]}}
  %d = bq.xnor_matmul %a, %b length(64) : tensor<2x1xi64>, tensor<1xi64> -> tensor<2xi32>
  return
}

// -----

func.func @bamm_batch_rank(%a: tensor<13x1xi64>, %v: tensor<4x16x1xi64>) {
  // expected-error @+1 {{a batched rhs [4, 16, 1] needs an lhs of the same rank, got [13, 1]}}
  %c = bq.bitwise_affine_matmul %a, %v length(13) : tensor<13x1xi64>, tensor<4x16x1xi64> -> tensor<4x13x16xi32>
  return
}

// -----

func.func @bamm_batch(%a: tensor<2x13x1xi64>, %v: tensor<4x16x1xi64>) {
  // expected-error @+1 {{batch axis 0 differs: lhs [2, 13, 1] vs rhs [4, 16, 1]}}
  %c = bq.bitwise_affine_matmul %a, %v length(13) : tensor<2x13x1xi64>, tensor<4x16x1xi64> -> tensor<2x13x16xi32>
  return
}

// -----

func.func @int8_bias(%x: tensor<4x8xi8>, %w: tensor<3x8xi8>, %b: tensor<4xi32>) {
  // expected-error @+1 {{bias must be a vector over the output axis of 3 values, got [4]}}
  %y = bq.int8_matmul %x, %w bias %b : tensor<4x8xi8>, tensor<3x8xi8>, tensor<4xi32> -> tensor<4x3xi32>
  return
}

// -----

func.func @int8_operand_type(%x: tensor<4x8xi16>, %w: tensor<3x8xi8>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 8-bit signless integer values}}
  %y = bq.int8_matmul %x, %w : tensor<4x8xi16>, tensor<3x8xi8> -> tensor<4x3xi32>
  return
}

// -----

func.func @int8_result(%x: tensor<4x8xi8>, %w: tensor<3x8xi8>) {
  // expected-error @+1 {{result must have shape [4, 3], got [4, 8]}}
  %y = bq.int8_matmul %x, %w : tensor<4x8xi8>, tensor<3x8xi8> -> tensor<4x8xi32>
  return
}

// -----

func.func @threshold_shape(%d: tensor<4x8xi32>, %t: tensor<8xi32>) -> tensor<4x7xi8> {
  // expected-error @+1 {{output must have shape [4, 8], got [4, 7]}}
  %s = bq.threshold %d at_least %t : tensor<4x8xi32>, tensor<8xi32> -> tensor<4x7xi8>
  return %s : tensor<4x7xi8>
}

// -----

func.func @threshold_vector(%d: tensor<4x8xi32>, %t: tensor<8xi32>, %u: tensor<4xi32>) -> tensor<4x8xi8> {
  // expected-error @+1 {{thresholds must be a vector over the last axis of 8 values, got [4]}}
  %s = bq.threshold %d at_least %t below %u : tensor<4x8xi32>, tensor<8xi32>, tensor<4xi32> -> tensor<4x8xi8>
  return %s : tensor<4x8xi8>
}

// -----

func.func @threshold_type(%d: tensor<4x8xf32>, %t: tensor<8xi32>) -> tensor<4x8xi8> {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit signless integer values}}
  %s = bq.threshold %d at_least %t : tensor<4x8xf32>, tensor<8xi32> -> tensor<4x8xi8>
  return %s : tensor<4x8xi8>
}
