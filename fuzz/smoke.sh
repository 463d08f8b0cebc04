#!/usr/bin/env bash
# smoke.sh FUZZER WORKDIR [RUNS] - the ctest fuzz.smoke (tests/fuzz): a short,
# deterministic libFuzzer run of fuzz/trace_fuzzer with the dictionary and the
# seed corpus (every *.trace of the repository, fuzz/seed_corpus.sh).
#
# Exit 0: RUNS executions (default 200000) with no crash, leak, timeout or
# out-of-memory. Exit 77 (ctest SKIP_RETURN_CODE): FUZZER is not built; the
# reason is printed. Exit 1: anything else, with libFuzzer's report and the
# saved input (WORKDIR/crash-*, leak-*, timeout-*, oom-*) named. libFuzzer's
# own failure exit code is 77 by default, which ctest would take for a skip:
# -error_exitcode and -timeout_exitcode make every failure exit 1.
set -uo pipefail
if [ $# -lt 2 ]; then
  echo "usage: smoke.sh FUZZER WORKDIR [RUNS]" >&2
  exit 2
fi
fuzzer=$1
work=$2
runs=${3:-200000}
here=$(cd "$(dirname "$0")" && pwd)

if [ ! -x "$fuzzer" ]; then
  echo "SKIP: $fuzzer is not built; build it with:"
  echo "  cmake --preset asan && cmake --build --preset fuzz   (scripts/test.sh asan builds it)"
  exit 77
fi

rm -rf "$work"
mkdir -p "$work/corpus" "$work/seeds"
bash "$here/seed_corpus.sh" "$work/seeds" || exit 1

# The corpus it grows goes to $work/corpus (the first directory); the seeds
# are only read. A fixed seed makes the run, and so the verdict, repeatable.
start=$(date +%s)
"$fuzzer" -runs="$runs" -seed=1 -entropic=0 -dict="$here/trace.dict" -max_len=4096 -timeout=10 \
  -rss_limit_mb=2048 -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
  -artifact_prefix="$work/" "$work/corpus" "$work/seeds" >"$work/fuzz.log" 2>&1
rc=$?
end=$(date +%s)

grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^Done |^stat::number_of_executed_units' "$work/fuzz.log"
if [ "$rc" -ne 0 ]; then
  echo "FAIL: trace_fuzzer exited $rc after $((end - start)) s; its report:"
  tail -n 80 "$work/fuzz.log"
  for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* "$work"/slow-unit-*; do
    [ -e "$f" ] && echo "saved input: $f (replay: $fuzzer $f)"
  done
  exit 1
fi
if ! grep -q "^Done $runs runs" "$work/fuzz.log"; then
  echo "FAIL: trace_fuzzer exited 0 but did not report 'Done $runs runs'"
  tail -n 40 "$work/fuzz.log"
  exit 1
fi
echo "fuzz.smoke: $runs executions in $((end - start)) s, no crash, leak or timeout"
