#!/usr/bin/env bash
# README command 1, the main job: installs what is missing, builds
# incrementally, and runs the example pipeline of examples/ through bert-opt:
# a Q8BERT and a BiBERT linear whose weights are quantized, binarized and
# bit-packed at compile time. (The issues after the foundation turn this into
# compiling and running the shipped SST-2 model.)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BERTC_BUILD_DIR:-$root/build}"

"$root/scripts/setup.sh"
"$root/scripts/build.sh" bert-opt

example="$root/examples/quantized-linears.mlir"
echo
echo "== input: $example"
grep -v '^//' "$example" | sed '/^$/d'
echo
echo "== bert-opt -canonicalize: the weight paths are folded at compile time"
"$build/bin/bert-opt" "$example" -canonicalize
