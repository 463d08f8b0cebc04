// invariant_transition.cpp - check_transition(): I-PGOFF-LINEAR.
//
// The linear page index of page p in VMA V is V.pgoff + (p - V.start); an
// anon folio's index was set from it, and the rmap walk finds the folio only
// while it still holds (I-MAPPING). Splits and merges must keep it for every
// page (docs/kernel/anon-vma.md#vm_pgoff); only mremap may re-base, and only a VMA with no
// anon_vma (copy_vma's unfaulted reset), where no folio depends on it.
//
//   any op but mremap: every page in a VMA of the same process before and
//       after keeps its index, except pages an mmap replaced;
//   fork: the child's pages have the parent's indices;
//   mremap OLD OLDN NEW NEWN: pages outside both ranges keep theirs (an
//       in-place resize also keeps the pages it keeps); pages of faulted VMAs
//       it moves have their old indices at the destination.
//
// Within the overlap of two VMAs the index differs by a constant, so ranges
// are compared whole (a VMA may span the whole window).
#include <algorithm>

#include "invariant_index.h"

namespace rmapcheck {

namespace {

struct Range {
  Page lo = 0, hi = 0;  // half-open
};

// pgoff - start, modulo 2^64: two VMAs give a page the same linear index
// iff their bases are equal.
Page base(const SnapVma& v) {
  return v.pgoff - v.start;
}

// The first page of [lo, hi) not covered by `excluded`, if any.
std::optional<Page> first_kept(Page lo, Page hi, const std::vector<Range>& excluded) {
  Page p = lo;
  bool moved = true;
  while (moved && p < hi) {
    moved = false;
    for (const Range& r : excluded) {
      if (p >= r.lo && p < r.hi) {
        p = r.hi;
        moved = true;
      }
    }
  }
  if (p < hi) return p;
  return std::nullopt;
}

std::string vma_desc(const SnapVma& v) {
  return fmt::format("[{},{}) pgoff={}", v.start, v.end, v.pgoff);
}

// Every page in a VMA of `b` and a VMA of `a`, outside `excluded`, must have
// the same linear index in both.
void compare_procs(const SnapProc& b, const SnapProc& a, const std::vector<Range>& excluded,
                   std::string_view what, std::vector<Violation>& out) {
  for (const SnapVma& vb : b.vmas) {
    for (const SnapVma& va : a.vmas) {
      const Page lo = std::max(vb.start, va.start);
      const Page hi = std::min(vb.end, va.end);
      if (lo >= hi || base(vb) == base(va)) continue;
      const std::optional<Page> p = first_kept(lo, hi, excluded);
      if (!p) continue;
      out.push_back({InvariantId::PgoffLinear, fmt::format("{} page {}", a.name, *p),
                     fmt::format("{}: linear index was {} (vma {}{}) and is {} (vma {})", what,
                                 detail::linear_index(vb, *p), vma_desc(vb),
                                 b.name == a.name ? "" : " of " + b.name,
                                 detail::linear_index(va, *p), vma_desc(va))});
    }
  }
}

// fork: each page of the child lies in a parent VMA with the same index.
void check_fork(const SnapProc& parent, const SnapProc& child, std::vector<Violation>& out) {
  compare_procs(parent, child, {}, "fork", out);
  for (const SnapVma& vc : child.vmas) {
    std::vector<Range> covered;
    for (const SnapVma& vp : parent.vmas) covered.push_back({vp.start, vp.end});
    if (const std::optional<Page> p = first_kept(vc.start, vc.end, covered)) {
      out.push_back({InvariantId::PgoffLinear, fmt::format("{} page {}", child.name, *p),
                     fmt::format("fork: the child maps it (vma {}) but the parent {} did not",
                                 vma_desc(vc), parent.name)});
    }
  }
}

bool has_pte(const SnapProc& p, Page page) {
  return std::any_of(p.ptes.begin(), p.ptes.end(),
                     [&](const SnapPte& t) { return t.page == page; });
}

// A source page the op did not move: still mapped with its old linear
// index, and its PTE (if it had one) still there. A failed mremap (ENOMEM
// from an allocation, docs/failure.md) leaves its source so; whatever is
// mapped at the destination then was not moved there. (A move always takes
// the PTEs away from the source, DONTUNMAP included.)
bool not_moved(const SnapProc& b, const SnapProc& a, const SnapVma& vb, Page src) {
  const bool same_index = std::any_of(a.vmas.begin(), a.vmas.end(), [&](const SnapVma& va) {
    return va.start <= src && src < va.end && base(va) == base(vb);
  });
  return same_index && (!has_pte(b, src) || has_pte(a, src));
}

// mremap move: each faulted source page in [old, old+moved) has its old
// index at new + (p - old), unless the op did not move it (not_moved).
void check_moved(const SnapProc& b, const SnapProc& a, const Op& op, std::vector<Violation>& out) {
  const Page moved = std::min(op.npages, op.new_npages);
  for (const SnapVma& vb : b.vmas) {
    if (vb.anon_vma == 0) continue;  // unfaulted: copy_vma may reset pgoff
    const Page lo = std::max(vb.start, op.start);
    const Page hi = std::min(vb.end, op.start + moved);
    if (lo >= hi) continue;
    const Page dlo = op.new_start + (lo - op.start);
    const Page dhi = op.new_start + (hi - op.start);
    const Page want = base(vb) + op.start - op.new_start;  // base at the destination
    for (const SnapVma& va : a.vmas) {
      const Page l = std::max(va.start, dlo);
      const Page h = std::min(va.end, dhi);
      if (l >= h || base(va) == want) continue;
      Page q = l;
      while (q < h && not_moved(b, a, vb, op.start + (q - op.new_start))) ++q;
      if (q == h) continue;
      const Page src = op.start + (q - op.new_start);
      out.push_back({InvariantId::PgoffLinear, fmt::format("{} page {}", a.name, q),
                     fmt::format("mremap moved page {} (faulted vma {}, linear index {}) here, "
                                 "but its linear index is now {} (vma {})",
                                 src, vma_desc(vb), detail::linear_index(vb, src),
                                 detail::linear_index(va, q), vma_desc(va))});
    }
  }
}

}  // namespace

std::vector<Violation> check_transition(const Snapshot& before, const Op& op,
                                        const Snapshot& after) {
  std::vector<Violation> out;
  const std::string what(op_kind_name(op.kind));
  for (const SnapProc& a : after.procs) {
    const SnapProc* b = before.find_proc(a.name);
    if (b == nullptr) {
      if (op.kind == OpKind::Fork && a.name == op.child) {
        if (const SnapProc* parent = before.find_proc(op.proc)) check_fork(*parent, a, out);
      }
      continue;
    }
    std::vector<Range> excluded;
    const bool own = a.name == op.proc;
    if (own && op.kind == OpKind::Mmap) excluded.push_back({op.start, op.start + op.npages});
    if (own && op.kind == OpKind::Mremap) {
      if (op.new_start == op.start) {  // resize in place: the kept head keeps its indices
        const Page keep = std::min(op.npages, op.new_npages);
        excluded.push_back({op.start + keep, op.start + std::max(op.npages, op.new_npages)});
      } else {
        excluded.push_back({op.start, op.start + op.npages});
        excluded.push_back({op.new_start, op.new_start + op.new_npages});
        if (!(*b == a)) check_moved(*b, a, op, out);  // unchanged: the op failed
      }
    }
    compare_procs(*b, a, excluded, what, out);
  }
  return out;
}

}  // namespace rmapcheck
