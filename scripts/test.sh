#!/usr/bin/env bash
# test.sh [PRESET] - the README's test command: install, configure, build, run every test.
# Ends with ctest's summary. Default preset: release; `asan` runs the suite under ASan+UBSan.
# The release run also builds the libFuzzer harness (the fuzz preset, clang, build/fuzz),
# which the release suite's fuzz.smoke runs (docs/fuzzing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
bash scripts/build.sh "$preset"
if [ "$preset" = release ]; then
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz
fi
ctest --preset "$preset" --timeout 900
