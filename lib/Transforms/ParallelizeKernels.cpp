//===- ParallelizeKernels.cpp - Split kernel calls across threads ---------===//
//
// A GEMM kernel (bert-lower-linears) computes a range of column panels that
// are independent of one another. This pass turns each call of such a
// kernel into a call of a small thread pool that runs disjoint sub-ranges
// on BERTC_NUM_THREADS threads (the caller's included) and returns when all
// are done. The pool is defined in the object itself, in the llvm dialect,
// on pthreads (part of libc since glibc 2.34), so the artifact still needs
// nothing but libc and libm.
//
// Splitting at panel granularity keeps every output element's instructions
// the same whatever the thread count: results are bitwise identical with 1
// or N threads.
//
//===----------------------------------------------------------------------===//

#include "MergeRuntime.h"
#include "RegisterTile.h"

#include "bertc/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

namespace bertc {
#define GEN_PASS_DEF_PARALLELIZEKERNELSPASS
#include "bertc/Transforms/Passes.h.inc"
} // namespace bertc

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kParallelFor = "__bertc_parallel_for";

/// The addresses of @__bertc_task's fields (%task is its address), where
/// the runtime text says @TASK_FIELDS@: the writer and the readers of the
/// task share one layout.
constexpr llvm::StringLiteral kTaskFields = R"mlir(%fnAt = llvm.getelementptr %task[0, 0] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, ptr, i64, i64)>
  %ctxAt = llvm.getelementptr %task[0, 1] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, ptr, i64, i64)>
  %firstAt = llvm.getelementptr %task[0, 2] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, ptr, i64, i64)>
  %endAt = llvm.getelementptr %task[0, 3] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, ptr, i64, i64)>)mlir";

/// Replaces every `marker` in `text` by `value`.
void replaceAll(std::string &text, llvm::StringRef marker,
                llvm::StringRef value) {
  for (size_t at = text.find(marker); at != std::string::npos;
       at = text.find(marker, at + value.size()))
    text.replace(at, marker.size(), value.str());
}

// The pool. Workers are created by the first parallel call (under the
// region lock), as BERTC_NUM_THREADS - 1 detached threads (unset, invalid
// or < 1: one thread, no workers; at most 64). A call splits its range
// into one chunk per thread, [b + i n / C, b + (i + 1) n / C), publishes
// the task (function, context, range) and one 64-bit claims word,
// generation << 32 | chunks << 16 | next chunk, and wakes the workers.
// Every thread, the caller first, then claims chunks by compare-and-swap
// on that word until none is left; the caller then waits until `done`
// counts all chunks. Nobody waits for a thread that has not started: a
// worker that is asleep, descheduled or sharing the caller's core (the
// scheduler places a new thread next to its creator and moves it only
// after ~0.1 s) finds nothing left to claim, and the caller has run its
// chunks (a fixed split made every call wait for the slowest wake-up: 75
// us for a 28 us GEMM until the worker moved). A claim cannot succeed once
// the next task is published (the word has changed), so a late worker never
// runs a stale chunk. Idle workers busy-wait @SPINS@ steps (the gap between
// two GEMMs of a layer is shorter than a futex wake-up) and then sleep on a
// condition variable. One region runs at a time: a call that finds the
// pool busy (a second application thread) runs its range itself, so calls
// from several threads stay safe. The mutex and condition variable are
// zero-initialized 64-byte blocks: PTHREAD_MUTEX_INITIALIZER and
// PTHREAD_COND_INITIALIZER are all zeros in glibc and musl, and the types
// are 40 and 48 bytes on x86-64.
constexpr llvm::StringLiteral kRuntime = R"mlir(
llvm.func @pthread_create(!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr) -> i32
llvm.func @pthread_detach(i64) -> i32
llvm.func @pthread_mutex_lock(!llvm.ptr) -> i32
llvm.func @pthread_mutex_unlock(!llvm.ptr) -> i32
llvm.func @pthread_cond_wait(!llvm.ptr, !llvm.ptr) -> i32
llvm.func @pthread_cond_broadcast(!llvm.ptr) -> i32
llvm.func @sched_yield() -> i32
llvm.func @pthread_atfork(!llvm.ptr, !llvm.ptr, !llvm.ptr) -> i32
llvm.func @getenv(!llvm.ptr) -> !llvm.ptr
llvm.func @atoi(!llvm.ptr) -> i32

