#!/usr/bin/python3
"""Checks a --q8-dump run product by product.

    q8_dumps.py MODEL_DIR DUMP_DIR NAMES.json THRESHOLDS.json INPUT.npy [--entry encoder]

For every int8 product the debug build dumped (slot i: DUMP_DIR/i_x.npy,
the int8 input codes, and i_acc.npy, the int32 sums; NAMES.json names the
module of each slot):
  1. its sums must equal an integer GEMM of the dumped codes with the
     weight and bias codes (SEMANTICS.md 1.5, computed here in int64 and
     wrapped to int32): given the same codes, identical accumulators;
  2. its codes are compared with the PyTorch Q8BERT reference's codes for
     the same input and the number that differ is reported (a 1-ulp float
     difference before a quantizer can move a code by one).
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import Reference, forward_on_file  # noqa: E402


def main():
    model, dumps, names_path, thresholds_path, input_path = sys.argv[1:6]
    entry = "encoder" if sys.argv[6:8] == ["--entry", "encoder"] else "model"
    with open(names_path) as f:
        names = json.load(f)
    with open(thresholds_path) as f:
        thresholds = json.load(f)
    ref = Reference(model, q8={"thresholds": thresholds, "float_layers": set()})
    forward_on_file(ref, input_path, entry)
    differing = total = 0
    for slot, module in enumerate(names):
        codes = np.load(os.path.join(dumps, f"{slot}_x.npy")).astype(np.int64)
        sums = np.load(os.path.join(dumps, f"{slot}_acc.npy"))
        name = module[len("bert."):] if module.startswith("bert.") and module != "bert." else module
        weight = ref.get(name + ".weight")
        bias = ref.get(name + ".bias")
        key = module if module in thresholds else module.replace("bert.", "", 1)
        s_x, s_w = ref.scale(thresholds[key]), ref.scale(weight.abs().max())
        s_b = s_w * s_x
        wq = ref.quantize(weight, s_w).to(torch.int64).numpy()
        bq = ref.quantize(bias, s_b, 2 ** 31 - 1).to(torch.int64).numpy()
        want = codes @ wq.T + bq
        want = ((want + 2 ** 31) % 2 ** 32 - 2 ** 31).astype(np.int32)
        if sums.shape != want.shape or not np.array_equal(sums, want):
            print(f"FAIL {module}: the int32 sums differ from an integer GEMM of the same codes")
            return 1
        expected = ref.q8_codes[module].numpy()
        changed = int(np.sum(codes != expected))
        differing += changed
        total += codes.size
        print(f"{module}: sums identical to the integer GEMM; {changed} of {codes.size} "
              f"codes differ from the reference (max |diff| {int(np.max(np.abs(codes - expected)))})")
    print(f"{len(names)} products: sums identical; {differing} of {total} input codes differ "
          f"from the reference")
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
