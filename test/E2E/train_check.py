#!/usr/bin/python3
"""Checks a compiled training step against PyTorch autograd.

    train_check.py MODEL_DIR EXE [--batch 2] [--seq 8] [--seed 0] [--pad]
                   [--finite-differences N]

runs EXE (bert-compile --mode=train --emit=exe) on random token ids and
labels with --dump-grads, and computes the same step with reference.py's
independent float64 BERT, whose weights require gradients: the loss is
torch.nn.functional.cross_entropy of the logits (mean over the batch), the
gradients come from torch.autograd (nn.Embedding's padding_idx included).
Fails unless the loss agrees within 1e-5 relative and every tensor's
gradient within 1e-4 relative to the tensor's largest gradient
(max |ours - ref| / max |ref|).

--optimizer adamw|bert-adam --lr LR also runs one optimizer step (EXE
--train-ids ... --max-steps 1 --warmup 0, the batch as the whole training
set) and checks the saved weights against the recipe applied in float64
to the reference gradients: AdamW (Hugging Face's, after a global
clip_grad_norm_; Q8BERT's recipe at decay 0) or
BertAdam (each tensor clipped on its own, no bias correction, BiBERT's
recipe). The first Adam step moves each weight by about lr * sign(g), so
the check is max |update_ours - update_ref| / lr <= 0.02 (a gradient that
is 0 in exact arithmetic, and ~1e-9 in float32, moves by a fraction of lr).

--quant q8 checks a Q8BERT QAT build (bert-compile --mode=train
--quant=q8) against the same reference with SEMANTICS.md 1.4 and 1.6's
training forward in float32 (the official code's precision): every
linear's input fake-quantized at 127 / T with T = max|x| of this batch
(the first step's EMA), its weight at 127 / max|W|, the word and position
tables at 127 / max|E|, all with the identity straight-through gradient
(1.8); the thresholds the step returns are compared too (1e-6 relative).

--quant binary checks a BiBERT distillation build (bert-compile
--mode=train --quant=binary [--binary-attention=sign] [--dmd=false]; pass
the same --binary-attention and --no-dmd here) against SEMANTICS.md 2.2-2.9
in float32 with custom autograd functions for the straight-through
estimators: the student binarizes every linear but the classifier (sign of
the input with the inclusive window; alpha * sign of the centred weight,
the window on the centred weight, autograd through the centring) and the
word table; Bi-Attention signs Q, K, V (strict window) and takes
1{A > 0} of the scores (strict window), or sign(softmax) with --binary-
attention sign; the teacher is the float model of the same checkpoint
under no_grad; the loss is soft cross-entropy (mean over B C) + 0.5 cross-
entropy + the DMD distances of the Q, K, V head similarities + the hidden-
state distances (2.8).

--finite-differences N also checks N randomly chosen gradient entries of
the reference against central differences of its float64 loss, so that the
reference itself is checked (the float path's finite-difference check).
"""
import argparse
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import MASK64, Reference, load_safetensors, make_inputs  # noqa: E402


class FakeQuantSTE(torch.autograd.Function):
    """nlp-architect's FakeLinearQuantizationWithSTE: clamp(rne(x s), +-127) / s
    forward, the incoming gradient unchanged backward."""

    @staticmethod
    def forward(ctx, x, scale):
        return torch.clamp(torch.round(x * scale), -127, 127) / scale

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class QatReference(Reference):
    """Q8BERT's training forward on the first step (T = max|x|)."""

    def __init__(self, model_dir, requantize=(), late=()):
        super().__init__(model_dir)
        self.w = {name: t.float() for name, t in self.w.items()}
        self.thresholds = {}  # checkpoint buffer name -> T
        self.requantize = set(requantize)
        # Modules whose start_step is later than this step: plain float.
        self.late = set(late)

    def get(self, name):
        tensor = super().get(name)
        if name in ("embeddings.word_embeddings.weight",
                    "embeddings.position_embeddings.weight") \
                and self.module(name[:-len(".weight")]) not in self.late:
            return FakeQuantSTE.apply(tensor, self.scale(tensor.detach().abs().max()))
        return tensor

    def forward(self, x, mask, types=None, entry="model"):
        return super().forward(x, mask.float(), types, entry)

    def dense_value(self, x, name):
        weight = self.get(name + ".weight")
        if self.module(name) in self.late:
            return F.linear(x, weight, self.get(name + ".bias"))
        threshold = x.detach().abs().max()
        self.thresholds[self.module(name) + ".input_thresh"] = threshold.item()
        xq = FakeQuantSTE.apply(x, self.scale(threshold))
        wq = FakeQuantSTE.apply(weight, self.scale(weight.detach().abs().max()))
        y = F.linear(xq, wq, self.get(name + ".bias"))
        if self.module(name) in self.requantize:
            # requantize_output (SEMANTICS.md 1.4 step 3): y's own threshold.
            out = y.detach().abs().max()
            self.thresholds[self.module(name) + ".output_thresh"] = out.item()
            y = FakeQuantSTE.apply(y, self.scale(out))
        return y