llvm.mlir.global internal constant @__bertc_threads_variable("BERTC_NUM_THREADS\00") {addr_space = 0 : i32}
// Threads of the pool, the caller's included; 0 until the first parallel call.
llvm.mlir.global internal @__bertc_threads(0 : i32) {alignment = 4 : i64} : i32
llvm.mlir.global internal @__bertc_region_lock(0 : i32) {alignment = 4 : i64} : i32
// generation << 32 | chunks << 16 | next unclaimed chunk, of the current
// task; and its chunks run to the end. On lines of their own: every claim
// writes the first, every finished chunk the second.
llvm.mlir.global internal @__bertc_claims(0 : i64) {alignment = 64 : i64} : i64
llvm.mlir.global internal @__bertc_done(0 : i64) {alignment = 64 : i64} : i64
// Not reset by the fork handler: a child inherits the registration.
llvm.mlir.global internal @__bertc_fork_handler_registered(0 : i32) {alignment = 4 : i64} : i32
// The current task: function, context, first, end.
llvm.mlir.global internal @__bertc_task() {alignment = 8 : i64} : !llvm.struct<(ptr, ptr, i64, i64)> {
  %zero = llvm.mlir.zero : !llvm.struct<(ptr, ptr, i64, i64)>
  llvm.return %zero : !llvm.struct<(ptr, ptr, i64, i64)>
}
llvm.mlir.global internal @__bertc_pool_mutex() {alignment = 16 : i64} : !llvm.array<64 x i8> {
  %zero = llvm.mlir.zero : !llvm.array<64 x i8>
  llvm.return %zero : !llvm.array<64 x i8>
}
llvm.mlir.global internal @__bertc_pool_wake() {alignment = 16 : i64} : !llvm.array<64 x i8> {
  %zero = llvm.mlir.zero : !llvm.array<64 x i8>
  llvm.return %zero : !llvm.array<64 x i8>
}

// One step of a busy wait: a pause, and every 1024th step a sched_yield, so
// that a waiting thread lets a descheduled one on its core run (with more
// busy threads than cores, as when another library's pool is spinning, a
// pure spin waits for whole time slices).
llvm.func internal @__bertc_pause(%count: i64) {
  llvm.call_intrinsic "llvm.x86.sse2.pause"() : () -> ()
  %mask = llvm.mlir.constant(1023 : i64) : i64
  %low = llvm.and %count, %mask : i64
  %yield = llvm.icmp "eq" %low, %mask : i64
  llvm.cond_br %yield, ^yield, ^done
^yield:
  %yielded = llvm.call @sched_yield() : () -> i32
  llvm.br ^done
^done:
  llvm.return
}

