#!/usr/bin/python3
"""Checks bert-compile --calibrate's thresholds against the PyTorch
reference's float calibration on the same inputs.

    thresholds_check.py MODEL_DIR INPUTS.npy THRESHOLDS.json [--entry encoder]

INPUTS.npy holds token ids [N, L] (or hidden states [N, L, H] with --entry
encoder); every module's threshold must equal the reference's max |x| of
that linear's input within 1e-5 relative (both run the float model in
float32 arithmetic of their own), and the two must name the same modules.
"""
import json
import sys

import numpy as np
import torch

sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
from reference import Reference, forward_on_file  # noqa: E402


def main():
    model, inputs, got_path = sys.argv[1:4]
    entry = "encoder" if sys.argv[4:6] == ["--entry", "encoder"] else "model"
    ref = Reference(model)
    ref.calibration = {}
    forward_on_file(ref, inputs, entry)
    with open(got_path) as f:
        got = json.load(f)
    if set(got) != set(ref.calibration):
        print(f"FAIL modules differ: {sorted(set(got) ^ set(ref.calibration))}")
        return 1
    worst = max(abs(got[k] - v) / v for k, v in ref.calibration.items())
    print(f"{len(got)} thresholds, max relative difference {worst:.1e}")
    if not worst <= 1e-5:
        print("FAIL")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
