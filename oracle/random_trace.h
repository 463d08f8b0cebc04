// random_trace.h - a small random trace generator for `oracle --random`.
//
// A stop-gap until the campaign generator replaces it: a 16-page window,
// 2-6 processes, every op but failalloc (the live kernel cannot fail a
// chosen allocation). Ranges overlap often, so merges, splits, COW, reuse,
// DONTUNMAP and fork flags all come up in a few dozen ops.
//
// Synopsis
//   random_trace(seed, index, nops)   the index-th trace of a seed
//   well_formed(lines)                drops lines that name a process not
//                                     live at that point (the shrinker's repair)
//
// Contract: the same (seed, index, nops) gives the same trace, byte for byte,
// on every platform (own PRNG, no std distributions). Every op satisfies
// op_invalid_reason() == nullopt and names a live process (if forks succeed).
#pragma once

#include <cstdint>
#include <vector>

#include "rmapcheck/trace.h"

namespace rmapcheck::oracle {

inline constexpr Page kRandomWindowPages = 16;

Trace random_trace(std::uint64_t seed, std::uint64_t index, std::size_t nops);

std::vector<TraceLine> well_formed(const std::vector<TraceLine>& lines);

}  // namespace rmapcheck::oracle
