// RUN: bert-opt %s --split-input-file --inline --bert-make-trainable -verify-diagnostics | FileCheck %s

// The entry's named weights become slices of one flat trainable vector
// (reshaped to their shapes), labels are appended, the logits feed the
// mean cross-entropy, and bert_initial_parameters returns the checkpoint's
// values. bertc.parameters names each tensor's offset and shape, in the
// order the (inlined and canonicalized) entry first reads them.
// CHECK: module attributes {
// CHECK-SAME: bertc.entry = "bert_train_step"
// CHECK-SAME: bertc.outputs = ["loss"]
// CHECK-SAME: bertc.parameters = [{name = "classifier.bias", offset = 0 : i64, shape = [2]}, {name = "classifier.weight", offset = 2 : i64, shape = [2, 3]}]
// CHECK: func.func @bert_train_step(%[[X:.*]]: tensor<?x3xf32>, %[[LABELS:.*]]: tensor<?xi32>, %[[P:.*]]: tensor<8xf32> {bertc.trainable}) -> tensor<f32>
// CHECK: %[[B:.*]] = tensor.extract_slice %[[P]][0] [2] [1] : tensor<8xf32> to tensor<2xf32>
// CHECK: %[[WF:.*]] = tensor.extract_slice %[[P]][2] [6] [1] : tensor<8xf32> to tensor<6xf32>
// CHECK: %[[W:.*]] = tensor.expand_shape %[[WF]] {{\[\[}}0, 1]] output_shape [2, 3] : tensor<6xf32> into tensor<2x3xf32>
// CHECK: %[[Y:.*]] = bert.linear %{{.*}}, %[[W]] bias %[[B]]
// CHECK: %[[LOSS:.*]] = bert.cross_entropy %[[Y]], %[[LABELS]] : tensor<?x2xf32>, tensor<?xi32> -> tensor<f32>
// CHECK: return %[[LOSS]] : tensor<f32>
// CHECK: func.func @bert_initial_parameters() -> tensor<8xf32> attributes {llvm.emit_c_interface}
// CHECK: arith.constant dense_resource<bertc.parameters> : tensor<8xf32>
module attributes {bertc.entry = "bert_model", bertc.outputs = ["logits", "pooled"]} {
  func.func @bert_model(%x: tensor<?x3xf32>) -> (tensor<?x2xf32>, tensor<?x3xf32>) {
    %h = func.call @layer(%x) : (tensor<?x3xf32>) -> tensor<?x3xf32>
    %w = arith.constant dense_resource<classifier.weight> : tensor<2x3xf32>
    %b = arith.constant dense_resource<classifier.bias> : tensor<2xf32>
    %y = bert.linear %h, %w bias %b : tensor<?x3xf32>, tensor<2x3xf32>, tensor<2xf32> -> tensor<?x2xf32>
    return %y, %h : tensor<?x2xf32>, tensor<?x3xf32>
  }
  func.func private @layer(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
    %y = math.tanh %x : tensor<?x3xf32>
    return %y : tensor<?x3xf32>
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

// -----

// expected-error @below {{bert-make-trainable needs the module's entry function (bertc.entry)}}
module {
  func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
    return %x : tensor<2xf32>
  }
}

// -----

module attributes {bertc.entry = "bert_model", bertc.outputs = ["hidden"]} {
  // expected-error @below {{training needs the model's logits as the first result}}
  func.func @bert_model(%x: tensor<2xf32>) -> tensor<2xf32> {
    return %x : tensor<2xf32>
  }
}
