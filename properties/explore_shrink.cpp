// explore_shrink.cpp - a shorter counterexample by exhaustive search (see explore_shrink.h).
#include "properties/explore_shrink.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "properties/explore.h"

namespace rmapcheck::props {

namespace {

constexpr Page kMaxWindow = 3;
constexpr int kMaxProcs = 4;

// Every page an op names: [lo, hi).
void page_span(const Op& op, Page& lo, Page& hi) {
  auto add = [&](Page s, Page n) {
    if (n == 0) return;
    lo = std::min(lo, s);
    hi = std::max(hi, s + n);
  };
  switch (op.kind) {
    case OpKind::Mmap:
    case OpKind::Munmap:
    case OpKind::Mprotect:
    case OpKind::Madvise:
    case OpKind::Pageout:
      add(op.start, op.npages);
      break;
    case OpKind::Mremap:
      add(op.start, op.npages);
      add(op.new_start, op.new_npages);
      break;
    case OpKind::Read:
    case OpKind::Write:
    case OpKind::Rmap:
      add(op.start, 1);
      break;
    default:
      break;
  }
}

}  // namespace

std::optional<std::vector<Op>> shorter_within_span(const std::vector<Op>& ops,
                                                   const MutantSet& mutants,
                                                   std::uint64_t max_transitions) {
  ExploreConfig cfg;
  ExploreBounds& b = cfg.bounds;
  std::set<OpKind> kinds;
  std::set<Prot> prots;
  std::set<Advice> advices;
  std::set<std::string> live{"p0"};
  std::size_t most_live = 1, transitions = 0;
  Page lo = kWindowPages, hi = 0;
  bool reads = false;
  b.noreserve = b.dontunmap = false;
  b.fail_nth = 1;
  for (const Op& op : ops) {
    kinds.insert(op.kind);
    if (op.kind != OpKind::FailAlloc) ++transitions;
    if (op.kind == OpKind::Mmap || op.kind == OpKind::Mprotect) prots.insert(op.prot);
    if (op.kind == OpKind::Madvise) advices.insert(op.advice);
    if (op.kind == OpKind::Mmap && op.noreserve) b.noreserve = true;
    if (op.kind == OpKind::Mremap && op.dontunmap) b.dontunmap = true;
    if (op.kind == OpKind::FailAlloc) {
      b.fail_nth = std::clamp<std::uint32_t>(op.nth, b.fail_nth, 4);
      if (std::find(b.fail_sites.begin(), b.fail_sites.end(), op.site) == b.fail_sites.end())
        b.fail_sites.push_back(op.site);
    }
    if (op.kind == OpKind::Read) reads = true;
    if (op.kind == OpKind::Fork) live.insert(op.child);
    if (op.kind == OpKind::Exit) live.erase(op.proc);
    most_live = std::max(most_live, live.size());
    page_span(op, lo, hi);
  }
  if (transitions < 2 || hi <= lo) return std::nullopt;
  b.pages = std::min(hi - lo, kMaxWindow);
  b.procs = std::min(static_cast<int>(most_live), kMaxProcs);
  b.depth = static_cast<int>(transitions) - 1;
  b.ops.assign(kinds.begin(), kinds.end());
  b.all_ops = false;
  b.prots.assign(prots.begin(), prots.end());
  if (b.prots.empty()) b.prots = {Prot::RW};
  b.all_prots = false;
  b.advices.assign(advices.begin(), advices.end());
  b.values = reads ? 2 : 1;
  cfg.mutants = mutants;
  cfg.max_memory = std::uint64_t{256} << 20;
  cfg.max_transitions = max_transitions;
  std::ostringstream quiet;
  ExploreResult r = explore(cfg, quiet);
  if (r.verdict != ExploreResult::Verdict::Counterexample) return std::nullopt;
  return r.trace;
}

}  // namespace rmapcheck::props
