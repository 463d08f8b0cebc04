#!/usr/bin/env bash
# build.sh [PRESET] - install missing packages, configure and build (default preset: release).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
bash scripts/deps.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
