#!/usr/bin/env bash
# Installs what bertc needs to build and test, from Debian's packages only.
# Idempotent: when every package is present it changes nothing and asks no
# registry. Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  # Compiler infrastructure: LLVM/MLIR 22 (CMake configs, libMLIR.so,
  # libLLVM.so, mlir-tblgen), lit/FileCheck/llc, and clang for the fuzzers.
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22
  # Build and unit tests.
  cmake ninja-build ccache g++ libgtest-dev
  # The independent PyTorch reference of the end-to-end tests and the
  # benchmarks' peers (OpenBLAS sgemm, oneDNN's int8 matmul, PyTorch).
  python3 python3-numpy python3-torch libopenblas-dev libdnnl-dev
  # The sanitizer and libFuzzer runtimes of the robustness stage.
  libclang-rt-22-dev
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
      grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "setup: missing packages (${missing[*]}) and not root; run as root" >&2
    exit 1
  fi
  sudo="sudo"
fi

echo "setup: installing ${missing[*]}"
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends \
  "${missing[@]}"
