// impl/memory.cpp - page tables, faults, COW, swap-in, zap, fork copy, page-table moves
// (mirrors mm/memory.c).
//
// Order-0 folios only; refcount == mapcount + (in the swap cache ? 1 : 0)
// between operations (no GUP, KSM merging or LRU batches), which is what
// wp_can_reuse_anon_folio and do_swap_page test. The zero page is a present,
// read-only PTE with no folio. A swap PTE names a slot (impl/swapfile.h);
// do_swap_page brings it back.
#include <cerrno>

#include "impl/internal.h"
#include "impl/swap_state.h"
#include "impl/vma.h"

namespace rmapcheck::impl {

namespace {
void mark_used(pte_table* t, Page addr, bool used) {
  const Page i = addr % PTRS_PER_PTE;
  const std::uint64_t bit = std::uint64_t{1} << (i % 64);
  if (used) {
    t->used[i / 64] |= bit;
  } else {
    t->used[i / 64] &= ~bit;
  }
}
}  // namespace

pte_t* pte_offset_map(mm_struct* mm, Page addr) {
  pte_table* t = pmd_table(mm, addr / PTRS_PER_PTE);
  return t == nullptr ? nullptr : &t->pte[addr % PTRS_PER_PTE];
}

// pte_alloc + pte_offset_map
pte_t* pte_alloc_map(mm_struct* mm, Page addr) {
  const Page t = addr / PTRS_PER_PTE;
  if (t >= mm->pmd.size()) mm->pmd.resize(t + 1);
  auto& slot = mm->pmd[t];
  if (slot == nullptr) {
    if (mm->k->should_fail_alloc(AllocSite::PageTable)) return nullptr;
    slot = std::make_unique<pte_table>();
  }
  return &slot->pte[addr % PTRS_PER_PTE];
}

void set_pte_at(mm_struct* mm, Page addr, pte_t* ptep, pte_t val) {
  pte_table* t = pmd_table(mm, addr / PTRS_PER_PTE);
  if (pte_none(*ptep) != pte_none(val)) mark_used(t, addr, !pte_none(val));
  *ptep = val;
}

// pte_clear; an emptied table (no present and no swap PTE left) is freed
// at once (the kernel frees tables in free_pgtables/reclaim_pt; only
// AllocSite::PageTable counting can tell).
void pte_clear(mm_struct* mm, Page addr, pte_t* ptep) {
  auto& slot = mm->pmd[addr / PTRS_PER_PTE];
  if (!pte_none(*ptep)) mark_used(slot.get(), addr, false);
  *ptep = pte_t{};
  if (slot->empty()) slot.reset();
}

// folio_put: the last reference frees the folio.
void folio_put(kernel_state& k, folio* f) {
  if (--f->refcount == 0) k.folio_cachep.free(f, "folio_put");
}

static folio* folio_alloc(kernel_state& k) {
  if (k.should_fail_alloc(AllocSite::Folio)) return nullptr;
  folio* f = k.folio_cachep.alloc();
  f->id = k.next_id++;
  f->refcount = 1;
  return f;
}

// do_anonymous_page: a read maps the zero page (no anon_vma_prepare); a
// write prepares the anon_vma and maps a new exclusive folio.
static int do_anonymous_page(vm_area_struct* vma, Page addr, bool write) {
  mm_struct* mm = vma->vm_mm;
  kernel_state& k = *mm->k;
  pte_t* pte = pte_alloc_map(mm, addr);
  if (pte == nullptr) return VM_FAULT_OOM;
  if (!write) {
    set_pte_at(mm, addr, pte, pfn_pte(nullptr, false));
    k.hit(Branch::ZeroPageRead);
    return 0;
  }
  if (anon_vma_prepare(vma) != 0) return VM_FAULT_OOM;  // vmf_anon_prepare
  folio* f = folio_alloc(k);
  if (f == nullptr) return VM_FAULT_OOM;
  folio_add_new_anon_rmap(f, vma, addr, true);
  set_pte_at(mm, addr, pte, pfn_pte(f, (vma->vm_flags & VM_WRITE) != 0));
  k.hit(Branch::NewAnonFolio);
  return 0;
}

// wp_can_reuse_anon_folio (order-0), in the kernel's order: the early
// refcount tests, then (folio locked) the swap cache is freed if no swap PTE
// holds the slot any more, and only a folio whose one reference is our
// mapping is reused. refcount = mapcount + the swap cache's reference.
static bool wp_can_reuse_anon_folio(folio* f, vm_area_struct* vma) {
  kernel_state& k = *vma->vm_mm->k;
  if (k.has(Mutant::CowReuseShared)) {
    folio_move_anon_rmap(f, vma);
    return true;
  }
  if (f->refcount > 3) return false;
  if (f->refcount > 1 + (folio_test_swapcache(f) ? 1 : 0)) return false;
  bool freed = false;
  if (folio_test_swapcache(f)) freed = folio_free_swap(k, f);
  if (f->refcount != 1) return false;
  if (freed) k.hit(Branch::CowReuseFreedSwapCache);
  folio_move_anon_rmap(f, vma);
  return true;
}

// wp_page_copy: a private copy (zero-filled for the zero page) under
// vma->anon_vma; the old folio loses one mapping.
static int wp_page_copy(vm_area_struct* vma, Page addr, pte_t* pte) {
  mm_struct* mm = vma->vm_mm;
  kernel_state& k = *mm->k;
  folio* old = pte->page;
  if (anon_vma_prepare(vma) != 0) return VM_FAULT_OOM;  // vmf_anon_prepare
  folio* nf = folio_alloc(k);
  if (nf == nullptr) return VM_FAULT_OOM;
  nf->value = old != nullptr ? old->value : 0;
  folio_add_new_anon_rmap(nf, vma, addr, true);
  set_pte_at(mm, addr, pte, pfn_pte(nf, true));
  if (old != nullptr) {
    folio_remove_rmap_pte(old);
    // free_swap_cache(old_folio) before the last put: an old folio left
    // unmapped in the swap cache with no swap PTE on its slot goes.
    free_swap_cache(k, old);
    folio_put(k, old);
    k.hit(Branch::CowCopy);
  } else {
    k.hit(Branch::CowCopyZeroPage);
  }
  return 0;
}

// do_wp_page: write to a present read-only PTE of a private VMA.
static int do_wp_page(vm_area_struct* vma, Page addr, pte_t* pte) {
  kernel_state& k = *vma->vm_mm->k;
  folio* f = pte_folio(k, pte->page, "do_wp_page");  // vm_normal_page: NULL for the zero page
  if (f != nullptr && folio_test_anon(f)) {
    if (f->anon_exclusive) {
      pte->write = true;  // wp_page_reuse (unreachable here, see coverage.h)
      return 0;
    }
    if (wp_can_reuse_anon_folio(f, vma)) {
      f->anon_exclusive = true;  // SetPageAnonExclusive
      pte->write = true;
      k.hit(Branch::CowReuseSoleMapper);
      return 0;
    }
  }
  return wp_page_copy(vma, addr, pte);
}

// ksm_might_need_to_copy (mm/ksm.c) for a non-KSM folio found in the swap
// cache: reusable only where its anon rmap says it belongs (same linear
// index, same anon_vma root); else a copy. The safety net: a correct kernel
// never needs the copy for a non-KSM folio, so a copy here means the cached
// folio's index or anon_vma went wrong (I-SWAPPTE-CHAIN says which).
static folio* ksm_might_need_to_copy(kernel_state& k, folio* f, vm_area_struct* vma, Page addr) {
  anon_vma* av = folio_anon_vma(f);
  if (av == nullptr) return f;  // fresh from swapin_readahead: not anon yet
  anon_vma_check(k, av, "ksm_might_need_to_copy");
  if (f->index == linear_page_index(vma, addr) && av->root == vma->anon_vma->root) return f;
  folio* nf = folio_alloc(k);
  if (nf == nullptr) return nullptr;
  nf->value = f->value;
  return nf;
}

// should_try_to_free_swap: a write fault, and the only references are the
// swap cache's and ours (no PTE maps it). VM_LOCKED and a full swap device
// would also say yes; no op sets VM_LOCKED and the device is never full.
static bool should_try_to_free_swap(const folio* f, bool write) {
  return folio_test_swapcache(f) && write && f->refcount == 2;
}

// do_swap_page: a fault on a swap PTE (access already checked). The three
// ways in: the slot's folio is in the swap cache (hit); it is not and this
// is the slot's only PTE (SWP_SYNCHRONOUS_IO bypass: a private folio, never
// cached); it is not and others hold the slot too (swapin_readahead with
// page-cluster 0: a new folio in the swap cache). Then the PTE is mapped
// writable iff the page is certainly exclusive and the VMA is VM_WRITE.
static int do_swap_page(vm_area_struct* vma, Page addr, bool write, pte_t* ptep) {
  mm_struct* mm = vma->vm_mm;
  kernel_state& k = *mm->k;
  const pte_t orig = *ptep;
  const swp_entry_t entry = orig.swp;
  // A swap PTE's VMA has an anon_vma (the PTE came from a folio under it,
  // or fork/mremap cloned it); the kernel would oops below without one.
  if (vma->anon_vma == nullptr)
    throw EngineFault("do_swap_page: swap PTE in a VMA with no anon_vma");

  folio* swapcache = swap_cache_get_folio(k, entry);
  folio* f = swapcache;
  bool need_clear_cache = false;
  if (f != nullptr) {
    pte_folio(k, f, "do_swap_page");
    f->refcount++;  // swap_cache_get_folio's reference
    k.hit(Branch::SwapInCacheHit);
  } else if (__swap_count(k, entry) == 1) {
    // SWP_SYNCHRONOUS_IO and __swap_count == 1: skip the swap cache.
    f = folio_alloc(k);  // alloc_swap_folio
    if (f == nullptr) return VM_FAULT_OOM;
    // swapcache_prepare: SWAP_HAS_CACHE pins the slot for the fault only.
    k.si.swap_map[entry.val] |= SWAP_HAS_CACHE;
    need_clear_cache = true;
    f->value = k.si.contents[entry.val];  // swap_read_folio (zram: synchronous)
    k.hit(Branch::SwapInBypass);
  } else {
    // swapin_readahead -> __read_swap_cache_async: allocate, swapcache_prepare,
    // swap_cache_add_folio, read.
    f = folio_alloc(k);
    if (f == nullptr) return VM_FAULT_OOM;
    k.si.swap_map[entry.val] |= SWAP_HAS_CACHE;
    swap_cache_add_folio(k, f, entry);
    f->value = k.si.contents[entry.val];
    swapcache = f;
    k.hit(Branch::SwapInCacheMiss);
  }

  if (swapcache != nullptr) {
    f = ksm_might_need_to_copy(k, f, vma, addr);
    if (f == nullptr) {
      folio_put(k, swapcache);
      return VM_FAULT_OOM;
    }
  }

  // check_folio: certainly exclusive if fresh (not exposed to the swap
  // cache), else as the swap PTE says.
  bool exclusive = orig.swp_exclusive;
  if (f != swapcache) exclusive = true;

  // swap_free_nr, then maybe folio_free_swap (should_try_to_free_swap).
  swap_free(k, entry);
  if (should_try_to_free_swap(f, write)) folio_free_swap(k, f);

  // As do_wp_page decides, shortcut for the certainly exclusive: fresh, or
  // the swap PTE said so, or ours is the one reference left.
  bool writable = false;
  bool rmap_exclusive = false;
  if (exclusive || f->refcount == 1) {
    if ((vma->vm_flags & VM_WRITE) != 0) {
      writable = true;
      if (!write) k.hit(Branch::SwapInWritableOnRead);
    }
    rmap_exclusive = true;
  }

  // Our reference becomes the PTE's.
  if (f != swapcache && swapcache != nullptr) {
    folio_add_new_anon_rmap(f, vma, addr, true);  // ksm created a new copy
  } else if (!folio_test_anon(f)) {
    folio_add_new_anon_rmap(f, vma, addr, rmap_exclusive);
  } else {
    folio_add_anon_rmap_pte(f, vma, addr, rmap_exclusive);
  }
  set_pte_at(mm, addr, ptep, pfn_pte(f, writable));
  if (f != swapcache && swapcache != nullptr) folio_put(k, swapcache);
  // swapcache_clear: the bypass's pin goes; the slot is freed with it.
  if (need_clear_cache) put_swap_folio(k, entry);

  if (write && !writable) return do_wp_page(vma, addr, ptep);
  return 0;
}

// handle_mm_fault -> handle_pte_fault
int handle_mm_fault(vm_area_struct* vma, Page addr, bool write) {
  pte_t* pte = pte_offset_map(vma->vm_mm, addr);
  if (pte == nullptr || pte_none(*pte)) return do_anonymous_page(vma, addr, write);
  if (!pte->present) return do_swap_page(vma, addr, write, pte);
  if (write && !pte->write) return do_wp_page(vma, addr, pte);
  return 0;
}

// zap_pte_range over [start,end) of one VMA.
void zap_page_range_single(vm_area_struct* vma, Page start, Page end) {
  mm_struct* mm = vma->vm_mm;
  kernel_state& k = *mm->k;
  start = std::max(start, vma->vm_start);
  end = std::min(end, vma->vm_end);
  Page addr = start;
  while (addr < end) {
    const Page table_end = std::min(end, (addr / PTRS_PER_PTE + 1) * PTRS_PER_PTE);
    if (pmd_table(mm, addr / PTRS_PER_PTE) == nullptr) {  // pmd_none: skip the table
      addr = table_end;
      continue;
    }
    for (; addr < table_end; ++addr) {
      pte_t* pte = pte_offset_map(mm, addr);
      if (pte == nullptr) {  // the table was freed when it emptied
        addr = table_end;
        break;
      }
      if (pte_none(*pte)) continue;
      if (!pte->present) {
        // zap_nonpresent_ptes: a genuine swap entry (should_zap_cows).
        const swp_entry_t entry = pte->swp;
        pte_clear(mm, addr, pte);
        free_swap_and_cache(k, entry);
        k.hit(Branch::ZapSwapPte);
        continue;
      }
      folio* f = pte_folio(k, pte->page, "zap_pte_range");
      pte_clear(mm, addr, pte);
      if (f != nullptr) {
        folio_remove_rmap_pte(f);
        // free_pages_and_swap_cache: free_swap_cache, then the PTE's reference.
        free_swap_cache(k, f);
        folio_put(k, f);
      }
    }
  }
}

void unmap_vmas(vm_area_struct* const* vmas, std::size_t n, Page start, Page end) {
  for (std::size_t i = 0; i < n; ++i) zap_page_range_single(vmas[i], start, end);
}

// copy_page_range: only when the parent VMA has an anon_vma (vma_needs_copy);
// copy_present_ptes shares anon pages (exclusive cleared, both PTEs
// write-protected: a COW mapping) and copies zero-page PTEs as they are;
// copy_nonpresent_pte shares swap entries (swap_duplicate, exclusive bit
// cleared in both).
int copy_page_range(vm_area_struct* dst_vma, vm_area_struct* src_vma) {
  if (src_vma->anon_vma == nullptr) return 0;
  mm_struct* src_mm = src_vma->vm_mm;
  mm_struct* dst_mm = dst_vma->vm_mm;
  kernel_state& k = *src_mm->k;
  Page addr = src_vma->vm_start;
  while (addr < src_vma->vm_end) {
    const Page table_end = std::min(src_vma->vm_end, (addr / PTRS_PER_PTE + 1) * PTRS_PER_PTE);
    if (pmd_table(src_mm, addr / PTRS_PER_PTE) == nullptr) {
      addr = table_end;
      continue;
    }
    if (pte_alloc_map(dst_mm, addr) == nullptr) return -ENOMEM;
    pte_table& src_table = *pmd_table(src_mm, addr / PTRS_PER_PTE);
    pte_table& dst_table = *pmd_table(dst_mm, addr / PTRS_PER_PTE);
    for (; addr < table_end; ++addr) {
      pte_t* src = &src_table.pte[addr % PTRS_PER_PTE];
      if (pte_none(*src)) continue;
      pte_t* dst = &dst_table.pte[addr % PTRS_PER_PTE];
      if (!src->present) {
        // copy_nonpresent_pte, a genuine swap entry: one more swap PTE on the
        // slot, and "Mark the swap entry as shared": the PageAnonExclusive
        // the swap PTE carried is no longer true for either side.
        if (!k.has(Mutant::CopyNonpresentNoSwapDuplicate)) swap_duplicate(k, src->swp);
        if (!k.has(Mutant::ForkKeepsSwapExclusive)) src->swp_exclusive = false;
        set_pte_at(dst_mm, addr, dst, *src);
        k.hit(Branch::ForkSwapPte);
        continue;
      }
      if (pte_folio(k, src->page, "copy_present_pte") != nullptr) {
        src->page->refcount++;  // folio_get
        folio_try_dup_anon_rmap_pte(src->page);
        src->write = false;  // ptep_set_wrprotect
        k.hit(Branch::ForkPteShared);
      }
      set_pte_at(dst_mm, addr, dst, pfn_pte(src->page, false));
    }
  }
  return 0;
}

// move_page_tables -> move_ptes: PTEs move as they are, swap PTEs too (slot
// and exclusive bit; counts and the swap cache untouched); folios are not
// touched: copy_vma kept the linear pgoff of a faulted VMA, so a folio's
// index (also a swap-cached one's) stays right at the new address.
Page move_page_tables(vm_area_struct* vma, Page old_addr, Page new_addr, Page len) {
  mm_struct* mm = vma->vm_mm;
  kernel_state& k = *mm->k;
  Page moved = 0;
  for (; moved < len; ++moved) {
    pte_t* src = pte_offset_map(mm, old_addr + moved);
    if (src == nullptr || pte_none(*src)) continue;
    pte_t* dst = pte_alloc_map(mm, new_addr + moved);
    if (dst == nullptr) break;
    src = pte_offset_map(mm, old_addr + moved);  // the table may be new
    if (src == nullptr) break;
    const pte_t val = *src;
    if (is_swap_pte(val)) {
      k.hit(Branch::MremapMoveSwapPte);
      if (k.has(Mutant::MremapSwapcacheWrongIndex)) {
        // The class of c50f8e6053b0 (UFFDIO_MOVE): the cached folio's index
        // rewritten to the new virtual page, not kept linear.
        if (folio* f = swap_cache_get_folio(k, val.swp)) f->index = new_addr + moved;
      }
    }
    // Install first: both may share one pte_table, which pte_clear frees
    // when it empties.
    set_pte_at(mm, new_addr + moved, dst, val);
    pte_clear(mm, old_addr + moved, pte_offset_map(mm, old_addr + moved));
  }
  return moved;
}

// change_protection over [start,end): write-protect when VM_WRITE is gone;
// with VM_WRITE, make exclusive anon pages writable again
// (can_change_pte_writable) and leave shared and zero-page PTEs read-only.
void change_protection(vm_area_struct* vma, Page start, Page end) {
  mm_struct* mm = vma->vm_mm;
  const bool writable = (vma->vm_flags & VM_WRITE) != 0;
  Page addr = start;
  while (addr < end) {
    const Page table_end = std::min(end, (addr / PTRS_PER_PTE + 1) * PTRS_PER_PTE);
    pte_table* t = pmd_table(mm, addr / PTRS_PER_PTE);
    if (t == nullptr) {
      addr = table_end;
      continue;
    }
    pte_table& table = *t;
    for (; addr < table_end; ++addr) {
      pte_t* pte = &table.pte[addr % PTRS_PER_PTE];
      if (!pte->present) continue;
      if (!writable) {
        pte->write = false;
      } else if (!pte->write && pte_folio(*mm->k, pte->page, "change_pte_range") != nullptr &&
                 folio_test_anon(pte->page) && pte->page->anon_exclusive) {
        pte->write = true;
      }
    }
  }
}

// The user's access, as the CPU and do_user_addr_fault see it.
Fault user_read(mm_struct* mm, Page addr, std::uint64_t* value) {
  vm_area_struct* vma = vma_lookup(mm, addr);
  if (vma == nullptr || (vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC)) == 0) return Fault::Segv;
  pte_t* pte = pte_offset_map(mm, addr);
  while (pte == nullptr || !pte->present) {
    // VM_FAULT_OOM: pagefault_out_of_memory, the access is retried (an
    // injected failure fires once).
    handle_mm_fault(vma, addr, false);
    pte = pte_offset_map(mm, addr);
  }
  folio* f = pte_folio(*mm->k, pte->page, "user_read");
  *value = f != nullptr ? f->value : 0;
  return Fault::Ok;
}

Fault user_write(mm_struct* mm, Page addr, std::uint64_t value) {
  vm_area_struct* vma = vma_lookup(mm, addr);
  if (vma == nullptr || (vma->vm_flags & VM_WRITE) == 0) return Fault::Segv;
  pte_t* pte = pte_offset_map(mm, addr);
  while (pte == nullptr || !pte->present || !pte->write) {
    handle_mm_fault(vma, addr, true);
    pte = pte_offset_map(mm, addr);
  }
  pte_folio(*mm->k, pte->page, "user_write")->value = value;
  return Fault::Ok;
}

}  // namespace rmapcheck::impl
