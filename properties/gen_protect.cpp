// gen_protect.cpp - the range family: mprotect, madvise and pageout.
//
// Both split a VMA when they cover part of it and re-merge it when the flags
// become equal again, so they mostly act on one page of a mapping and toggle
// between two writable protections (rw, rwx): the split-then-merge that the reproducers of
// CVE-2022-42703 and of the 2010 neighbour reuse in docs/kernel/historical-bugs.md need.
// MADV_DONTNEED zaps but keeps the anon_vma; DONTFORK / WIPEONFORK change what the next
// fork copies. MADV_PAGEOUT takes the same ranges: one page (the folio
// mapped once is reclaimed), a run, or one overhanging into a hole (ENOMEM).
#include <iterator>
#include <optional>

#include "properties/generator.h"

namespace rmapcheck::props {

namespace {

struct Range {
  Page start = 0, n = 0;
};

// One page of a mapping (usually), or a whole run, or a range overhanging it.
Range pick_range(const GenProc& p, const GenConfig& cfg, Chooser& ch) {
  auto runs = mapped_runs(p, cfg.window);
  const PageRun& r = runs[ch.below(static_cast<std::uint32_t>(runs.size()))];
  static constexpr std::uint32_t kModes[] = {6, 3, 1};  // one page, whole run, overhang
  std::size_t mode = ch.weighted(kModes, 3);
  if (mode == 0) return {r.start + ch.below(static_cast<std::uint32_t>(r.n)), 1};
  if (mode == 1) return {r.start, r.n};
  Page start = r.start + ch.below(static_cast<std::uint32_t>(r.n));
  Page n = r.start + r.n - start + 1;
  if (start + n > static_cast<Page>(cfg.window)) n = static_cast<Page>(cfg.window) - start;
  return {start, n};
}

// mprotect aimed at vma_merge_existing_range (docs/kernel/merge.md#existing-range-merge), on the
// generator's guess at the VMAs (prot_segments): the whole middle segment
// between two of equal protection (prev ┃mid┃ next), the tail of a segment
// to the protection of the next one (next grows down over part of it), the
// head to that of the previous one, or a whole segment to a neighbour's.
std::optional<Op> merge_aimed(const GenProc& p, const GenConfig& cfg, Chooser& ch) {
  auto segs = prot_segments(p, cfg.window);
  std::vector<std::size_t> middles, tails, heads;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const bool has_prev = i > 0 && segs[i - 1].joined;
    const bool has_next = segs[i].joined;
    if (has_prev && has_next && segs[i - 1].prot == segs[i + 1].prot) middles.push_back(i);
    if (has_next && segs[i].n >= 2) tails.push_back(i);
    if (has_prev && segs[i].n >= 2) heads.push_back(i);
  }
  static constexpr std::uint32_t kModes[] = {3, 2, 2};  // middle, tail, head
  std::size_t mode = ch.weighted(kModes, 3);
  auto pick = [&ch](const std::vector<std::size_t>& v) {
    return v[ch.below(static_cast<std::uint32_t>(v.size()))];
  };
  if (mode == 0 && !middles.empty()) {
    const Segment& m = segs[pick(middles)];
    return op_mprotect(p.name, m.start, m.n, (&m - 1)->prot);
  }
  if (mode <= 1 && !tails.empty()) {
    std::size_t i = pick(tails);
    Page cut = ch.range(1, static_cast<std::uint32_t>(segs[i].n - 1));
    return op_mprotect(p.name, segs[i].start + cut, segs[i].n - cut, segs[i + 1].prot);
  }
  if (!heads.empty()) {
    std::size_t i = pick(heads);
    Page cut = ch.range(1, static_cast<std::uint32_t>(segs[i].n - 1));
    return op_mprotect(p.name, segs[i].start, cut, segs[i - 1].prot);
  }
  return std::nullopt;
}

}  // namespace

Op gen_protect(OpKind kind, const GenState& s, const GenConfig& cfg, Chooser& ch) {
  const GenProc& p = pick_proc(s, ch, true);
  if (!p.mapped.any()) return gen_layout(OpKind::Mmap, s, cfg, ch);
  if (kind == OpKind::Mprotect && ch.chance(1, 3)) {
    if (auto op = merge_aimed(p, cfg, ch)) return *op;
  }
  Range r = pick_range(p, cfg, ch);
  if (kind == OpKind::Pageout) return op_pageout(p.name, r.start, r.n);
  if (kind == OpKind::Madvise) {
    static constexpr std::uint32_t kW[] = {3, 2, 2, 2, 1};  // by kAllAdvices
    static_assert(std::size(kW) == std::size(kAllAdvices));
    return op_madvise(p.name, r.start, r.n, kAllAdvices[ch.weighted(kW, 5)]);
  }
  static constexpr std::uint32_t kW[] = {5, 5, 1, 1};
  static constexpr Prot kP[] = {Prot::RW, Prot::RWX, Prot::R, Prot::None};
  return op_mprotect(p.name, r.start, r.n, kP[ch.weighted(kW, 4)]);
}

}  // namespace rmapcheck::props
