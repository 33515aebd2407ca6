#!/usr/bin/python3
"""Runs a compiled SST-2 encoder on the shipped real inputs.

encoder_input_0 must give golden_0.json's logits within 1e-4; the four other
real inputs (extra/*.npy) must match the independent PyTorch reference.

    sst2_golden.py MODEL_DIR EXE [--quant binary]
    sst2_golden.py MODEL_DIR --calibrate T.json
    sst2_golden.py MODEL_DIR EXE --quant q8 --thresholds T.json

With --quant binary, EXE is the BiBERT compile of the model: every real
input must match the PyTorch BiBERT reference within 1e-4 (the count of
GELU outputs that are -0 in float32 is reported: their sign is +1 in both).
Each line shows the binary logits beside the float ones (the float weights
binarized without distillation: agreement with float is not expected,
SEMANTICS.md 5).
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


def real_inputs(model):
    paths = [os.path.join(model, "encoder_input_0.npy")]
    return paths + sorted(glob.glob(os.path.join(model, "extra", "*.npy")))


def binary(model, exe, tmp):
    ref, floats = Reference(model, binary=True), Reference(model)
    agree, underflows = 0, 0
    for path in real_inputs(model):
        x = torch.tensor(np.load(path).astype(np.float32), dtype=torch.float64)
        mask = torch.ones(x.shape[:2], dtype=torch.float64)
        ref.gelu_underflows = 0
        want = ref.forward(x, mask, entry="encoder")["logits"].numpy()
        fp = floats.forward(x, mask, entry="encoder")["logits"].numpy()
        got = run(exe, path, os.path.join(tmp, "y.npy"))
        error = float(np.max(np.abs(got - want)))
        agree += int(np.argmax(got[0]) == np.argmax(fp[0]))
        underflows += ref.gelu_underflows
        if not error <= 1e-4:
            print(f"FAIL {os.path.basename(path)}: error {error:.2e}")
            return 1
        print(f"{os.path.basename(path)}: binary logits {np.round(got[0], 4).tolist()}, "
              f"float {np.round(fp[0], 4).tolist()}, vs BiBERT reference {error:.2e}: match")
    count = len(real_inputs(model))
    print(f"{count} of {count} match the BiBERT reference ({underflows} GELU outputs are -0)")
    print(f"argmax equal to float on {agree} of {count}")
    print("PASS")
    return 0


def calibrate(model, out):
    """Q8BERT thresholds from the shipped input: max |x| of every linear's
    input in a float run of the reference (what a calibration on it gives)."""
    ref = Reference(model)
    ref.calibration = {}
    x = np.load(os.path.join(model, "encoder_input_0.npy")).astype(np.float32)
    mask = torch.ones(x.shape[:2], dtype=torch.float64)
    ref.forward(torch.tensor(x, dtype=torch.float64), mask, entry="encoder")
    with open(out, "w") as f:
        json.dump(ref.calibration, f, indent=1, sort_keys=True)
    print(f"calibrated {len(ref.calibration)} thresholds on encoder_input_0.npy")
    return 0


def q8(model, exe, thresholds, tmp):
    """The Q8BERT compile on every real input: it must match the Q8BERT
    reference within 1e-2 (a float rounding before a quantizer can flip a
    code) and give the float model's argmax; prints the relative error of
    the int8 logits against float's."""
    with open(thresholds) as f:
        settings = {"thresholds": json.load(f), "float_layers": set()}
    ref, floats = Reference(model, q8=settings), Reference(model)
    for path in real_inputs(model):
        x = np.load(path).astype(np.float32)
        mask = torch.ones(x.shape[:2], dtype=torch.float64)
        want = ref.forward(torch.tensor(x, dtype=torch.float64), mask, entry="encoder")["logits"].numpy()
        fp = floats.forward(torch.tensor(x, dtype=torch.float64), mask, entry="encoder")["logits"].numpy()
        got = run(exe, path, os.path.join(tmp, "y.npy"))
        error = float(np.max(np.abs(got - want)))
        relative = float(np.linalg.norm(got - fp) / np.linalg.norm(fp))
        same = bool(np.argmax(got[0]) == np.argmax(fp[0]))
        print(f"{os.path.basename(path)}: q8 logits {np.round(got[0], 4).tolist()}, "
              f"float {np.round(fp[0], 4).tolist()}, relative error {relative:.2%}, "
              f"argmax {'equal' if same else 'DIFFERS'}; vs Q8BERT reference {error:.2e}")
        if not error <= 1e-2 or not same:
            print(f"FAIL {os.path.basename(path)}")
            return 1
    print("PASS")
    return 0


def main():
    model, exe = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp()
    if sys.argv[3:] == ["--quant", "binary"]:
        return binary(model, exe, tmp)
    if sys.argv[2] == "--calibrate":
        return calibrate(model, sys.argv[3])
    if sys.argv[3:5] == ["--quant", "q8"] and sys.argv[5] == "--thresholds":
        return q8(model, exe, sys.argv[6], tmp)
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
