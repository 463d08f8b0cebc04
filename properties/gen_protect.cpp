// gen_protect.cpp - the flag-change family: mprotect and madvise.
//
// Both split a VMA when they cover part of it and re-merge it when the flags
// become equal again, so they mostly act on one page of a mapping and toggle
// between two writable protections (rw, rwx): the split-then-merge that
// kernel-spec.md §4.1 and §4.3 need. MADV_DONTNEED zaps but keeps the
// anon_vma; DONTFORK / WIPEONFORK change what the next fork copies.
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

}  // namespace

Op gen_protect(OpKind kind, const GenState& s, const GenConfig& cfg, Chooser& ch) {
  const GenProc& p = pick_proc(s, ch, true);
  if (!p.mapped.any()) return gen_layout(OpKind::Mmap, s, cfg, ch);
  Range r = pick_range(p, cfg, ch);
  if (kind == OpKind::Madvise) {
    static constexpr std::uint32_t kW[] = {3, 2, 2, 2, 1};
    static constexpr Advice kA[] = {Advice::DontNeed, Advice::DontFork, Advice::DoFork,
                                    Advice::WipeOnFork, Advice::KeepOnFork};
    return op_madvise(p.name, r.start, r.n, kA[ch.weighted(kW, 5)]);
  }
  static constexpr std::uint32_t kW[] = {5, 5, 1, 1};
  static constexpr Prot kP[] = {Prot::RW, Prot::RWX, Prot::R, Prot::None};
  return op_mprotect(p.name, r.start, r.n, kP[ch.weighted(kW, 4)]);
}

}  // namespace rmapcheck::props
