#!/usr/bin/env bash
# README command 1, the main job: installs what is missing, builds
# incrementally, compiles the shipped real BERT-tiny SST-2 model
# (models/bert-tiny-sst2, encoder entry: it has no embedding tables) to a
# native executable, runs it on the shipped input and prints its logits next
# to the golden ones.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BERTC_BUILD_DIR:-$root/build}"
model="$root/models/bert-tiny-sst2"
out="$build/sst2"

"$root/scripts/setup.sh"
"$root/scripts/build.sh" bert-compile

mkdir -p "$out"
echo "== bert-compile $model --entry=encoder --emit=exe -o $out/sst2"
start=$(date +%s.%N)
"$build/bin/bert-compile" "$model" --entry=encoder --emit=exe -o "$out/sst2"
end=$(date +%s.%N)
printf "   compiled in %.1f s; the executable needs only: %s\n" \
  "$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')" \
  "$(ldd "$out/sst2" | awk '/=>/ {print $1}' | tr '\n' ' ')"

echo "== $out/sst2 --input encoder_input_0.npy --output $out/logits.npy"
"$out/sst2" --input "$model/encoder_input_0.npy" --output "$out/logits.npy"

/usr/bin/python3 - "$out/logits.npy" "$model/golden_0.json" <<'PY'
import json, sys
import numpy as np
got = np.load(sys.argv[1])[0]
golden = json.load(open(sys.argv[2]))
want = np.array(golden["logits_fp64"])
print(f'== "{golden["sentence"]}" (label {golden["label"]}: negative)')
print(f"   bertc  logits: {got[0]:+.6f} {got[1]:+.6f}  -> {['negative', 'positive'][int(np.argmax(got))]}")
print(f"   golden logits: {want[0]:+.6f} {want[1]:+.6f}  (float64 PyTorch)")
print(f"   max abs difference: {np.max(np.abs(got - want)):.1e}")
PY
