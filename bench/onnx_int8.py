"""BERT as ONNX for ONNX Runtime, in float32 and with ONNX Runtime's dynamic
int8 quantization, the other peer users pick for int8 BERT on CPU.

The float graph is torch.onnx.export of bench/torch_bert.py's TorchBert.
The int8 graph applies what onnxruntime.quantization.quantize_dynamic does
(its Python package is not in Debian, so it is written here with Debian's
python3-onnx): every MatMul / Gemm with a constant weight becomes
DynamicQuantizeLinear(x) -> MatMulInteger(x_u8, W_s8, x_zero_point) ->
Cast -> Mul(x_scale * w_scale) (+ the bias), with the weight quantized per
tensor and symmetric (int8, zero point 0), activations uint8 with a dynamic
scale and zero point per call, as ORT's default QOperator-free "dynamic"
format does; ORT then runs MLAS's u8s8 kernels (VNNI where present).

    onnx_int8.py MODEL_DIR OUT_DIR [--seq 128]  -> OUT_DIR/fp32.onnx, int8.onnx
"""
import argparse
import os
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_bert import TorchBert  # noqa: E402


def export_float(model_dir, path, seq):
    model = TorchBert(model_dir).eval()
    ids = torch.zeros(1, seq, dtype=torch.int64)
    torch.onnx.export(model, (ids,), path, input_names=["ids"], output_names=["logits"],
                      opset_version=13, do_constant_folding=True)


def quantize_weight(weight):
    """Symmetric per-tensor int8, as quantize_dynamic(weight_type=QInt8)."""
    scale = np.float32(np.abs(weight).max() / 127.0) or np.float32(1.0)
    codes = np.clip(np.round(weight / scale), -127, 127).astype(np.int8)
    return codes, scale


def dynamic_int8(float_path, int8_path):
    model = onnx.load(float_path)
    graph = model.graph
    weights = {init.name: init for init in graph.initializer}
    nodes, added = [], []
    count = 0
    for node in graph.node:
        weight_name = node.input[1] if len(node.input) > 1 else None
        if node.op_type not in ("MatMul", "Gemm") or weight_name not in weights:
            nodes.append(node)
            continue
        weight = numpy_helper.to_array(weights[weight_name]).astype(np.float32)
        bias = None
        if node.op_type == "Gemm":
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            if attrs.get("transA", 0) or attrs.get("alpha", 1.0) != 1.0 or attrs.get("beta", 1.0) != 1.0:
                nodes.append(node)
                continue
            if attrs.get("transB", 0):
                weight = weight.T
            bias = node.input[2] if len(node.input) > 2 else None
        codes, scale = quantize_weight(weight)
        p = f"q{count}_"
        count += 1
        added += [numpy_helper.from_array(codes, p + "W"),
                  numpy_helper.from_array(np.array(scale, dtype=np.float32), p + "Wscale"),
                  numpy_helper.from_array(np.array(0, dtype=np.int8), p + "Wzero")]
        x = node.input[0]
        out = node.output[0]
        nodes += [
            helper.make_node("DynamicQuantizeLinear", [x], [p + "x", p + "xs", p + "xz"]),
            helper.make_node("MatMulInteger", [p + "x", p + "W", p + "xz", p + "Wzero"], [p + "acc"]),
            helper.make_node("Cast", [p + "acc"], [p + "accf"], to=TensorProto.FLOAT),
            helper.make_node("Mul", [p + "xs", p + "Wscale"], [p + "s"]),
            helper.make_node("Mul", [p + "accf", p + "s"], [p + "y" if bias else out]),
        ]
        if bias:
            nodes.append(helper.make_node("Add", [p + "y", bias], [out]))
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(added)
    used = {name for node in graph.node for name in node.input}
    kept = [init for init in graph.initializer if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    onnx.checker.check_model(model)
    onnx.save(model, int8_path)
    return count


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("out")
    parser.add_argument("--seq", type=int, default=128)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    float_path = os.path.join(args.out, "fp32.onnx")
    export_float(args.model, float_path, args.seq)
    count = dynamic_int8(float_path, os.path.join(args.out, "int8.onnx"))
    print(f"onnx: {count} linears quantized")
    return 0


if __name__ == "__main__":
    sys.exit(main())
