#!/usr/bin/python3
"""bertc's benchmarks: us and the peers measured in the same run, as medians and ratios.

    bench/run.sh [--quick]

1. fp32 and binary (BiBERT) linears at BERT-base shapes (M in {1, 128, 512}
   x (768x768, 3072x768, 768x3072)) against OpenBLAS sgemm.
1b. int8 (Q8BERT) linears on the same shapes against the same sgemm and
   oneDNN's s8s8s32 / u8s8s32 matmuls; then ISA-matched: our kernels
   compiled for an AVX512-VNNI and for an AVX2 CPU against oneDNN and
   OpenBLAS held to the same ISA (ONEDNN_MAX_CPU_ISA, OPENBLAS_CORETYPE),
   and, with AVX512-VNNI, the core's vpdpbusd peak (bench/vnni_peak.c).
2. BERT-base (12 layers, random weights), batch 1, seq 128, end to end:
   the compiled fp32, binary (--quant=binary) and int8 (--quant=q8,
   calibrated on random ids) models against PyTorch fp32 and PyTorch's
   dynamic int8 (quantize_dynamic) and ONNX Runtime (npm onnxruntime-node)
   fp32 and dynamic int8, in alternating rounds.
3. Compiling BERT-base: wall time, peak memory and object size of
   bert-compile, fp32 and binary, beside the checkpoint's size.
4. A training step (forward, backward and AdamW update) of a BERT-tiny
   shaped model (2 layers, hidden 128, vocab 30522; batch 32, seq 64): the
   compiled --mode=train executable and --quant=q8 QAT against PyTorch
   autograd + torch.optim.AdamW on the same model (the float step only;
   PyTorch has no QAT step of the same graph), one thread each.

Sections 1 and 2 run on 1 thread, then on --threads (default 2) threads for
every side (our GEMMs through BERTC_NUM_THREADS; OpenBLAS, oneDNN's OpenMP,
torch.set_num_threads, ONNX Runtime's intra-op pool); sections 3 and 4 on 1.
Timings are medians; machines here are noisy, so compare ratios. --quick uses
2 encoder layers instead of 12 (ratios comparable, absolute times not).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "test", "E2E"))
from reference import Reference  # noqa: E402
from onnx_int8 import dynamic_int8 as onnx_dynamic_int8, export_float  # noqa: E402


def sh(command, env=None, capture=False):
    result = subprocess.run(command, check=True, env=env, text=True,
                            stdout=subprocess.PIPE if capture else None)
    return result.stdout if capture else None


def bench_env(threads=1):
    """Every side on `threads` threads (OpenBLAS, oneDNN's OpenMP and our
    BERTC_NUM_THREADS pool); OpenBLAS chooses its own kernel for this CPU."""
    count = str(threads)
    env = dict(os.environ, OPENBLAS_NUM_THREADS=count, OMP_NUM_THREADS=count,
               BERTC_NUM_THREADS=count, BENCH_THREADS=count)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    return env


def binary_linear(n, k, w):
    """BiBERT's binary linear on the same weight: sign(x) . (alpha sign(W -
    rowmean W))^T + b, the sign of the centred weight folded and bit-packed
    at compile time, x binarized and packed at run time, XOR-popcount."""
    words = k // 64
    return f"""func.func @binary_{n}_{k}(%x: tensor<?x{k}xf32>) -> tensor<?x{n}xf32> attributes {{llvm.emit_c_interface}} {{
  %w = arith.constant dense_resource<w{n}x{k}> : tensor<{n}x{k}xf32>
  %b = arith.constant dense_resource<b{n}x{k}> : tensor<{n}xf32>
  %alpha = arith.constant dense_resource<alpha{n}x{k}> : tensor<{n}xf32>
  %wb = bq.binarize %w form<weight> zero<plus_one> : tensor<{n}x{k}xf32>
  %wp = bq.pack_bits %wb : tensor<{n}x{k}xf32> -> tensor<{n}x{words}xi64>
  %xp = bq.pack_bits %x rule<nonnegative> : tensor<?x{k}xf32> -> tensor<?x{words}xi64>
  %d = bq.xnor_matmul %xp, %wp length({k}) : tensor<?x{words}xi64>, tensor<{n}x{words}xi64> -> tensor<?x{n}xi32>
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<?x{k}xf32>
  %e = tensor.empty(%m) : tensor<?x{n}xf32>
  %y = linalg.generic {{indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}}
      ins(%d, %alpha, %b : tensor<?x{n}xi32>, tensor<{n}xf32>, tensor<{n}xf32>) outs(%e : tensor<?x{n}xf32>) {{
  ^bb0(%dot: i32, %a: f32, %bias: f32, %o: f32):
    %f = arith.sitofp %dot : i32 to f32
    %s = arith.mulf %f, %a : f32
    %r = arith.addf %s, %bias : f32
    linalg.yield %r : f32
  }} -> tensor<?x{n}xf32>
  return %y : tensor<?x{n}xf32>
}}
"""


# The int8 kernel sets gemm_bench links beside the host's best (prefix q8):
# set -> (function prefix, bert-compile flags, oneDNN's ISA cap, OpenBLAS
# core, the /proc/cpuinfo flag the host needs to run it). Each is measured
# against oneDNN and OpenBLAS held to the same ISA: the comparison that a
# CPU without AMX (or without AVX-512) would see.
ISA_MATCHED_SETS = {
    "vnni": ("q8vnni", ["--target-cpu=cascadelake", "--int8-kernel=vnni"],
             "AVX512_CORE_VNNI", "SkylakeX", "avx512_vnni"),
    "avx2": ("q8avx2", ["--target-cpu=x86-64-v3", "--int8-kernel=avx2"],
             "AVX2", "Haswell", "avx2"),
}


def host_flags():
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def q8_linears(build, work, blobs, prefix="q8", flags=()):
    """Q8BERT linears on the same weights, compiled with --quant=q8 (and
    `flags`): the input threshold T = 0.5 (max |x| of gemm_bench's inputs)
    rides in the module's bertc.thresholds; without flags the int8 kernel
    is the host's best. Functions @{prefix}_{N}_{K}."""
    module = os.path.join(work, f"linears_{prefix}.mlir")
    shapes = ((768, 768), (3072, 768), (768, 3072))
    with open(module, "w") as out:
        entries = ", ".join(f'"q8w{n}x{k}" = 0.5 : f32' for n, k in shapes)
        # Named: its buffer cache's release function is bertc_q8_release_buffers.
        out.write(f"module @bertc_{prefix} attributes {{bertc.thresholds = {{{entries}}}}} {{\n")
        for n, k in shapes:
            out.write(f"""func.func @{prefix}_{n}_{k}(%x: tensor<?x{k}xf32>) -> tensor<?x{n}xf32> attributes {{llvm.emit_c_interface}} {{
  %w = arith.constant dense_resource<q8w{n}x{k}.weight> : tensor<{n}x{k}xf32>
  %b = arith.constant dense_resource<q8w{n}x{k}.bias> : tensor<{n}xf32>
  %y = bert.linear %x, %w bias %b : tensor<?x{k}xf32>, tensor<{n}x{k}xf32>, tensor<{n}xf32> -> tensor<?x{n}xf32>
  return %y : tensor<?x{n}xf32>
}}
""")
        out.write("}\n{-#\n  dialect_resources: {\n    builtin: {\n")
        out.write(",\n".join(
            f'      q8w{n}x{k}.{part}: "0x04000000{blobs[f"{key}{n}x{k}"].tobytes().hex().upper()}"'
            for n, k in shapes for part, key in (("weight", "w"), ("bias", "b"))))
        out.write("\n    }\n  }\n#-}\n")
    obj = os.path.join(work, f"linears_{prefix}.o")
    sh([os.path.join(build, "bin", "bert-compile"), module, "--quant=q8", *flags,
        "--emit=obj", "-o", obj])
    return obj


def gemm(build, work, thread_counts):
    print("== fp32, binary (BiBERT) and int8 (Q8BERT) linears vs OpenBLAS sgemm (x W^T + b)"
          f" and oneDNN int8 matmul, {' and '.join(map(str, thread_counts))} threads")
    # Weights are compile-time constants, as in a compiled model (they are
    # prepacked); OpenBLAS gets the same values from weights.bin.
    module = os.path.join(work, "linears.mlir")
    rng = np.random.default_rng(0)
    blobs = {}
    with open(module, "w") as out, open(os.path.join(work, "weights.bin"), "wb") as raw:
        for n, k in ((768, 768), (3072, 768), (768, 3072)):
            w = rng.uniform(-0.5, 0.5, (n, k)).astype(np.float32)
            b = rng.uniform(-0.5, 0.5, (n,)).astype(np.float32)
            raw.write(w.tobytes())
            raw.write(b.tobytes())
            blobs[f"w{n}x{k}"], blobs[f"b{n}x{k}"] = w, b
            out.write(f"""func.func @linear_{n}_{k}(%x: tensor<?x{k}xf32>) -> tensor<?x{n}xf32> attributes {{llvm.emit_c_interface}} {{
  %w = arith.constant dense_resource<w{n}x{k}> : tensor<{n}x{k}xf32>
  %b = arith.constant dense_resource<b{n}x{k}> : tensor<{n}xf32>
  %y = bert.linear %x, %w bias %b : tensor<?x{k}xf32>, tensor<{n}x{k}xf32>, tensor<{n}xf32> -> tensor<?x{n}xf32>
  return %y : tensor<?x{n}xf32>
}}
""")
            out.write(binary_linear(n, k, w))
            blobs[f"alpha{n}x{k}"] = np.abs(w).mean(axis=1).astype(np.float32)
        # dense_resource blobs: a 4-byte alignment prefix, then the data.
        out.write("{-#\n  dialect_resources: {\n    builtin: {\n")
        out.write(",\n".join(
            f'      {name}: "0x04000000{value.tobytes().hex().upper()}"'
            for name, value in blobs.items()))
        out.write("\n    }\n  }\n#-}\n")
    obj = os.path.join(work, "linears.o")
    sh([os.path.join(build, "bin", "bert-compile"), module, "--emit=obj", "-o", obj])
    q8_objs = [q8_linears(build, work, blobs)]
    q8_objs += [q8_linears(build, work, blobs, prefix, flags)
                for prefix, flags, _, _, _ in ISA_MATCHED_SETS.values()]
    exe = os.path.join(work, "gemm_bench")
    sh(["cc", "-O2", "-o", exe, os.path.join(HERE, "gemm_bench.c"),
        os.path.join(HERE, "onednn_matmul.c"), obj, *q8_objs, "-lopenblas", "-ldnnl", "-lm"])
    weights = os.path.join(work, "weights.bin")
    cpu = host_flags()
    if "avx512_vnni" in cpu:
        # The ceiling for both sides' int8 products: M N K MACs at
        # this rate is the fastest any vpdpbusd kernel can be.
        peak = os.path.join(work, "vnni_peak")
        sh(["cc", "-O2", "-mavx512f", "-mavx512bw", "-mavx512vnni", "-o", peak,
            os.path.join(HERE, "vnni_peak.c")])
        sh([peak])
    for threads in thread_counts:
        print(f"\n-- {threads} thread{'s' if threads > 1 else ''}")
        sys.stdout.flush()
        sh([exe, weights], env=bench_env(threads))
        for name, (_, _, isa, core, needs) in ISA_MATCHED_SETS.items():
            if needs not in cpu:
                print(f"\n(the {name} kernels need {needs}, which this CPU lacks: not run)")
                continue
            print(f"\n-- ISA-matched: bertc's {name} kernels, oneDNN with"
                  f" ONEDNN_MAX_CPU_ISA={isa}, OpenBLAS with OPENBLAS_CORETYPE={core}")
            sys.stdout.flush()
            env = dict(bench_env(threads), ONEDNN_MAX_CPU_ISA=isa, OPENBLAS_CORETYPE=core)
            sh([exe, weights, name], env=env)


def torch_peer(model, kind, shape, runs, threads):
    """Median seconds of a PyTorch run (bench/torch_peer.py) in a process of
    its own with the thread count set for OpenBLAS and OpenMP. With several
    threads, PyTorch's libgomp threads and OpenBLAS's own spin after their
    work and starve each other on a machine with no spare core (measured: a
    2-layer BERT forward, 18 ms on 1 thread, took 80 ms on 2); it is timed
    both as is and with OMP_WAIT_POLICY=PASSIVE and keeps the faster."""
    policies = [None, "PASSIVE"] if threads > 1 else [None]
    best = None
    for policy in policies:
        env = bench_env(threads)
        if policy:
            env["OMP_WAIT_POLICY"] = policy
        out = sh(["/usr/bin/python3", os.path.join(HERE, "torch_peer.py"), model, kind,
                  str(shape), str(runs), str(threads)], env=env, capture=True).split("\n")
        seconds = float(out[0])
        if best is None or seconds < best:
            best = seconds
    return best


def torch_version():
    return sh(["/usr/bin/python3", "-c", "import torch; print(torch.__version__)"],
              capture=True).strip()


def ort_env(threads=1):
    """node finds onnxruntime-node where bench/run.sh installed it."""
    return dict(bench_env(threads), NODE_PATH=os.path.join(HERE, "node_modules"))


def ort_version():
    return sh(["node", "-e", "console.log(require('onnxruntime-node').env.versions.node)"],
              env=ort_env(), capture=True).strip()


def calibrate(model, work):
    """Q8BERT thresholds: max |x| of every linear's input in a float run of
    the reference over random token ids (4 x 128)."""
    ref = Reference(model)
    ref.calibration = {}
    ids = torch.randint(0, ref.config["vocab_size"], (4, 128), generator=torch.Generator().manual_seed(5))
    ref.forward(ids, torch.ones(4, 128, dtype=torch.float64), torch.zeros_like(ids))
    path = os.path.join(work, "thresholds.json")
    with open(path, "w") as f:
        json.dump(ref.calibration, f)
    return path


def compile_model(build, work, model, name, flags):
    """bert-compile MODEL to NAME.o (+ NAME.h) with FLAGS and link the timing
    driver against it; returns (driver, seconds, peak RSS in MiB, object MiB)."""
    obj = os.path.join(work, name + ".o")
    start = time.perf_counter()
    # wait4 gives this compile's own peak RSS (RUSAGE_CHILDREN would be the
    # largest of all children so far).
    process = subprocess.Popen([os.path.join(build, "bin", "bert-compile"), model,
                                "--emit=obj", "-o", obj] + flags)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"bert-compile {' '.join(flags)} failed ({process.returncode})")
    seconds = time.perf_counter() - start
    peak = usage.ru_maxrss
    include = os.path.join(work, name + "-include")
    os.makedirs(include, exist_ok=True)
    shutil.copy(os.path.join(work, name + ".h"), os.path.join(include, "model.h"))
    exe = os.path.join(work, name + "_bench")
    sh(["cc", "-O2", "-I", include, "-o", exe, os.path.join(HERE, "e2e_bench.c"), obj, "-lm"])
    return exe, seconds, peak / 1024, os.path.getsize(obj) / 2**20


