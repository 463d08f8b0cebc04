#!/usr/bin/env bash
# explore_mutants.sh RMAPCHECK [SECONDS] - for every registry mutant, the
# smallest bound of a fixed ladder at which `rmapcheck explore --mutant`
# finds it: the depth, the counterexample's length, distinct states and
# time (docs/explore.md's table). Each rung runs at most SECONDS (default 120).
set -uo pipefail
bin=$1
limit=${2:-120}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ladder=(
  "--pages 1 --procs 2 --depth 5 --ops mmap,write,fork,exit --prots rw"
  "--pages 2 --procs 1 --depth 4 --ops mmap,munmap,mprotect,mremap,write,failalloc --prots r,rw"
  "--pages 2 --procs 2 --depth 4 --ops mmap,munmap,mprotect,mremap,write,fork,exit --prots r,rw"
  "--pages 1 --procs 4 --depth 7 --ops mmap,write,fork,exit --prots rw"
  "--pages 3 --procs 2 --depth 5 --ops mmap,munmap,mprotect,mremap,write,fork,exit --prots r,rw"
  "--pages 4 --procs 2 --depth 5 --ops mmap,munmap,mprotect,mremap,write,fork,exit --prots r,rw"
)
printf '| mutant | bound | found at depth | trace lines | distinct states | time |\n|---|---|---|---|---|---|\n'
for m in $("$bin" mutants --list | awk '{print $1}'); do
  found=
  for b in "${ladder[@]}"; do
    # shellcheck disable=SC2086
    out=$("$bin" explore $b --mutant "$m" --time "$limit" --out "$work" 2>&1)
    rc=$?
    if [ $rc -eq 1 ]; then
      line=$(grep '^explore: COUNTEREXAMPLE' <<<"$out")
      ops=$(sed -n 's/^explore: COUNTEREXAMPLE: \([0-9]*\) ops.*/\1/p' <<<"$line")
      held=$(sed -n 's/.*every sequence of <= \([0-9]*\) ops holds.*/\1/p' <<<"$line")
      states=$(grep '^depth' <<<"$out" | tail -1 | sed -n 's/^depth [0-9]*: \([0-9,]*\) distinct.*/\1/p')
      secs=$(sed -n 's/^time: \(.*\)/\1/p' <<<"$out")
      printf '| `%s` | `%s` | %s | %s | %s | %s |\n' "$m" "$b" "$((held + 1))" "$ops" "${states:-1}" "$secs"
      found=1
      break
    fi
  done
  [ -n "$found" ] || printf '| `%s` | not found on the ladder | | | | |\n' "$m"
done
