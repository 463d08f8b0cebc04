#!/usr/bin/env bash
# deps.sh - install the Debian packages rmapcheck needs, if any are missing.
# Non-interactive (CI has no terminal); runs apt-get update first when it installs.
set -euo pipefail

packages=(
  g++ cmake make pkg-config git
  librapidcheck-dev libgtest-dev libgmock-dev libbenchmark-dev
  libboost-dev libcli11-dev nlohmann-json3-dev libfmt-dev
  clang libbpf-dev   # the oracle's BPF anon_vma iterator; clang++ builds the asan preset
  libclang-rt-14-dev # libFuzzer and the sanitizer runtimes for clang (the asan preset, fuzz/)
  clang-format       # tests/style: the tree stays formatted
  graphviz           # `rmapcheck draw -o FILE.svg`, the campaign's counterexample pictures
  parallel           # tests/explore: sharded explore runs side by side (docs/explore.md)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: not root; install these packages first: ${missing[*]}" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q </dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
