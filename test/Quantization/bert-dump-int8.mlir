// RUN: bert-opt %s --bert-dump-int8 | FileCheck %s

// Every named int8 product: its input codes dumped before it and its int32
// sums after it, through C-interface functions per element type and rank
// (dynamic sizes, so that bufferization may copy); the slots are named in
// bertc.dumps. An unnamed product is left alone.
// CHECK: module attributes {bertc.dumps = ["bert.encoder.layer.0.output.dense"]}
// CHECK-LABEL: func.func @product
// CHECK: %[[XC:.*]] = tensor.cast %arg0 : tensor<2x3x4xi8> to tensor<?x?x?xi8>
// CHECK: %[[SLOT:.*]] = arith.constant 0 : i64
// CHECK: call @bertc_dump_i8_r3(%[[SLOT]], %[[XC]]) : (i64, tensor<?x?x?xi8>) -> ()
// CHECK: %[[ACC:.*]] = bq.int8_matmul %arg0, %arg1
// CHECK: %[[AC:.*]] = tensor.cast %[[ACC]] : tensor<2x3x5xi32> to tensor<?x?x?xi32>
// CHECK: call @bertc_dump_i32_r3(%{{.*}}, %[[AC]])
// CHECK: bq.int8_matmul %arg0, %arg1 :
// CHECK-NOT: call
// CHECK: func.func private @bertc_dump_i8_r3(i64, tensor<?x?x?xi8>) attributes {llvm.emit_c_interface}
// CHECK: func.func private @bertc_dump_i32_r3(i64, tensor<?x?x?xi32>) attributes {llvm.emit_c_interface}
func.func @product(%x: tensor<2x3x4xi8>, %w: tensor<5x4xi8>) -> (tensor<2x3x5xi32>, tensor<2x3x5xi32>) {
  %a = bq.int8_matmul %x, %w {bertc.module = "bert.encoder.layer.0.output.dense"} : tensor<2x3x4xi8>, tensor<5x4xi8> -> tensor<2x3x5xi32>
  %b = bq.int8_matmul %x, %w : tensor<2x3x4xi8>, tensor<5x4xi8> -> tensor<2x3x5xi32>
  return %a, %b : tensor<2x3x5xi32>, tensor<2x3x5xi32>
}
