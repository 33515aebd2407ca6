// RUN: rm -rf %t && mkdir -p %t
// RUN: %make_checkpoint %t/tiny --hidden 4 --heads 2 --layers 1 --vocab 10 --max-positions 8 --seed 1
// RUN: bert-compile %t/tiny --emit=mlir -o %t/model.mlir
// RUN: bert-opt %t/model.mlir --inline --bert-make-trainable --bert-insert-dropout | FileCheck %s
// RUN: bert-opt %t/model.mlir --inline --bert-make-trainable --bert-insert-dropout="hidden=0 attention=0.25" | FileCheck %s --check-prefix=ATTENTION
// RUN: bert-opt %t/model.mlir --inline --bert-make-trainable --bert-insert-dropout --bert-fake-quantize-q8 | FileCheck %s --check-prefix=QAT
// RUN: bert-opt %t/model.mlir --inline --bert-distill-bibert --bert-binarize-for-training --bert-make-trainable --bert-insert-dropout | FileCheck %s --check-prefix=BIBERT
// RUN: bert-opt %t/model.mlir --inline --bert-make-trainable --bert-insert-dropout --bert-differentiate | FileCheck %s --check-prefix=GRAD
// RUN: bert-opt %s --split-input-file --bert-insert-dropout -verify-diagnostics
// RUN: not bert-opt %t/model.mlir --inline --bert-make-trainable --bert-insert-dropout=hidden=1 2>&1 | FileCheck %s --check-prefix=RATE

// Hugging Face BertModel's training-mode dropout sites, numbered in program
// order: the embeddings' LayerNorm output (0), the attention weights (1),
// the attention output projection (2) and the FFN output (3) before their
// residual adds, the classifier's input (4). The seed is a new last
// argument of the step; bert_logits (evaluation) has no dropout.
// CHECK: bertc.dropout_sites = 5 : i64
// CHECK: func.func @bert_train_step({{.*}}, %[[SEED:.*]]: i64 {bertc.dropout_seed}) -> tensor<f32>
// CHECK: %[[EMB:.*]] = bert.layer_norm
// CHECK-NEXT: %[[EMBD:.*]] = bert.dropout %[[EMB]] seed %[[SEED]] stream(0) rate(1.000000e-01)
// CHECK: bert.linear %[[EMBD]]
// CHECK: bert.attention {{.*}} dropout seed %[[SEED]] stream(1) rate(1.000000e-01)
// CHECK: %[[O:.*]] = bert.linear
// CHECK-NEXT: %[[OD:.*]] = bert.dropout %[[O]] seed %[[SEED]] stream(2)
// CHECK-NEXT: arith.addf %[[OD]], %[[EMBD]]
// CHECK: %[[F:.*]] = bert.linear {{.*}} -> tensor<?x?x4xf32>
// CHECK-NEXT: %[[FD:.*]] = bert.dropout %[[F]] seed %[[SEED]] stream(3)
// CHECK-NEXT: arith.addf %[[FD]]
// CHECK: %[[POOLED:.*]] = math.tanh
// CHECK-NEXT: %[[PD:.*]] = bert.dropout %[[POOLED]] seed %[[SEED]] stream(4)
// CHECK-NEXT: %[[LOGITS:.*]] = bert.linear %[[PD]]
// CHECK-NEXT: bert.cross_entropy %[[LOGITS]]
// CHECK: func.func @bert_logits
// CHECK-NOT: dropout
// CHECK: func.func @bert_initial_parameters

// A zero rate leaves its sites out and keeps the numbering.
// ATTENTION: bertc.dropout_sites = 5 : i64
// ATTENTION-NOT: bert.dropout
// ATTENTION: bert.attention {{.*}} dropout seed %{{.*}} stream(1) rate(2.500000e-01)
// ATTENTION-NOT: bert.dropout

// Q8BERT: the classifier's quantizer sees (and tracks max|x| of) the
// dropped-out input, as its code's QuantizedLinear does.
// QAT: %[[PD:.*]] = bert.dropout %{{.*}} stream(4)
// QAT: math.absf
// QAT: bq.fake_quant %[[PD]]

// BiBERT: the student's attention drops scores before bool; the frozen
// teacher (bertc.teacher) has no dropout; the hidden-state distance reads
// the embeddings after dropout (Hugging Face's hidden_states[0]).
// BIBERT: %[[EMBD:.*]] = bert.dropout %{{.*}} stream(0)
// BIBERT: bert.attention {{.*}} probabilities<bool> dropout seed %{{.*}} stream(1)
// BIBERT: %[[TEACHER:.*]] = bert.layer_norm {{.*}} {bertc.teacher}
// BIBERT-NOT: bert.dropout
// BIBERT: bert.normalized_distance %[[EMBD]], %[[TEACHER]]
// BIBERT-NOT: bert.dropout
// BIBERT: func.func @bert_logits

// The gradient of dropout is dropout of the gradient with the same seed,
// stream and rate (the mask recomputed, not stored).
// GRAD-DAG: bert.dropout %{{.*}} seed %[[SEED:arg[0-9]+]] stream(4) rate(1.000000e-01)
// GRAD-DAG: bert.dropout %{{.*}} seed %[[SEED]] stream(3) rate(1.000000e-01)
// GRAD-DAG: bert.dropout %{{.*}} seed %[[SEED]] stream(2) rate(1.000000e-01)
// GRAD-DAG: bert.dropout %{{.*}} seed %[[SEED]] stream(0) rate(1.000000e-01)

// RATE: bert-insert-dropout: a dropout rate must be in [0, 1), got 1

// expected-error @below {{bert-insert-dropout needs bert_train_step (run bert-make-trainable first)}}
module {
  func.func @bert_model(%x: tensor<2xf32>) -> tensor<2xf32> {
    return %x : tensor<2xf32>
  }
}
