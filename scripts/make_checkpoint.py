#!/usr/bin/python3
"""Writes a random Hugging Face BERT checkpoint (config.json + model.safetensors).

Used by the end-to-end tests and benchmarks; needs numpy only. The weights
are random with BERT-like scales so that activations stay in a realistic
range; names follow BertForSequenceClassification ("bert." prefix) or
BertModel (--no-prefix, --no-heads).

    make_checkpoint.py OUT_DIR --hidden 96 --heads 3 --layers 2 --seed 1
"""
import argparse
import json
import os

import numpy as np


def bert_tensors(args, rng):
    h, ffn = args.hidden, args.intermediate
    tensors = {}

    def dense(name, out_dim, in_dim):
        tensors[name + ".weight"] = rng.normal(0, 0.05, (out_dim, in_dim))
        tensors[name + ".bias"] = rng.normal(0, 0.02, (out_dim,))

    def layer_norm(name):
        tensors[name + ".weight"] = 1.0 + rng.normal(0, 0.05, (h,))
        tensors[name + ".bias"] = rng.normal(0, 0.02, (h,))

    if not args.no_embeddings:
        tensors["embeddings.word_embeddings.weight"] = rng.normal(0, 0.5, (args.vocab, h))
        tensors["embeddings.position_embeddings.weight"] = rng.normal(0, 0.5, (args.max_positions, h))
        tensors["embeddings.token_type_embeddings.weight"] = rng.normal(0, 0.5, (args.type_vocab, h))
        layer_norm("embeddings.LayerNorm")
    for i in range(args.layers):
        p = f"encoder.layer.{i}."
        for part in ("query", "key", "value"):
            dense(p + "attention.self." + part, h, h)
        dense(p + "attention.output.dense", h, h)
        layer_norm(p + "attention.output.LayerNorm")
        dense(p + "intermediate.dense", ffn, h)
        dense(p + "output.dense", h, ffn)
        layer_norm(p + "output.LayerNorm")
    if not args.no_heads:
        dense("pooler.dense", h, h)
    prefix = "" if args.no_prefix else "bert."
    named = {prefix + k: v for k, v in tensors.items()}
    if not args.no_heads:
        named["classifier.weight"] = rng.normal(0, 0.05, (args.labels, h))
        named["classifier.bias"] = rng.normal(0, 0.02, (args.labels,))
    return named


def to_bytes(array, dtype):
    if dtype == "F32":
        return array.astype("<f4").tobytes()
    if dtype == "F16":
        return array.astype("<f2").tobytes()
    if dtype == "BF16":  # round to nearest even on the upper 16 bits
        bits = array.astype("<f4").view("<u4").astype(np.uint64)
        rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
        return rounded.astype("<u2").tobytes()
    raise ValueError(dtype)


def write_safetensors(path, tensors, dtype):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        blob = to_bytes(np.asarray(tensors[name], dtype=np.float64), dtype)
        header[name] = {"dtype": dtype, "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as out:
        out.write(len(text).to_bytes(8, "little"))
        out.write(text)
        for blob in blobs:
            out.write(blob)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise SystemExit(f"{path}: {name} is {info['dtype']}; only F32 is copied")
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[8 + n + begin:8 + n + end],
                                      dtype="<f4").reshape(info["shape"])
    return tensors


def add_embeddings(args):
    """--embeddings-for: MODEL_DIR's weights plus freshly initialised
    embedding tables (as BertPreTrainedModel._init_weights)."""
    with open(os.path.join(args.embeddings_for, "config.json")) as f:
        config = json.load(f)
    tensors = read_safetensors(os.path.join(args.embeddings_for, "model.safetensors"))
    rng = np.random.default_rng(args.seed)
    h = config["hidden_size"]
    prefix = "bert." if any(k.startswith("bert.") for k in tensors) else ""
    std = config.get("initializer_range", 0.02)
    shapes = {"word_embeddings": config["vocab_size"],
              "position_embeddings": config["max_position_embeddings"],
              "token_type_embeddings": config.get("type_vocab_size", 2)}
    for table, rows in shapes.items():
        name = f"{prefix}embeddings.{table}.weight"
        if name not in tensors:
            values = rng.normal(0, std, (rows, h))
            if table == "word_embeddings":
                values[config.get("pad_token_id", 0)] = 0
            tensors[name] = values
    tensors.setdefault(f"{prefix}embeddings.LayerNorm.weight", np.ones(h))
    tensors.setdefault(f"{prefix}embeddings.LayerNorm.bias", np.zeros(h))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "config.json"), "w") as out:
        json.dump(config, out, indent=1)
    write_safetensors(os.path.join(args.out, "model.safetensors"), tensors, "F32")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out")
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--heads", type=int, default=2)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--intermediate", type=int, default=0, help="default 4 x hidden")
    parser.add_argument("--vocab", type=int, default=1000)
    parser.add_argument("--max-positions", type=int, default=64)
    parser.add_argument("--type-vocab", type=int, default=2)
    parser.add_argument("--labels", type=int, default=2)
    parser.add_argument("--eps", type=float, default=1e-12)
    parser.add_argument("--act", default="gelu")
    parser.add_argument("--dtype", default="F32", choices=["F32", "F16", "BF16"])
    parser.add_argument("--no-embeddings", action="store_true")
    parser.add_argument("--no-prefix", action="store_true")
    parser.add_argument("--no-heads", action="store_true", help="BertModel without pooler/classifier")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--embeddings-for", metavar="MODEL_DIR",
                        help="copy MODEL_DIR (config and weights) and add the embedding "
                             "tables it lacks, initialised as BERT initialises them "
                             "(normal, std 0.02, padding row 0; LayerNorm 1 and 0): the "
                             "real BERT-tiny SST-2 encoder has none, training learns them")
    parser.add_argument("--q8-thresholds", metavar="T.json",
                        help="also store Q8BERT's <module>.input_thresh buffers from a "
                             "JSON object {module: T} (as nlp-architect saves them)")
    args = parser.parse_args()
    if args.embeddings_for:
        add_embeddings(args)
        return
    args.intermediate = args.intermediate or 4 * args.hidden
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)
    config = {
        "architectures": ["BertModel" if args.no_heads else "BertForSequenceClassification"],
        "model_type": "bert", "vocab_size": args.vocab, "hidden_size": args.hidden,
        "num_hidden_layers": args.layers, "num_attention_heads": args.heads,
        "intermediate_size": args.intermediate, "hidden_act": args.act,
        "max_position_embeddings": args.max_positions,
        "type_vocab_size": args.type_vocab, "layer_norm_eps": args.eps,
        "num_labels": args.labels,
    }
    with open(os.path.join(args.out, "config.json"), "w") as out:
        json.dump(config, out, indent=1)
    tensors = bert_tensors(args, rng)
    if args.q8_thresholds:
        with open(args.q8_thresholds) as f:
            for module, threshold in json.load(f).items():
                tensors[module + ".input_thresh"] = np.array([threshold])
    write_safetensors(os.path.join(args.out, "model.safetensors"), tensors, args.dtype)


if __name__ == "__main__":
    main()
