#!/usr/bin/env bash
# Builds bertc and runs bench.py: us against OpenBLAS, oneDNN, PyTorch and
# ONNX Runtime in one run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh" bert-compile
# The benchmarks' own peers beyond the test suite's: ONNX export/rewrite
# (python3-onnx) and node for ONNX Runtime.
missing=()
dpkg-query -W -f='${Status}' python3-onnx 2>/dev/null | grep -q "install ok installed" ||
  missing+=(python3-onnx)
# node and npm as commands: a nodesource nodejs ships npm inside and
# conflicts with Debian's npm package.
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
# ONNX Runtime, a peer, from npm (its install script fetches GPU builds
# from NuGet, which the CPU package does not need).
if [ ! -d "$root/bench/node_modules/onnxruntime-node" ]; then
  npm install --prefix "$root/bench" --no-save --no-audit --no-fund \
    --ignore-scripts onnxruntime-node@1.30.0
fi
exec /usr/bin/python3 "$root/bench/bench.py" "$@"
