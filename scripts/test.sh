#!/usr/bin/env bash
# README command 2: installs what is missing, builds incrementally and runs
# the whole test suite (lit + FileCheck, GoogleTest through lit, and the
# PyTorch reference tests), the dialect and pass tests once more with
# --verify-roundtrip, then the robustness stage (scripts/sanitize.sh: the
# suite again under ASan + UBSan, and each libFuzzer target for 60 s; skip it
# with BERTC_SKIP_SANITIZERS=1). Ends with one line: "lit: N passed, M failed".
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BERTC_BUILD_DIR:-$root/build}"

"$root/scripts/setup.sh"
"$root/scripts/build.sh" bertc-test-depends

lit="/usr/lib/llvm-22/bin/lit"
results="$build/test-results"
mkdir -p "$results"
status=0
"$lit" -sv -j"${BERTC_JOBS:-2}" -o "$results/all.json" "$build/test" || status=1
BERTC_VERIFY_ROUNDTRIP=1 "$lit" -s -j"${BERTC_JOBS:-2}" \
  -o "$results/roundtrip.json" "$build/test/Dialect" "$build/test/Transforms" \
  "$build/test/Training" ||
  status=1

summaries=("$results/all.json" "$results/roundtrip.json")
if [ "${BERTC_SKIP_SANITIZERS:-0}" != 1 ]; then
  san_build="${BERTC_SAN_BUILD_DIR:-$root/build-san}"
  rm -f "$san_build/test-results.json"
  "$root/scripts/sanitize.sh" || status=1
  summaries+=("$san_build/test-results.json")
fi

/usr/bin/python3 "$root/scripts/lit-summary.py" "${summaries[@]}" || status=1
exit $status
