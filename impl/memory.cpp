// impl/memory.cpp - page tables, faults, COW, zap, fork copy, page-table moves
// (mirrors mm/memory.c).
//
// Order-0 folios only; refcount == number of PTEs mapping the folio (no swap
// cache, GUP, KSM or LRU batches), which is what wp_can_reuse_anon_folio
// tests. The zero page is a present, read-only PTE with no folio.
#include <cerrno>

#include "impl/internal.h"
#include "impl/vma.h"

namespace rmapcheck::impl {

namespace {
void mark_present(pte_table* t, Page addr, bool present) {
  const Page i = addr % PTRS_PER_PTE;
  const std::uint64_t bit = std::uint64_t{1} << (i % 64);
  if (present) {
    t->present[i / 64] |= bit;
  } else {
    t->present[i / 64] &= ~bit;
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
  if (ptep->present != val.present) mark_present(t, addr, val.present);
  *ptep = val;
}

// pte_clear; an emptied table is freed at once (the kernel frees tables in
// free_pgtables/reclaim_pt; only AllocSite::PageTable counting can tell).
void pte_clear(mm_struct* mm, Page addr, pte_t* ptep) {
  auto& slot = mm->pmd[addr / PTRS_PER_PTE];
  if (ptep->present) mark_present(slot.get(), addr, false);
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
    set_pte_at(mm, addr, pte, pte_t{nullptr, true, false});
    k.hit(Branch::ZeroPageRead);
    return 0;
  }
  if (anon_vma_prepare(vma) != 0) return VM_FAULT_OOM;  // vmf_anon_prepare
  folio* f = folio_alloc(k);
  if (f == nullptr) return VM_FAULT_OOM;
  folio_add_new_anon_rmap(f, vma, addr, true);
  set_pte_at(mm, addr, pte, pte_t{f, true, (vma->vm_flags & VM_WRITE) != 0});
  k.hit(Branch::NewAnonFolio);
  return 0;
}

// wp_can_reuse_anon_folio (order-0): the only reference is our mapping.
static bool wp_can_reuse_anon_folio(folio* f, vm_area_struct* vma) {
  const bool shared_ok = vma->vm_mm->k->has(Mutant::CowReuseShared);
  if (f->refcount != 1 && !shared_ok) return false;
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
  set_pte_at(mm, addr, pte, pte_t{nf, true, true});
  if (old != nullptr) {
    folio_remove_rmap_pte(old);
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
  folio* f = pte->page;  // vm_normal_page: NULL for the zero page
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

// handle_mm_fault -> handle_pte_fault
int handle_mm_fault(vm_area_struct* vma, Page addr, bool write) {
  pte_t* pte = pte_offset_map(vma->vm_mm, addr);
  if (pte == nullptr || !pte->present) return do_anonymous_page(vma, addr, write);
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
      if (!pte->present) continue;
      folio* f = pte->page;
      pte_clear(mm, addr, pte);
      if (f != nullptr) {
        folio_remove_rmap_pte(f);
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
// write-protected: a COW mapping) and copies zero-page PTEs as they are.
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
      if (!src->present) continue;
      pte_t* dst = &dst_table.pte[addr % PTRS_PER_PTE];
      if (src->page != nullptr) {
        src->page->refcount++;  // folio_get
        folio_try_dup_anon_rmap_pte(src->page);
        src->write = false;  // ptep_set_wrprotect
        k.hit(Branch::ForkPteShared);
      }
      set_pte_at(dst_mm, addr, dst, pte_t{src->page, true, false});
    }
  }
  return 0;
}

// move_page_tables: PTEs move as they are; folios are not touched.
Page move_page_tables(vm_area_struct* vma, Page old_addr, Page new_addr, Page len) {
  mm_struct* mm = vma->vm_mm;
  Page moved = 0;
  for (; moved < len; ++moved) {
    pte_t* src = pte_offset_map(mm, old_addr + moved);
    if (src == nullptr || !src->present) continue;
    pte_t* dst = pte_alloc_map(mm, new_addr + moved);
    if (dst == nullptr) break;
    src = pte_offset_map(mm, old_addr + moved);  // the table may be new
    if (src == nullptr) break;
    const pte_t val = *src;
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
      } else if (!pte->write && pte->page != nullptr && folio_test_anon(pte->page) &&
                 pte->page->anon_exclusive) {
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
  *value = pte->page != nullptr ? pte->page->value : 0;
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
  pte->page->value = value;
  return Fault::Ok;
}

}  // namespace rmapcheck::impl
