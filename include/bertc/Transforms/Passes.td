//===- Passes.td - bertc transformation passes -------------*- tablegen -*-===//

#ifndef BERTC_TRANSFORMS_PASSES_TD
#define BERTC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TestSteGradientsPass : Pass<"bq-test-ste-gradients", "::mlir::func::FuncOp"> {
  let summary = "Replaces a function's result by its straight-through gradient";
  let description = [{
    A test pass that makes each quantizer's straight-through estimator visible
    in IR. It applies to functions whose last argument is the upstream
    gradient of their single result. The result must come from a chain of ops
    implementing `StraightThroughGradientOpInterface` (each consuming the
    previous one's result as operand 0); the pass walks the chain back to its
    first input, emitting each op's gradient rule, and returns the gradient
    with respect to that input instead of the result.

    Before:
    ```mlir
    func.func @f(%x: tensor<4xf32>, %dy: tensor<4xf32>) -> tensor<4xf32> {
      %y = bq.binarize activation %x : tensor<4xf32>
      return %y : tensor<4xf32>
    }
    ```
    After: the function returns `dy * 1{|x| <= 1}`, built with linalg.generic.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let statistics = [
    Statistic<"numRulesApplied", "rules-applied",
              "Number of straight-through rules emitted">
  ];
}

def ResultsToOutParamsPass : Pass<"bert-results-to-out-params", "::mlir::ModuleOp"> {
  let summary = "Makes the entry point write its results into caller buffers";
  let description = [{
    The C ABI of a compiled model never returns heap memory: the caller owns
    every buffer. This pass rewrites each public function with the
    `llvm.emit_c_interface` attribute (the entry point) so that every tensor
    result becomes a trailing `memref` argument of the same shape, filled
    with `bufferization.materialize_in_destination`, and the function
    returns nothing. Unlike upstream `buffer-results-to-out-params`, it works
    before bufferization and for dynamically shaped results, whose sizes the
    caller knows (batch, sequence length).

    Before:
    ```mlir
    func.func @f(%x: tensor<?x4xf32>) -> tensor<?x4xf32>
        attributes {llvm.emit_c_interface} {
      return %x : tensor<?x4xf32>
    }
    ```
    After:
    ```mlir
    func.func @f(%x: tensor<?x4xf32>, %out: memref<?x4xf32>)
        attributes {llvm.emit_c_interface} {
      bufferization.materialize_in_destination %x in restrict writable %out
        : (tensor<?x4xf32>, memref<?x4xf32>) -> ()
      return
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def LowerLinearsPass : Pass<"bert-lower-linears", "::mlir::ModuleOp"> {
  let summary = "Replaces tagged linear products by a register-blocked GEMM";
  let description = [{
    Runs after bufferization on the `linalg.generic` products that
    `convert-bert-to-linalg` tagged `bertc.linear`: `out[r, n] += x[r, k] *
    w[k, n]` with the weight prepacked as `[K, N]` at compile time. Each
    becomes an explicit loop nest: rows in blocks of `rows` (the last rows
    one at a time), columns in blocks of two vectors of `vector-width` f32
    (four for single rows), and the whole reduction innermost with the
    accumulators held in vector registers (`vector.fma` of a broadcast x element and a
    contiguous weight vector). `vector-width` is 16 on targets with AVX-512
    and 8 otherwise (bert-compile chooses it from the target CPU). A weight
    that is a constant global is repacked panel-major, `[N / P, K, P]` with
    P = 4 vectors, into a new global (the dead `[K, N]` one is erased), so
    that a panel is contiguous. Each
    (K, N) shape gets one private kernel function `@bertc_gemm_<K>x<N>`
    that every product of the shape calls, with x and out as matrices with
    a dynamic row count. Its last two arguments are a range of column panels
    `[first, end)` (the call passes all of them) and it is tagged
    `bertc.parallel`, so that `bert-parallelize-kernels` can split the
    panels across threads. K may be dynamic when the weight is computed at
    run time (a weight gradient g^T x, whose reduction runs over the batch's
    rows; `@bertc_gemm_dx<N>`): the kernel reads it from x, and the weight
    is not repacked. When x is g^T copied out of g by a `linalg.transpose`
    that nothing else reads (and nothing between writes g), the kernel
    (`_xt`, x with a dynamic column stride) reads g through
    `memref.transpose` instead and the copy goes. A product whose N is not a multiple of four vector
    widths, or whose buffers are not contiguous, is left as it is.

    Products tagged `bertc.xnor_linear` (by `convert-bq-to-linalg`, for
    `bq.xnor_matmul` with a constant weight) are the same loop nest on
    packed bits: i64 words, `vector-width / 2` per vector, and the step
    `acc += popcount(broadcast(x[r, k]) XOR w[k, c])` instead of the FMA
    (`@bertc_xnor_<K words>x<N>`); their weights are not repacked.

    With `amx`, int8 products in the vnni layout (`bertc.int8_linear =
    "vnni"`) whose static K is a multiple of 64 (every tile register keeps
    one shape per function, so partial tiles would not fit in the eight)
    run their rows in blocks of 16 on AMX tiles
    (`@bertc_int8vnni_..._amx`): per half panel, 2 x 2 accumulator tiles of
    16 x 16 i32, `amx.tile_muli` (tdpbusd: unsigned x bytes, signed w
    bytes, the same sums as vpdpbusd) over the whole reduction, unrolled;
    the weight tiles are read straight from the prepacked panels (a tile
    row is one k word of 16 columns). The sums are stored to out and the
    epilogue reads them back; the last M % 16 rows take the vector code.
    Each AMX kernel first calls `@__bertc_amx_permission`, defined in the
    module, which asks Linux for the tile state (arch_prctl) once and, if
    refused, prints why and exits with status 1 rather than die of SIGILL.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "unsigned", /*default=*/"8",
           "f32 lanes of one vector register (8: AVX2, 16: AVX-512)">,
    Option<"rowsPerBlock", "rows", "unsigned", /*default=*/"4",
           "rows of the register block of 2 vectors (int8 products adapt "
           "it: vpdpbusd on 16 lanes takes half as many rows of 4 vectors, "
           "AVX2's vpmaddwd 6 rows where this is 4)">,
    Option<"amx", "amx", "bool", /*default=*/"false",
           "run the vnni products' blocks of 16 rows on AMX tiles">
  ];
  let dependentDialects = [
    "::mlir::amx::AMXDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def LowerAttentionPass : Pass<"bert-lower-attention", "::mlir::ModuleOp"> {
  let summary = "Replaces attention's per-head products by register-blocked kernels";
  let description = [{
    Runs after bufferization on the `linalg.generic` products that
    `convert-bert-to-linalg` tagged `bertc.head_product`: 5-D contractions
    `out[b, h, row, col] += x[b, h, row, k] * w[b, h, k, col]` in which each
    operand holds the two batch axes (batch and head, at any positions) and
    a matrix whose second axis is its innermost memref axis (attention's
    scores Q K^T with K transposed per head, and its context P V). Each
    becomes a call of `@bertc_heads_<hash>(x, w, out, n0, n1, first, end)`,
    a loop over the flat (batch, head) pairs [first, end) (one function per
    operand types and maps, tagged `bertc.parallel` so that
    bert-parallelize-kernels can split the pairs across threads), which
    calls one kernel, `@bertc_head_gemm`, on 2-D strided views per pair: column blocks of two vectors
    of `vector-width` f32, rows in blocks of `rows` then one at a time, the
    accumulators in registers for the whole reduction, and the columns past
    the last full block one vector at a time with masked loads and stores.
    All sizes are run-time values. Products of another shape, or not
    contractions, are left as they are.

    Packed products that `convert-bq-to-linalg` tagged (Bi-Attention's
    per-head XNOR scores and BAMM context on i64 words, with `bertc.packed`
    = `xnor` or `bamm` and the rhs words transposed to `[words, N]`) get
    the same loop nest on `vector-width / 2` words per vector
    (`@bertc_head_xnor`, `@bertc_head_bamm`), the step being
    `acc += popcount(x XOR w)` or `acc += 2 popcount(x AND w) -
    popcount(x)`.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "unsigned", /*default=*/"8",
           "f32 lanes of one vector register (8: AVX2, 16: AVX-512)">,
    Option<"rowsPerBlock", "rows", "unsigned", /*default=*/"4",
           "rows of the register block">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def BytewisePackingPass : Pass<"bert-bytewise-packing"> {
  let summary = "Packs int8 products' activations as an elementwise loop over bytes";
  let description = [{
    convert-bq-int8-to-linalg packs the activations of a vnni (avx2) int8
    product into int32 words with a tagged reduction (`bertc.packed_activations`):
    `word |= code(x[g w + t]) << (32 / g) t` over a zero-filled buffer. In
    memory those words are just the codes in order (little endian), and
    LLVM vectorized the reduction with a shuffle per four floats. On
    buffers, this pass gives the words a buffer of bytes of their own with
    two `memref.view`s of it, one as the words (which the product reads)
    and one as codes [..., K] (i8 for vnni, i16 for avx2), and replaces the
    reduction by an elementwise generic that writes each code there; the
    zero fill goes. Packings whose code depends on more than the element of
    x, or whose words another op touches before the product, are left.

    Before: `linalg.fill` 0 into `%w = memref.alloc(%m) : memref<?x192xi32>`,
    then the tagged generic over `memref<?x192x4xf32>` (an expand_shape of
    `%x : memref<?x768xf32>`) into %w. After: `%b = memref.alloc(%bytes) :
    memref<?xi8>`, `%w = memref.view %b[%c0][%m] : ... to memref<?x192xi32>`,
    `%c = memref.view %b[%c0][%m] : ... to memref<?x768xi8>` and a
    generic from %x into %c computing the code only.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def RowKernelsPass : Pass<"bert-row-kernels", "::mlir::ModuleOp"> {
  let summary = "Outlines row-parallel linalg ops into thread-pool kernels over row ranges";
  let description = [{
    Once the GEMM kernels run on the thread pool, the ops left on the
    calling thread (LayerNorm, softmax, the quantization of activations,
    elementwise chains) were a third of a 2-thread BERT-base run. This pass
    outlines every linalg.generic on buffers whose loops are parallel "row"
    loops followed by one inner loop (parallel or a reduction), whose
    operands are read either per row (their leading indices are the row
    loops in order, then maybe the inner loop; identity layout) or the same
    for every row (no row loop), whose outputs are per row, and whose body
    uses only its arguments and constants (no `linalg.index`): the row
    loops are flattened, and `@bertc_rows_<hash>(operands..., first, end)`
    runs the op on rows [first, end) through collapsed, sliced views. The
    kernel is tagged `bertc.parallel`, so bert-parallelize-kernels splits
    the rows across threads; each row runs the same instructions whatever
    the split, so results do not depend on the thread count. Kernels with
    the same text are shared (one per LayerNorm step for all layers). Ops
    whose inner loop is statically shorter than 64, or of two loops with a
    dynamic inner one, stay where they are: a dispatch costs more.

    Before: `linalg.generic` (parallel x 3) over `memref<?x?x768xf32>` and
    `memref<768xf32>`. After: `call @bertc_rows_<hash>(%x, %gamma, %out,
    %c0, %rows)` with %rows = B * L, the kernel running the generic on
    `memref.subview`s of `memref.collapse_shape`s to [rows, 768].
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def RowReductionsToLoopsPass : Pass<"bert-row-reductions-to-loops"> {
  let summary = "Lowers last-axis reductions in strips of rows with their sums in registers";
  let description = [{
    `convert-linalg-to-loops` lowers a reduction over the last axis with
    that axis innermost: LayerNorm's and softmax's row sums became chains of
    dependent scalar adds (a float sum may not be reassociated) through a
    stored accumulator. This pass lowers linalg.generic ops on buffers
    whose last loop is the only reduction, whose output is indexed by the
    parallel loops in order and whose inputs are read through projected
    permutations: loops over the parallel dimensions but the last, then
    strips of 8 rows of the last one (the rest one row at a time) whose
    accumulators are loaded once, carried as iter_args through one
    reduction loop (the body cloned per row) and stored once. The 8 chains
    are independent, so they overlap; each row still combines its values
    in the order of the reduction axis, so the results are bit for bit
    those of the sequential loop. Runs after the GEMM kernels have replaced
    the tagged products.

    Before: `linalg.generic` (parallel, reduction) from `memref<?x768xf32>`
    into `memref<?xf32>` with body `arith.addf %in, %acc`. After: `scf.for
    %i = 0 to %rows8 step 8` { 8 `memref.load %out[%i + r]`, `scf.for %k
    iter_args(%a0, ..., %a7)` { `arith.addf %x_r, %a_r` per row }, 8
    `memref.store` }, then `scf.for %i = %rows8 to %rows` for the rest.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def ExactConstantDivisionPass : Pass<"bert-exact-constant-division"> {
  let summary = "Divisions of converted integers by a constant as exact multiplications";
  let description = [{
    Q8BERT dequantizes by dividing the int32 sum, converted to f32, by the
    scale s_w * s_x (the official code divides, and a multiplication by the
    f32 reciprocal gives other floats for about 43 % of the sums). A
    vector division is slow (on the AMX kernel's epilogue, a fifth of its
    samples). This pass rewrites `arith.divf (arith.sitofp %i), %c`, with
    %i of at most 32 bits and %c a constant, into
    `arith.truncf (arith.mulf (arith.extf ...), 1 / c in f64)`, which gives
    the same f32 for every such dividend
    (`bertc::divisionOfIntegersIsMultiplication` says why and when: c
    normal, 2^-90 <= |c| <= 2^90; the unit test checks every integer of
    magnitude <= 2^24 and random int32 sums). Other divisions are left.

    Before: `%q = arith.divf %a, %c : f32` with `%a = arith.sitofp %i : i32
    to f32`. After: `%w = arith.extf %a : f32 to f64`, `%p = arith.mulf %w,
    %r : f64` (%r = 1 / c), `%q = arith.truncf %p : f64 to f32`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def ApproximateMathPass : Pass<"bert-approximate-math"> {
  let summary = "Replaces erf, exp and tanh by vectorizable polynomials";
  let description = [{
    Applies MLIR's polynomial approximations (the patterns behind upstream's
    test-only math approximation pass) to the math functions named in
    `functions`. A libm call (erff, expf) in an elementwise loop stops LLVM
    from vectorizing it; the polynomials are plain arithmetic. The end-to-end
    tests bound the effect on accuracy (1e-4 on logits and hidden states).

    Before: `%y = math.erf %x : f32`. After: a rational approximation built
    from arith ops (and `math.fma`), with no call.
  }];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "math functions to approximate (default: erf, exp, tanh)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def StridedCopiesToLoopsPass : Pass<"bert-strided-copies-to-loops", "::mlir::ModuleOp"> {
  let summary = "Turns memref.copy between non-contiguous views into loops";
  let description = [{
    `finalize-memref-to-llvm` lowers a `memref.copy` whose operands are not
    both contiguous (a strided or dynamically offset view, e.g. a gradient
    row written into a table at a run-time row) to a call to `memrefCopy`
    from MLIR's C runner utilities, which compiled models must not need:
    they link against libc and libm only. This pass rewrites such copies as
    `linalg.copy`, which `convert-linalg-to-loops` turns into loops;
    contiguous copies stay `memref.copy` (a memcpy).

    Before: `memref.copy %a, %v : memref<32xf32> to memref<32xf32, strided<[1], offset: ?>>`.
    After: `linalg.copy ins(%a : ...) outs(%v : ...)`.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def InternalizePrivatePass : Pass<"bert-internalize-private", "::mlir::ModuleOp"> {
  let summary = "Gives private llvm.func definitions internal linkage";
  let description = [{
    `convert-func-to-llvm` keeps a private `func.func`'s `sym_visibility`
    but emits it with external linkage, so helpers (GEMM and attention
    kernels, the per-layer functions, upstream's deallocation helper) would
    be global symbols of the object and two compiled models would clash at
    link time. This pass sets `linkage = internal` on every private
    `llvm.func` that has a body; declarations and public functions (the
    entry point and its C wrapper) are left alone.

    Before: `llvm.func @k() attributes {sym_visibility = "private"} {...}`.
    After: `llvm.func internal @k() attributes {sym_visibility = "private"} {...}`.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def NameConstantsPass : Pass<"bert-name-constants", "::mlir::ModuleOp"> {
  let summary = "Names checkpoint globals after their tensors, in sorted order";
  let description = [{
    Runs after `one-shot-bufferize`, which names constant globals
    `__constant_<shape>_<n>` in the order it visits functions. With one
    function per encoder layer that order is not stable from run to run, and
    neither were the objects bert-compile wrote. Every private
    `memref.global` initialised from a `dense_resource` blob is renamed to
    the blob's key (the checkpoint tensor's name, e.g.
    `bert.encoder.layer.0.attention.self.query.bias`, suffixed `_1`, `_2`
    on a clash) and moved to the top of the module in name order; uses are
    updated. Output is then a function of the input only, and the symbols
    in the object say which tensor they hold.

    Before: `memref.global "private" constant @__constant_64xf32_3 : ... =
    dense_resource<bert.pooler.dense.bias>`. After: the same global named
    `@"bert.pooler.dense.bias"`.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def FuseElementwisePass : Pass<"bert-fuse-elementwise"> {
  let summary = "Fuses chains of elementwise linalg.generic ops, and only those";
  let description = [{
    Applies upstream's elementwise fusion with a control that accepts a
    producer only if it and its consumer are all-parallel generics without
    a `bertc.*` tag, and the producer has no other use. Upstream's pass as
    is fuses elementwise producers into matmul-like operands (recomputed
    per (m, n, k); BERT-base ran 40x slower); this one merges chains such
    as a binary linear's epilogue (counts to dots to `alpha * d + b`), bias
    and residual adds, into one loop.

    Before: two `linalg.generic` ops, the second reading the first's result
    elementwise. After: one `linalg.generic` computing both bodies.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def ParallelizeKernelsPass
    : Pass<"bert-parallelize-kernels", "::mlir::ModuleOp"> {
  let summary = "Splits the GEMM kernels' column panels across a thread pool";
  let description = [{
    Runs on the LLVM dialect. The kernels that `bert-lower-linears` emits
    are tagged `bertc.parallel`: their last two arguments are a range
    `[first, end)` of column panels, each computed independently. Every call
    of such a kernel becomes a call of `__bertc_parallel_for(@<kernel>_task,
    context, first, end)`, where the context is a stack slot holding the
    other arguments and `@<kernel>_task(context, first, end)` calls the
    kernel with them. The pass defines the pool itself (internal linkage,
    pthreads and libc only): `BERTC_NUM_THREADS` (read once, at the first
    parallel call; unset or invalid: 1, at most 64) threads, the caller's
    included, claim disjoint, nearly equal chunks of the range, one per
    thread, by compare-and-swap on one word: a worker that is asleep or not
    yet scheduled leaves its chunk to the caller instead of making it wait.
    With one thread, or a range of one item, the kernel is called directly. One parallel region
    runs at a time; a call that finds the pool busy (from another
    application thread) runs its range itself, so the model stays safe to
    call from several threads. Results do not depend on the thread count:
    each panel's instructions are the same.

    Idle workers busy-wait `spins` steps (a `pause`, and a `sched_yield`
    every 1024th) before they sleep on a condition variable: the gaps
    between a layer's GEMMs are shorter than a futex wake-up (the default,
    about 4.5 ms on a 2-core AMD EPYC, covers the gaps of BiBERT's layers,
    whose GEMMs take microseconds). The caller
    waits for the workers the same way, yielding so that a worker that
    shares its core (more busy threads than cores) gets to run.
  }];
  let options = [
    Option<"spins", "spins", "unsigned", /*default=*/"200000",
           "busy-wait steps of an idle worker before it sleeps">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def CacheBuffersPass : Pass<"bert-cache-buffers", "::mlir::ModuleOp"> {
  let summary = "Defines allocation functions that reuse freed buffers";
  let description = [{
    Runs on the LLVM dialect after `finalize-memref-to-llvm
    {use-generic-functions=true}`, which calls `_mlir_memref_to_llvm_alloc`
    and `_mlir_memref_to_llvm_free` instead of malloc and free. The pass
    defines both (internal linkage, so that several models link into one
    program) over a process-wide cache of `slots` freed blocks (by default
    one per allocation site, so that a call whose buffers are all freed at
    its end still returns every one of them to the cache): an
    allocation takes the smallest cached block that is large enough, else
    mallocs; a free keeps the block while a slot is empty, else frees it.
    A spin lock makes it thread-safe. Without it, glibc hands the large
    activation buffers back to the kernel after every call and the next call
    faults every page in again (about 20% of a BERT-base run). It also
    defines `<entry>_release_buffers()` (the entry from the module's
    `bertc.entry`, else `bertc`), which frees the cached blocks.

    Before: `llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr`
    (a declaration). After: an internal definition, its free counterpart,
    the cache globals and the release function.
  }];
  let options = [
    Option<"slots", "slots", "unsigned", /*default=*/"0",
           "freed blocks the cache keeps (0: one per allocation site in "
           "the module, at least 16)">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // BERTC_TRANSFORMS_PASSES_TD
