#!/usr/bin/env bash
# sharded.sh RMAPCHECK WORKDIR - four shards of `rmapcheck explore --shard
# I/4` under GNU parallel, combined by `rmapcheck explore-merge`, give the
# completeness line of the unsharded search, word for word: a bound that
# reaches its depth, one that exhausts its state space, and a mutant's
# counterexample (of the same, shortest, length).
set -uo pipefail
bin=$1
work=$2
if ! command -v parallel >/dev/null; then
  echo "SKIP: GNU parallel is not installed (scripts/deps.sh installs it)"
  exit 77
fi
rm -rf "$work"
mkdir -p "$work"
fail=0
check() {  # NAME EXPECTED_RC BOUNDS...
  local name=$1 want=$2
  shift 2
  "$bin" explore "$@" --out "$work/$name-whole" >"$work/$name-whole.log" 2>&1
  local rc=$?
  [ "$rc" -eq "$want" ] || { echo "FAIL $name: unsharded exit $rc, expected $want"; cat "$work/$name-whole.log"; fail=1; return; }
  # Every shard runs to its end, whatever the others' exit (1: a counterexample).
  parallel -j2 "$bin" explore "$@" --shard {}/4 --out "$work/$name-shards" \
    ">$work/$name-shard-{}.log" 2>&1 ::: 0 1 2 3
  "$bin" explore-merge "$work/$name-shards" >"$work/$name-merged.log" 2>&1
  rc=$?
  [ "$rc" -eq "$want" ] || { echo "FAIL $name: merged exit $rc, expected $want"; cat "$work/$name-merged.log"; fail=1; return; }
  local whole merged
  whole=$(grep '^explore: ' "$work/$name-whole.log" | grep -v 'W=.*moves per process' | sed 's/: op [0-9]* `.*//')
  merged=$(grep '^explore: ' "$work/$name-merged.log" | sed 's/: op [0-9]* `.*//')
  if [ "$whole" != "$merged" ]; then
    echo "FAIL $name: the merged line differs"; echo "  unsharded: $whole"; echo "  merged:    $merged"; fail=1
  else
    echo "ok $name: $merged"
  fi
}
check depth 0 --pages 2 --procs 2 --depth 3 --ops mmap,munmap,mprotect,write,fork,exit
check deep 0 --pages 1 --procs 3 --depth 8 --ops mmap,write,fork,exit --prots rw --values 1
check exhausted 0 --pages 1 --procs 2 --depth 12 --ops mmap,write,fork,exit --prots rw --values 1
check counterexample 1 --pages 1 --procs 4 --depth 7 --ops mmap,write,fork,exit --prots rw --mutant cve-2022-42703
exit $fail
