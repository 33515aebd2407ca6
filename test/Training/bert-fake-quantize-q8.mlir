// RUN: bert-opt %s --bert-make-trainable --bert-fake-quantize-q8 | FileCheck %s
// RUN: bert-opt %s --bert-make-trainable --bert-fake-quantize-q8 --bert-differentiate --canonicalize | FileCheck %s --check-prefix=GRAD
// RUN: bert-opt %s --bert-make-trainable --bert-fake-quantize-q8=requantize=classifier | FileCheck %s --check-prefix=REQUANT
// RUN: not bert-opt %s --bert-make-trainable --bert-fake-quantize-q8=requantize=pooler 2>&1 | FileCheck %s --check-prefix=UNKNOWN

// Q8BERT QAT on one linear (SEMANTICS.md 1.3-1.4): the input's threshold is
// max|x| on the first quantized step (T_prev < 0), else the EMA
// 0.9999 T_prev + 0.0001 max|x|, used at once for fq(x; 127 / T); the
// weight is fake-quantized at 127 / max|W|; both only while the linear's
// gate is set (before its start_step the linear is float and T passes
// through). The new thresholds are the second result; bert_logits
// quantizes with them frozen.
// CHECK: bertc.q8_gates = ["classifier"], bertc.q8_slots = ["classifier.input_thresh"]
// CHECK: func.func @bert_train_step(%[[X:.*]]: tensor<?x3xf32>, %{{.*}}: tensor<?xi32>, %{{.*}}: tensor<8xf32> {bertc.trainable}, %[[PREV:.*]]: tensor<1xf32>, %[[GATES:.*]]: tensor<1xf32>) -> (tensor<f32>, tensor<1xf32>)
// CHECK: %[[GATE:.*]] = tensor.extract %[[GATES]]
// CHECK: %[[ON:.*]] = arith.cmpf one, %[[GATE]]
// CHECK: %[[OLD:.*]] = tensor.extract %[[PREV]]
// CHECK: linalg.generic {{.*}} ins(%[[X]] : tensor<?x3xf32>)
// CHECK: math.absf
// CHECK: %[[SEEN:.*]] = tensor.extract
// CHECK: %[[FIRST:.*]] = arith.cmpf olt, %[[OLD]]
// CHECK: %[[EMA:.*]] = arith.addf
// CHECK: %[[T:.*]] = arith.select %[[FIRST]], %[[SEEN]], %[[EMA]] : f32
// CHECK: %[[KEPT:.*]] = arith.select %[[ON]], %[[T]], %[[OLD]] : f32
// CHECK: %[[S:.*]] = arith.divf %{{.*}}, %[[T]] : f32
// CHECK: %[[XQ:.*]] = bq.fake_quant %[[X]], %[[S]] bits 8
// CHECK: %[[XIN:.*]] = arith.select %[[ON]], %[[XQ]], %[[X]] : tensor<?x3xf32>
// CHECK: %[[WQ:.*]] = bq.fake_quant %{{.*}} bits 8 : tensor<2x3xf32>
// CHECK: %[[WIN:.*]] = arith.select %[[ON]], %[[WQ]], %{{.*}} : tensor<2x3xf32>
// CHECK: bert.linear %[[XIN]], %[[WIN]]
// CHECK: %[[NEW:.*]] = tensor.from_elements %[[KEPT]] : tensor<1xf32>
// CHECK: return %{{.*}}, %[[NEW]]
// CHECK: func.func @bert_logits({{.*}}, %[[FROZEN:.*]]: tensor<1xf32>) -> tensor<?x2xf32>
// CHECK: tensor.extract %[[FROZEN]]
// CHECK: bq.fake_quant
// CHECK: bq.fake_quant
// CHECK-NOT: arith.select %{{.*}} : tensor

// The backward: the identity through every quantizer (1.8), the two
// branches of each gate summed back into g; the thresholds get no gradient.
// GRAD: func.func @bert_train_step({{.*}}) -> (tensor<f32>, tensor<1xf32>, tensor<8xf32>)
// GRAD: %[[ON:.*]] = arith.cmpf one
// GRAD: bq.fake_quant
// GRAD: bq.fake_quant
// GRAD: bert.cross_entropy
// GRAD-NOT: bq.fake_quant
// GRAD: %[[TAKEN:.*]] = arith.select %[[ON]], %[[G:[0-9a-z_]+]], %[[Z:[0-9a-z_]+]] : tensor<2x3xf32>
// GRAD: %[[PASSED:.*]] = arith.select %[[ON]], %[[Z]], %[[G]] : tensor<2x3xf32>
// GRAD: arith.addf %[[PASSED]], %[[TAKEN]] : tensor<2x3xf32>
// requantize_output (1.4 step 3): the output y gets a second slot with the
// same EMA, and fq(y; 127 / T_out) replaces y for the loss; bert_logits
// uses the frozen output threshold.
// REQUANT: bertc.q8_slots = ["classifier.input_thresh", "classifier.output_thresh"]
// REQUANT: func.func @bert_train_step({{.*}}, %[[PREV:.*]]: tensor<2xf32>, %[[GATES:.*]]: tensor<1xf32>) -> (tensor<f32>, tensor<2xf32>)
// REQUANT: %[[Y:.*]] = bert.linear
// REQUANT: %[[C1:.*]] = arith.constant 1 : index
// REQUANT: %[[OLDOUT:.*]] = tensor.extract %[[PREV]][%[[C1]]]
// REQUANT: math.absf
// REQUANT: %[[FIRST:.*]] = arith.cmpf olt, %[[OLDOUT]]
// REQUANT: %[[TOUT:.*]] = arith.select %[[FIRST]]
// REQUANT: %[[SOUT:.*]] = arith.divf %{{.*}}, %[[TOUT]] : f32
// REQUANT: %[[YQ:.*]] = bq.fake_quant %[[Y]], %[[SOUT]] bits 8
// REQUANT: %[[YIN:.*]] = arith.select %{{.*}}, %[[YQ]], %[[Y]] : tensor<?x2xf32>
// REQUANT: bert.cross_entropy %[[YIN]]
// REQUANT: tensor.from_elements %{{.*}}, %{{.*}} : tensor<2xf32>
// REQUANT: func.func @bert_logits({{.*}}, %[[FROZEN:.*]]: tensor<2xf32>)
// REQUANT: %[[Z:.*]] = bert.linear
// REQUANT: tensor.extract %[[FROZEN]]
// REQUANT: bq.fake_quant %[[Z]]
// UNKNOWN: requantize names 'pooler', which is not a quantized linear of the step
module attributes {bertc.entry = "bert_model", bertc.outputs = ["logits"]} {
  func.func @bert_model(%x: tensor<?x3xf32>) -> tensor<?x2xf32> attributes {llvm.emit_c_interface} {
    %w = arith.constant dense_resource<classifier.weight> : tensor<2x3xf32>
    %b = arith.constant dense_resource<classifier.bias> : tensor<2xf32>
    %y = bert.linear %x, %w bias %b : tensor<?x3xf32>, tensor<2x3xf32>, tensor<2xf32> -> tensor<?x2xf32>
    return %y : tensor<?x2xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      classifier.weight: "0x040000000000803F0000004000004040000080400000A0400000C040",
      classifier.bias: "0x040000000000003F000000BF"
    }
  }
#-}