// Runs chunks of the task of `generation` until none is left to claim.
llvm.func internal @__bertc_run_claims(%generation: i64) {
  %claims = llvm.mlir.addressof @__bertc_claims : !llvm.ptr
  %done = llvm.mlir.addressof @__bertc_done : !llvm.ptr
  %task = llvm.mlir.addressof @__bertc_task : !llvm.ptr
  %c1 = llvm.mlir.constant(1 : i64) : i64
  %c16 = llvm.mlir.constant(16 : i64) : i64
  %c32 = llvm.mlir.constant(32 : i64) : i64
  %mask = llvm.mlir.constant(65535 : i64) : i64
  llvm.br ^claim
^claim:
  %word = llvm.load %claims atomic acquire {alignment = 8 : i64} : !llvm.ptr -> i64
  %wordGeneration = llvm.lshr %word, %c32 : i64
  %current = llvm.icmp "eq" %wordGeneration, %generation : i64
  %shifted = llvm.lshr %word, %c16 : i64
  %chunks = llvm.and %shifted, %mask : i64
  %next = llvm.and %word, %mask : i64
  %left = llvm.icmp "ult" %next, %chunks : i64
  %open = llvm.and %current, %left : i1
  llvm.cond_br %open, ^try, ^finish
^try:
  // Fails if another thread claimed first or the next task was published.
  %claimed = llvm.add %word, %c1 : i64
  %pair = llvm.cmpxchg %claims, %word, %claimed acq_rel acquire : !llvm.ptr, i64
  %won = llvm.extractvalue %pair[1] : !llvm.struct<(i64, i1)>
  llvm.cond_br %won, ^run, ^claim
^run:
  // The task's fields stay as they are until this chunk is counted done.
  @TASK_FIELDS@
  %fn = llvm.load %fnAt : !llvm.ptr -> !llvm.ptr
  %ctx = llvm.load %ctxAt : !llvm.ptr -> !llvm.ptr
  %first = llvm.load %firstAt : !llvm.ptr -> i64
  %end = llvm.load %endAt : !llvm.ptr -> i64
  %n = llvm.sub %end, %first : i64
  %after = llvm.add %next, %c1 : i64
  %lowScaled = llvm.mul %next, %n : i64
  %highScaled = llvm.mul %after, %n : i64
  %lowOffset = llvm.udiv %lowScaled, %chunks : i64
  %highOffset = llvm.udiv %highScaled, %chunks : i64
  %low = llvm.add %first, %lowOffset : i64
  %high = llvm.add %first, %highOffset : i64
  llvm.call %fn(%ctx, %low, %high) : !llvm.ptr, (!llvm.ptr, i64, i64) -> ()
  %counted = llvm.atomicrmw add %done, %c1 release : !llvm.ptr, i64
  llvm.br ^claim
^finish:
  llvm.return
}

llvm.func internal @__bertc_worker(%arg: !llvm.ptr) -> !llvm.ptr {
  %claims = llvm.mlir.addressof @__bertc_claims : !llvm.ptr
  %mutex = llvm.mlir.addressof @__bertc_pool_mutex : !llvm.ptr
  %wake = llvm.mlir.addressof @__bertc_pool_wake : !llvm.ptr
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  %c32 = llvm.mlir.constant(32 : i64) : i64
  %spinLimit = llvm.mlir.constant(@SPINS@ : i64) : i64
  // Workers are created before the first task's generation, 1.
  llvm.br ^wait(%c0, %c0 : i64, i64)
^wait(%seen: i64, %spins: i64):
  %word = llvm.load %claims atomic acquire {alignment = 8 : i64} : !llvm.ptr -> i64
  %now = llvm.lshr %word, %c32 : i64
  %changed = llvm.icmp "ne" %now, %seen : i64
  llvm.cond_br %changed, ^work(%now : i64), ^idle
^idle:
  %spinning = llvm.icmp "ult" %spins, %spinLimit : i64
  llvm.cond_br %spinning, ^spin, ^sleep
^spin:
  llvm.call @__bertc_pause(%spins) : (i64) -> ()
  %spins1 = llvm.add %spins, %c1 : i64
  llvm.br ^wait(%seen, %spins1 : i64, i64)
^sleep:
  %locked = llvm.call @pthread_mutex_lock(%mutex) : (!llvm.ptr) -> i32
  llvm.br ^recheck
^recheck:
  // Under the mutex: the caller publishes a task holding it, so the
  // broadcast cannot fall between this check and the wait.
  %later = llvm.load %claims atomic acquire {alignment = 8 : i64} : !llvm.ptr -> i64
  %laterGeneration = llvm.lshr %later, %c32 : i64
  %same = llvm.icmp "eq" %laterGeneration, %seen : i64
  llvm.cond_br %same, ^block, ^awake
^block:
  %waited = llvm.call @pthread_cond_wait(%wake, %mutex) : (!llvm.ptr, !llvm.ptr) -> i32
  llvm.br ^recheck
^awake:
  %unlocked = llvm.call @pthread_mutex_unlock(%mutex) : (!llvm.ptr) -> i32
  llvm.br ^wait(%seen, %c0 : i64, i64)
^work(%current: i64):
  llvm.call @__bertc_run_claims(%current) : (i64) -> ()
  llvm.br ^wait(%current, %c0 : i64, i64)
}

