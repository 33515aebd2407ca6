// RUN: bert-opt %s --split-input-file --bert-distill-bibert -verify-diagnostics | FileCheck %s
// RUN: bert-opt %s --split-input-file --bert-distill-bibert=dmd=false -verify-diagnostics | FileCheck %s --check-prefix=NODMD

// The forward is cloned as the frozen teacher (every op marked
// bertc.teacher, its weights still constants); the entry returns the
// teacher's logits and the distillation sum: the distances of the head
// similarities of Q, K and V (student vs teacher, real-valued, before any
// sign), then of the hidden states (embedding LayerNorm, layer output).
// CHECK: bertc.outputs = ["logits", "teacher_logits", "distillation"]
// CHECK: func.func @bert_model(%[[X:.*]]: tensor<2x4x8xf32>, %[[M:.*]]: tensor<2x4xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>, tensor<f32>)
// CHECK: %[[H0:.*]] = bert.layer_norm %[[X]]
// CHECK: %[[Q:.*]] = bert.linear %[[H0]]
// CHECK: bert.attention %[[Q]], %[[Q]], %[[Q]] mask %[[M]] heads(2) :
// CHECK: %[[H1:.*]] = bert.layer_norm
// CHECK: %[[LOGITS:.*]] = bert.linear
// CHECK: arith.constant {bertc.teacher} dense_resource<bert.embeddings.LayerNorm.weight>
// CHECK: %[[TH0:.*]] = bert.layer_norm %[[X]], {{.*}} {bertc.teacher}
// CHECK: %[[TQ:.*]] = bert.linear %[[TH0]], {{.*}} {bertc.teacher}
// CHECK: bert.attention %[[TQ]], %[[TQ]], %[[TQ]] mask %[[M]] heads(2) {bertc.teacher}
// CHECK: %[[TH1:.*]] = bert.layer_norm {{.*}} {bertc.teacher}
// CHECK: %[[TLOGITS:.*]] = bert.linear {{.*}} {bertc.teacher}
// CHECK: %[[SQ:.*]] = bert.head_similarity %[[Q]] heads(2) : tensor<2x4x8xf32> -> tensor<2x2x4x4xf32>
// CHECK: %[[TSQ:.*]] = bert.head_similarity %[[TQ]] heads(2)
// CHECK: %[[DQ:.*]] = bert.normalized_distance %[[SQ]], %[[TSQ]] : tensor<2x2x4x4xf32> -> tensor<f32>
// CHECK-COUNT-2: bert.normalized_distance
// CHECK: %[[R0:.*]] = bert.normalized_distance %[[H0]], %[[TH0]] : tensor<2x4x8xf32> -> tensor<f32>
// CHECK: %[[R1:.*]] = bert.normalized_distance %[[H1]], %[[TH1]]
// CHECK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<f32>
// CHECK: %[[S1:.*]] = arith.addf %[[ZERO]], %[[DQ]]
// CHECK-COUNT-4: arith.addf
// CHECK: return %[[LOGITS]], %[[TLOGITS]], %{{.*}} : tensor<2x2xf32>, tensor<2x2xf32>, tensor<f32>

// Without DMD only the hidden states are compared.
// NODMD-NOT: bert.head_similarity
// NODMD-COUNT-2: bert.normalized_distance {{.*}} : tensor<2x4x8xf32> -> tensor<f32>
// NODMD-NOT: bert.normalized_distance
module attributes {bertc.entry = "bert_model", bertc.outputs = ["logits"]} {
  func.func @bert_model(%x: tensor<2x4x8xf32>, %m: tensor<2x4xf32>) -> tensor<2x2xf32> {
    %g0 = arith.constant dense_resource<bert.embeddings.LayerNorm.weight> : tensor<8xf32>
    %h0 = bert.layer_norm %x, %g0, %g0 epsilon(1.0e-12) : tensor<2x4x8xf32>, tensor<8xf32>
    %wq = arith.constant dense_resource<bert.encoder.layer.0.attention.self.query.weight> : tensor<8x8xf32>
    %q = bert.linear %h0, %wq : tensor<2x4x8xf32>, tensor<8x8xf32> -> tensor<2x4x8xf32>
    %c = bert.attention %q, %q, %q mask %m heads(2) : tensor<2x4x8xf32>, tensor<2x4xf32>
    %g1 = arith.constant dense_resource<bert.encoder.layer.0.output.LayerNorm.weight> : tensor<8xf32>
    %h1 = bert.layer_norm %c, %g1, %g1 epsilon(1.0e-12) : tensor<2x4x8xf32>, tensor<8xf32>
    %cls = tensor.extract_slice %h1[0, 0, 0] [2, 1, 8] [1, 1, 1] : tensor<2x4x8xf32> to tensor<2x8xf32>
    %wc = arith.constant dense_resource<classifier.weight> : tensor<2x8xf32>
    %y = bert.linear %cls, %wc : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x2xf32>
    return %y : tensor<2x2xf32>
  }
}

// -----

// L_rep needs every layer's output: a model without them is refused.
module attributes {bertc.entry = "bert_model", bertc.outputs = ["logits"]} {
  // expected-error @+1 {{L_rep needs the embedding output and every layer's output (2 LayerNorms named as in Hugging Face BERT), found 0}}
  func.func @bert_model(%x: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
    %c = bert.attention %x, %x, %x heads(2) : tensor<2x4x8xf32>
    return %c : tensor<2x4x8xf32>
  }
}

// -----

// expected-error @+1 {{bert-distill-bibert needs the entry function (bertc.entry) with the logits as its first result}}
module attributes {bertc.entry = "missing", bertc.outputs = ["logits"]} {
}
