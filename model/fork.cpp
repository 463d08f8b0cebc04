// fork.cpp - fork: dup_mmap (mm/mmap.c in v6.18) and copy_page_range (docs/kernel/fork.md).
#include <algorithm>

#include "model/ops.h"

namespace rmapcheck::model {

namespace {

// copy_page_range for one VMA, one page table at a time: the child's table
// is allocated (if it has none there yet) for every table the parent has
// in the VMA's range, even one with no PTE in it. Then
// copy_present_ptes: zero-page PTEs are copied as they are; an anon folio
// gains a mapping (folio_try_dup_anon_rmap_pte), loses PageAnonExclusive,
// and both PTEs become read-only (COW); a swap PTE is copied by
// copy_nonpresent_pte. A failed table allocation stops
// the copy: the tables already copied stay copied (and the parent's PTEs
// write-protected).
int copy_page_range(State& s, Proc& parent, Proc& child, const Vma& src) {
  for (Page t = table_of(src.start); t <= table_of(src.end - 1); ++t) {
    if (!parent.pte_tables.count(t)) continue;  // pmd_none: nothing to copy
    if (!child.pte_tables.count(t)) {
      if (alloc_fails(s, AllocSite::PageTable)) return -ENOMEM;
      child.pte_tables.insert(t);
    }
    const Page from = std::max(src.start, t * kPtesPerTable);
    const Page to = std::min(src.end, (t + 1) * kPtesPerTable);
    for (auto it = parent.ptes.lower_bound(from); it != parent.ptes.end() && it->first < to; ++it) {
      Pte& pte = it->second;
      if (pte.is_swap()) {
        // copy_nonpresent_pte: swap_duplicate (the count is derived: one more
        // swap PTE) and the exclusive bit cleared in parent and child.
        pte.swp_exclusive = false;
        s.hit(Branch::ForkSwapPte);
      } else if (!pte.zero) {
        s.folios.at(pte.folio).exclusive = false;
        pte.writable = false;
        s.hit(Branch::ForkPteShared);
      }
      child.ptes[it->first] = pte;
    }
  }
  return 0;
}

// The loop of dup_mmap: every parent VMA in address order. DONTCOPY is
// skipped, WIPEONFORK gives an empty child VMA, the rest go through
// anon_vma_fork; page tables are copied only when the parent VMA has an
// anon_vma (vma_needs_copy). No merge or split happens.
// Allocations per VMA: the VMA (vm_area_dup), anon_vma_fork's, then the
// page tables. A failed VMA or anon_vma_fork leaves that VMA out of the
// child; a failed page table leaves the VMA in, partly copied.
int dup_mmap_vmas(State& s, Proc& parent, Proc& child) {
  for (Id id : vmas_in_order(parent)) {
    const Vma& src = vma_by_id(parent, id);
    if (src.flags & VM_DONTCOPY) {
      s.hit(Branch::ForkDontCopy);
      continue;
    }
    if (alloc_fails(s, AllocSite::Vma)) return -ENOMEM;
    Vma tmp = src;  // vm_area_dup: the chain starts empty
    tmp.id = s.new_id();
    tmp.chain.clear();
    tmp.flags &= ~VM_LOCKED;
    if (tmp.flags & VM_WIPEONFORK) {
      tmp.anon_vma = 0;
      child.vmas[tmp.id] = tmp;
      s.hit(Branch::ForkWipeOnFork);
      continue;
    }
    if (int err = anon_vma_fork(s, tmp, src)) return err;  // tmp is freed
    child.vmas[tmp.id] = tmp;
    if (src.anon_vma != 0) {
      if (int err = copy_page_range(s, parent, child, src)) return err;
    }
  }
  return 0;
}

}  // namespace

// dup_mmap (via copy_process -> dup_mm). On failure copy_process drops
// the half-built child mm (mmput -> exit_mmap): every VMA copied so far is
// unmapped and unlinked, so no child remains and fork returns ENOMEM. The
// parent is NOT unchanged: the PTEs already copied stay write-protected and
// their folios non-exclusive (copy_present_ptes is not undone), and an
// anon_vma reused or allocated for the child is gone again.
Result dup_mmap(State& s, const std::string& parent_name, const std::string& child_name) {
  if (s.procs.count(child_name)) return Result::error(EEXIST);
  if (static_cast<int>(s.procs.size()) >= s.max_procs) return Result::error(EAGAIN);
  Proc& child = s.procs[child_name];
  child.name = child_name;
  if (int err = dup_mmap_vmas(s, s.procs.at(parent_name), child)) {
    exit_mmap(s, child_name);
    return Result::error(-err);
  }
  return Result::ok();
}

}  // namespace rmapcheck::model
