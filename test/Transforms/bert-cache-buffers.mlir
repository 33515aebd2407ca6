// RUN: bert-opt %s --split-input-file --bert-cache-buffers --verify-diagnostics | FileCheck %s
// RUN: bert-opt %s --split-input-file --bert-cache-buffers=slots=3 --verify-diagnostics | FileCheck %s --check-prefix=SLOTS

// The declarations that finalize-memref-to-llvm{use-generic-functions}
// leaves become internal definitions over a cache with one slot per
// allocation site (at least 16); the release function is named after the
// entry.
// CHECK-LABEL: module attributes {bertc.entry = "bert_model"}
// CHECK-DAG: llvm.func @malloc(i64) -> !llvm.ptr
// CHECK-DAG: llvm.func @free(!llvm.ptr)
// CHECK-DAG: llvm.mlir.global internal @__bertc_buffers() {{.*}} : !llvm.array<16 x ptr>
// CHECK-DAG: llvm.func internal @_mlir_memref_to_llvm_alloc(%{{.*}}: i64) -> !llvm.ptr
// CHECK-DAG: llvm.func internal @_mlir_memref_to_llvm_free(%{{.*}}: !llvm.ptr)
// CHECK-DAG: llvm.func @bert_model_release_buffers()
// CHECK-DAG: llvm.atomicrmw xchg {{.*}} acquire
// CHECK-DAG: llvm.store {{.*}} atomic release
// SLOTS-LABEL: module attributes {bertc.entry = "bert_model"}
// SLOTS: !llvm.array<3 x ptr>
module attributes {bertc.entry = "bert_model"} {
  llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
  llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)
  llvm.func @f(%n: i64) {
    %p = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    llvm.call @_mlir_memref_to_llvm_free(%p) : (!llvm.ptr) -> ()
    llvm.return
  }
}

// -----

// Twenty allocation sites: twenty slots. Without bertc.entry the release
// function is bertc_release_buffers; an existing malloc declaration is kept.
// CHECK-LABEL: module {
// CHECK: llvm.func @malloc(i64) -> !llvm.ptr
// CHECK-NOT: llvm.func @malloc
// CHECK-DAG: !llvm.array<20 x ptr>
// CHECK-DAG: llvm.func @bertc_release_buffers()
module {
  llvm.func @malloc(i64) -> !llvm.ptr
  llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
  llvm.func @f(%n: i64) {
    %p0 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    %p1 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    %p2 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    %p3 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    %p4 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    %p5 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    %p6 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    %p7 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    %p8 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    %p9 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    %q0 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    %q1 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    %q2 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    %q3 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    %q4 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    %q5 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    %q6 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    %q7 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    %q8 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    %q9 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    llvm.return
  }
}

// -----

// A module that allocates nothing is left alone.
// CHECK-LABEL: module @no_allocation
// CHECK-NOT: __bertc_buffers
module @no_allocation {
  llvm.func @f() {
    llvm.return
  }
}

// -----

// A user symbol of the cache's name is not overwritten.
module {
  llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
  // expected-error @below {{bert-cache-buffers: symbol @__bertc_buffers is already defined}}
  llvm.mlir.global internal @__bertc_buffers(0 : i32) : i32
}

// -----

// A named module without bertc.entry (linears compiled on their own, as the
// benchmarks link two of them): the release function takes its name.
// CHECK-LABEL: module @bertc_q8
// CHECK-DAG: llvm.func @bertc_q8_release_buffers()
module @bertc_q8 {
  llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
  llvm.func @f(%n: i64) {
    %p0 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    llvm.return
  }
}