def end_to_end(build, work, layers, runs, thread_counts):
    print(f"\n== BERT-base ({layers} layers, random weights), batch 1, seq 128")
    model = os.path.join(work, "bert-base")
    sh(["/usr/bin/python3", os.path.join(ROOT, "scripts", "make_checkpoint.py"), model,
        "--hidden", "768", "--heads", "12", "--layers", str(layers), "--intermediate", "3072",
        "--vocab", "30522", "--max-positions", "512", "--seed", "1"])
    fp32, fp32_seconds, fp32_peak, fp32_size = compile_model(build, work, model, "fp32", [])
    binary, binary_seconds, binary_peak, binary_size = compile_model(
        build, work, model, "binary", ["--quant=binary"])
    thresholds = calibrate(model, work)
    q8, q8_seconds, q8_peak, q8_size = compile_model(
        build, work, model, "q8", ["--quant=q8", "--thresholds", thresholds])
    checkpoint_size = os.path.getsize(os.path.join(model, "model.safetensors")) / 2**20
    onnx_dir = os.path.join(work, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)
    export_float(model, os.path.join(onnx_dir, "fp32.onnx"), 128)
    onnx_dynamic_int8(os.path.join(onnx_dir, "fp32.onnx"), os.path.join(onnx_dir, "int8.onnx"))
    with open(os.path.join(model, "config.json")) as f:
        vocab = str(json.load(f)["vocab_size"])

    print(f"bert-compile fp32:   {fp32_seconds:.1f} s, peak RSS {fp32_peak:.0f} MiB, object {fp32_size:.0f} MiB")
    print(f"bert-compile binary: {binary_seconds:.1f} s, peak RSS {binary_peak:.0f} MiB, object {binary_size:.0f} MiB"
          f" (checkpoint {checkpoint_size:.0f} MiB)")
    print(f"bert-compile q8:     {q8_seconds:.1f} s, peak RSS {q8_peak:.0f} MiB, object {q8_size:.0f} MiB")
    for threads in thread_counts:
        end_to_end_rounds(model, {"fp32": fp32, "binary": binary, "q8": q8},
                          onnx_dir, vocab, runs, threads)


