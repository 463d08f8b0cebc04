#!/usr/bin/env bash
# bench.sh [BENCHMARK ARGS...] - the README's benchmark command: install missing
# packages, configure the release preset with the benchmarks on, build every
# bench/ program and run each one pinned to one CPU, with 12 repetitions of at
# least 0.05 s each in random interleaving (medians are what
# docs/performance.md reports). Interleaving matters on a shared VM: a burst
# of noise then hits one repetition of many benchmarks instead of every
# repetition of one, so the medians of the n = 10 and n = 100000 ends of a
# series see the same machine and their ratio is stable (back to back, the
# walk's ratio moved between 1.6x and 2.6x from run to run; interleaved, three
# runs gave 1.79x-1.87x). Results go to build/release/bench-results/:
#   <program>.json   Google Benchmark JSON (every repetition + mean/median/stddev/cv)
#   <program>.txt    the console output (aggregates only)
#   run.txt          date, commit, kernel, CPU, load average: the run's identity
# Extra arguments go to every program, e.g. --benchmark_filter=RmapWalk.
# REPS=N and MIN_TIME=S override the repetitions and their minimum time;
# BENCH_CPU=K pins to CPU K (default: the last one). Timings are never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake --preset release -DRMAPCHECK_BENCHMARKS=ON >/dev/null
cmake --build --preset release --target rmapcheck_benchmarks

out=build/release/bench-results
mkdir -p "$out"
{
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (dirty tree)')"
  echo "build:   release preset ($(grep -m1 '^CMAKE_BUILD_TYPE' build/release/CMakeCache.txt | cut -d= -f2)), $(c++ --version | head -1)"
  echo "kernel:  $(uname -r)"
  echo "cpu:     $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') x $(nproc)"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (at start)"
  echo "command: bash scripts/bench.sh $*"
} | tee "$out/run.txt"

pin=()
cpu=${BENCH_CPU:-$(($(nproc) - 1))}
if command -v taskset >/dev/null && taskset -c "$cpu" true 2>/dev/null; then pin=(taskset -c "$cpu"); fi
echo "pinned:  ${pin[*]:-no (taskset unavailable)}" | tee -a "$out/run.txt"

for bin in build/release/bench/*_bench; do
  name=$(basename "$bin")
  echo "== $name"
  "${pin[@]}" "$bin" --benchmark_repetitions="${REPS:-12}" --benchmark_min_time="${MIN_TIME:-0.05}" \
    --benchmark_enable_random_interleaving=true --benchmark_display_aggregates_only=true \
    --benchmark_out="$out/$name.json" --benchmark_out_format=json "$@" | tee "$out/$name.txt"
done
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (at end)" | tee -a "$out/run.txt"
echo "bench: results in $out"
