#!/usr/bin/env bash
# main.sh [ARGS...] - the README's main command: install, configure, build, then run the
# main job: a property campaign of model against impl when built, else a replay of the
# bundled example traces. Extra arguments go to `rmapcheck campaign`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh release
bin=build/release/tool/rmapcheck
if "$bin" campaign --help >/dev/null 2>&1; then
  exec "$bin" campaign "$@"
fi
exec "$bin" replay examples/*.trace
