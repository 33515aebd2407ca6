#!/usr/bin/python3
"""BiBERT's bit kernels, compiled by bert-compile, against numpy.

    bit_kernels.py BERT_COMPILE WORKDIR [--target-cpu CPU]

Writes .mlir functions built from bq ops (a binary linear whose weight is
binarized and packed at compile time, then XNOR-popcount against activations
packed at run time; batched XNOR and BAMM products as in Bi-Attention;
pack/unpack), compiles them into a shared library, calls them through ctypes
and compares every integer with a brute-force numpy evaluation of
SEMANTICS.md sections 2-3 (sign with 0 -> +1 for packed bits). Prints one
line per case and PASS, or FAIL with the first difference.
"""
import argparse
import ctypes
import os
import subprocess
import sys

import numpy as np


def descriptor(array):
    """An MLIR memref descriptor (ranked, strided) for a C-contiguous array."""
    rank = array.ndim

    class Memref(ctypes.Structure):
        _fields_ = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p),
                    ("offset", ctypes.c_int64), ("sizes", ctypes.c_int64 * rank),
                    ("strides", ctypes.c_int64 * rank)]

    strides = [s // array.itemsize for s in array.strides]
    pointer = array.ctypes.data
    return Memref(pointer, pointer, 0, (ctypes.c_int64 * rank)(*array.shape),
                  (ctypes.c_int64 * rank)(*strides))


def tensor(shape, element):
    return "tensor<" + "x".join(str(d) for d in shape) + "x" + element + ">"


def sign_bits(x):
    return np.where(x >= 0, 1, -1).astype(np.int64)


def linear_case(rng, k, n):
    """A binary linear: the weight's alpha-scaled, centred sign is folded and
    packed at compile time; the result is the integer dot product."""
    w = rng.normal(size=(n, k)).astype(np.float32)
    words = (k + 63) // 64
    rows = ", ".join("[" + ", ".join(f"{v:.9e}" for v in row) + "]" for row in w)
    name = f"linear_{k}x{n}"
    source = f"""
  func.func @{name}(%x: tensor<?x{k}xf32>) -> tensor<?x{n}xi32> attributes {{llvm.emit_c_interface}} {{
    %w = arith.constant dense<[{rows}]> : {tensor((n, k), "f32")}
    %wb = bq.binarize %w form<weight> zero<plus_one> : {tensor((n, k), "f32")}
    %wp = bq.pack_bits %wb : {tensor((n, k), "f32")} -> {tensor((n, words), "i64")}
    %xp = bq.pack_bits %x rule<nonnegative> : tensor<?x{k}xf32> -> tensor<?x{words}xi64>
    %d = bq.xnor_matmul %xp, %wp length({k}) : tensor<?x{words}xi64>, {tensor((n, words), "i64")} -> tensor<?x{n}xi32>
    return %d : tensor<?x{n}xi32>
  }}"""

    def check(library):
        centred = w - w.mean(axis=1, keepdims=True)
        for m in (1, 5, 13):
            x = rng.normal(size=(m, k)).astype(np.float32)
            x[0, :3] = 0  # sign(0) packs as +1
            out = np.zeros((m, n), dtype=np.int32)
            getattr(library, "_mlir_ciface_" + name)(
                ctypes.byref(descriptor(x)), ctypes.byref(descriptor(out)))
            want = sign_bits(x) @ sign_bits(centred).T
            if not np.array_equal(out, want):
                return f"M={m}: {int(np.sum(out != want))} dots differ"
        return None
    return name, source, check


def attention_case(rng, batch, heads, length, d):
    """Bi-Attention's integer products: scores sign(Q) sign(K)^T over d bits
    (XNOR), then context = bool mask x sign(V) over the L keys (BAMM)."""
    dw, lw = (d + 63) // 64, (length + 63) // 64
    name = f"attention_{length}x{d}"
    q_t, k_t = tensor((batch, heads, length, d), "f32"), tensor((batch, heads, length, d), "f32")
    a_t, vt_t = tensor((batch, heads, length, length), "f32"), tensor((batch, heads, d, length), "f32")
    source = f"""
  func.func @{name}(%q: {q_t}, %k: {k_t}, %a: {a_t}, %vt: {vt_t}) -> ({tensor((batch, heads, length, length), "i32")}, {tensor((batch, heads, length, d), "i32")}) attributes {{llvm.emit_c_interface}} {{
    %qp = bq.pack_bits %q rule<nonnegative> : {q_t} -> {tensor((batch, heads, length, dw), "i64")}
    %kp = bq.pack_bits %k rule<nonnegative> : {k_t} -> {tensor((batch, heads, length, dw), "i64")}
    %s = bq.xnor_matmul %qp, %kp length({d}) : {tensor((batch, heads, length, dw), "i64")}, {tensor((batch, heads, length, dw), "i64")} -> {tensor((batch, heads, length, length), "i32")}
    %ap = bq.pack_bits %a : {a_t} -> {tensor((batch, heads, length, lw), "i64")}
    %vp = bq.pack_bits %vt rule<nonnegative> : {vt_t} -> {tensor((batch, heads, d, lw), "i64")}
    %c = bq.bitwise_affine_matmul %ap, %vp length({length}) : {tensor((batch, heads, length, lw), "i64")}, {tensor((batch, heads, d, lw), "i64")} -> {tensor((batch, heads, length, d), "i32")}
    return %s, %c : {tensor((batch, heads, length, length), "i32")}, {tensor((batch, heads, length, d), "i32")}
  }}"""

    def check(library):
        q = rng.normal(size=(batch, heads, length, d)).astype(np.float32)
        k = rng.normal(size=(batch, heads, length, d)).astype(np.float32)
        a = (rng.random((batch, heads, length, length)) < 0.4).astype(np.float32)
        vt = rng.normal(size=(batch, heads, d, length)).astype(np.float32)
        scores = np.zeros((batch, heads, length, length), dtype=np.int32)
        context = np.zeros((batch, heads, length, d), dtype=np.int32)
        getattr(library, "_mlir_ciface_" + name)(
            *(ctypes.byref(descriptor(t)) for t in (q, k, a, vt, scores, context)))
        want_scores = sign_bits(q) @ np.swapaxes(sign_bits(k), -1, -2)
        want_context = a.astype(np.int64) @ np.swapaxes(sign_bits(vt), -1, -2)
        if not np.array_equal(scores, want_scores):
            return f"{int(np.sum(scores != want_scores))} scores differ"
        if not np.array_equal(context, want_context):
            return f"{int(np.sum(context != want_context))} context entries differ"
        return None
    return name, source, check


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("bert_compile")
    parser.add_argument("work")
    parser.add_argument("--target-cpu", default="host")
    args = parser.parse_args()
    rng = np.random.default_rng(5)
    cases = [linear_case(rng, 100, 64), linear_case(rng, 768, 128),
             linear_case(rng, 192, 96), linear_case(rng, 64, 40),
             attention_case(rng, 2, 3, 13, 64),
             attention_case(rng, 1, 2, 70, 24)]
    os.makedirs(args.work, exist_ok=True)
    source = os.path.join(args.work, "bits.mlir")
    with open(source, "w") as f:
        f.write("module {" + "".join(case[1] for case in cases) + "\n}\n")
    # A plain .mlir has no model header, so --emit=lib refuses it: link the
    # object here.
    stem = os.path.join(args.work, f"bits-{args.target_cpu}")
    subprocess.run([args.bert_compile, source, "--emit=obj", "-o", stem + ".o",
                    "--target-cpu=" + args.target_cpu], check=True,
                   stderr=subprocess.DEVNULL)
    library_path = stem + ".so"
    subprocess.run(["cc", "-shared", "-o", library_path, stem + ".o", "-lm"], check=True)
    library = ctypes.CDLL(library_path)
    failed = False
    for name, _, check in cases:
        problem = check(library)
        print(f"{name}: {'ok' if problem is None else 'FAIL ' + problem}")
        failed |= problem is not None
    print("FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
