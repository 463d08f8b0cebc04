// shrink.h - delta debugging (ddmin) over the lines of a failing trace: the
// campaign's shrinker (case_runner.h) and the oracle's (oracle/random_run.h).
//
// Synopsis
//   shrink_lines(lines, still_fails, budget)
//   well_formed(lines)      drops lines that name a process not live at that
//                           point (the repair every candidate gets)
//
// Removes chunks of lines, halving the chunk size when no removal keeps the
// failure (Zeller's ddmin, complements only), down to single lines. Every
// candidate is repaired with well_formed() first, so it never names a process
// that is not live. Then each `fork P C` is tried collapsed: dropped, with
// every later op of C done by P (a fork chain loses a link, which removing
// lines alone cannot do, since the child's ops go with its fork); after
// each collapse that keeps the failure, ddmin again. Likewise each
// mprotect is tried folded into the last earlier mmap it overlaps (the mmap
// gets its protection, the mprotect goes). `still_fails` is
// called at most `budget` times.
//
// Contract: the result still fails (or is the input, if it was never
// reduced), and is 1-minimal when the budget was not exhausted: removing any
// one more line, or collapsing any one fork, makes the failure go away.
#pragma once

#include <functional>
#include <vector>

#include "rmapcheck/trace.h"

namespace rmapcheck::props {

using StillFails = std::function<bool(const std::vector<TraceLine>&)>;

std::vector<TraceLine> well_formed(const std::vector<TraceLine>& lines);

std::vector<TraceLine> shrink_lines(std::vector<TraceLine> lines, const StillFails& still_fails,
                                    std::size_t budget = 3000);

}  // namespace rmapcheck::props
