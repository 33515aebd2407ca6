// The entry point writes its results into caller-owned buffers.
// RUN: bert-opt %s -bert-results-to-out-params -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @entry
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[OUT0:.*]]: memref<?x4xf32>, %[[OUT1:.*]]: memref<?x?x4xf32>)
// CHECK-SAME: attributes {llvm.emit_c_interface}
// CHECK: %[[Y:.*]] = math.tanh %[[X]]
// CHECK: bufferization.materialize_in_destination %[[Y]] in restrict writable %[[OUT0]] : (tensor<?x4xf32>, memref<?x4xf32>) -> ()
// CHECK: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[OUT1]]
// CHECK-NEXT: return{{$}}
func.func @entry(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x?x4xf32>) attributes {llvm.emit_c_interface} {
  %y = math.tanh %x : tensor<?x4xf32>
  %e = tensor.expand_shape %x [[0, 1], [2]] output_shape [1, 1, 4] : tensor<?x4xf32> into tensor<?x?x4xf32>
  return %y, %e : tensor<?x4xf32>, tensor<?x?x4xf32>
}

// Functions that are not C entry points keep their results.
// CHECK-LABEL: func.func @helper
// CHECK-SAME: -> tensor<4xf32>
func.func @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// CHECK-LABEL: func.func private @internal
// CHECK-SAME: -> tensor<4xf32>
func.func private @internal(%x: tensor<4xf32>) -> tensor<4xf32> attributes {llvm.emit_c_interface} {
  return %x : tensor<4xf32>
}
