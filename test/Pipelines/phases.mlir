// Each phase of Pipelines.h runs on its own through bert-opt.
// RUN: bert-opt %s --bertc-lower-to-linalg | FileCheck %s --check-prefix=LINALG
// RUN: bert-opt %s --bertc-bufferize | FileCheck %s --check-prefix=BUFFER
// RUN: bert-opt %s --bertc-lower-to-llvm | FileCheck %s --check-prefix=LLVM
// RUN: bert-opt %s --bertc-lower-to-llvm | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=IR

// LINALG-LABEL: func.func @entry
// LINALG-NOT: bert.
// LINALG: linalg.generic
// LINALG: math.tanh

// The results became caller-owned out-parameters; nothing is returned.
// BUFFER-LABEL: func.func @entry
// BUFFER-SAME: (%{{.*}}: memref<?x?x8xf32>, %{{.*}}: memref<4x8xf32>, %{{.*}}: memref<?x?x4xf32>)
// BUFFER-NOT: tensor<
// BUFFER: return{{$}}

// LLVM: llvm.func @entry(
// LLVM: llvm.func @_mlir_ciface_entry(
// LLVM-NOT: linalg.
// LLVM-NOT: memref.

// tanh is a polynomial (bert-approximate-math): no call remains.
// IR: define void @entry(
// IR-NOT: tanh
// IR: define void @_mlir_ciface_entry(ptr %0, ptr %1, ptr %2)
func.func @entry(%x: tensor<?x?x8xf32>, %w: tensor<4x8xf32>) -> tensor<?x?x4xf32> attributes {llvm.emit_c_interface} {
  %y = bert.linear %x, %w : tensor<?x?x8xf32>, tensor<4x8xf32> -> tensor<?x?x4xf32>
  %t = math.tanh %y : tensor<?x?x4xf32>
  return %t : tensor<?x?x4xf32>
}
