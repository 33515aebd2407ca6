"""BERT for sequence classification as a torch.nn.Module, the peer that
users quantize today: torch.ao.quantization.quantize_dynamic replaces its
nn.Linear layers by dynamically quantized int8 ones (onednn engine).

Loads the same checkpoint as bertc (through the tests' safetensors reader)
and computes the same forward as test/E2E/reference.py in float32.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "test", "E2E"))
from reference import Reference  # noqa: E402


class TorchBert(nn.Module):
    def __init__(self, model_dir):
        super().__init__()
        ref = Reference(model_dir)
        self.config = cfg = ref.config
        get = lambda name: ref.get(name).float()  # noqa: E731

        def linear(name):
            weight = get(name + ".weight")
            layer = nn.Linear(weight.shape[1], weight.shape[0])
            layer.weight.data.copy_(weight)
            layer.bias.data.copy_(get(name + ".bias"))
            return layer

        self.tables = {name: get(f"embeddings.{name}_embeddings.weight")
                       for name in ("word", "position", "token_type")}
        self.norms = {}
        for name in ["embeddings.LayerNorm"] + [
                f"encoder.layer.{i}.{part}.LayerNorm"
                for i in range(cfg["num_hidden_layers"]) for part in ("attention.output", "output")]:
            self.norms[name] = (get(name + ".weight"), get(name + ".bias"))
        self.layers = nn.ModuleList()
        for i in range(cfg["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            self.layers.append(nn.ModuleDict({
                "query": linear(p + "attention.self.query"),
                "key": linear(p + "attention.self.key"),
                "value": linear(p + "attention.self.value"),
                "output": linear(p + "attention.output.dense"),
                "up": linear(p + "intermediate.dense"),
                "down": linear(p + "output.dense")}))
        self.pooler = linear("pooler.dense")
        self.classifier = linear("classifier")

    def norm(self, x, name):
        gamma, beta = self.norms[name]
        return F.layer_norm(x, gamma.shape, gamma, beta,
                            eps=self.config.get("layer_norm_eps", 1e-12))

    def forward(self, ids):
        cfg = self.config
        heads = cfg["num_attention_heads"]
        b, l = ids.shape
        x = (F.embedding(ids, self.tables["word"])
             + self.tables["position"][:l] + self.tables["token_type"][0])
        x = self.norm(x, "embeddings.LayerNorm")
        d = x.shape[-1] // heads
        for i, layer in enumerate(self.layers):
            split = lambda t: t.view(b, l, heads, d).transpose(1, 2)  # noqa: E731
            q, k, v = split(layer["query"](x)), split(layer["key"](x)), split(layer["value"](x))
            context = F.softmax(q @ k.transpose(-1, -2) / d ** 0.5, dim=-1) @ v
            context = context.transpose(1, 2).reshape(b, l, -1)
            x = self.norm(layer["output"](context) + x, f"encoder.layer.{i}.attention.output.LayerNorm")
            x = self.norm(layer["down"](F.gelu(layer["up"](x))) + x, f"encoder.layer.{i}.output.LayerNorm")
        return self.classifier(torch.tanh(self.pooler(x[:, 0])))


def dynamic_int8(model_dir):
    """The model with PyTorch's dynamic int8 linears (onednn engine)."""
    torch.backends.quantized.engine = "onednn"
    return torch.ao.quantization.quantize_dynamic(TorchBert(model_dir).eval(), {nn.Linear},
                                                  dtype=torch.qint8)
