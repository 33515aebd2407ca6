// RUN: bert-opt %s --split-input-file --bert-parallelize-kernels --verify-diagnostics | FileCheck %s
// RUN: bert-opt %s --split-input-file --bert-parallelize-kernels=spins=7 --verify-diagnostics | FileCheck %s --check-prefix=SPINS

// A call of a `bertc.parallel` kernel stores its other arguments in a stack
// slot of the caller's entry block (one slot, though the call is in a loop)
// and goes through the pool with its range; the task function reads them
// back and calls the kernel on the sub-range it is given.
// CHECK-LABEL: llvm.func internal @kernel_task
// CHECK-SAME: (%[[CTX:.*]]: !llvm.ptr, %[[LOW:.*]]: i64, %[[HIGH:.*]]: i64)
// CHECK: %[[A0:.*]] = llvm.getelementptr %[[CTX]][0, 0]
// CHECK-NEXT: %[[V0:.*]] = llvm.load %[[A0]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT: %[[A1:.*]] = llvm.getelementptr %[[CTX]][0, 1]
// CHECK-NEXT: %[[V1:.*]] = llvm.load %[[A1]] : !llvm.ptr -> f32
// CHECK-NEXT: llvm.call @kernel(%[[V0]], %[[V1]], %[[LOW]], %[[HIGH]])
// CHECK-LABEL: llvm.func @entry
// CHECK-SAME: (%[[X:.*]]: !llvm.ptr, %[[SCALE:.*]]: f32, %[[END:.*]]: i64)
// CHECK-NEXT: %[[ONE:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK-NEXT: %[[SLOT:.*]] = llvm.alloca %[[ONE]] x !llvm.struct<(ptr, f32)>
// CHECK: ^[[LOOP:.*]](%{{.*}}: i64):
// CHECK-NOT: llvm.call @kernel
// CHECK: %[[F0:.*]] = llvm.getelementptr %[[SLOT]][0, 0]
// CHECK-NEXT: llvm.store %[[X]], %[[F0]]
// CHECK-NEXT: %[[F1:.*]] = llvm.getelementptr %[[SLOT]][0, 1]
// CHECK-NEXT: llvm.store %[[SCALE]], %[[F1]]
// CHECK-NEXT: %[[TASK:.*]] = llvm.mlir.addressof @kernel_task : !llvm.ptr
// CHECK-NEXT: llvm.call @__bertc_parallel_for(%[[TASK]], %[[SLOT]], %{{.*}}, %[[END]]) : (!llvm.ptr, !llvm.ptr, i64, i64) -> ()
// A function that is not tagged is called as before.
// CHECK: llvm.call @serial(%[[X]])

// The pool: pthreads and libc only, internal definitions, the thread count
// from BERTC_NUM_THREADS, workers that spin, then sleep on the condition
// variable; the caller publishes each task with a new generation under the
// mutex, every thread claims chunks by compare-and-swap on the claims word,
// and the caller waits for the claimed chunks to be counted done.
// CHECK-DAG: llvm.func @pthread_create(!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr) -> i32
// CHECK-DAG: llvm.func @pthread_cond_wait(!llvm.ptr, !llvm.ptr) -> i32
// CHECK-DAG: llvm.func @getenv(!llvm.ptr) -> !llvm.ptr
// CHECK-DAG: llvm.mlir.global internal constant @__bertc_threads_variable("BERTC_NUM_THREADS\00")
// CHECK-DAG: llvm.func internal @__bertc_worker(
// CHECK-DAG: llvm.func internal @__bertc_start_workers()
// CHECK-DAG: llvm.func internal @__bertc_parallel_for(
// A forked child starts the pool afresh (its workers did not come along).
// CHECK-DAG: llvm.call @pthread_atfork(%{{.*}}, %{{.*}}, %{{.*}})
// CHECK-DAG: llvm.func internal @__bertc_pool_after_fork()
// CHECK-DAG: llvm.mlir.constant(200000 : i64) : i64
// CHECK-DAG: llvm.func internal @__bertc_run_claims(%{{.*}}: i64)
// CHECK-DAG: llvm.cmpxchg %{{.*}}, %{{.*}}, %{{.*}} acq_rel acquire : !llvm.ptr, i64
// CHECK-DAG: llvm.atomicrmw add %{{.*}}, %{{.*}} release : !llvm.ptr, i64
// SPINS-LABEL: llvm.func @entry
// SPINS: llvm.mlir.constant(7 : i64) : i64
module {
  llvm.func internal @kernel(%x: !llvm.ptr, %scale: f32, %first: i64, %end: i64) attributes {bertc.parallel} {
    llvm.return
  }
  llvm.func internal @serial(%x: !llvm.ptr) {
    llvm.return
  }
  llvm.func @entry(%x: !llvm.ptr, %scale: f32, %end: i64) {
    %zero = llvm.mlir.constant(0 : i64) : i64
    %one = llvm.mlir.constant(1 : i64) : i64
    %three = llvm.mlir.constant(3 : i64) : i64
    llvm.br ^loop(%zero : i64)
  ^loop(%i: i64):
    llvm.call @kernel(%x, %scale, %zero, %end) : (!llvm.ptr, f32, i64, i64) -> ()
    llvm.call @serial(%x) : (!llvm.ptr) -> ()
    %next = llvm.add %i, %one : i64
    %more = llvm.icmp "slt" %next, %three : i64
    llvm.cond_br %more, ^loop(%next : i64), ^done
  ^done:
    llvm.return
  }
}

// -----

// No parallel kernel: no pool.
// CHECK-LABEL: llvm.func @plain
// CHECK-NOT: __bertc_parallel_for
// CHECK-NOT: pthread_create
module {
  llvm.func @plain() {
    llvm.return
  }
}

// -----

// The range must be the kernel's last two i64 arguments.
module {
  llvm.func internal @kernel(%x: !llvm.ptr, %first: i32) attributes {bertc.parallel} {
    llvm.return
  }
  llvm.func @entry(%x: !llvm.ptr) {
    %zero = llvm.mlir.constant(0 : i32) : i32
    // expected-error @below {{bert-parallelize-kernels: a `bertc.parallel` kernel must return nothing and end in two i64 range arguments}}
    llvm.call @kernel(%x, %zero) : (!llvm.ptr, i32) -> ()
    llvm.return
  }
}
