#!/usr/bin/python3
"""Runs a compiled SST-2 encoder on the shipped real inputs.

encoder_input_0 must give golden_0.json's logits within 1e-4; the four other
real inputs (extra/*.npy) must match the independent PyTorch reference.

    sst2_golden.py MODEL_DIR EXE
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import Reference  # noqa: E402


def run(exe, x_path, out_path):
    subprocess.run([exe, "--input", x_path, "--output", out_path], check=True,
                   stdout=subprocess.DEVNULL)
    return np.load(out_path)


def main():
    model, exe = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp()
    with open(os.path.join(model, "golden_0.json")) as f:
        golden = np.array(json.load(f)["logits_fp64"])
    got = run(exe, os.path.join(model, "encoder_input_0.npy"), os.path.join(tmp, "y0.npy"))[0]
    error = float(np.max(np.abs(got - golden)))
    shown = [round(float(v), 6) for v in got]
    print(f"golden_0: logits {shown} vs {[round(float(v), 6) for v in golden]}, "
          f"max abs error {error:.2e}")
    if not error <= 1e-4:
        return 1
    ref = Reference(model)
    for path in sorted(glob.glob(os.path.join(model, "extra", "*.npy"))):
        x = np.load(path).astype(np.float32)
        mask = torch.ones(x.shape[:2], dtype=torch.float64)
        want = ref.forward(torch.tensor(x, dtype=torch.float64), mask, entry="encoder")["logits"].numpy()
        got = run(exe, path, os.path.join(tmp, "y.npy"))
        error = float(np.max(np.abs(got - want)))
        print(f"{os.path.basename(path)}: seq {x.shape[1]}, max abs error {error:.2e}")
        if not error <= 1e-4:
            return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