def end_to_end_rounds(model, ours, onnx_dir, vocab, runs, threads):
    """Times our three models and the four peers on `threads` threads each."""
    print(f"\n-- {threads} thread{'s' if threads > 1 else ''}")

    def ort_time(name):
        out = sh(["node", os.path.join(HERE, "ort_bench.js"), os.path.join(onnx_dir, name),
                  "128", str(runs), vocab, str(threads)], env=ort_env(threads), capture=True)
        return float(out.split()[0])
    # Alternating rounds, so that a slow spell of this shared machine hits
    # every side rather than one: the median of the rounds' medians.
    rounds = {"fp32": [], "binary": [], "q8": [], "torch": [], "torch_int8": [],
              "ort": [], "ort_int8": []}
    for _ in range(3):
        for side, exe in ours.items():
            rounds[side].append(float(sh([exe, "128", str(runs)], env=bench_env(threads),
                                         capture=True)))
        rounds["torch"].append(torch_peer(model, "fp32", 128, runs, threads))
        rounds["torch_int8"].append(torch_peer(model, "int8", 128, runs, threads))
        rounds["ort"].append(ort_time("fp32.onnx"))
        rounds["ort_int8"].append(ort_time("int8.onnx"))
    median = {side: float(np.median(times)) for side, times in rounds.items()}
    shown = lambda side: ", ".join(f"{t * 1e3:.1f}" for t in rounds[side])
    print(f"bertc fp32:   {median['fp32'] * 1e3:9.1f} ms (median of 3 rounds of {runs}: {shown('fp32')})")
    print(f"bertc binary: {median['binary'] * 1e3:9.1f} ms (median of 3 rounds of {runs}: {shown('binary')})")
    print(f"bertc q8:     {median['q8'] * 1e3:9.1f} ms (median of 3 rounds of {runs}: {shown('q8')})")
    print(f"PyTorch fp32: {median['torch'] * 1e3:9.1f} ms (median of 3 rounds of {runs}: {shown('torch')};"
          f" torch {torch_version()})")
    print(f"PyTorch int8: {median['torch_int8'] * 1e3:9.1f} ms (median of 3 rounds of {runs}: "
          f"{shown('torch_int8')}; quantize_dynamic, onednn engine)")
    print(f"ORT fp32:     {median['ort'] * 1e3:9.1f} ms (median of 3 rounds of {runs}: {shown('ort')};"
          f" onnxruntime-node {ort_version()})")
    print(f"ORT int8:     {median['ort_int8'] * 1e3:9.1f} ms (median of 3 rounds of {runs}: "
          f"{shown('ort_int8')}; dynamic int8 as quantize_dynamic writes it, bench/onnx_int8.py)")
    print(f"ratio fp32:   {median['torch'] / median['fp32']:.2f}x PyTorch (PyTorch time / bertc time:"
          " above 1 means bertc is faster)")
    print(f"ratio binary: {median['fp32'] / median['binary']:.2f}x our fp32, "
          f"{median['torch'] / median['binary']:.2f}x PyTorch fp32")
    print(f"ratio q8:     {median['fp32'] / median['q8']:.2f}x our fp32, "
          f"{median['torch'] / median['q8']:.2f}x PyTorch fp32, "
          f"{median['torch_int8'] / median['q8']:.2f}x PyTorch dynamic int8 "
          f"(which is {median['torch'] / median['torch_int8']:.2f}x PyTorch fp32), "
          f"{median['ort_int8'] / median['q8']:.2f}x ONNX Runtime dynamic int8 "
          f"(which is {median['torch'] / median['ort_int8']:.2f}x PyTorch fp32)")


