// Every bert verifier message, once.
// RUN: bert-opt %s -split-input-file -verify-diagnostics

func.func @embedding_table_rank(%t: tensor<10xf32>, %ids: tensor<2xi32>) {
  // expected-error @+1 {{table must be [vocab, hidden], got rank 1}}
  %e = bert.embedding %t, %ids : tensor<10xf32>, tensor<2xi32> -> tensor<2x1xf32>
  return
}

// -----

func.func @embedding_result(%t: tensor<10x4xf32>, %ids: tensor<2xi32>) {
  // expected-error @+1 {{result must have the ids' shape followed by the hidden size 4}}
  %e = bert.embedding %t, %ids : tensor<10x4xf32>, tensor<2xi32> -> tensor<2x5xf32>
  return
}

// -----

func.func @embedding_float_ids(%t: tensor<10x4xf32>, %ids: tensor<2xf32>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values}}
  %e = bert.embedding %t, %ids : tensor<10x4xf32>, tensor<2xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_features(%x: tensor<2x8xf32>, %w: tensor<4x9xf32>) {
  // expected-error @+1 {{input has 8 features but the weight expects 9}}
  %y = bert.linear %x, %w : tensor<2x8xf32>, tensor<4x9xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_weight_rank(%x: tensor<2x8xf32>, %w: tensor<8xf32>) {
  // expected-error @+1 {{weight must be [out, in], got rank 1}}
  %y = bert.linear %x, %w : tensor<2x8xf32>, tensor<8xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_bias(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{bias must be a vector of 4 values}}
  %y = bert.linear %x, %w bias %b : tensor<2x8xf32>, tensor<4x8xf32>, tensor<8xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_result(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{result must have the input's shape with 4 features last}}
  %y = bert.linear %x, %w : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @linear_scalar_input(%x: tensor<f32>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{input must have rank >= 1}}
  %y = bert.linear %x, %w : tensor<f32>, tensor<4x8xf32> -> tensor<4xf32>
  return
}

// -----

func.func @layer_norm_gamma(%x: tensor<2x8xf32>, %g: tensor<7xf32>) {
  // expected-error @+1 {{gamma and beta must be vectors over the last axis of the input}}
  %y = bert.layer_norm %x, %g, %g epsilon(1.0e-12) : tensor<2x8xf32>, tensor<7xf32>
  return
}

// -----

func.func @layer_norm_epsilon(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{epsilon must be positive and finite, got 0}}
  %y = bert.layer_norm %x, %g, %g epsilon(0.0) : tensor<2x8xf32>, tensor<8xf32>
  return
}

// -----

func.func @layer_norm_scalar(%x: tensor<f32>, %g: tensor<1xf32>) {
  // expected-error @+1 {{input must have rank >= 1}}
  %y = bert.layer_norm %x, %g, %g epsilon(1.0e-5) : tensor<f32>, tensor<1xf32>
  return
}

// -----

func.func @gelu_unknown(%x: tensor<4xf32>) {
  // expected-error @+2 {{expected ::bertc::bert::GeluApproximation to be one of: erf, tanh}}
  // expected-error @+1 {{failed to parse Bert_GeluApproximationAttr parameter 'value'}}
  %y = bert.gelu %x approximation<sigmoid> : tensor<4xf32>
  return
}

// -----

func.func @softmax_scalar(%x: tensor<f32>) {
  // expected-error @+1 {{input must have rank >= 1}}
  %y = bert.softmax %x : tensor<f32>
  return
}

// -----

func.func @attention_heads(%x: tensor<2x5x96xf32>) {
  // expected-error @+1 {{hidden size 96 is not divisible by 5 heads}}
  %c = bert.attention %x, %x, %x heads(5) : tensor<2x5x96xf32>
  return
}

// -----

func.func @attention_rank(%x: tensor<5x96xf32>) {
  // expected-error @+1 {{query, key and value must be [batch, seq, hidden], got rank 2}}
  %c = bert.attention %x, %x, %x heads(4) : tensor<5x96xf32>
  return
}

// -----

func.func @attention_mask(%x: tensor<2x5x96xf32>, %m: tensor<2x6xf32>) {
  // expected-error @+1 {{mask must be [batch, seq]}}
  %c = bert.attention %x, %x, %x mask %m heads(4) : tensor<2x5x96xf32>, tensor<2x6xf32>
  return
}

// -----

func.func @attention_zero_heads(%x: tensor<2x5x96xf32>) {
  // expected-error @+1 {{attribute 'heads' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %c = bert.attention %x, %x, %x heads(0) : tensor<2x5x96xf32>
  return
}

// -----

func.func @attention_types(%x: tensor<2x5x96xf32>, %y: tensor<2x5x64xf32>) {
  // expected-error @+1 {{failed to verify that all of {query, key, value, output} have same type}}
  %c = "bert.attention"(%x, %y, %x) <{heads = 4 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (tensor<2x5x96xf32>, tensor<2x5x64xf32>, tensor<2x5x96xf32>) -> tensor<2x5x96xf32>
  return
}

// -----

func.func @cross_entropy_rank(%z: tensor<2x3x4xf32>, %y: tensor<2xi32>) {
  // expected-error @+1 {{logits must be [batch, classes], got rank 3}}
  %l = bert.cross_entropy %z, %y : tensor<2x3x4xf32>, tensor<2xi32> -> tensor<f32>
  return
}

// -----

func.func @cross_entropy_labels(%z: tensor<2x3xf32>, %y: tensor<3xi32>) {
  // expected-error @+1 {{labels must be a vector of one class per row of the logits}}
  %l = bert.cross_entropy %z, %y : tensor<2x3xf32>, tensor<3xi32> -> tensor<f32>
  return
}

// -----

func.func @cross_entropy_result(%z: tensor<2x3xf32>, %y: tensor<2xi32>) {
  // expected-error @+1 {{result #0 must be 0D tensor of 32-bit float values}}
  %l = bert.cross_entropy %z, %y : tensor<2x3xf32>, tensor<2xi32> -> tensor<2xf32>
  return
}

// -----

func.func @negative_padding(%t: tensor<10x4xf32>, %ids: tensor<2xi32>) {
  // expected-error @+1 {{attribute 'padding_idx' failed to satisfy constraint}}
  %e = bert.embedding %t, %ids padding_idx(-1) : tensor<10x4xf32>, tensor<2xi32> -> tensor<2x4xf32>
  return
}

// -----

func.func @similarity_heads(%x: tensor<2x4x10xf32>) {
  // expected-error @+1 {{hidden size must be static and divisible by 3 heads}}
  %s = bert.head_similarity %x heads(3) : tensor<2x4x10xf32> -> tensor<2x3x4x4xf32>
  return
}

// -----

func.func @similarity_shape(%x: tensor<2x4x8xf32>) {
  // expected-error @+1 {{result must be [batch, heads, seq, seq]}}
  %s = bert.head_similarity %x heads(2) : tensor<2x4x8xf32> -> tensor<2x2x4x8xf32>
  return
}

// -----

func.func @distance_types(%s: tensor<2x4xf32>, %t: tensor<2x5xf32>) {
  // expected-error @+1 {{failed to verify that all of {student, teacher} have same type}}
  %d = "bert.normalized_distance"(%s, %t) : (tensor<2x4xf32>, tensor<2x5xf32>) -> tensor<f32>
  return
}

// -----

func.func @soft_cross_entropy_rank(%z: tensor<2x3x4xf32>) {
  // expected-error @+1 {{logits must be [batch, classes], got rank 3}}
  %l = bert.soft_cross_entropy %z, %z : tensor<2x3x4xf32> -> tensor<f32>
  return
}

// -----

func.func @attention_probabilities(%q: tensor<1x4x8xf32>) {
  // expected-error @+2 {{to be one of: softmax, bool, sign_softmax, bool_paper}}
  // expected-error @+1 {{failed to parse Bert_AttentionProbabilitiesAttr}}
  %c = bert.attention %q, %q, %q heads(2) probabilities<sigmoid> : tensor<1x4x8xf32>
  return
}

// -----

func.func @dropout_rate(%x: tensor<2x3xf32>, %seed: i64) {
  // expected-error @+1 {{dropout rate must be in [0, 1), got 1}}
  %y = bert.dropout %x seed %seed stream(0) rate(1.0) : tensor<2x3xf32>
  return
}

// -----

func.func @dropout_stream(%x: tensor<2x3xf32>, %seed: i64) {
  // expected-error @+1 {{attribute 'stream' failed to satisfy constraint}}
  %y = bert.dropout %x seed %seed stream(-1) rate(0.1) : tensor<2x3xf32>
  return
}

// -----

func.func @attention_dropout_rate(%q: tensor<1x4x8xf32>, %seed: i64) {
  // expected-error @+1 {{dropout rate must be in [0, 1), got -5.000000e-01}}
  %c = bert.attention %q, %q, %q heads(2) dropout seed %seed stream(0) rate(-0.5) : tensor<1x4x8xf32>
  return
}

// -----

func.func @attention_rate_without_seed(%q: tensor<1x4x8xf32>) {
  // expected-error @+1 {{has a dropout rate but no seed}}
  %c = "bert.attention"(%q, %q, %q) {heads = 2 : i64, dropout_rate = 0.5 : f64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>} : (tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  return
}
