#!/bin/bash
# sigint_group.sh BIN WORK - Ctrl-C on `campaign --jobs 2`: a SIGINT to the
# whole process group, as a terminal sends it (the campaign, its workers and
# their batch processes all get it). The campaign must stop, write its
# report atomically (result "interrupted") and exit 130 (docs/campaigns.md).
set -u
BIN=$1
WORK=$2
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 1
# setsid: the campaign leads a process group of its own, which we signal
# whole, as the terminal would signal its foreground group.
setsid "$BIN" campaign --seed 1 --cases 100000000 --jobs 2 --out out >log.txt 2>&1 &
pid=$!
# Wait until the workers are under way (progress lines), at most 30 s.
for _ in $(seq 300); do
  grep -q "cases" log.txt 2>/dev/null && [ "$(pgrep -g "$pid" | wc -l)" -ge 3 ] && break
  sleep 0.1
done
sleep 1
kill -INT -- "-$pid"
wait "$pid"
rc=$?
cat log.txt
fail=0
if [ "$rc" -ne 130 ]; then
  echo "FAIL: exit status $rc, expected 130"
  fail=1
fi
if ! grep -q '"result": "interrupted"' out/report.json 2>/dev/null; then
  echo "FAIL: out/report.json missing or not \"interrupted\""
  fail=1
fi
if ls out/.*tmp* out/*.tmp* >/dev/null 2>&1; then
  echo "FAIL: a temporary file was left behind"
  fail=1
fi
if pgrep -g "$pid" >/dev/null; then
  echo "FAIL: processes of the campaign are still running"
  kill -KILL -- "-$pid"
  fail=1
fi
exit $fail
