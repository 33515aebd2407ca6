# -*- Python -*-
# lit configuration of bertc's FileCheck suite.

import os
import shutil

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "BERTC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes_extra = ["c_api.c"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.bertc_obj_root, "test")
config.excludes = ["reference.py", "sst2_golden.py", "train_check.py", "lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt",
                   "Inputs"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%bertc_src", config.bertc_src_root))
config.substitutions.append(("%bertc_obj", config.bertc_obj_root))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# BERTC_VERIFY_ROUNDTRIP=1 runs every bert-opt invocation with
# --verify-roundtrip (the printed IR must parse back to the same IR).
bert_opt_extra = []
if os.environ.get("BERTC_VERIFY_ROUNDTRIP") == "1":
    bert_opt_extra.append("--verify-roundtrip")

tools = [
    ToolSubst("bert-opt", extra_args=bert_opt_extra, unresolved="fatal"),
    ToolSubst("bert-compile", unresolved="fatal"),
    ToolSubst("bert-tokenize", unresolved="fatal"),
    ToolSubst("bert-train", unresolved="fatal"),
    "llc",
    "mlir-translate",
]
llvm_config.add_tool_substitutions(
    tools, [config.bertc_tools_dir, config.llvm_tools_dir])

# Reference tests need Debian's PyTorch, which lives in /usr/bin/python3 (a
# pyenv python3 earlier on PATH would not see it).
config.python_with_torch = "/usr/bin/python3"
config.substitutions.append(("%python", config.python_with_torch))
config.substitutions.append(
    ("%make_checkpoint", config.python_with_torch + " " +
     os.path.join(config.bertc_src_root, "scripts", "make_checkpoint.py")))
config.substitutions.append(
    ("%reference", config.python_with_torch + " " +
     os.path.join(config.bertc_src_root, "test", "E2E", "reference.py")))
config.substitutions.append(
    ("%train_check", config.python_with_torch + " " +
     os.path.join(config.bertc_src_root, "test", "E2E", "train_check.py")))
# AMX tiles (AMX-INT8) on the host: the q8 AMX kernel's end-to-end tests
# run there; elsewhere the kernel is compiled and FileCheck-tested only.
def host_cpu_flags():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()
if {"amx_tile", "amx_int8", "avx512_vnni"} <= host_cpu_flags():
    config.available_features.add("amx")
if os.path.exists(config.python_with_torch):
    import subprocess
    probe = subprocess.run([config.python_with_torch, "-c", "import torch"],
                           capture_output=True)
    if probe.returncode == 0:
        config.available_features.add("torch")
