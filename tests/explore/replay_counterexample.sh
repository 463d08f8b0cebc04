#!/usr/bin/env bash
# replay_counterexample.sh RMAPCHECK WORKDIR - the counterexample explore
# saves replays with `rmapcheck replay --engine both`: with the mutant it
# fails at its last op, without it every check passes.
set -uo pipefail
bin=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
"$bin" explore --pages 1 --procs 2 --depth 6 --ops mmap,write,fork --prots rw \
  --mutant cow-reuse-shared --out "$work" >"$work/log" 2>&1
rc=$?
[ "$rc" -eq 1 ] || { echo "FAIL: explore exit $rc, expected 1"; cat "$work/log"; exit 1; }
cx=$work/explore-counterexample.trace
ops=$(grep -cv '^#' "$cx")
last=$(grep -nv '^#' "$cx" | tail -1 | cut -d: -f1)  # the file line of the last op
"$bin" replay "$cx" --engine both --mutant cow-reuse-shared >"$work/replay-mutant" 2>&1
rc=$?
cat "$work/replay-mutant"
[ "$rc" -eq 1 ] || { echo "FAIL: replay with the mutant exit $rc, expected 1"; exit 1; }
grep -q "explore-counterexample.trace:$last: model and impl states differ" "$work/replay-mutant" ||
  { echo "FAIL: the failure is not at the last op (line $last)"; exit 1; }
"$bin" replay "$cx" --engine both >"$work/replay-plain" 2>&1 ||
  { echo "FAIL: the counterexample fails without the mutant"; cat "$work/replay-plain"; exit 1; }
[ -f "$work/explore-counterexample.c" ] || { echo "FAIL: no C program beside the trace"; exit 1; }
echo "ok: $ops ops, fails at op $ops with the mutant only"
