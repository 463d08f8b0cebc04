#!/usr/bin/env bash
# docs_commands.sh BIN SRC WORK [FILE.md...] - run every `rmapcheck` command
# that README.md and docs/**/*.md show, so that the documentation cannot
# drift from the tool.
#
# extract.pl finds the commands: the command lines of code blocks (run) and
# the inline `rmapcheck SUB ...` spans of the prose (checked only). For each:
#
# 1. every `--flag` it names must be an option of that subcommand (its
#    --help lists it), and the subcommand must exist;
# 2. a code-block command runs, in WORK/<the doc's name>/ (one directory per
#    doc, so a command can use what an earlier one of the same doc wrote),
#    where examples/ and tests/ are the repository's, build/release/tool/
#    holds BIN and `rmapcheck` is on PATH, after these substitutions (each
#    printed):
#      placeholders   FILE... -> two examples; FILE -> an example (the CVE
#                     trace when the line switches on a mutant); NAME -> a
#                     mutant; DIR -> out; LIST -> model,impl; crash-<sha1>
#                     -> an example; [optional parts] -> included
#      small budgets  --cases N > 200 -> 50 (mutants: 20); --time S -> 1
#                     unless a mutant stops the campaign at its first
#                     counterexample; --budget S -> 1; --random N > 3 -> 3;
#                     a campaign with no budget gets --cases 20, `mutants`
#                     with none --budget 1, `explore` with no --time --time 5
#      deterministic  a campaign with no --seed gets --seed 1
#      no absolute    --out /a/b -> --out a/b
#    It must exit 0, or 1 where a check may fail (a mutant is on, or
#    `mutants` under a small budget), or 4 for `explore` (INCOMPLETE: a
#    --time reached before the bounds); 77 (the live kernel cannot be used
#    here: not root, not Linux) is a skip, printed with the tool's reason.
#    Anything else fails: above all 2, a usage error.
#
# Exit 0 when every command passed or was skipped, 1 otherwise, 2 usage.
# FILE.md... defaults to README.md and every docs/**/*.md of SRC.
set -uo pipefail
export LC_ALL=C

if [ $# -lt 3 ]; then
  echo "usage: docs_commands.sh BIN SRC WORK [FILE.md...]" >&2
  exit 2
fi
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
work=$3
shift 3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ $# -eq 0 ]; then
  cd "$src" || exit 2
  set -- README.md $(find docs -name '*.md' | sort)
fi
[ -x "$bin" ] || { echo "docs_commands: $bin is not an executable" >&2; exit 2; }

rm -rf "$work"
mkdir -p "$work/bin"
ln -s "$bin" "$work/bin/rmapcheck"
export PATH="$work/bin:$PATH"

records=$(cd "$src" && perl "$here/extract.pl" "$@") || exit 2
failed=0 ran=0 skipped=0 checked=0

declare -A help_of
# The --help text of subcommand $1 ("" when there is no such command).
help_for() {
  if [ -z "${help_of[$1]+x}" ]; then
    help_of[$1]=$("$bin" "$1" --help 2>/dev/null) || help_of[$1]=
  fi
  printf '%s' "${help_of[$1]}"
}

# check_flags WHERE TEXT: the subcommand and every --flag after it exist.
check_flags() {
  local where=$1 text=$2 sub h word flag
  # The words after the first `rmapcheck`, up to a shell operator.
  text=${text#*rmapcheck }
  text=${text%%[|;&>]*}
  sub=${text%% *}
  h=$(help_for "$sub")
  if [ -z "$h" ]; then
    echo "FAIL $where: 'rmapcheck $sub' is no command: $2"
    return 1
  fi
  for word in $text; do
    case $word in
      --*) ;;
      \[--*) word=${word#[} ;;
      *) continue ;;
    esac
    flag=${word%%[]=]*}
    if ! grep -qE -- "(^|[ ,])${flag}([ ,=]|$)" <<<"$h"; then
      echo "FAIL $where: rmapcheck $sub has no option $flag: $2"
      return 1
    fi
  done
  return 0
}

