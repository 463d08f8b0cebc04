#!/usr/bin/env bash
# test.sh [PRESET] - the README's test command: install, configure, build, run every test.
# Ends with ctest's summary. Default preset: release; `asan` runs the suite under ASan+UBSan
# (clang), with the libFuzzer harness built in the same tree and its fuzz.smoke
# (docs/fuzzing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
bash scripts/build.sh "$preset"
ctest --preset "$preset" --timeout 900
