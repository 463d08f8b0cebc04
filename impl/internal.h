// impl/internal.h - what impl/*.cpp share besides rmap.h and vma.h (like mm/internal.h).
//
// Synopsis
//   page table:   pte_offset_map, pte_alloc_map, set_pte_at, pte_clear
//   memory.cpp:   handle_mm_fault, zap_page_range_single, unmap_vmas,
//                 copy_page_range, move_page_tables, change_protection, folio_put
//   vmscan.cpp:   reclaim_pages, mem_cgroup_force_empty
//   vm_area_alloc/vm_area_dup/vm_area_free, vma_iter_prealloc (mmap.cpp)
//
// Contract: page numbers are addresses (see mm_types.h); functions that can
// fail an allocation return 0 or -ENOMEM (VM_FAULT_OOM for faults).
#pragma once

#include <cerrno>
#include <cstdint>
#include <vector>

#include "impl/rmap.h"

namespace rmapcheck::impl {

// --- the page table (memory.cpp) ---
pte_t* pte_offset_map(mm_struct* mm, Page addr);  // nullptr when no pte_table
// Allocates a page table (AllocSite::PageTable) if needed; nullptr on failure.
pte_t* pte_alloc_map(mm_struct* mm, Page addr);
void set_pte_at(mm_struct* mm, Page addr, pte_t* ptep, pte_t val);
void pte_clear(mm_struct* mm, Page addr, pte_t* ptep);  // frees the table when it empties

// --- faults and page-table walks (memory.cpp) ---
inline constexpr int VM_FAULT_OOM = 1;
// A fault on a present-or-not PTE at `addr` inside `vma` (access already checked).
int handle_mm_fault(vm_area_struct* vma, Page addr, bool write);
void zap_page_range_single(vm_area_struct* vma, Page start, Page end);
void unmap_vmas(vm_area_struct* const* vmas, std::size_t n, Page start, Page end);
int copy_page_range(vm_area_struct* dst_vma, vm_area_struct* src_vma);
// Moves the PTEs of [old_addr, old_addr+len) to new_addr; returns pages moved.
// The kernel's takes new_vma too (for huge PMDs and uffd); nothing here needs it.
Page move_page_tables(vm_area_struct* vma, Page old_addr, Page new_addr, Page len);
void change_protection(vm_area_struct* vma, Page start, Page end);
void folio_put(kernel_state& k, folio* f);
// The folio a present PTE names (nullptr: the zero page), checked live: a
// mutant that freed a mapped folio is caught by the pool (EngineFault, a
// use after free), never by reading poison.
inline folio* pte_folio(kernel_state& k, folio* f, const char* op) {
  if (f != nullptr) k.folio_cachep.check(f, op);
  return f;
}

// --- reclaim (vmscan.cpp) ---
// shrink_folio_list on each folio, in list order (see vmscan.cpp).
void reclaim_pages(kernel_state& k, const std::vector<folio*>& folio_list);
// `reclaim`: every folio of `mms` (given in process-name order).
void mem_cgroup_force_empty(kernel_state& k, const std::vector<mm_struct*>& mms);

// --- VMA objects (mmap.cpp) ---
vm_area_struct* vm_area_alloc(mm_struct* mm);
vm_area_struct* vm_area_dup(vm_area_struct* orig);
void vm_area_free(vm_area_struct* vma);
// The maple tree's node preallocation before a store (AllocSite::Prealloc).
int vma_iter_prealloc(mm_struct* mm);

// Tree helpers on mm->mm_mt (the maple tree API in our terms).
vm_area_struct* find_vma(mm_struct* mm, Page addr);            // first with vm_end > addr
vm_area_struct* vma_lookup(mm_struct* mm, Page addr);          // the one containing addr
vm_area_struct* vma_prev(mm_struct* mm, vm_area_struct* vma);  // tree predecessor
vm_area_struct* vma_next(mm_struct* mm, vm_area_struct* vma);  // tree successor
vm_area_struct* find_vma_intersection(mm_struct* mm, Page start, Page end);
void vma_iter_store(mm_struct* mm, vm_area_struct* vma);   // insert (map_count++)
void vma_iter_remove(mm_struct* mm, vm_area_struct* vma);  // erase (map_count--)

}  // namespace rmapcheck::impl
