#!/usr/bin/env bash
# run_export.sh RMAPCHECK CC TRACE WORKDIR [EXPECT_FIRST_LINE [EXPORT_ARGS...]]
#
# Exports TRACE with `rmapcheck export-c` (plus EXPORT_ARGS), compiles the
# program with `CC -O2 -Wall -Wextra -Werror`, runs it and checks its exit:
#   without EXPECT_FIRST_LINE: exit 0 (the kernel matched the model);
#   with it: exit 1 (a mismatch) and that exact first line of output.
# Exit 0 pass, 1 fail, 77 skip: no C compiler, or the program cannot run
# here (not root, the window is not free; it says why). The export and the
# compile are checked before a skip, so they fail even where nothing runs.
set -uo pipefail
rmapcheck=$1 cc=$2 trace=$3 work=$4
expect=${5:-}
shift $(($# < 5 ? $# : 5))

if [ -z "$cc" ]; then
  echo "SKIP: no C compiler (cc) found at configure time"
  exit 77
fi
mkdir -p "$work" || exit 1
prog=$work/prog
if ! "$rmapcheck" export-c "$trace" -o "$prog.c" "$@"; then
  echo "FAIL: rmapcheck export-c $trace exited $?"
  exit 1
fi
if ! "$cc" -O2 -Wall -Wextra -Werror -o "$prog" "$prog.c"; then
  echo "FAIL: $cc -O2 -Wall -Wextra -Werror $prog.c"
  exit 1
fi
"$prog" >"$work/out" 2>&1
rc=$?
cat "$work/out"
if [ $rc -eq 77 ]; then
  echo "SKIP: the program cannot run here (see above)"
  exit 77
fi
if [ -z "$expect" ]; then
  if [ $rc -ne 0 ]; then
    echo "FAIL: the program exited $rc, not 0"
    exit 1
  fi
  exit 0
fi
first=$(head -n 1 "$work/out")
if [ $rc -ne 1 ] || [ "$first" != "$expect" ]; then
  echo "FAIL: expected exit 1 and the first line"
  echo "  $expect"
  echo "got exit $rc and"
  echo "  $first"
  exit 1
fi
exit 0
