#!/usr/bin/env bash
# The sanitizer tree: builds the host, every plugin and every test with clang, AddressSanitizer
# and UndefinedBehaviorSanitizer in build-sanitize/ (at -O1, which halves the build against -O3
# and keeps the reports' stacks readable), then runs the whole test suite and each libFuzzer
# harness from its seed corpus (fuzz/corpus/) under ctest. Any sanitizer report, crash, hang,
# leak or exception other than the reader's own error fails it.
#   fuzz/check.sh                # 20 s per harness, as CI
#   fuzz/check.sh --seconds 600  # long runs, until coverage plateaus
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=20
if [ "${1:-}" = "--seconds" ]; then seconds="$2"; fi
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" \
  -DXREG_SANITIZE=ON -DXREG_BUILD_BENCH=OFF -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DXREG_FUZZ_SECONDS="$seconds"
cmake --build build-sanitize -j2
ctest --test-dir build-sanitize --output-on-failure -j2
