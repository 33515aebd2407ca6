#!/usr/bin/env bash
# Configures (once) and builds bertc incrementally in build/ with Ninja.
# BERTC_BUILD_DIR overrides the folder; extra arguments are Ninja targets.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BERTC_BUILD_DIR:-$root/build}"
jobs="${BERTC_JOBS:-2}"

if [ ! -f "$build/build.ninja" ]; then
  launcher=()
  if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    "${launcher[@]}"
fi
cmake --build "$build" -- -j"$jobs" "$@"
