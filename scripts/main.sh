#!/usr/bin/env bash
# main.sh [ARGS...] - the README's main command: install, configure, build, then run the
# main job: a property campaign of model against impl (about a minute by default).
# Extra arguments go to `rmapcheck campaign`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh release
exec build/release/tool/rmapcheck campaign "$@"