// In the child of a fork: the workers did not come along, so the pool starts
// afresh at the next parallel call (the generation restarts at 0, which new
// workers expect; the mutex and condition variable are re-initialized, in
// case a worker held the mutex when the parent forked).
llvm.func internal @__bertc_pool_after_fork() {
  %threads = llvm.mlir.addressof @__bertc_threads : !llvm.ptr
  %lock = llvm.mlir.addressof @__bertc_region_lock : !llvm.ptr
  %claims = llvm.mlir.addressof @__bertc_claims : !llvm.ptr
  %done = llvm.mlir.addressof @__bertc_done : !llvm.ptr
  %mutex = llvm.mlir.addressof @__bertc_pool_mutex : !llvm.ptr
  %wake = llvm.mlir.addressof @__bertc_pool_wake : !llvm.ptr
  %zero = llvm.mlir.constant(0 : i32) : i32
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %zeroByte = llvm.mlir.constant(0 : i8) : i8
  %size = llvm.mlir.constant(64 : i64) : i64
  "llvm.intr.memset"(%mutex, %zeroByte, %size) <{isVolatile = false}> : (!llvm.ptr, i8, i64) -> ()
  "llvm.intr.memset"(%wake, %zeroByte, %size) <{isVolatile = false}> : (!llvm.ptr, i8, i64) -> ()
  llvm.store %c0, %done atomic monotonic {alignment = 8 : i64} : i64, !llvm.ptr
  llvm.store %c0, %claims atomic monotonic {alignment = 8 : i64} : i64, !llvm.ptr
  llvm.store %zero, %threads atomic monotonic {alignment = 4 : i64} : i32, !llvm.ptr
  llvm.store %zero, %lock atomic release {alignment = 4 : i64} : i32, !llvm.ptr
  llvm.return
}

// Reads BERTC_NUM_THREADS and creates the workers; returns the thread count
// (fewer if pthread_create fails). The first time, it also registers the
// fork handler.
llvm.func internal @__bertc_start_workers() -> i32 {
  %c1 = llvm.mlir.constant(1 : i64) : i64
  %handle = llvm.alloca %c1 x i64 : (i64) -> !llvm.ptr
  %name = llvm.mlir.addressof @__bertc_threads_variable : !llvm.ptr
  %threads = llvm.mlir.addressof @__bertc_threads : !llvm.ptr
  %worker = llvm.mlir.addressof @__bertc_worker : !llvm.ptr
  %null = llvm.mlir.zero : !llvm.ptr
  %one = llvm.mlir.constant(1 : i32) : i32
  %most = llvm.mlir.constant(64 : i32) : i32
  %registered = llvm.mlir.addressof @__bertc_fork_handler_registered : !llvm.ptr
  %done = llvm.load %registered : !llvm.ptr -> i32
  %zero32 = llvm.mlir.constant(0 : i32) : i32
  %first = llvm.icmp "eq" %done, %zero32 : i32
  llvm.cond_br %first, ^register, ^read
^register:
  %afterFork = llvm.mlir.addressof @__bertc_pool_after_fork : !llvm.ptr
  %atfork = llvm.call @pthread_atfork(%null, %null, %afterFork) : (!llvm.ptr, !llvm.ptr, !llvm.ptr) -> i32
  llvm.store %one, %registered : i32, !llvm.ptr
  llvm.br ^read
^read:
  %value = llvm.call @getenv(%name) : (!llvm.ptr) -> !llvm.ptr
  %unset = llvm.icmp "eq" %value, %null : !llvm.ptr
  llvm.cond_br %unset, ^store(%one : i32), ^parse
^parse:
  %requested = llvm.call @atoi(%value) : (!llvm.ptr) -> i32
  %tooFew = llvm.icmp "slt" %requested, %one : i32
  %atLeastOne = llvm.select %tooFew, %one, %requested : i1, i32
  %tooMany = llvm.icmp "sgt" %atLeastOne, %most : i32
  %wanted = llvm.select %tooMany, %most, %atLeastOne : i1, i32
  llvm.br ^create(%one : i32)
^create(%created: i32):
  %more = llvm.icmp "slt" %created, %wanted : i32
  llvm.cond_br %more, ^spawn, ^store(%created : i32)
^spawn:
  %id = llvm.zext %created : i32 to i64
  %idPointer = llvm.inttoptr %id : i64 to !llvm.ptr
  %failure = llvm.call @pthread_create(%handle, %null, %worker, %idPointer) : (!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr) -> i32
  %zero = llvm.mlir.constant(0 : i32) : i32
  %failed = llvm.icmp "ne" %failure, %zero : i32
  llvm.cond_br %failed, ^store(%created : i32), ^detach
^detach:
  %thread = llvm.load %handle : !llvm.ptr -> i64
  %detached = llvm.call @pthread_detach(%thread) : (i64) -> i32
  %next = llvm.add %created, %one : i32
  llvm.br ^create(%next : i32)
^store(%count: i32):
  llvm.store %count, %threads atomic monotonic {alignment = 4 : i64} : i32, !llvm.ptr
  llvm.return %count : i32
}

