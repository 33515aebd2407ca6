// RUN: bert-opt %s --split-input-file --bert-build-optimizer="weight-decay=0.01" -verify-diagnostics | FileCheck %s --check-prefixes=CHECK,ADAMW
// RUN: bert-opt %s --split-input-file --bert-build-optimizer="kind=bert-adam weight-decay=0.01 epsilon=1e-6" -verify-diagnostics | FileCheck %s --check-prefixes=CHECK,BERTADAM

// The update runs per tensor over static slices of the flat vectors, each
// writing its slice of the three results. AdamW clips the global norm once
// (one reduction over the whole gradient); BertAdam clips each tensor's.
// The bias gets no decay; the weight does (AdamW: decoupled, after the
// step; BertAdam: added to the update).
// CHECK: bertc.optimizer = {beta1 = 9.000000e-01 : f64, beta2 = 0.99899999999999999 : f64,
// ADAMW-SAME: kind = "adamw"}
// BERTADAM-SAME: kind = "bert-adam"}
// CHECK: func.func @bert_optimizer_step(%[[P:.*]]: tensor<8xf32>, %[[G:.*]]: tensor<8xf32>, %[[M:.*]]: tensor<8xf32>, %[[V:.*]]: tensor<8xf32>, %[[H:.*]]: tensor<2xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) attributes {llvm.emit_c_interface}
// CHECK: %[[LR:.*]] = tensor.extract %[[H]][%c0]
// CHECK: %[[CORR:.*]] = tensor.extract %[[H]][%c1]
// ADAMW: linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[G]] : tensor<8xf32>)
// ADAMW: math.sqrt
// ADAMW: arith.minimumf

// The bias slice [0, 2).
// CHECK: %[[GB:.*]] = tensor.extract_slice %[[G]][0] [2] [1]
// BERTADAM: linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[GB]] : tensor<2xf32>)
// CHECK: linalg.generic {{.*}} ins({{.*}} : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) outs({{.*}} : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>)
// CHECK: math.sqrt
// ADAMW: %[[STEP:.*]] = arith.mulf %[[LR]], %[[CORR]] : f32
// CHECK-NOT: 0.00999999977
// CHECK: linalg.yield
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0] [2] [1]

// The weight slice [2, 8): decayed.
// CHECK: %[[GW:.*]] = tensor.extract_slice %[[G]][2] [6] [1]
// BERTADAM: linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[GW]] : tensor<6xf32>)
// CHECK: linalg.generic {{.*}} ins({{.*}} : tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>)
// CHECK: 0.00999999977
// CHECK: linalg.yield
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[2] [6] [1]
module attributes {bertc.parameters = [{name = "classifier.bias", offset = 0 : i64, shape = [2]}, {name = "classifier.weight", offset = 2 : i64, shape = [2, 3]}]} {
}

// -----

// expected-error @below {{bert-build-optimizer needs bertc.parameters (run bert-make-trainable first)}}
module {
}

// -----

// expected-error @below {{bertc.parameters entries must be {name, offset, shape}}}
module attributes {bertc.parameters = [{name = "w", offset = 0 : i64, shape = [0]}]} {
}
