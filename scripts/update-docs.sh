#!/usr/bin/env bash
# Regenerates docs/reference/ from the ODS sources (mlir-tblgen's
# -gen-dialect-doc and -gen-pass-doc), after a change to a .td file.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BERTC_BUILD_DIR:-$root/build}"
cmake --build "$build" --target mlir-doc -- -j2
cp "$build/docs/Dialects/BQ.md" "$root/docs/reference/BQ.md"
cp "$build/docs/Dialects/Bert.md" "$root/docs/reference/Bert.md"
cp "$build/docs/BertcTransformsPasses.md" "$root/docs/reference/Passes.md"
cp "$build/docs/BertcConversionPasses.md" "$root/docs/reference/ConversionPasses.md"
cp "$build/docs/BertcQuantizationPasses.md" "$root/docs/reference/QuantizationPasses.md"
cp "$build/docs/BertcTrainingPasses.md" "$root/docs/reference/TrainingPasses.md"
echo "docs/reference updated"
