#!/usr/bin/python3
"""PyTorch's timings for bench.py, each in a process of its own so that its
thread settings hold from the start: torch.set_num_threads does not limit
the OpenBLAS threads that Debian's torch uses for its matmuls (measured: a
"1 thread" BERT forward that ran 18 ms with OpenBLAS on 2 threads took
33 ms on one), so bench.py starts this script with OPENBLAS_NUM_THREADS and
OMP_NUM_THREADS set to the thread count.

    torch_peer.py MODEL_DIR fp32|int8 SEQ RUNS THREADS
        median seconds of a batch 1 x SEQ forward: reference.py's BERT in
        float32, or torch_bert.py's model with quantize_dynamic's int8 linears
    torch_peer.py MODEL_DIR train BATCH,SEQ STEPS THREADS
        median seconds of a training step (forward with dropout, cross-entropy, backward,
        global clipping, AdamW)
Prints the median, then torch's version and its quantized engine.
"""
import sys
import time

import numpy as np
import torch

from torch_bert import Reference, dynamic_int8  # noqa: E402 (torch_bert puts test/E2E on the path)


def forward_time(forward, vocab, seq, runs):
    ids = torch.randint(0, vocab, (1, seq))
    times = []
    with torch.no_grad():
        forward(ids)
        for _ in range(runs):
            start = time.perf_counter()
            forward(ids)
            times.append(time.perf_counter() - start)
    return float(np.median(times))


def float_time(model_dir, seq, runs):
    ref = Reference(model_dir)
    ref.w = {name: t.float() for name, t in ref.w.items()}
    mask = torch.ones(1, seq)
    return forward_time(lambda ids: ref.forward(ids, mask, torch.zeros_like(ids)),
                        ref.config["vocab_size"], seq, runs)


def int8_time(model_dir, seq, runs):
    module = dynamic_int8(model_dir)
    return forward_time(module, module.config["vocab_size"], seq, runs)


class TrainingReference(Reference):
    """The reference in training mode with PyTorch's own dropout at the
    sites and rates bertc's training step has (the config's, 0.1)."""

    def dropout(self, x, rate):
        return torch.nn.functional.dropout(x, rate, training=True)


def train_step_time(model_dir, batch, seq, steps):
    ref = TrainingReference(model_dir)
    ref.w = {name: t.float().requires_grad_(True) for name, t in ref.w.items()}
    optimizer = torch.optim.AdamW(list(ref.w.values()), lr=1e-4)
    ids = torch.randint(1, ref.config["vocab_size"], (batch, seq))
    mask, types = torch.ones(batch, seq), torch.zeros_like(ids)
    labels = torch.randint(0, 2, (batch,))
    times = []
    for step in range(steps + 3):
        start = time.perf_counter()
        optimizer.zero_grad()
        logits = ref.forward(ids, mask, types)["logits"]
        torch.nn.functional.cross_entropy(logits, labels).backward()
        torch.nn.utils.clip_grad_norm_(list(ref.w.values()), 1.0)
        optimizer.step()
        if step >= 3:
            times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    model_dir, kind, shape, runs, threads = sys.argv[1:6]
    torch.set_num_threads(int(threads))
    if kind == "fp32":
        seconds = float_time(model_dir, int(shape), int(runs))
    elif kind == "int8":
        seconds = int8_time(model_dir, int(shape), int(runs))
    else:
        batch, seq = (int(v) for v in shape.split(","))
        seconds = train_step_time(model_dir, batch, seq, int(runs))
    print(f"{seconds:.6f}")
    print(torch.__version__, torch.backends.quantized.engine)


if __name__ == "__main__":
    main()