// Runs fn(ctx, a, b) over disjoint sub-ranges covering [first, end).
llvm.func internal @__bertc_parallel_for(%fn: !llvm.ptr, %ctx: !llvm.ptr, %first: i64, %end: i64) {
  %threads = llvm.mlir.addressof @__bertc_threads : !llvm.ptr
  %lock = llvm.mlir.addressof @__bertc_region_lock : !llvm.ptr
  %claims = llvm.mlir.addressof @__bertc_claims : !llvm.ptr
  %done = llvm.mlir.addressof @__bertc_done : !llvm.ptr
  %mutex = llvm.mlir.addressof @__bertc_pool_mutex : !llvm.ptr
  %wake = llvm.mlir.addressof @__bertc_pool_wake : !llvm.ptr
  %task = llvm.mlir.addressof @__bertc_task : !llvm.ptr
  %zero = llvm.mlir.constant(0 : i32) : i32
  %one = llvm.mlir.constant(1 : i32) : i32
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  %c2 = llvm.mlir.constant(2 : i64) : i64
  %known = llvm.load %threads atomic monotonic {alignment = 4 : i64} : !llvm.ptr -> i32
  %single = llvm.icmp "eq" %known, %one : i32
  %n = llvm.sub %end, %first : i64
  %small = llvm.icmp "slt" %n, %c2 : i64
  %alone = llvm.or %single, %small : i1
  llvm.cond_br %alone, ^serial, ^acquire
^acquire:
  %holder = llvm.atomicrmw xchg %lock, %one acquire : !llvm.ptr, i32
  %busy = llvm.icmp "ne" %holder, %zero : i32
  llvm.cond_br %busy, ^serial, ^locked
^locked:
  %current = llvm.load %threads atomic monotonic {alignment = 4 : i64} : !llvm.ptr -> i32
  %fresh = llvm.icmp "eq" %current, %zero : i32
  llvm.cond_br %fresh, ^start, ^ready(%current : i32)
^start:
  %started = llvm.call @__bertc_start_workers() : () -> i32
  llvm.br ^ready(%started : i32)
^ready(%count: i32):
  %several = llvm.icmp "sgt" %count, %one : i32
  llvm.cond_br %several, ^dispatch, ^release
^release:
  llvm.store %zero, %lock atomic release {alignment = 4 : i64} : i32, !llvm.ptr
  llvm.br ^serial
^dispatch:
  %count64 = llvm.sext %count : i32 to i64
  %fewer = llvm.icmp "slt" %n, %count64 : i64
  %chunks = llvm.select %fewer, %n, %count64 : i1, i64
  @TASK_FIELDS@
  llvm.store %fn, %fnAt : !llvm.ptr, !llvm.ptr
  llvm.store %ctx, %ctxAt : !llvm.ptr, !llvm.ptr
  llvm.store %first, %firstAt : i64, !llvm.ptr
  llvm.store %end, %endAt : i64, !llvm.ptr
  llvm.store %c0, %done atomic monotonic {alignment = 8 : i64} : i64, !llvm.ptr
  %locked1 = llvm.call @pthread_mutex_lock(%mutex) : (!llvm.ptr) -> i32
  // Only the region's holder writes the generation: workers add to the
  // low bits only, and no claim is left open.
  %old = llvm.load %claims atomic monotonic {alignment = 8 : i64} : !llvm.ptr -> i64
  %c16 = llvm.mlir.constant(16 : i64) : i64
  %c32 = llvm.mlir.constant(32 : i64) : i64
  %oldGeneration = llvm.lshr %old, %c32 : i64
  %nextGeneration = llvm.add %oldGeneration, %c1 : i64
  %generationMask = llvm.mlir.constant(4294967295 : i64) : i64
  %generation = llvm.and %nextGeneration, %generationMask : i64
  %generationField = llvm.shl %generation, %c32 : i64
  %chunksField = llvm.shl %chunks, %c16 : i64
  %word = llvm.or %generationField, %chunksField : i64
  llvm.store %word, %claims atomic release {alignment = 8 : i64} : i64, !llvm.ptr
  %woken = llvm.call @pthread_cond_broadcast(%wake) : (!llvm.ptr) -> i32
  %unlocked1 = llvm.call @pthread_mutex_unlock(%mutex) : (!llvm.ptr) -> i32
  llvm.call @__bertc_run_claims(%generation) : (i64) -> ()
  llvm.br ^join(%c0 : i64)
^join(%waited: i64):
  // Chunks that other threads claimed and are still running.
  %finished = llvm.load %done atomic acquire {alignment = 8 : i64} : !llvm.ptr -> i64
  %all = llvm.icmp "eq" %finished, %chunks : i64
  llvm.cond_br %all, ^finish, ^pause
^pause:
  llvm.call @__bertc_pause(%waited) : (i64) -> ()
  %waited1 = llvm.add %waited, %c1 : i64
  llvm.br ^join(%waited1 : i64)
^finish:
  llvm.store %zero, %lock atomic release {alignment = 4 : i64} : i32, !llvm.ptr
  llvm.return
^serial:
  llvm.call %fn(%ctx, %first, %end) : !llvm.ptr, (!llvm.ptr, i64, i64) -> ()
  llvm.return
}
)mlir";