# substitute COMMAND: the command as the test runs it (see the header).
substitute() {
  local c=$1 file=examples/02-fork-and-cow.trace
  c=$(sed -E 's/[[:space:]]+#[[:space:]].*$//' <<<"$c")
  [[ $c == *--mutant* ]] && file=examples/08-cve-2022-42703.trace
  c=$(sed -E \
    -e 's/\[([^]]*)\]/\1/g' \
    -e 's/crash-<sha1>/examples\/02-fork-and-cow.trace/g' \
    -e 's/(^| )FILE\.\.\.( |$)/\1examples\/02-fork-and-cow.trace examples\/05-anon-vma-reuse.trace\2/g' \
    -e "s#(^| )FILE( |\$)#\\1${file}\\2#g" \
    -e 's/(^| )NAME( |$)/\1cve-2022-42703\2/g' \
    -e 's/(^| )DIR( |$)/\1out\2/g' \
    -e 's/(^| )LIST( |$)/\1model,impl\2/g' \
    -e 's#--out /+#--out #g' <<<"$c")
  local mutants=0
  [[ $c =~ rmapcheck\ mutants ]] && mutants=1
  # --cases N: a small N stays.
  local small=50
  [ $mutants = 1 ] && small=20
  c=$(perl -pe "s/--cases (\\d+)/'--cases '.(\$1 > 200 ? $small : \$1)/ge; s/--random (\\d+)/'--random '.(\$1 > 3 ? 3 : \$1)/ge; s/--budget \\S+/--budget 1/g" <<<"$c")
  if [[ $c != *--mutant* ]]; then
    c=$(sed -E 's/--time [^ ]+/--time 1/g' <<<"$c")
  fi
  if [[ $c =~ rmapcheck\ campaign($|\ ) && $c != *--cases* && $c != *--time* && $c != *--merge* &&
        $c != *--reproduce* ]]; then
    c="$c --cases 20"
  fi
  # A fresh seed each run would make the test a lottery (a shrink can take
  # minutes): a campaign with no --seed gets --seed 1.
  if [[ $c =~ rmapcheck\ campaign($|\ ) && $c != *--seed* && $c != *--merge* &&
        $c != *--reproduce* ]]; then
    c="$c --seed 1"
  fi
  if [[ $c =~ rmapcheck\ explore($|\ ) && $c != *--time* ]]; then
    c="$c --time 5"
  fi
  if [ $mutants = 1 ] && [[ $c != *--list* && $c != *--cases* && $c != *--budget* ]]; then
    c="$c --budget 1"
  fi
  printf '%s' "$c"
}

while IFS=$'\t' read -r kind file line text; do
  [ -n "$kind" ] || continue
  where="$file:$line"
  checked=$((checked + 1))
  if [ "$kind" = span ]; then
    check_flags "$where" "$text" || failed=$((failed + 1))
    continue
  fi
  cmd=$(substitute "$text")
  check_flags "$where" "$cmd" || { failed=$((failed + 1)); continue; }
  dir="$work/$(tr '/' '_' <<<"${file%.md}")"
  if [ ! -d "$dir" ]; then
    mkdir -p "$dir/build/release/tool"
    ln -s "$src/examples" "$dir/examples"
    ln -s "$src/tests" "$dir/tests"
    ln -s "$bin" "$dir/build/release/tool/rmapcheck"
  fi
  ok="0"
  if [[ $cmd == *--mutant* || $cmd =~ rmapcheck\ mutants ]]; then ok="0 1"; fi
  # explore under a small --time may stop before its bounds: INCOMPLETE.
  if [[ $cmd =~ rmapcheck\ explore ]]; then ok="$ok 4"; fi
  [ "$cmd" = "$text" ] && shown="$cmd" || shown="$cmd   (documented: $text)"
  start=$SECONDS
  (cd "$dir" && timeout 300 bash -c "$cmd" </dev/null >"$dir/.out" 2>&1)
  rc=$?
  ran=$((ran + 1))
  if [ $rc = 77 ]; then
    skipped=$((skipped + 1))
    echo "SKIP $where: $shown: $(grep -m1 -E 'skipped|cannot run' "$dir/.out")"
  elif [[ " $ok " == *" $rc "* ]]; then
    echo "ok   $where: $shown (exit $rc, $((SECONDS - start)) s)"
  else
    failed=$((failed + 1))
    echo "FAIL $where: $shown: exit $rc (expected ${ok// / or }); its output ends:"
    tail -n 15 "$dir/.out" | sed 's/^/    /'
  fi
done <<<"$records"

echo "docs_commands: $checked commands ($ran run, $skipped skipped), $failed failed"
# An extraction that finds nothing tests nothing.
if [ "$checked" -eq 0 ]; then
  echo "docs_commands: no rmapcheck command found in $*" >&2
  exit 1
fi
[ $failed = 0 ]
