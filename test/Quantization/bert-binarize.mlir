// RUN: bert-opt %s --split-input-file --bert-binarize | FileCheck %s
// RUN: bert-opt %s --split-input-file --bert-binarize=bool-rule=ge | FileCheck %s --check-prefix=GE
// RUN: bert-opt %s --split-input-file --bert-binarize=fold-thresholds=false | FileCheck %s --check-prefix=NOFOLD
// RUN: not bert-opt %s --split-input-file --bert-binarize=bool-rule=maybe 2>&1 | FileCheck %s --check-prefix=BAD

// A binary linear: x packed with sign(0) -> +1, the weight's centred sign
// packed (folded later by canonicalize), XNOR-popcount over 64 bits, then
// alpha (mean |W| per row, a new blob) * dot + bias in f32. The classifier
// keeps its float linear.
// CHECK-LABEL: func.func @linears
// CHECK: %[[ALPHA:.*]] = arith.constant dense_resource<bert.encoder.layer.0.intermediate.dense.weight.alpha> : tensor<2xf32>
// CHECK: %[[SIGNS:.*]] = bq.binarize %{{.*}} form<weight> zero<plus_one> : tensor<2x64xf32>
// CHECK: %[[WP:.*]] = bq.pack_bits %[[SIGNS]] : tensor<2x64xf32> -> tensor<2x1xi64>
// CHECK: %[[XP:.*]] = bq.pack_bits %arg0 rule<nonnegative> : tensor<?x?x64xf32> -> tensor<?x?x1xi64>
// CHECK: %[[DOT:.*]] = bq.xnor_matmul %[[XP]], %[[WP]] length(64) : tensor<?x?x1xi64>, tensor<2x1xi64> -> tensor<?x?x2xi32>
// CHECK: linalg.generic {{.*}} ins(%[[DOT]], %[[ALPHA]], %{{.*}} : tensor<?x?x2xi32>, tensor<2xf32>, tensor<2xf32>)
// CHECK: arith.sitofp
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: bert.linear %{{.*}}, %{{.*}} bias %{{.*}} : tensor<?x?x2xf32>, tensor<3x2xf32>, tensor<3xf32> -> tensor<?x?x3xf32>
func.func @linears(%x: tensor<?x?x64xf32>) -> tensor<?x?x3xf32> {
  %w = arith.constant dense_resource<bert.encoder.layer.0.intermediate.dense.weight> : tensor<2x64xf32>
  %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %h = bert.linear %x, %w bias %b : tensor<?x?x64xf32>, tensor<2x64xf32>, tensor<2xf32> -> tensor<?x?x2xf32>
  %wc = arith.constant dense_resource<classifier.weight> : tensor<3x2xf32>
  %bc = arith.constant dense<[0.0, 1.0, 2.0]> : tensor<3xf32>
  %y = bert.linear %h, %wc bias %bc : tensor<?x?x2xf32>, tensor<3x2xf32>, tensor<3xf32> -> tensor<?x?x3xf32>
  return %y : tensor<?x?x3xf32>
}