struct ParallelizeKernelsPass
    : bertc::impl::ParallelizeKernelsPassBase<ParallelizeKernelsPass> {
  using ParallelizeKernelsPassBase::ParallelizeKernelsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<LLVM::CallOp> calls;
    module.walk([&](LLVM::CallOp call) {
      if (auto callee = call.getCallee())
        if (auto kernel = module.lookupSymbol<LLVM::LLVMFuncOp>(*callee))
          if (kernel->hasAttr(bertc::kernels::kParallelAttr))
            calls.push_back(call);
    });
    if (calls.empty())
      return;
    for (LLVM::CallOp call : calls)
      if (failed(checkRange(call)))
        return signalPassFailure();
    std::string text = kRuntime.str();
    replaceAll(text, "@SPINS@", std::to_string(spins));
    replaceAll(text, "@TASK_FIELDS@", kTaskFields);
    OwningOpRef<ModuleOp> runtime = parseSourceString<ModuleOp>(
        text, &getContext(), "bert-parallelize-kernels runtime");
    if (!runtime) {
      module.emitError("bert-parallelize-kernels: the thread pool did not "
                       "parse");
      return signalPassFailure();
    }
    if (failed(bertc::mergeRuntime(module, *runtime, getArgument())))
      return signalPassFailure();
    for (LLVM::CallOp call : calls)
      dispatchThroughPool(call);
  }

  /// The last two operands of a parallel kernel's call are its work range.
  static LogicalResult checkRange(LLVM::CallOp call) {
    unsigned count = call.getArgOperands().size();
    auto i64 = IntegerType::get(call.getContext(), 64);
    if (count < 2 || call.getNumResults() != 0 ||
        call.getArgOperands()[count - 2].getType() != i64 ||
        call.getArgOperands()[count - 1].getType() != i64)
      return call.emitError("bert-parallelize-kernels: a `")
             << bertc::kernels::kParallelAttr
             << "` kernel must return nothing and end in two i64 range "
                "arguments";
    return success();
  }

  /// The context of `kernel`'s calls: a struct of its arguments but the
  /// range.
  static LLVM::LLVMStructType contextType(LLVM::LLVMFuncOp kernel) {
    return LLVM::LLVMStructType::getLiteral(
        kernel.getContext(), kernel.getFunctionType().getParams().drop_back(2));
  }

  /// @<kernel>_task(ctx, first, end): calls the kernel with the arguments
  /// stored in ctx and the range [first, end).
  LLVM::LLVMFuncOp getOrCreateTask(LLVM::LLVMFuncOp kernel) {
    ModuleOp module = getOperation();
    std::string name = (kernel.getName() + "_task").str();
    if (auto existing = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
      return existing;
    MLIRContext *context = &getContext();
    auto pointer = LLVM::LLVMPointerType::get(context);
    auto i64 = IntegerType::get(context, 64);
    OpBuilder builder(kernel);
    Location loc = kernel.getLoc();
    auto task = LLVM::LLVMFuncOp::create(
        builder, loc, name,
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(context),
                                    {pointer, i64, i64}),
        LLVM::Linkage::Internal);
    Block *body = task.addEntryBlock(builder);
    builder.setInsertionPointToStart(body);
    LLVM::LLVMStructType type = contextType(kernel);
    SmallVector<Value> arguments;
    unsigned stored = type.getBody().size();
    for (unsigned i = 0; i < stored; ++i) {
      Value field = LLVM::GEPOp::create(
          builder, loc, pointer, type, body->getArgument(0),
          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
      arguments.push_back(
          LLVM::LoadOp::create(builder, loc, type.getBody()[i], field));
    }
    arguments.push_back(body->getArgument(1));
    arguments.push_back(body->getArgument(2));
    LLVM::CallOp::create(builder, loc, kernel, arguments);
    LLVM::ReturnOp::create(builder, loc, ValueRange{});
    return task;
  }

  /// kernel(args..., first, end) → the arguments stored in a stack slot of
  /// the caller's entry block, then __bertc_parallel_for(@task, slot,
  /// first, end).
  void dispatchThroughPool(LLVM::CallOp call) {
    ModuleOp module = getOperation();
    auto kernel = module.lookupSymbol<LLVM::LLVMFuncOp>(*call.getCallee());
    LLVM::LLVMFuncOp task = getOrCreateTask(kernel);
    auto pool = module.lookupSymbol<LLVM::LLVMFuncOp>(kParallelFor);
    LLVM::LLVMStructType type = contextType(kernel);
    MLIRContext *context = &getContext();
    auto pointer = LLVM::LLVMPointerType::get(context);
    Location loc = call.getLoc();

    // In the entry block, so that a call inside a loop reuses one slot.
    auto caller = call->getParentOfType<LLVM::LLVMFuncOp>();
    OpBuilder builder(&caller.getBody().front(),
                      caller.getBody().front().begin());
    Value one = LLVM::ConstantOp::create(builder, loc, builder.getI64Type(),
                                         builder.getI64IntegerAttr(1));
    Value slot = LLVM::AllocaOp::create(builder, loc, pointer, type, one);

    builder.setInsertionPoint(call);
    ValueRange operands = call.getArgOperands();
    unsigned stored = operands.size() - 2;
    for (unsigned i = 0; i < stored; ++i) {
      Value field = LLVM::GEPOp::create(
          builder, loc, pointer, type, slot,
          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
      LLVM::StoreOp::create(builder, loc, operands[i], field);
    }
    Value function = LLVM::AddressOfOp::create(builder, loc, task);
    LLVM::CallOp::create(builder, loc, pool,
                         ValueRange{function, slot, operands[stored],
                                    operands[stored + 1]});
    call.erase();
  }
};

} // namespace
