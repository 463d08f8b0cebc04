// impl/madvise.cpp - do_madvise for DONTNEED, PAGEOUT and the fork flags (mirrors
// mm/madvise.c, v6.18).
//
// madvise_walk_vmas: no VMA at or after start is ENOMEM at once; holes make
// the call return ENOMEM at the end, after every mapped part was handled.
#include <cerrno>
#include <vector>

#include "impl/internal.h"
#include "impl/vma.h"

namespace rmapcheck::impl {

namespace {

// madvise_pageout -> madvise_pageout_page_range ->
// madvise_cold_or_pageout_pte_range, per page table: present PTEs in address
// order; the zero page (vm_normal_folio NULL) and a folio mapped more than
// once ("Do not interfere with other mappings of this folio") are skipped,
// the rest isolated (every folio is on the LRU after lru_add_drain) and
// reclaimed at the end of each table (reclaim_pages). Never changes VMAs;
// failures (no swap slot) are not reported.
int madvise_pageout(vm_area_struct* vma, Page start, Page end) {
  if ((vma->vm_flags & VM_LOCKED) != 0) return -EINVAL;  // can_madv_lru_vma
  mm_struct* mm = vma->vm_mm;
  kernel_state& k = *mm->k;
  std::vector<folio*> folio_list;
  Page addr = start;
  while (addr < end) {
    const Page table_end = std::min(end, (addr / PTRS_PER_PTE + 1) * PTRS_PER_PTE);
    folio_list.clear();
    for (; addr < table_end; ++addr) {
      pte_t* pte = pte_offset_map(mm, addr);
      if (pte == nullptr) {  // pmd_none: the next table
        addr = table_end;
        break;
      }
      if (!pte->present || pte->page == nullptr) continue;
      folio* f = pte_folio(k, pte->page, "madvise_cold_or_pageout_pte_range");
      if (f->mapcount != 1) {
        k.hit(Branch::PageoutSkipShared);
        continue;
      }
      folio_list.push_back(f);
    }
    reclaim_pages(k, folio_list);
  }
  return 0;
}

// madvise_vma_behavior for one VMA piece [start,end).
int madvise_vma_behavior(vm_area_struct* vma, Page start, Page end, int behavior,
                         vm_area_struct** result) {
  *result = vma;
  kernel_state& k = *vma->vm_mm->k;
  vm_flags_t new_flags = vma->vm_flags;
  switch (behavior) {
    case MADV_PAGEOUT:
      return madvise_pageout(vma, start, end);
    case MADV_DONTNEED:
      // madvise_dontneed_single_vma: zap; the anon_vma and chain stay.
      if ((vma->vm_flags & VM_LOCKED) != 0) return -EINVAL;
      zap_page_range_single(vma, start, end);
      k.hit(Branch::MadviseDontNeed);
      return 0;
    case MADV_DONTFORK:
      new_flags |= VM_DONTCOPY;
      break;
    case MADV_DOFORK:
      new_flags &= ~VM_DONTCOPY;
      break;
    case MADV_WIPEONFORK:
      new_flags |= VM_WIPEONFORK;  // anonymous private: always allowed
      break;
    case MADV_KEEPONFORK:
      new_flags &= ~VM_WIPEONFORK;
      break;
    default:
      return -EINVAL;
  }
  // madvise_update_vma
  if (new_flags == vma->vm_flags) return 0;
  int err = 0;
  vm_area_struct* v = vma_modify_flags(vma_prev(vma->vm_mm, vma), vma, start, end, new_flags, &err);
  if (v == nullptr) return err;
  v->vm_flags = new_flags;
  *result = v;
  return 0;
}

}  // namespace

int madv_behavior(Advice a) {
  switch (a) {
    case Advice::DontNeed:
      return MADV_DONTNEED;
    case Advice::DontFork:
      return MADV_DONTFORK;
    case Advice::DoFork:
      return MADV_DOFORK;
    case Advice::WipeOnFork:
      return MADV_WIPEONFORK;
    case Advice::KeepOnFork:
      return MADV_KEEPONFORK;
  }
  return -1;
}

// do_madvise + madvise_walk_vmas
int do_madvise(mm_struct* mm, Page start, Page len, int behavior) {
  if (len == 0) return 0;
  const Page end = start + len;
  int unmapped_error = 0;
  vm_area_struct* vma = find_vma(mm, start);
  for (;;) {
    if (vma == nullptr) return -ENOMEM;
    if (start < vma->vm_start) {
      unmapped_error = -ENOMEM;
      start = vma->vm_start;
      if (start >= end) break;
    }
    const Page tmp = std::min(vma->vm_end, end);
    vm_area_struct* prev = nullptr;
    int error = madvise_vma_behavior(vma, start, tmp, behavior, &prev);
    if (error != 0) return error;
    start = tmp;
    if (start < prev->vm_end) start = prev->vm_end;
    if (start >= end) break;
    vma = find_vma(mm, prev->vm_end);
  }
  return unmapped_error;
}

}  // namespace rmapcheck::impl
