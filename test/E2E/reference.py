#!/usr/bin/python3
"""An independent PyTorch BERT, and the comparison of a compiled model with it.

The reference reads the checkpoint with its own safetensors parser and
computes BertForSequenceClassification's forward with torch.nn.functional
(post-LN encoder, erf GELU, extended mask (1 - mask) * -10000, pooler tanh on
[CLS], classifier) in float64, sharing no code with bertc.

    reference.py MODEL_DIR EXE --entry model|encoder --batch 3 --seq 13
                 [--pad] [--seed 0] [--tolerance 1e-4]
                 [--quant binary [--bool-rule gt|ge] [--sign-zero plus_one|zero]]
                 [--quant q8 --thresholds T.json [--float-layers a,b]]
                 [--quant q8 --q8-mode dynamic]
    reference.py MODEL_DIR - --calibrate T.json [input flags]

runs EXE on random inputs (and padding masks with --pad) for every output
kind and fails if any value differs by more than the tolerance.

With --quant binary the reference is BiBERT as its official code computes
it (SEMANTICS.md section 2): every linear but the classifier is
sign(x) . (alpha sign(W - rowmean W))^T + b, attention is Bi-Attention
(bool of sign(Q) sign(K)^T / sqrt(d) + mask, no softmax, times sign(V)), and
the word embedding is alpha_t sign(E_t - rowmean E_t), in float32 like the
official code (sign() is discontinuous at 0). --sign-zero zero is
torch.sign (the official code: sign(0) = 0); plus_one maps 0 to +1 as packed
bits do.

With --quant q8 the reference is Q8BERT's inference as its official code
computes it (SEMANTICS.md 1.5), simulated in integers: s = 127 / T, codes
clamp(rne(x s), -127, 127), per-tensor weight scales, an int32 bias with
s_b = s_w s_x, int64 accumulation wrapped to int32 and y = acc / s_b, word
and position embeddings as int8 tables, in float32. --calibrate runs the
float reference over the inputs and writes max|x| of every linear's input
(the thresholds a calibration gives).
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64}


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        raw = data[base + start:base + end]
        if info["dtype"] == "BF16":
            bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            array = bits.view(np.float32)
        else:
            array = np.frombuffer(raw, dtype=DTYPES[info["dtype"]])
        tensors[name] = torch.tensor(array.astype(np.float64)).reshape(info["shape"])
    return tensors


MASK64 = (1 << 64) - 1


def dropout_keep(shape, seed, stream, rate):
    """bertc's stateless dropout mask (include/bertc/Utils/Dropout.h),
    written from its definition: key = seed * 0xD1B54A32D192ED03 + stream *
    0x9E3779B97F4A7C15 + row-major index (mod 2^64), murmur3's fmix64 of the
    key, kept where the top 24 bits are >= round(rate * 2^24)."""
    base = (seed * 0xD1B54A32D192ED03 + stream * 0x9E3779B97F4A7C15) & MASK64
    key = np.arange(int(np.prod(shape)), dtype=np.uint64) + np.uint64(base)
    for multiplier in (0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53):
        key ^= key >> np.uint64(33)
        key *= np.uint64(multiplier)
    key ^= key >> np.uint64(33)
    keep = (key >> np.uint64(40)).astype(np.int64) >= int(round(rate * (1 << 24)))
    return torch.tensor(keep.reshape(shape))


class Reference:
    def __init__(self, model_dir, binary=False, bool_rule="gt", sign_zero="plus_one",
                 q8=None):
        with open(os.path.join(model_dir, "config.json")) as f:
            self.config = json.load(f)
        self.w = load_safetensors(os.path.join(model_dir, "model.safetensors"))
        self.binary, self.bool_rule, self.sign_zero = binary, bool_rule, sign_zero
        # Q8BERT: {"thresholds": {module: T}, "float_layers": set()}.
        self.q8 = q8
        # When a dict, dense() records max|x| of every linear's input here
        # under its module name (a float calibration run).
        self.calibration = None
        self.gelu_underflows = 0
        # Training mode: the step's dropout seed (None: evaluation, no
        # dropout) and Hugging Face's rates; sites count from 0 per forward
        # in bertc's order (embeddings, then per layer the attention
        # weights, attention output, FFN output; the classifier input last).
        self.dropout_seed = None
        self.hidden_dropout = self.config.get("hidden_dropout_prob", 0.1)
        self.attention_dropout = self.config.get("attention_probs_dropout_prob", 0.1)
        self.dropout_stream = 0
        if binary or q8 is not None:
            # sign() is discontinuous: BiBERT's official code runs in float32,
            # and float64 moves values within rounding of 0 to the other
            # side (on the real SST-2 input the logits then differ by 0.75).
            # The binary reference therefore computes in float32, and so
            # does Q8BERT's (a quantizer is discontinuous too).
            self.w = {name: t.float() for name, t in self.w.items()}

    def dropout(self, x, rate):
        """F.dropout in training mode with bertc's mask for the next site."""
        stream = self.dropout_stream
        self.dropout_stream += 1
        if self.dropout_seed is None or rate == 0:
            return x
        keep = dropout_keep(tuple(x.shape), self.dropout_seed, stream, rate)
        return torch.where(keep, x * (1.0 / (1.0 - rate)), torch.zeros_like(x))

    def get(self, name):
        return self.w["bert." + name] if "bert." + name in self.w else self.w[name]

    def sign(self, t):
        if self.sign_zero == "zero":
            return torch.sign(t)
        return torch.where(t >= 0, torch.ones_like(t), -torch.ones_like(t))

    def binary_weight(self, w):
        """alpha_o sign(W_o - mean W_o), alpha_o = mean |W_o| (uncentred)."""
        alpha = w.abs().mean(dim=1, keepdim=True)
        return alpha * self.sign(w - w.mean(dim=1, keepdim=True))

    def module(self, name):
        """The checkpoint's module name of `name` (with "bert." where it has it)."""
        return "bert." + name if "bert." + name + ".weight" in self.w else name

    @staticmethod
    def scale(threshold):
        """s = 127 / T in float32 (SEMANTICS.md 1.1)."""
        return (torch.tensor(127.0, dtype=torch.float32)
                / torch.as_tensor(threshold, dtype=torch.float32))

    @staticmethod
    def quantize(x, s, level=127):
        """clamp(rne(x * s), -M, M), in float32 like the official code."""
        return torch.clamp(torch.round(x * s), -level, level)

    def q8_linear(self, x, name):
        """Q8BERT's inference linear (SEMANTICS.md 1.5) as an integer
        simulation: int8 codes, an int64 accumulation wrapped to int32, and
        the output dequantized by a division by s_b = s_w s_x."""
        module = self.module(name)
        weight, bias = self.get(name + ".weight"), self.get(name + ".bias")
        if self.q8.get("dynamic"):
            # DYNAMIC mode: max |x| of this call's whole input (an all-zero
            # input, where the code divides by 0, takes s_x = 1 like bertc).
            largest = x.abs().max()
            s_x = self.scale(largest) if largest > 0 else torch.tensor(1.0)
        else:
            thresholds = self.q8["thresholds"]
            key = module if module in thresholds else module.replace("bert.", "", 1)
            if key not in thresholds:
                raise SystemExit(f"reference: no threshold for {module}")
            s_x = self.scale(thresholds[key])
        s_w = self.scale(weight.abs().max())
        s_b = s_w * s_x
        xq = self.quantize(x, s_x).to(torch.int64)
        wq = self.quantize(weight, s_w).to(torch.int64)
        bq = self.quantize(bias, s_b, 2 ** 31 - 1).to(torch.int64)
        acc = xq @ wq.T + bq
        acc = (acc + 2 ** 31) % 2 ** 32 - 2 ** 31  # int32 wrap-around
        self.q8_codes[module] = xq
        return acc.to(torch.float32) / s_b

    def q8_table(self, table):
        """An int8 embedding table: the codes / s (per tensor)."""
        s = self.scale(table.abs().max())
        return self.quantize(table, s) / s

    def record(self, key, t):
        """A float calibration run: the largest |t| seen under `key`."""
        self.calibration[key] = max(self.calibration.get(key, 0.0), float(t.abs().max()))

    def dense(self, x, name):
        if self.calibration is not None:
            self.record(self.module(name), x)
            y = self.dense_value(x, name)
            self.record(self.module(name) + ".output_thresh", y)
            return y
        return self.dense_value(x, name)

    def dense_value(self, x, name):
        weight = self.get(name + ".weight")
        if self.q8 is not None and self.module(name) not in self.q8["float_layers"]:
            y = self.q8_linear(x, name)
            if self.module(name) in self.q8.get("requantize", ()):
                # requantize_output: y on the 8-bit grid of its output threshold.
                s_out = self.scale(self.q8["thresholds"][self.module(name) + ".output_thresh"])
                y = self.quantize(y, s_out) / s_out
            return y
        if self.binary and name != "classifier":  # BiBERT keeps it f32
            return F.linear(self.sign(x), self.binary_weight(weight), self.get(name + ".bias"))
        return F.linear(x, weight, self.get(name + ".bias"))

    def attend(self, q, k, v, extended, d):
        """softmax attention, or Bi-Attention: bool(sign(Q) sign(K)^T / sqrt(d)
        + mask) times sign(V), no softmax (SEMANTICS.md 2.5)."""
        if not self.binary:
            scores = q @ k.transpose(-1, -2) / (d ** 0.5) + extended
            return self.dropout(F.softmax(scores, dim=-1), self.attention_dropout) @ v
        scores = self.sign(q) @ self.sign(k).transpose(-1, -2) / (d ** 0.5) + extended
        attention = (scores > 0) if self.bool_rule == "gt" else (scores >= 0)
        return attention.to(q.dtype) @ self.sign(v)

    def norm(self, x, name):
        h = self.config["hidden_size"]
        return F.layer_norm(x, (h,), self.get(name + ".weight"), self.get(name + ".bias"),
                            eps=self.config.get("layer_norm_eps", 1e-12))

    def embed(self, ids, types):
        seq = ids.shape[1]
        positions = torch.arange(seq).unsqueeze(0)
        words = self.get("embeddings.word_embeddings.weight")
        places = self.get("embeddings.position_embeddings.weight")
        if self.binary:
            words = self.binary_weight(words)
        if self.q8 is not None:
            words, places = self.q8_table(words), self.q8_table(places)
        # padding_idx as Hugging Face's nn.Embedding: no effect on the
        # forward; the row gets no gradient in training.
        x = (F.embedding(ids, words, padding_idx=self.config.get("pad_token_id", 0))
             + F.embedding(positions, places)
             + F.embedding(types, self.get("embeddings.token_type_embeddings.weight")))
        return self.dropout(self.norm(x, "embeddings.LayerNorm"), self.hidden_dropout)

    def encoder(self, x, mask):
        cfg = self.config
        heads = cfg["num_attention_heads"]
        d = cfg["hidden_size"] // heads
        extended = (1.0 - mask)[:, None, None, :] * -10000.0
        act = cfg.get("hidden_act", "gelu")
        for i in range(cfg["num_hidden_layers"]):
            p = f"encoder.layer.{i}."

            def split(t):
                return t.view(t.shape[0], t.shape[1], heads, d).transpose(1, 2)

            q = split(self.dense(x, p + "attention.self.query"))
            k = split(self.dense(x, p + "attention.self.key"))
            v = split(self.dense(x, p + "attention.self.value"))
            context = self.attend(q, k, v, extended, d).transpose(1, 2).reshape(x.shape)
            x = self.norm(self.dropout(self.dense(context, p + "attention.output.dense"),
                                       self.hidden_dropout) + x,
                          p + "attention.output.LayerNorm")
            pre = self.dense(x, p + "intermediate.dense")
            if self.binary and act != "gelu_new":
                # BiBERT's code (BERT's gelu) in float32: below -5.5426 erf
                # rounds to -1 and GELU is -0, whose sign packs as +1; bertc
                # folds exactly this boundary into its FFN1 thresholds.
                up = pre * 0.5 * (1.0 + torch.erf(pre / math.sqrt(2.0)))
            else:
                up = F.gelu(pre, approximate="tanh" if act == "gelu_new" else "none")
            # Negative inputs whose GELU underflows to -0 (reported).
            self.gelu_underflows += int(((up == 0) & (pre < 0)).sum())
            x = self.norm(self.dropout(self.dense(up, p + "output.dense"), self.hidden_dropout)
                          + x, p + "output.LayerNorm")
        return x

    def forward(self, x, mask, types=None, entry="model"):
        self.q8_codes = {}  # Q8BERT: module -> its int8 input codes
        self.dropout_stream = 0
        if self.binary or self.q8 is not None:
            mask = mask.float()
            if entry != "model":
                x = x.float()
        if entry == "model":
            x = self.embed(x, types)
        hidden = self.encoder(x, mask)
        out = {"hidden": hidden}
        if ("bert.pooler.dense.weight" in self.w) or ("pooler.dense.weight" in self.w):
            pooled = torch.tanh(self.dense(hidden[:, 0], "pooler.dense"))
            out["pooled"] = pooled
            if "classifier.weight" in self.w:
                out["logits"] = self.dense(self.dropout(pooled, self.hidden_dropout),
                                           "classifier")
        return out


