// fork.cpp - fork: dup_mmap (mm/mmap.c in v6.18) and copy_page_range (kernel-spec §2.4).
#include "model/ops.h"

namespace rmapcheck::model {

namespace {

// copy_present_ptes for one VMA: zero-page PTEs are copied as they are;
// an anon folio gains a mapping (folio_try_dup_anon_rmap_pte), loses
// PageAnonExclusive, and both PTEs become read-only (COW).
void copy_page_range(State& s, Proc& parent, Proc& child, const Vma& src) {
  for (auto& [page, pte] : parent.ptes) {
    if (!src.contains(page)) continue;
    (void)alloc_fails(s, AllocSite::PageTable);
    if (!pte.zero) {
      s.folios.at(pte.folio).exclusive = false;
      pte.writable = false;
      s.hit(Branch::ForkPteShared);
    }
    child.ptes[page] = pte;
  }
}

}  // namespace

// dup_mmap: every parent VMA in address order. DONTCOPY is skipped,
// WIPEONFORK gives an empty child VMA, the rest go through anon_vma_fork;
// page tables are copied only when the parent VMA has an anon_vma
// (vma_needs_copy). No merge or split happens.
Result dup_mmap(State& s, const std::string& parent_name, const std::string& child_name) {
  if (s.procs.count(child_name)) return Result::error(EEXIST);
  if (static_cast<int>(s.procs.size()) >= s.max_procs) return Result::error(EAGAIN);
  Proc& child = s.procs[child_name];
  child.name = child_name;
  Proc& parent = s.procs.at(parent_name);
  for (Id id : vmas_in_order(parent)) {
    const Vma& src = vma_by_id(parent, id);
    if (src.flags & VM_DONTCOPY) {
      s.hit(Branch::ForkDontCopy);
      continue;
    }
    (void)alloc_fails(s, AllocSite::Vma);
    Vma tmp = src;  // vm_area_dup: the chain starts empty
    tmp.id = s.new_id();
    tmp.chain.clear();
    tmp.flags &= ~VM_LOCKED;
    Vma& dst = child.vmas[tmp.id] = tmp;
    if (dst.flags & VM_WIPEONFORK) {
      dst.anon_vma = 0;
      s.hit(Branch::ForkWipeOnFork);
      continue;
    }
    anon_vma_fork(s, dst, src);
    if (src.anon_vma != 0) copy_page_range(s, parent, child, src);
  }
  return Result::ok();
}

}  // namespace rmapcheck::model