def our_train_step_time(exe, work, data, steps, extra=()):
    """Per-step time of a training executable: the difference between a run
    of `steps` + 5 steps and one of 5 steps (start-up and the initial
    parameter copy cancel), median of 3 pairs."""
    def run(count):
        out = os.path.join(work, f"run-{count}-{time.perf_counter_ns()}")
        start = time.perf_counter()
        subprocess.run([exe, "--train-ids", data["ids"], "--train-labels", data["labels"],
            "--epochs", "1000", "--batch", str(data["batch"]), "--max-steps", str(count),
            "--out", out, *extra], check=True, stdout=subprocess.DEVNULL,
           stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        shutil.rmtree(out)
        return elapsed
    pairs = [(run(steps + 5) - run(5)) / steps for _ in range(3)]
    return float(np.median(pairs))


def training(build, work, steps):
    """Section 4: one training step, ours against PyTorch."""
    batch, seq = 32, 64
    model = os.path.join(work, "tiny")
    sh(["/usr/bin/python3", os.path.join(ROOT, "scripts", "make_checkpoint.py"), model,
        "--hidden", "128", "--heads", "2", "--layers", "2", "--intermediate", "512",
        "--vocab", "30522", "--max-positions", "512", "--seed", "1"])
    rng = np.random.default_rng(0)
    # Enough rows for every step to see a full batch (no end-of-epoch eval).
    rows = batch * (steps + 5)
    data = {"ids": os.path.join(work, "train_ids.npy"),
            "labels": os.path.join(work, "train_labels.npy"), "batch": batch}
    np.save(data["ids"], rng.integers(1, 30522, (rows, seq)).astype(np.int32))
    np.save(data["labels"], rng.integers(0, 2, rows).astype(np.int32))
    compiler = os.path.join(build, "bin", "bert-compile")
    exes = {}
    for name, flags in (("fp32", []), ("q8 QAT", ["--quant=q8"])):
        exes[name] = os.path.join(work, name.replace(" ", "_") + ".train")
        sh([compiler, model, "--mode=train", "--emit=exe", "-o", exes[name], *flags])
    torch_time = torch_peer(model, "train", f"{batch},{seq}", steps, 1)
    print(f"\n4. training step, BERT-tiny shape (2 layers, hidden 128), batch {batch}, "
          f"seq {seq}, 1 thread (median)")
    print(f"   PyTorch {torch_version()} autograd + AdamW fp32: {torch_time * 1e3:8.1f} ms")
    for name, exe in exes.items():
        ours = our_train_step_time(exe, work, data, steps)
        print(f"   bertc {name:7s} step:                  {ours * 1e3:8.1f} ms  "
              f"({torch_time / ours:.2f}x PyTorch fp32)")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=2,
                        help="also time every side on this many threads (1: one-thread runs only)")
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--only", choices=("linears", "end-to-end", "training"),
                        action="append",
                        help="run only this section (repeatable; default: all, which "
                             "includes compiling BERT-base)")
    args = parser.parse_args()
    sections = args.only or ("linears", "end-to-end", "training")
    work = tempfile.mkdtemp(prefix="bertc-bench-")
    print(f"machine: {os.cpu_count()} cores; {open('/proc/cpuinfo').read().split('model name')[1].split(chr(10))[0].strip(': ')}")
    thread_counts = [1] if args.threads == 1 else [1, args.threads]
    if "linears" in sections:
        gemm(args.build, work, thread_counts)
    if "end-to-end" in sections:
        end_to_end(args.build, work, 2 if args.quick else 12, 3 if args.quick else 5,
                   thread_counts)
    if "training" in sections:
        training(args.build, work, 10 if args.quick else 30)


if __name__ == "__main__":
    main()
