// gen_access.cpp - the access family: read, write, rmap, and failalloc.
//
// Accesses go to mapped pages (mostly) of a process that has mappings:
// writes create anon_vmas and folios and, after a fork, take the COW paths;
// reads map the zero page; rmap compares the impl's interval-tree walk with
// the model's brute-force scan. failalloc arms an allocation failure for
// the next op (the mutants flagged needs_failalloc).
#include "properties/generator.h"
#include "rmapcheck/coverage.h"

namespace rmapcheck::props {

namespace {

Page pick_page(const GenProc& p, const GenConfig& cfg, Chooser& ch) {
  std::vector<Page> mapped;
  for (Page i = 0; i < static_cast<Page>(cfg.window); ++i) {
    if (p.mapped.test(i)) mapped.push_back(i);
  }
  if (mapped.empty() || ch.below(10) == 0) return ch.below(static_cast<std::uint32_t>(cfg.window));
  return mapped[ch.below(static_cast<std::uint32_t>(mapped.size()))];
}

}  // namespace

Op gen_access(OpKind kind, const GenState& s, const GenConfig& cfg, Chooser& ch) {
  if (kind == OpKind::FailAlloc) {
    auto site = static_cast<AllocSite>(ch.below(kAllocSiteCount));
    return op_failalloc(site, ch.range(1, 2));
  }
  if (kind == OpKind::Reclaim) return op_reclaim();
  const GenProc& p = pick_proc(s, ch, true);
  if (!p.mapped.any() && kind != OpKind::Read) return gen_layout(OpKind::Mmap, s, cfg, ch);
  Page page = pick_page(p, cfg, ch);
  if (kind == OpKind::Write && ch.chance(1, 4)) {
    // An unwritten page next to a written one of another protection: the
    // first fault of a VMA beside a faulted, compatible neighbour.
    std::vector<Page> edge;
    for (Page i = 0; i < static_cast<Page>(cfg.window); ++i) {
      if (!p.mapped.test(i) || p.written.test(i) || !prot_write(p.prot[i])) continue;
      auto faulted_other = [&](Page j) {
        return p.mapped.test(j) && p.written.test(j) && p.prot[j] != p.prot[i];
      };
      if ((i > 0 && faulted_other(i - 1)) ||
          (i + 1 < static_cast<Page>(cfg.window) && faulted_other(i + 1))) {
        edge.push_back(i);
      }
    }
    if (!edge.empty()) page = edge[ch.below(static_cast<std::uint32_t>(edge.size()))];
  }
  switch (kind) {
    case OpKind::Read:
      return op_read(p.name, page);
    case OpKind::Rmap:
      return op_rmap(p.name, page);
    default:
      return op_write(p.name, page, ch.range(1, 99));
  }
}

}  // namespace rmapcheck::props
