#!/usr/bin/env bash
# The robustness stage of the test suite (scripts/test.sh runs it; alone:
# scripts/sanitize.sh [FUZZ_SECONDS]). Builds bertc with clang-22 under
# AddressSanitizer + UndefinedBehaviorSanitizer in build-san/, runs the whole
# lit suite on that build, then runs each libFuzzer target for FUZZ_SECONDS
# (default 60) from its seed corpus in fuzz/corpus. Any crash, sanitizer
# report or failing test fails the stage. Findings land in build-san/fuzz/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BERTC_SAN_BUILD_DIR:-$root/build-san}"
seconds="${1:-${BERTC_FUZZ_SECONDS:-60}}"
jobs="${BERTC_JOBS:-2}"

if [ ! -f "$build/build.ninja" ]; then
  launcher=()
  if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  fi
  cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DBERTC_SANITIZERS=address,undefined -DBERTC_ENABLE_FUZZERS=ON \
    "${launcher[@]}"
fi
cmake --build "$build" -- -j"$jobs" bertc-test-depends safetensors-fuzzer \
  config-fuzzer mlir-fuzzer

# MLIR and LLVM keep some allocations for the process's lifetime on purpose;
# leak checking is for the compiled models' C API (ASan tests in the suite).
# allow_user_poisoning=0: our instrumented code inlines LLVM's
# BumpPtrAllocator, which poisons memory that the uninstrumented libMLIR.so
# then touches legitimately (a false use-after-poison in the parser).
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:allow_user_poisoning=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
/usr/lib/llvm-22/bin/lit -s -j"$jobs" -o "$build/test-results.json" "$build/test" || status=1

mkdir -p "$build/fuzz"
for target in safetensors config mlir; do
  work="$build/fuzz/$target"
  mkdir -p "$work/corpus"
  echo "fuzz: $target-fuzzer for ${seconds}s"
  if ! (cd "$work" && "$build/bin/$target-fuzzer" -max_total_time="$seconds" \
          -max_len=65536 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
          "$work/corpus" "$root/fuzz/corpus/$target" > "$work/log" 2>&1); then
    echo "fuzz: $target-fuzzer FAILED; see $work/log"
    tail -40 "$work/log"
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$work/log" | tail -2
  fi
done
exit $status