{-#
  dialect_resources: {
    builtin: {
      bert.encoder.layer.0.intermediate.dense.weight: "0x040000000000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F000000400000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F00000040",
      classifier.weight: "0x040000000000803F0000803F0000803F0000803F0000803F0000803F"
    }
  }
#-}

// -----

// Bi-Attention: per head sign(Q) sign(K)^T over d = 32 bits (XNOR), the
// scaled and masked scores through bool (> 0, or >= 0 with bool-rule=ge),
// packed along the keys, and the BAMM context against sign(V) packed along
// the keys too; no softmax, exact integers back to [B, L, H] f32.
// CHECK-LABEL: func.func @attention
// Q and K are packed per head in token order; only the words move heads
// first.
// CHECK-NOT: bert.attention
// CHECK: tensor.expand_shape %arg0 {{.*}} into tensor<?x?x3x32xf32>
// CHECK: bq.pack_bits %{{.*}} rule<nonnegative> : tensor<?x?x3x32xf32> -> tensor<?x?x3x1xi64>
// CHECK: linalg.transpose ins(%{{.*}} : tensor<?x?x3x1xi64>) {{.*}} permutation = [0, 2, 1, 3]
// CHECK: bq.xnor_matmul %{{.*}}, %{{.*}} length(32) : tensor<?x3x?x1xi64>, tensor<?x3x?x1xi64> -> tensor<?x3x?x?xi32>
// CHECK: arith.constant -1.000000e+04
// CHECK: bq.bool %{{.*}} : tensor<?x3x?x?xf32>
// CHECK: bq.pack_bits %{{.*}} : tensor<?x3x?x?xf32> -> tensor<?x3x?x?xi64>
// CHECK: linalg.transpose {{.*}} permutation = [0, 2, 3, 1]
// CHECK: bq.pack_bits %{{.*}} rule<nonnegative> : tensor<?x3x32x?xf32> -> tensor<?x3x32x?xi64>
// CHECK: bq.bitwise_affine_matmul %{{.*}}, %{{.*}} : tensor<?x3x?x?xi64>, tensor<?x3x32x?xi64> -> tensor<?x3x?x32xi32>
// CHECK: tensor.collapse_shape
// GE-LABEL: func.func @attention
// GE: bq.bool %{{.*}} rule<ge> : tensor<?x3x?x?xf32>
// BAD: bert-binarize: bool-rule must be gt or ge, not 'maybe'
func.func @attention(%q: tensor<?x?x96xf32>, %k: tensor<?x?x96xf32>, %v: tensor<?x?x96xf32>, %m: tensor<?x?xf32>) -> tensor<?x?x96xf32> {
  %c = bert.attention %q, %k, %v mask %m heads(3) : tensor<?x?x96xf32>, tensor<?x?xf32>
  return %c : tensor<?x?x96xf32>
}

// -----

// Only the word embedding is binarized: one bit per entry (the centred
// sign, packed at compile time) and alpha per token; the lookup unpacks the
// row of each clamped id. Position embeddings stay f32.
// CHECK-LABEL: func.func @embeddings
// CHECK: %[[ALPHA:.*]] = arith.constant dense_resource<bert.embeddings.word_embeddings.weight.alpha> : tensor<4xf32>
// CHECK: %[[SIGNS:.*]] = bq.binarize %{{.*}} form<weight> zero<plus_one> : tensor<4x2xf32>
// CHECK: %[[BITS:.*]] = bq.pack_bits %[[SIGNS]] : tensor<4x2xf32> -> tensor<4x1xi64>
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<?x?xi32>) outs(%{{.*}} : tensor<?x?x2xf32>)
// CHECK: arith.minsi
// CHECK: tensor.extract %[[BITS]]
// CHECK: arith.shrui
// CHECK: tensor.extract %[[ALPHA]]
// CHECK: arith.select
// CHECK-NOT: bq.binarize
// CHECK: bert.embedding %{{.*}}, %arg1
func.func @embeddings(%ids: tensor<?x?xi32>, %pos: tensor<?x?xi32>) -> (tensor<?x?x2xf32>, tensor<?x?x2xf32>) {
  %words = arith.constant dense_resource<bert.embeddings.word_embeddings.weight> : tensor<4x2xf32>
  %positions = arith.constant dense_resource<bert.embeddings.position_embeddings.weight> : tensor<4x2xf32>
  %a = bert.embedding %words, %ids : tensor<4x2xf32>, tensor<?x?xi32> -> tensor<?x?x2xf32>
  %b = bert.embedding %positions, %pos : tensor<4x2xf32>, tensor<?x?xi32> -> tensor<?x?x2xf32>
  return %a, %b : tensor<?x?x2xf32>, tensor<?x?x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      bert.embeddings.word_embeddings.weight: "0x040000000000803F000000400000803F000000400000803F000000400000803F00000040",
      bert.embeddings.position_embeddings.weight: "0x040000000000803F000000400000803F000000400000803F000000400000803F00000040"
    }
  }
#-}

// -----

// Integer thresholds (bq.threshold): FFN1's output only feeds FFN2 through
// an erf GELU, so alpha * dot + bias and sign(GELU()) become dot >= at_least
// or dot < below (alpha = 1 here: y = dot + b over 4 bits). b = -7 never
// reaches y >= 0, and its dots below 2 give y <= -5.5426, whose GELU is -0
// in f32 (+1). FFN2's output is returned as f32: its epilogue stays.
// CHECK-LABEL: func.func @gelu_thresholds
// CHECK: %[[DOTS:.*]] = bq.xnor_matmul %{{.*}} length(4) : tensor<?x1xi64>, tensor<4x1xi64> -> tensor<?x4xi32>
// CHECK-DAG: %[[AT:.*]] = arith.constant dense<[0, 1, -2, 5]> : tensor<4xi32>
// CHECK-DAG: %[[BELOW:.*]] = arith.constant dense<[-4, -4, -4, 2]> : tensor<4xi32>
// CHECK: %[[SIGNS:.*]] = bq.threshold %[[DOTS]] at_least %[[AT]] below %[[BELOW]] : tensor<?x4xi32>, tensor<4xi32>, tensor<4xi32> -> tensor<?x4xi8>
// CHECK-NOT: bert.gelu
// CHECK: bq.pack_bits %[[SIGNS]] rule<nonnegative> : tensor<?x4xi8> -> tensor<?x1xi64>
// CHECK: bq.xnor_matmul
// CHECK: linalg.generic
// CHECK: arith.mulf
// NOFOLD-LABEL: func.func @gelu_thresholds
// NOFOLD-NOT: bq.threshold
// NOFOLD: bert.gelu
func.func @gelu_thresholds(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %w1 = arith.constant dense_resource<bert.encoder.layer.0.intermediate.dense.weight> : tensor<4x4xf32>
  %b1 = arith.constant dense<[0.5, -0.5, 2.0, -7.0]> : tensor<4xf32>
  %h = bert.linear %x, %w1 bias %b1 : tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %g = bert.gelu %h : tensor<?x4xf32>
  %w2 = arith.constant dense_resource<bert.encoder.layer.0.intermediate.dense.weight> : tensor<4x4xf32>
  %b2 = arith.constant dense<[0.0, 0.0, 0.0, 0.0]> : tensor<4xf32>
  %y = bert.linear %g, %w2 bias %b2 : tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      bert.encoder.layer.0.intermediate.dense.weight: "0x040000000000803F000080BF0000803F000080BF0000803F0000803F000080BF000080BF000080BF0000803F0000803F000080BF0000803F0000803F0000803F000080BF"
    }
  }
