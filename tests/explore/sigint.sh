#!/usr/bin/env bash
# sigint.sh RMAPCHECK WORKDIR - Ctrl-C on a running `rmapcheck explore`, as a
# terminal sends it (SIGINT to the whole process group): the explorer stops,
# writes its report atomically (INCOMPLETE, interrupted) and exits 130.
set -uo pipefail
bin=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
set -m  # the explorer gets a process group of its own, as a terminal's job does
"$bin" explore --pages 4 --procs 3 --depth 40 --out "$work/out" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  grep -q "^depth 1:" "$work/log" && break
  sleep 0.1
done
if ! grep -q "^depth 1:" "$work/log"; then
  echo "FAIL: the explorer did not reach depth 1"; cat "$work/log"; kill -9 -- -"$pid"; exit 1
fi
kill -INT -- -"$pid"
wait "$pid"
rc=$?
cat "$work/log"
fail=0
[ "$rc" -eq 130 ] || { echo "FAIL: exit $rc, expected 130"; fail=1; }
grep -q "INCOMPLETE (interrupted" "$work/out/explore-report.txt" ||
  { echo "FAIL: no INCOMPLETE (interrupted ...) in the report"; fail=1; }
if ls -a "$work/out" | grep -q '\.tmp'; then echo "FAIL: a temporary file was left"; fail=1; fi
exit $fail
