#!/usr/bin/env bash
# seed_corpus.sh DIR - fill DIR with every *.trace of the repository, the
# fuzzer's seed corpus: examples/, tests/corpus/, tests/scenarios/,
# tests/cli/ (bad traces included: they seed the parser's error paths).
# Each file keeps its path in its name (examples/01-x.trace ->
# examples-01-x.trace). DIR is emptied of *.trace first.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: seed_corpus.sh DIR" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
out=$1
mkdir -p "$out"
find "$out" -maxdepth 1 -name '*.trace' -delete
n=0
while IFS= read -r -d '' f; do
  rel=${f#"$root"/}
  cp "$f" "$out/${rel//\//-}"
  n=$((n + 1))
done < <(find "$root" -path "$root/build" -prune -o -path "$root/.git" -prune -o -name '*.trace' -type f -print0 | sort -z)
if [ "$n" -eq 0 ]; then
  echo "seed_corpus.sh: no *.trace found under $root" >&2
  exit 1
fi
echo "seed_corpus.sh: $n traces in $out"