#-}

// -----


// Not folded: a tanh GELU (its -0 region is another), and a linear whose
// output also has a float user.
// CHECK-LABEL: func.func @float_users
// CHECK-NOT: bq.threshold
// CHECK: bert.gelu %{{.*}} approximation<tanh>
func.func @float_users(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %w = arith.constant dense_resource<bert.encoder.layer.0.intermediate.dense.weight> : tensor<4x4xf32>
  %h = bert.linear %x, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
  %g = bert.gelu %h approximation<tanh> : tensor<?x4xf32>
  %y = bert.linear %g, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
  %z = bert.linear %y, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
  return %y, %z : tensor<?x4xf32>, tensor<?x4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      bert.encoder.layer.0.intermediate.dense.weight: "0x040000000000803F000080BF0000803F000080BF0000803F0000803F000080BF000080BF000080BF0000803F0000803F000080BF0000803F0000803F0000803F000080BF"
    }
  }
#-}

// -----


// Q, K and V straight from binary linears reach Bi-Attention as i8 signs
// (one threshold each, no GELU interval), and the context reaches the
// output projection as the signs of its exact integers (threshold 0).
// CHECK-LABEL: func.func @attention_thresholds
// CHECK-COUNT-3: bq.threshold %{{.*}} at_least %{{.*}} : tensor<?x?x4xi32>, tensor<4xi32> -> tensor<?x?x4xi8>
// CHECK: bq.pack_bits %{{.*}} rule<nonnegative> : tensor<?x?x2x2xi8> -> tensor<?x?x2x1xi64>
// CHECK: bq.pack_bits %{{.*}} rule<nonnegative> : tensor<?x?x2x2xi8> -> tensor<?x?x2x1xi64>
// CHECK: bq.pack_bits %{{.*}} rule<nonnegative> : tensor<?x2x2x?xi8> -> tensor<?x2x2x?xi64>
// CHECK: %[[CONTEXT:.*]] = bq.bitwise_affine_matmul
// CHECK: %[[ZERO:.*]] = arith.constant dense<0> : tensor<2xi32>
// CHECK: bq.threshold %[[CONTEXT]] at_least %[[ZERO]] : tensor<?x2x?x2xi32>, tensor<2xi32> -> tensor<?x2x?x2xi8>
// CHECK: tensor.collapse_shape %{{.*}} : tensor<?x?x2x2xi8> into tensor<?x?x4xi8>
// CHECK: bq.pack_bits %{{.*}} rule<nonnegative> : tensor<?x?x4xi8> -> tensor<?x?x1xi64>
// CHECK-NOT: bert.{{linear|attention|gelu}}
// NOFOLD-LABEL: func.func @attention_thresholds
// NOFOLD-NOT: bq.threshold
func.func @attention_thresholds(%x: tensor<?x?x4xf32>, %m: tensor<?x?xf32>) -> tensor<?x?x4xf32> {
  %w = arith.constant dense_resource<bert.encoder.layer.0.intermediate.dense.weight> : tensor<4x4xf32>
  %q = bert.linear %x, %w : tensor<?x?x4xf32>, tensor<4x4xf32> -> tensor<?x?x4xf32>
  %k = bert.linear %x, %w : tensor<?x?x4xf32>, tensor<4x4xf32> -> tensor<?x?x4xf32>
  %v = bert.linear %x, %w : tensor<?x?x4xf32>, tensor<4x4xf32> -> tensor<?x?x4xf32>
  %c = bert.attention %q, %k, %v mask %m heads(2) : tensor<?x?x4xf32>, tensor<?x?xf32>
  %y = bert.linear %c, %w : tensor<?x?x4xf32>, tensor<4x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      bert.encoder.layer.0.intermediate.dense.weight: "0x040000000000803F000080BF0000803F000080BF0000803F0000803F000080BF000080BF000080BF0000803F0000803F000080BF0000803F0000803F0000803F000080BF"
    }
  }
#-}
