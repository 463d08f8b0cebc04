// gen_layout.cpp - the address-space layout family: mmap, munmap, mremap.
//
// Ranges are drawn next to existing mappings and on remembered boundaries,
// so that new ranges merge with (or refuse to merge with) faulted and
// unfaulted neighbours, and mremap moves land beside them or back where a
// VMA used to be (the shape of docs/kernel/historical-bugs.md#mremap-uaf).
#include <algorithm>
#include <optional>

#include "properties/generator.h"

namespace rmapcheck::props {

namespace {

Prot pick_prot(Chooser& ch) {
  static constexpr std::uint32_t kW[] = {8, 3, 2, 1, 1};  // rw rwx r none rx
  static constexpr Prot kP[] = {Prot::RW, Prot::RWX, Prot::R, Prot::None, Prot::RX};
  return kP[ch.weighted(kW, 5)];
}

// A page on a remembered range edge, or nullopt when none is known.
std::optional<Page> pick_boundary(const GenState& s, const GenConfig& cfg, Chooser& ch) {
  std::vector<Page> b;
  for (Page i = 0; i <= static_cast<Page>(cfg.window); ++i) {
    if (s.boundaries.test(i)) b.push_back(i);
  }
  if (b.empty()) return std::nullopt;
  return b[ch.below(static_cast<std::uint32_t>(b.size()))];
}

// Places a range of n pages: beside a run of `p`, on a boundary, or anywhere.
// Returns a start with start + n <= window (n is clamped by the caller).
Page place(const GenState& s, const GenConfig& cfg, const GenProc& p, Page n, Chooser& ch) {
  const Page w = static_cast<Page>(cfg.window);
  auto runs = mapped_runs(p, cfg.window);
  static constexpr std::uint32_t kModes[] = {4, 3, 2};  // beside a run, boundary, anywhere
  std::size_t mode = ch.weighted(kModes, 3);
  Page start = 0;
  if (mode == 0 && !runs.empty()) {
    const PageRun& r = runs[ch.below(static_cast<std::uint32_t>(runs.size()))];
    if (ch.chance(1, 2) || r.start < n) {
      start = r.start + r.n;
    } else {
      start = r.start - n;
    }
  } else if (mode <= 1) {
    auto b = pick_boundary(s, cfg, ch);
    Page at = b ? *b : ch.below(static_cast<std::uint32_t>(w));
    start = (ch.chance(1, 2) || at < n) ? at : at - n;
  } else {
    start = ch.below(static_cast<std::uint32_t>(w));
  }
  if (start + n > w) start = w > n ? w - n : 0;
  return start;
}

// An mmap right beside a segment with written pages, on free pages, with
// the other writable protection: a VMA that does not merge with the faulted
// neighbour but is anon_vma_compatible with it, so its first write fault
// can reuse the neighbour's anon_vma (__anon_vma_prepare ->
// find_mergeable_anon_vma; docs/kernel/historical-bugs.md#2010-neighbour-reuse).
std::optional<Op> mmap_beside_faulted(const GenProc& p, const GenConfig& cfg, Chooser& ch) {
  const Page w = static_cast<Page>(cfg.window);
  std::vector<Op> options;
  for (const Segment& g : prot_segments(p, cfg.window)) {
    bool written = false;
    for (Page i = g.start; i < g.start + g.n; ++i) written = written || p.written.test(i);
    if (!written) continue;
    const Prot prot = other_writable(g.prot);
    const Page end = g.start + g.n;
    if (end < w && !p.mapped.test(end)) {
      Page n = 1;
      while (n < 2 && end + n < w && !p.mapped.test(end + n)) ++n;
      options.push_back(op_mmap(p.name, end, n, prot));
    }
    if (g.start > 0 && !p.mapped.test(g.start - 1)) {
      Page n = 1;
      while (n < 2 && g.start >= n + 1 && !p.mapped.test(g.start - n - 1)) ++n;
      options.push_back(op_mmap(p.name, g.start - n, n, prot));
    }
  }
  if (options.empty()) return std::nullopt;
  return options[ch.below(static_cast<std::uint32_t>(options.size()))];
}

// Segments (prot_segments) that a move took away from their linear place:
// pgoff[start] != start and the home [pgoff, pgoff + n) fits the window
// without overlapping the segment itself.
std::vector<Segment> displaced(const GenProc& p, const GenConfig& cfg) {
  std::vector<Segment> out;
  for (const Segment& g : prot_segments(p, cfg.window)) {
    const Page home = p.pgoff[g.start];
    if (home == g.start || home + g.n > static_cast<Page>(cfg.window)) continue;
    if (home < g.start + g.n && g.start < home + g.n) continue;
    out.push_back(g);
  }
  return out;
}

// An mmap right beside the home of a displaced segment, same protection:
// its pgoff is contiguous with the displaced segment's, so moving that one
// home merges it with this unfaulted VMA (the faulted-into-unfaulted mremap merge of
// docs/kernel/historical-bugs.md#mremap-uaf, a UAF in v6.16-v6.18.7).
std::optional<Op> mmap_beside_home(const GenProc& p, const GenConfig& cfg, Chooser& ch) {
  auto d = displaced(p, cfg);
  if (d.empty()) return std::nullopt;
  const Segment& g = d[ch.below(static_cast<std::uint32_t>(d.size()))];
  const Page home = p.pgoff[g.start], w = static_cast<Page>(cfg.window);
  Page n = ch.range(1, 2);
  if (ch.chance(1, 2) && home >= n) return op_mmap(p.name, home - n, n, g.prot);
  if (home + g.n + n <= w) return op_mmap(p.name, home + g.n, n, g.prot);
  if (home >= n) return op_mmap(p.name, home - n, n, g.prot);
  return std::nullopt;
}

// A move of a displaced segment back to its home (see mmap_beside_home).
std::optional<Op> mremap_home(const GenProc& p, const GenConfig& cfg, Chooser& ch) {
  auto d = displaced(p, cfg);
  if (d.empty()) return std::nullopt;
  const Segment& g = d[ch.below(static_cast<std::uint32_t>(d.size()))];
  return op_mremap(p.name, g.start, g.n, p.pgoff[g.start], g.n, ch.chance(1, 3));
}

Op gen_mmap(const GenState& s, const GenConfig& cfg, Chooser& ch) {
  const GenProc& p = pick_proc(s, ch, false);
  static constexpr std::uint32_t kAims[] = {5, 2, 2};  // plain, beside a faulted VMA, beside a home
  std::size_t aim = ch.weighted(kAims, 3);
  if (aim == 1) {
    if (auto op = mmap_beside_faulted(p, cfg, ch)) return *op;
  } else if (aim == 2) {
    if (auto op = mmap_beside_home(p, cfg, ch)) return *op;
  }
  Page n = ch.range(1, 3);
  n = std::min<Page>(n, static_cast<Page>(cfg.window));
  Page start = place(s, cfg, p, n, ch);
  Prot prot = pick_prot(ch);
  bool noreserve = ch.chance(1, 10);
  return op_mmap(p.name, start, n, prot, noreserve);
}

Op gen_munmap(const GenState& s, const GenConfig& cfg, Chooser& ch) {
  const GenProc& p = pick_proc(s, ch, true);
  auto runs = mapped_runs(p, cfg.window);
  if (runs.empty()) return gen_mmap(s, cfg, ch);
  const PageRun& r = runs[ch.below(static_cast<std::uint32_t>(runs.size()))];
  Page start = r.start + ch.below(static_cast<std::uint32_t>(r.n));
  Page n = ch.range(1, 2);
  if (start + n > static_cast<Page>(cfg.window)) n = static_cast<Page>(cfg.window) - start;
  return op_munmap(p.name, start, n);
}

Op gen_mremap(const GenState& s, const GenConfig& cfg, Chooser& ch) {
  const Page w = static_cast<Page>(cfg.window);
  const GenProc& p = pick_proc(s, ch, true);
  auto runs = mapped_runs(p, cfg.window);
  if (runs.empty()) return gen_mmap(s, cfg, ch);
  if (ch.chance(1, 4)) {
    if (auto op = mremap_home(p, cfg, ch)) return *op;
  }
  const PageRun& r = runs[ch.below(static_cast<std::uint32_t>(runs.size()))];
  Page old = ch.chance(1, 2) ? r.start : r.start + ch.below(static_cast<std::uint32_t>(r.n));
  Page old_n = ch.range(1, static_cast<std::uint32_t>(r.start + r.n - old));
  static constexpr std::uint32_t kModes[] = {5, 2, 2, 2};  // move, shrink, expand, dontunmap
  std::size_t mode = ch.weighted(kModes, 4);
  if (mode == 1 && old_n >= 2) {
    return op_mremap(p.name, old, old_n, old, ch.range(1, static_cast<std::uint32_t>(old_n - 1)));
  }
  if (mode == 2 || mode == 1) {
    Page new_n = std::min<Page>(old_n + ch.range(1, 2), w - old);
    if (new_n > old_n) return op_mremap(p.name, old, old_n, old, new_n);
  }
  bool dontunmap = mode == 3;
  Page new_n = old_n;
  if (!dontunmap && ch.chance(1, 4)) new_n = old_n > 1 && ch.chance(1, 2) ? old_n - 1 : old_n + 1;
  new_n = std::min(new_n, w);
  // A destination that does not overlap the source (the kernel refuses
  // overlapping moves with EINVAL: legal, but it tests little).
  Page dest = 0;
  for (int tries = 0; tries < 3; ++tries) {
    dest = place(s, cfg, p, new_n, ch);
    bool overlap = dest < old + old_n && old < dest + new_n;
    if (!overlap) break;
  }
  return op_mremap(p.name, old, old_n, dest, new_n, dontunmap);
}

}  // namespace

Op gen_layout(OpKind kind, const GenState& s, const GenConfig& cfg, Chooser& ch) {
  switch (kind) {
    case OpKind::Munmap:
      return gen_munmap(s, cfg, ch);
    case OpKind::Mremap:
      return gen_mremap(s, cfg, ch);
    default:
      return gen_mmap(s, cfg, ch);
  }
}

}  // namespace rmapcheck::props
