#!/usr/bin/env bash
# update-goldens.sh - rewrite tests/draw/golden/ from the current `rmapcheck draw`.
#
#   bash tests/draw/update-goldens.sh [build/release/tool/rmapcheck]
#
# Only for a change of the pictures that is meant: review `git diff
# tests/draw/golden` before committing it. Runs from tests/draw, as ctest does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:-$here/../../build/release/tool/rmapcheck}")
cd "$here"
for f in ../../examples/*.trace; do
  "$bin" draw "$f" > "golden/$(basename "$f" .trace).dot"
done
"$bin" draw --engine both --mutant cve-2022-42703 traces/cve-2022-42703-counterexample.trace \
  > golden/cve-2022-42703-counterexample.both.dot || [ $? -eq 1 ]
"$bin" draw --engine both --mutant cve-2022-42703 ../../examples/08-cve-2022-42703.trace \
  > golden/08-cve-2022-42703.both.dot || [ $? -eq 1 ]
echo "goldens rewritten; review: git diff tests/draw/golden"
