#!/usr/bin/env bash
# Builds bertc and runs bench.py: us against OpenBLAS and PyTorch in one run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh" bert-compile
exec /usr/bin/python3 "$root/bench/bench.py" "$@"
