#!/usr/bin/env bash
# update-goldens.sh - rewrite tests/draw/golden/ from the current `rmapcheck draw`,
# and the picture docs/guide/draw.md shows.
#
#   bash tests/draw/update-goldens.sh [build/release/tool/rmapcheck]
#
# Only for a change of the pictures that is meant: review `git diff
# tests/draw/golden docs/images` before committing it. The goldens are drawn
# from tests/draw, as ctest runs them; the docs picture is the one the
# campaign of docs/guide/draw.md saves beside its counterexample.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:-$here/../../build/release/tool/rmapcheck}")
cd "$here"
for f in ../../examples/*.trace; do
  "$bin" draw "$f" > "golden/$(basename "$f" .trace).dot"
done
"$bin" draw --engine both --mutant cve-2022-42703 traces/cve-2022-42703-counterexample.trace \
  > golden/cve-2022-42703-counterexample.both.dot 2>/dev/null || [ $? -eq 1 ]
"$bin" draw --engine both --mutant cve-2022-42703 ../../examples/08-cve-2022-42703.trace \
  > golden/08-cve-2022-42703.both.dot 2>/dev/null || [ $? -eq 1 ]
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" campaign --seed 1 --cases 100 --mutant cve-2022-42703 --out "$work" >/dev/null 2>&1 || [ $? -eq 1 ]
svgs=("$work"/counterexample-*.svg)
[ ${#svgs[@]} -eq 1 ] && [ -f "${svgs[0]}" ] || { echo "update-goldens: the campaign saved no picture" >&2; exit 1; }
cp "${svgs[0]}" ../../docs/images/cve-2022-42703.svg
echo "goldens and docs/images/cve-2022-42703.svg rewritten; review: git diff tests/draw/golden docs/images"
