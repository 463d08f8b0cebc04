#!/usr/bin/env bash
# self_contained.sh [SRC] - fail if the source tree does not stand on its own.
#
# SRC defaults to the checkout that holds this script. The files checked are
# `git ls-files` of SRC when SRC is the top of a git checkout, else every file
# under SRC except build*/ and .git/. Two checks, one line per hit:
#
# 1. No file cites material that is not in the repository: the research notes
#    the project was first written from (by their file names), an outside
#    "report", or a path on one particular machine (a home or work directory
#    anywhere; a temporary directory in docs and traces, where a path can only
#    be a reference: code and scripts may use one at run time).
# 2. Every citation of a kernel page, `docs/kernel/<page>.md` or
#    `docs/kernel/<page>.md#<anchor>` (and `<page>.md#<anchor>` links between the
#    pages of docs/kernel/), names a page that exists and, with an anchor, a
#    heading of that page (anchors as GitHub derives them: lower case, spaces
#    to '-', punctuation other than '-' and '_' dropped).
#
# The patterns are built from pieces so that this file does not match itself.
# Exit 0 clean, 1 hits found, 2 usage error.
set -uo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${1:-$here/../..}
if ! src=$(cd "$src" 2>/dev/null && pwd -P); then
  echo "self_contained: no such directory: ${1:-}" >&2
  exit 2
fi
cd "$src" || exit 2

# ---- the file list ----
files=()
top=
if command -v git >/dev/null 2>&1; then
  top=$(git -C "$src" rev-parse --show-toplevel 2>/dev/null) || top=
  [ -n "$top" ] && top=$(cd "$top" && pwd -P)
fi
if [ -n "$top" ] && [ "$top" = "$src" ]; then
  how="git ls-files"
  while IFS= read -r -d '' f; do
    [ -f "$f" ] && files+=("$f")
  done < <(git -C "$src" ls-files -z)
else
  how="find (not a git checkout)"
  while IFS= read -r -d '' f; do
    files+=("${f#./}")
  done < <(find . \( -path './build*' -o -path ./.git \) -prune -o -type f -print0 | sort -z)
fi
if [ ${#files[@]} -eq 0 ]; then
  echo "self_contained: no files found under $src" >&2
  exit 2
fi

docs_traces=()
kernel_pages=()
for f in "${files[@]}"; do
  case $f in
    *.md | *.trace) docs_traces+=("$f") ;;
  esac
  case $f in
    docs/kernel/*.md) kernel_pages+=("$f") ;;
  esac
done

hits=0
report() {  # FILE:LINE:TEXT lines on stdin, then a reason
  local reason=$1 line
  while IFS= read -r line; do
    echo "$line"
    echo "    ^ $reason"
    hits=$((hits + 1))
  done
}

# ---- 1. references to outside material ----
k=kernel
notes=(
  "$k-spec"
  "live-$k(\\.md| ?§)"
  "swap-and-""after"
  "shared/""reference"
  "engineer.s rep""ort"
)
notes_re=$(IFS='|'; echo "${notes[*]}")
report "cites research notes that are not in the repository (cite the kernel or docs/kernel/)" < <(
  printf '%s\0' "${files[@]}" | xargs -0 grep -H -n -I -i -E -e "$notes_re" -- 2>/dev/null)

b='(^|[^A-Za-z0-9_.~-])'
report "names a directory of one machine" < <(
  printf '%s\0' "${files[@]}" | xargs -0 grep -H -n -I -E -e "$b/(wo""rk|ro""ot|ho""me|Us""ers)/" -- 2>/dev/null)
if [ ${#docs_traces[@]} -gt 0 ]; then
  report "names a temporary file as a reference" < <(
    printf '%s\0' "${docs_traces[@]}" | xargs -0 grep -H -n -I -E -e "$b/t""mp/" -- 2>/dev/null)
fi

# ---- 2. docs/kernel citations resolve ----
# anchors_of PAGE: one GitHub anchor per heading, duplicates numbered -1, -2...
anchors_of() {
  awk '/^[ ]*```/ { fence = !fence; next }
       !fence && /^#+[ ]/ { sub(/^#+[ ]+/, ""); sub(/[ ]+#*[ ]*$/, ""); print }' "$1" |
    tr 'A-Z' 'a-z' | sed -e 's/[^a-z0-9 _-]//g' -e 's/ /-/g' |
    awk '{ n = seen[$0]++; print (n ? $0 "-" n : $0) }'
}
declare -A anchors=()
for p in "${kernel_pages[@]}"; do
  while IFS= read -r a; do anchors["$p#$a"]=1; done < <(anchors_of "$p")
done
have_page() {
  local p
  for p in "${kernel_pages[@]}"; do [ "$p" = "$1" ] && return 0; done
  return 1
}
check_ref() {  # FILE LINE PAGE ANCHOR
  if ! have_page "$3"; then
    echo "$1:$2: $3${4:+#$4}"
    echo "    ^ no such page"
    hits=$((hits + 1))
  elif [ -n "$4" ] && [ -z "${anchors["$3#$4"]:-}" ]; then
    echo "$1:$2: $3#$4"
    echo "    ^ no such section in $3"
    hits=$((hits + 1))
  fi
}
# docs/kernel/<page>.md[#<anchor>] (or ../kernel/<page>.md from docs/) anywhere
while IFS=: read -r f n ref; do
  page=docs/kernel/${ref%%#*}
  anchor=
  [[ $ref == *#* ]] && anchor=${ref#*#}
  check_ref "$f" "$n" "$page" "$anchor"
done < <(printf '%s\0' "${files[@]}" |
  xargs -0 grep -H -n -o -I -E -e 'kernel/[A-Za-z0-9_-]+\.md(#[A-Za-z0-9_-]+)?' -- 2>/dev/null |
  sed -e 's#:kernel/#:#')
# PAGE.md#ANCHOR and (PAGE.md) links inside docs/kernel/
if [ ${#kernel_pages[@]} -gt 0 ]; then
  while IFS=: read -r f n ref; do
    ref=${ref#](}
    ref=${ref%)}
    anchor=
    [[ $ref == *#* ]] && anchor=${ref#*#}
    check_ref "$f" "$n" "docs/kernel/${ref%%#*}" "$anchor"
  done < <(printf '%s\0' "${kernel_pages[@]}" |
    xargs -0 grep -H -n -o -E -e '\]\([A-Za-z0-9_-]+\.md(#[A-Za-z0-9_-]+)?\)' -- 2>/dev/null)
  # (#ANCHOR) links within one page
  while IFS=: read -r f n ref; do
    ref=${ref#](#}
    check_ref "$f" "$n" "$f" "${ref%)}"
  done < <(printf '%s\0' "${kernel_pages[@]}" |
    xargs -0 grep -H -n -o -E -e '\]\(#[A-Za-z0-9_-]+\)' -- 2>/dev/null)
fi

echo "self_contained: ${#files[@]} files ($how), ${#kernel_pages[@]} docs/kernel pages, $hits problem(s)"
[ "$hits" -eq 0 ]
