#!/usr/bin/env bash
# format.sh SRC - fail if any C or C++ file of the source tree differs from
# what clang-format makes of it under the repository's .clang-format.
# The formatter's version is fixed (Debian 12's clang-format 14): another
# version may lay out the same code differently, so it is named in the
# message. Fix with: git ls-files '*.cpp' '*.h' '*.hpp' '*.c' | xargs clang-format -i
set -uo pipefail
src=${1:?usage: format.sh SOURCE_DIR}
cd "$src" || exit 2

fmt=
for c in clang-format-14 clang-format; do
  if command -v "$c" >/dev/null; then fmt=$c; break; fi
done
if [ -z "$fmt" ]; then
  echo "format: clang-format not installed (scripts/deps.sh installs it)" >&2
  exit 1
fi

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cpp' '*.h' '*.hpp' '*.c')
else
  mapfile -t files < <(find . -path ./build -prune -o -path ./.git -prune -o \
    -type f \( -name '*.cpp' -o -name '*.h' -o -name '*.hpp' -o -name '*.c' \) -print | sort)
fi
if [ ${#files[@]} -eq 0 ]; then
  echo "format: no C or C++ files found under $src" >&2
  exit 1
fi

bad=()
for f in "${files[@]}"; do
  if ! "$fmt" --dry-run --Werror "$f" >/dev/null 2>&1; then bad+=("$f"); fi
done
echo "format: $("$fmt" --version | head -1): ${#files[@]} files checked, ${#bad[@]} unformatted"
if [ ${#bad[@]} -gt 0 ]; then
  printf '  %s\n' "${bad[@]}"
  echo "format: run: clang-format -i ${bad[*]}" >&2
  exit 1
fi