class SignSTE(torch.autograd.Function):
    """torch.sign forward; the gradient inside the window |x| <= 1
    (inclusive: torch.clamp's rule, BiBERT's linear inputs and weights) or
    |x| < 1 (strict: BinaryQuantizer, Q, K and V)."""

    @staticmethod
    def forward(ctx, x, strict):
        ctx.save_for_backward(x)
        ctx.strict = strict
        return torch.sign(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        inside = x.abs() < 1 if ctx.strict else x.abs() <= 1
        return grad * inside.to(grad.dtype), None


class BoolSTE(torch.autograd.Function):
    """ZMeanBinaryQuantizer: 1{x > 0} forward, g * 1{|x| < 1} backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x.abs() < 1).to(grad.dtype)


class BiBertReference(Reference):
    """BiBERT's student (student=True) or its float teacher in float32,
    recording Q, K, V per layer and the hidden states for distillation."""

    def __init__(self, model_dir, student, attention="bi"):
        super().__init__(model_dir)
        self.w = {name: t.float() for name, t in self.w.items()}
        self.student, self.attention = student, attention
        self.projections, self.states = [], []

    def latent_binary(self, w):
        """QuantizeLinear's weight with the official code's detach trick:
        the value alpha * sign(Wc) (alpha = mean |W| of the un-centred row),
        the gradient that of clamp(Wc, -1, 1), Wc = W - mean W not detached
        (so alpha does not scale the gradient)."""
        alpha = w.detach().abs().mean(dim=1, keepdim=True)
        centred = w - w.mean(dim=1, keepdim=True)
        clipped = torch.clamp(centred, -1, 1)
        return (alpha * torch.sign(centred)).detach() - clipped.detach() + clipped

    def get(self, name):
        tensor = super().get(name)
        if self.student and name == "embeddings.word_embeddings.weight":
            return self.latent_binary(tensor)
        return tensor

    def dense_value(self, x, name):
        weight, bias = self.get(name + ".weight"), self.get(name + ".bias")
        if self.student and name != "classifier":
            return F.linear(SignSTE.apply(x, False), self.latent_binary(weight), bias)
        return F.linear(x, weight, bias)

    def attend(self, q, k, v, extended, d):
        self.projections.append((q, k, v))
        if not self.student:
            return super().attend(q, k, v, extended, d)
        q, k, v = (SignSTE.apply(t, True) for t in (q, k, v))
        scores = q @ k.transpose(-1, -2) / (d ** 0.5) + extended
        if self.attention == "sign":
            # HF's place: dropout of the probabilities, then the sign.
            weights = SignSTE.apply(self.dropout(F.softmax(scores, dim=-1),
                                                 self.attention_dropout), False)
        else:
            # SEMANTICS.md 2.5 step 4: dropout of the scores before bool.
            weights = BoolSTE.apply(self.dropout(scores, self.attention_dropout))
        return weights @ v

    def norm(self, x, name):
        y = super().norm(x, name)
        if name.endswith(".output.LayerNorm") and "attention" not in name:
            self.states.append(y)
        return y

    def embed(self, ids, types):
        # Hugging Face's hidden_states[0]: the embeddings after dropout.
        y = super().embed(ids, types)
        self.states.append(y)
        return y

    def forward(self, x, mask, types=None, entry="model"):
        self.projections, self.states = [], []
        return super().forward(x, mask.float(), types, entry)


def normalized_distance(s, t):
    """|| S/||S|| - T/||T|| ||, norms over whole tensors, entries <= -100 zeroed."""
    s = torch.where(s <= -100, torch.zeros_like(s), s)
    t = torch.where(t <= -100, torch.zeros_like(t), t)
    return (s / s.norm() - t / t.norm()).norm()


def distillation_step(ref, teacher, inputs, labels, dmd):
    """BiBERT's total loss (SEMANTICS.md 2.8) and the student's gradients."""
    ids, mask, types, entry = inputs
    with torch.no_grad():
        teacher_logits = teacher.forward(ids, mask, types, entry)["logits"]
    for tensor in ref.w.values():
        tensor.requires_grad_(True)
        tensor.grad = None
    logits = ref.forward(ids, mask, types, entry)["logits"]
    loss = (-F.softmax(teacher_logits, dim=-1) * F.log_softmax(logits, dim=-1)).mean()
    loss = loss + 0.5 * F.cross_entropy(logits, labels)
    d = ref.config["hidden_size"] // ref.config["num_attention_heads"]
    if dmd:
        for ours, theirs in zip(ref.projections, teacher.projections):
            for x, y in zip(ours, theirs):
                loss = loss + normalized_distance(x @ x.transpose(-1, -2) / d ** 0.5,
                                                  y @ y.transpose(-1, -2) / d ** 0.5)
    for ours, theirs in zip(ref.states, teacher.states):
        loss = loss + normalized_distance(ours, theirs)
    loss.backward()
    return loss.item(), {name: t.grad for name, t in ref.w.items()}


def reference_step(ref, inputs, labels):
    ids, mask, types, entry = inputs
    for tensor in ref.w.values():
        tensor.requires_grad_(True)
        tensor.grad = None
    logits = ref.forward(ids, mask, types, entry)["logits"]
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    return loss.item(), {name: t.grad for name, t in ref.w.items()}


def finite_difference_check(ref, inputs, labels, grads, count, rng):
    """Central differences of the float64 loss at `count` random entries."""
    worst = 0.0
    names = sorted(grads)
    with torch.no_grad():
        for _ in range(count):
            name = names[rng.integers(len(names))]
            tensor = ref.w[name]
            index = tuple(int(rng.integers(n)) for n in tensor.shape)
            step = 1e-6
            original = tensor[index].item()
            losses = []
            for sign in (1, -1):
                tensor[index] = original + sign * step
                logits = ref.forward(*inputs)["logits"]
                losses.append(F.cross_entropy(logits, labels).item())
            tensor[index] = original
            numeric = (losses[0] - losses[1]) / (2 * step)
            analytic = grads[name][index].item()
            scale = max(grads[name].abs().max().item(), 1e-12)
            worst = max(worst, abs(numeric - analytic) / scale)
    return worst


def optimizer_step_error(ref, grads, stepped, args):
    """One step of the recipe on the reference gradients, compared with the
    weights the executable saved."""
    before = {name: t.detach().clone() for name, t in ref.w.items()}
    params = {name: before[name].clone().requires_grad_(True) for name in grads}
    for name, p in params.items():
        p.grad = grads[name].detach().clone()
    beta1, beta2 = 0.9, 0.999

    def decay(name):
        excluded = "bias" in name or "LayerNorm.weight" in name
        return 0.0 if excluded else args.weight_decay

    with torch.no_grad():
        if args.optimizer == "adamw":
            # Hugging Face's AdamW (transformers.optimization.AdamW, which
            # nlp-architect uses): epsilon is added to sqrt(v) before the
            # bias correction, unlike torch.optim.AdamW, which matters for
            # gradients below ~1e-6.
            torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0)
            step_size = args.lr * math.sqrt(1 - beta2) / (1 - beta1)
            for name, p in params.items():
                m = (1 - beta1) * p.grad
                v = (1 - beta2) * p.grad * p.grad
                p -= step_size * m / (v.sqrt() + 1e-8)
                p -= args.lr * decay(name) * p
        else:
            for name, p in params.items():
                torch.nn.utils.clip_grad_norm_([p], 1.0)
                m = (1 - beta1) * p.grad
                v = (1 - beta2) * p.grad * p.grad
                p -= args.lr * (m / (v.sqrt() + 1e-6) + decay(name) * p)
    worst = 0.0
    for name, p in params.items():
        ours = stepped[name].double() - before[name].double()
        theirs = p.detach().double() - before[name].double()
        error = (ours - theirs).abs().max().item() / args.lr
        if os.environ.get("TRAIN_CHECK_VERBOSE"):
            print(f"  {name}: {error:.2e}")
        worst = max(worst, error)
    return worst


def training_batch(inputs, labels, run_seed):
    """The first batch of an epoch-1 training run over all rows, as the
    trainer forms it: its xorshift64* shuffle of the rows for --seed, then
    the columns trimmed to the longest unmasked row. Dropout masks depend on
    each element's position, so the reference must see this batch."""
    ids, mask, types, entry = inputs
    rows = ids.shape[0]
    state = (run_seed * 0x9E3779B97F4A7C15 + 1) & MASK64
    order = list(range(rows))
    for i in range(rows - 1, 0, -1):
        state ^= state >> 12
        state ^= (state << 25) & MASK64
        state ^= state >> 27
        j = ((state * 2685821657736338717) & MASK64) % (i + 1)
        order[i], order[j] = order[j], order[i]
    used = max([1] + [int(torch.nonzero(mask[r]).max()) + 1 for r in order
                      if bool((mask[r] != 0).any())])
    order = torch.tensor(order)
    return ((ids[order][:, :used], mask[order][:, :used], types[order][:, :used], entry),
            labels[order])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model")
    parser.add_argument("exe")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--seq", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pad", action="store_true")
    parser.add_argument("--finite-differences", type=int, default=0)
    parser.add_argument("--quant", default="none", choices=["none", "q8", "binary"])
    parser.add_argument("--binary-attention", default="bi", choices=["bi", "sign"])
    parser.add_argument("--no-dmd", action="store_true")
    parser.add_argument("--optimizer", choices=["adamw", "bert-adam"])
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--weight-decay", type=float, default=0.0,
                        help="the decay the executable was compiled with (not of "
                             "biases and LayerNorm weights)")
    parser.add_argument("--requantize", default="",
                        help="with --quant q8: modules compiled with --q8-requantize")
    parser.add_argument("--q8-start-steps", default="",
                        help="with --quant q8: the executable's per-module start steps "
                             "(MODULE=N,...); a module with N > 0 is float at step 0")
    parser.add_argument("--run-seed", type=int, default=42,
                        help="the executable's --seed: step 0's dropout seed is "
                             "run_seed << 32")
    parser.add_argument("--hidden-dropout", type=float,
                        help="the rate the executable was compiled with (default: "
                             "the config's hidden_dropout_prob, else 0.1)")
    parser.add_argument("--attention-dropout", type=float,
                        help="likewise for attention_probs_dropout_prob")
    args = parser.parse_args()
    args.entry = "model"

    if args.quant == "binary":
        ref = BiBertReference(args.model, True, args.binary_attention)
        teacher = BiBertReference(args.model, False)
    elif args.quant == "q8":
        starts = dict(item.split("=") for item in args.q8_start_steps.split(",") if item)
        ref = QatReference(args.model, args.requantize.split(",") if args.requantize else (),
                           [module for module, step in starts.items() if int(step) > 0])
    else:
        ref = Reference(args.model)
    if args.hidden_dropout is not None:
        ref.hidden_dropout = args.hidden_dropout
    if args.attention_dropout is not None:
        ref.attention_dropout = args.attention_dropout
    with tempfile.TemporaryDirectory() as tmp:
        paths, inputs = make_inputs(ref, args, tmp)
        # The student in training mode (the teacher evaluates, no dropout).
        ref.dropout_seed = args.run_seed << 32
        print(f"dropout: hidden {ref.hidden_dropout}, attention {ref.attention_dropout}, "
              f"step seed {ref.dropout_seed}")
        rng = np.random.default_rng(args.seed + 1)
        labels = rng.integers(0, ref.config.get("num_labels", 2), args.batch)
        paths["labels"] = os.path.join(tmp, "labels.npy")
        np.save(paths["labels"], labels.astype(np.int32))
        dump = os.path.join(tmp, "grads.safetensors")
        command = [args.exe, "--input", paths["input"], "--labels", paths["labels"],
                   "--mask", paths["mask"], "--token-types", paths["token-types"],
                   "--seed", str(args.run_seed), "--dump-grads", dump]
        if args.q8_start_steps:
            command += ["--q8-start-steps", args.q8_start_steps]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        ours = load_safetensors(dump)
        stepped = None
        if args.optimizer:
            out = os.path.join(tmp, "stepped")
            subprocess.run([args.exe, "--train-ids", paths["input"], "--train-labels",
                            paths["labels"], "--train-mask", paths["mask"], "--train-types",
                            paths["token-types"], "--batch", str(args.batch), "--epochs", "1",
                            "--max-steps", "1", "--warmup", "0", "--lr", str(args.lr),
                            "--seed", str(args.run_seed), "--out", out], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            stepped = load_safetensors(os.path.join(out, "model.safetensors"))

    labels = torch.tensor(labels, dtype=torch.int64)

    def step(batch_inputs, batch_labels):
        if args.quant == "binary":
            return distillation_step(ref, teacher, batch_inputs, batch_labels,
                                     not args.no_dmd)
        return reference_step(ref, batch_inputs, batch_labels)

    loss, grads = step(inputs, labels)
    failures = []
    ours_loss = ours.pop("loss").item()
    if args.quant == "q8":
        worst_t = 0.0
        for key, threshold in ref.thresholds.items():
            dumped = ours.pop(key, None)
            if dumped is None:
                sys.exit(f"FAIL: no threshold {key} in the dump")
            worst_t = max(worst_t, abs(dumped.item() - threshold) / threshold)
        print(f"thresholds: {len(ref.thresholds)}, worst relative error {worst_t:.2e}")
        if worst_t > 1e-6:
            failures.append("thresholds")
    loss_error = abs(ours_loss - loss) / abs(loss)
    print(f"loss: ours {ours_loss:.9g} reference {loss:.9g} relative error {loss_error:.2e}")
    if loss_error > 1e-5:
        failures.append("loss")
    if sorted(ours) != sorted(grads):
        missing = sorted(set(grads) ^ set(ours))
        sys.exit(f"FAIL: the dumped tensors differ from the checkpoint's: {missing}")
    worst = (0.0, "")
    largest = max(g.abs().max().item() for g in grads.values())
    for name, reference_grad in grads.items():
        reference_grad = reference_grad.double()
        scale = max(reference_grad.abs().max().item(), 1e-3 * largest)
        difference = (ours[name].double() - reference_grad).abs().max().item()
        error = difference / scale
        worst = max(worst, (error, name))
        if error > 1e-4:
            failures.append(f"{name} ({error:.2e})")
    print(f"gradients: {len(grads)} tensors, worst relative error {worst[0]:.2e} ({worst[1]})")
    if args.finite_differences:
        fd = finite_difference_check(ref, inputs, labels, grads, args.finite_differences,
                                     np.random.default_rng(args.seed + 2))
        print(f"finite differences: {args.finite_differences} entries, worst relative "
              f"error {fd:.2e}")
        if fd > 1e-5:
            failures.append(f"finite differences ({fd:.2e})")
    if stepped is not None:
        # The trainer's batch: shuffled and trimmed, so other dropout masks.
        _, step_grads = step(*training_batch(inputs, labels, args.run_seed))
        error = optimizer_step_error(ref, step_grads, stepped, args)
        print(f"{args.optimizer} step: worst |update difference| / lr {error:.2e}")
        if error > 0.02:
            failures.append(f"{args.optimizer} step ({error:.2e})")
    if failures:
        sys.exit("FAIL: " + ", ".join(failures))
    print("PASS")


if __name__ == "__main__":
    main()