def run(exe, paths, output, which):
    command = [exe, "--input", paths["input"], "--output", output, "--outputs", which]
    for flag in ("mask", "token-types"):
        if flag in paths:
            command += ["--" + flag, paths[flag]]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return np.load(output)


def forward_on_file(ref, path, entry):
    """ref.forward on a .npy of token ids [N, L] (model entry) or hidden
    states [N, L, H] (encoder entry), no padding, token types 0."""
    x = np.load(path)
    mask = torch.ones(x.shape[:2], dtype=torch.float64)
    if entry == "model":
        ids = torch.tensor(x.astype(np.int64))
        return ref.forward(ids, mask, torch.zeros_like(ids), "model")
    return ref.forward(torch.tensor(x.astype(np.float32), dtype=torch.float64), mask,
                       entry="encoder")


def make_inputs(ref, args, tmp):
    """The random inputs of a run (the same for a seed): saved .npy paths and
    the tensors the reference takes."""
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    cfg = ref.config
    b, l = args.batch, args.seq
    mask = np.ones((b, l), dtype=np.float32)
    if args.pad:
        for row in range(1, b):
            mask[row, max(1, l - row * 3):] = 0
    paths = {"input": os.path.join(tmp, "x.npy"), "mask": os.path.join(tmp, "m.npy")}
    np.save(paths["mask"], mask)
    mask = torch.tensor(mask, dtype=torch.float64)
    if args.entry == "model":
        ids = rng.integers(0, cfg["vocab_size"], (b, l)).astype(np.int64)
        types = rng.integers(0, cfg.get("type_vocab_size", 2), (b, l)).astype(np.int32)
        np.save(paths["input"], ids)
        paths["token-types"] = os.path.join(tmp, "t.npy")
        np.save(paths["token-types"], types)
        return paths, (torch.tensor(ids), mask, torch.tensor(types, dtype=torch.int64), "model")
    x = rng.normal(0, 1, (b, l, cfg["hidden_size"])).astype(np.float32)
    np.save(paths["input"], x)
    return paths, (torch.tensor(x, dtype=torch.float64), mask, None, "encoder")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model")
    parser.add_argument("exe", help="the compiled model, or - with --calibrate")
    parser.add_argument("--entry", default="model", choices=["model", "encoder"])
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--seq", type=int, default=8)
    parser.add_argument("--pad", action="store_true", help="pad the tails of some rows")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--quant", default="none", choices=["none", "binary", "q8"])
    parser.add_argument("--bool-rule", default="gt", choices=["gt", "ge"])
    parser.add_argument("--sign-zero", default="plus_one", choices=["plus_one", "zero"])
    parser.add_argument("--thresholds", help="with --quant q8: the thresholds JSON")
    parser.add_argument("--q8-mode", default="static", choices=["static", "dynamic"])
    parser.add_argument("--requantize", default="",
                        help="with --quant q8: comma-separated linears whose output is "
                             "requantized (thresholds '<module>.output_thresh')")
    parser.add_argument("--float-layers", default="",
                        help="with --quant q8: comma-separated linears kept f32")
    parser.add_argument("--calibrate", metavar="T.json",
                        help="run the float reference on the inputs and write max|x| "
                             "of every linear's input (Q8BERT thresholds)")
    parser.add_argument("--report-only", action="store_true",
                        help="print the differences without failing (to measure a deviation)")
    args = parser.parse_args()

    q8 = None
    if args.quant == "q8":
        q8 = {"thresholds": {}, "dynamic": args.q8_mode == "dynamic",
              "float_layers": set(filter(None, args.float_layers.split(","))),
              "requantize": set(filter(None, args.requantize.split(",")))}
        if args.thresholds:
            with open(args.thresholds) as f:
                q8["thresholds"] = json.load(f)
    ref = Reference(args.model, args.quant == "binary", args.bool_rule, args.sign_zero, q8)
    tmp = tempfile.mkdtemp()
    paths, inputs = make_inputs(ref, args, tmp)
    if args.calibrate:
        ref.calibration = {}
        ref.forward(*inputs)
        with open(args.calibrate, "w") as f:
            json.dump(ref.calibration, f, indent=1, sort_keys=True)
        print(f"calibrated {len(ref.calibration)} thresholds (inputs and outputs of the linears)")
        return 0
    expected = ref.forward(*inputs)

    worst = 0.0
    for which, want in expected.items():
        got = run(args.exe, paths, os.path.join(tmp, which + ".npy"), which)
        want = want.numpy()
        if got.shape != want.shape:
            print(f"FAIL {which}: shape {got.shape} != {want.shape}")
            return 1
        error = float(np.max(np.abs(got - want)))
        worst = max(worst, error)
        print(f"{which}: shape {list(got.shape)}, max abs error {error:.2e}")
        if args.report_only:
            continue
        if not error <= args.tolerance:
            print(f"FAIL {which}: {error:.3e} > {args.tolerance:.0e}")
            return 1
    if args.report_only:
        print(f"REPORT max abs difference {worst:.2e}")
        return 0
    print(f"PASS max abs error {worst:.2e} <= {args.tolerance:.0e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
