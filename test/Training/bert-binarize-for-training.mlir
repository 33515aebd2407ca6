// RUN: bert-opt %s --bert-binarize-for-training | FileCheck %s
// RUN: bert-opt %s --bert-binarize-for-training=attention=sign_softmax | FileCheck %s --check-prefix=SIGN
// RUN: bert-opt %s --bert-binarize-for-training=attention=bool_paper | FileCheck %s --check-prefix=PAPER

// BiBERT's student in training form: every linear but the classifier reads
// sign(input) and alpha * sign(centred weight) (inclusive windows), the
// word table is binarized like a weight, Q, K and V are signed with the
// strict window before Bi-Attention's bool. The teacher's ops and the
// classifier stay float.
// CHECK-LABEL: func.func @student
// CHECK: %[[TABLE:.*]] = bq.binarize %{{.*}} form<weight> : tensor<10x8xf32>
// CHECK: bert.embedding %[[TABLE]]
// CHECK: %[[X:.*]] = bq.binarize %{{.*}} form<activation> : tensor<2x4x8xf32>
// CHECK: %[[W:.*]] = bq.binarize %{{.*}} form<weight> : tensor<8x8xf32>
// CHECK: %[[Q:.*]] = bert.linear %[[X]], %[[W]]
// CHECK-COUNT-3: bq.binarize %[[Q]] form<activation> window<strict>
// CHECK: bert.attention {{.*}} heads(2) probabilities<bool> :
// CHECK: %[[T:.*]] = bert.linear %{{.*}}, %{{.*}} {bertc.teacher}
// CHECK: bert.attention %[[T]], %[[T]], %[[T]] heads(2) {bertc.teacher}
// CHECK-NOT: bq.binarize
// CHECK: bert.linear %{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x2xf32>

// SIGN: bq.binarize {{.*}} window<strict>
// SIGN: bert.attention {{.*}} probabilities<sign_softmax>

// The paper's variant widens the Q, K, V window too.
// PAPER-NOT: window<strict>
// PAPER: bert.attention {{.*}} probabilities<bool_paper>
func.func @student(%ids: tensor<2x4xi32>, %x: tensor<2x4x8xf32>) -> (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x2xf32>) {
  %table = arith.constant dense_resource<bert.embeddings.word_embeddings.weight> : tensor<10x8xf32>
  %e = bert.embedding %table, %ids : tensor<10x8xf32>, tensor<2x4xi32> -> tensor<2x4x8xf32>
  %wq = arith.constant dense_resource<bert.encoder.layer.0.attention.self.query.weight> : tensor<8x8xf32>
  %q = bert.linear %x, %wq : tensor<2x4x8xf32>, tensor<8x8xf32> -> tensor<2x4x8xf32>
  %c = bert.attention %q, %q, %q heads(2) : tensor<2x4x8xf32>
  %tq = bert.linear %x, %wq {bertc.teacher} : tensor<2x4x8xf32>, tensor<8x8xf32> -> tensor<2x4x8xf32>
  %tc = bert.attention %tq, %tq, %tq heads(2) {bertc.teacher} : tensor<2x4x8xf32>
  %cls = tensor.extract_slice %c[0, 0, 0] [2, 1, 8] [1, 1, 1] : tensor<2x4x8xf32> to tensor<2x8xf32>
  %wc = arith.constant dense_resource<classifier.weight> : tensor<2x8xf32>
  %y = bert.linear %cls, %wc : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x2xf32>
  return %e, %c, %tc, %y : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x2xf32>
}
