// explore_shrink.h - the last step of the campaign's shrinker: an
// exhaustive search for a shorter counterexample within the bound the
// counterexample itself spans.
//
// ddmin and its rewrites (shrink.h) only delete and fold ops, so they can
// stop at a trace that no deletion shortens although a shorter one with
// other arguments exists (a mremap whose target a later write uses). Given
// the shrunk trace, shorter_within_span() runs the explorer (explore.h)
// over the trace's own universe: its op kinds, protections, madvise advices, processes
// (at most as many live at once), a window as wide as its pages span (at
// most 3 pages), failalloc at its sites and counts if it has one, to depth
// length - 1. A
// counterexample found there is a shortest one within that bound.
//
// Deterministic: the search stops at a budget of transitions, not time.
#pragma once

#include <optional>
#include <vector>

#include "rmapcheck/mutants.h"
#include "rmapcheck/op.h"

namespace rmapcheck::props {

std::optional<std::vector<Op>> shorter_within_span(const std::vector<Op>& ops,
                                                   const MutantSet& mutants,
                                                   std::uint64_t max_transitions);

}  // namespace rmapcheck::props
