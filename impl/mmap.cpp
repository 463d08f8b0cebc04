// impl/mmap.cpp - VMA objects, the VMA index, mmap_region, dup_mmap, exit_mmap.
//
// Mirrors mm/mmap.c and mm/vma.c's __mmap_region (v6.18): the old mappings
// under a MAP_FIXED range are gathered (split at the edges), their PTEs
// zapped and their anon_vmas unlinked BEFORE the merge attempt
// (vms_clean_up_area in __mmap_prepare); then merge or a new VMA.
#include <cerrno>
#include <vector>

#include "impl/internal.h"
#include "impl/vma.h"

namespace rmapcheck::impl {

// vm_area_alloc
vm_area_struct* vm_area_alloc(mm_struct* mm) {
  kernel_state& k = *mm->k;
  if (k.should_fail_alloc(AllocSite::Vma)) return nullptr;
  vm_area_struct* vma = k.vm_area_cachep.alloc();
  vma->vm_mm = mm;
  return vma;
}

// vm_area_dup: copies the fields, including the anon_vma POINTER, but the
// new VMA's avc list starts empty (callers clone it).
vm_area_struct* vm_area_dup(vm_area_struct* orig) {
  vm_area_struct* vma = vm_area_alloc(orig->vm_mm);
  if (vma == nullptr) return nullptr;
  vma->vm_start = orig->vm_start;
  vma->vm_end = orig->vm_end;
  vma->vm_pgoff = orig->vm_pgoff;
  vma->vm_flags = orig->vm_flags;
  vma->anon_vma = orig->anon_vma;
  return vma;
}

void vm_area_free(vm_area_struct* vma) {
  vma->vm_mm->k->vm_area_cachep.free(vma, "vm_area_free");
}

int vma_iter_prealloc(mm_struct* mm) {
  return mm->k->should_fail_alloc(AllocSite::Prealloc) ? -ENOMEM : 0;
}

vm_area_struct* find_vma(mm_struct* mm, Page addr) {
  auto it = mm->mm_mt.upper_bound(addr);  // first with vm_start > addr
  if (it != mm->mm_mt.begin()) {
    auto prev = std::prev(it);
    if (prev->vm_end > addr) return &*prev;
  }
  return it == mm->mm_mt.end() ? nullptr : &*it;
}

vm_area_struct* vma_lookup(mm_struct* mm, Page addr) {
  vm_area_struct* vma = find_vma(mm, addr);
  return vma != nullptr && vma->vm_start <= addr ? vma : nullptr;
}

vm_area_struct* vma_prev(mm_struct* mm, vm_area_struct* vma) {
  auto it = mm->mm_mt.iterator_to(*vma);
  return it == mm->mm_mt.begin() ? nullptr : &*std::prev(it);
}

vm_area_struct* vma_next(mm_struct* mm, vm_area_struct* vma) {
  auto it = std::next(mm->mm_mt.iterator_to(*vma));
  return it == mm->mm_mt.end() ? nullptr : &*it;
}

vm_area_struct* find_vma_intersection(mm_struct* mm, Page start, Page end) {
  vm_area_struct* vma = find_vma(mm, start);
  return vma != nullptr && vma->vm_start < end ? vma : nullptr;
}

void vma_iter_store(mm_struct* mm, vm_area_struct* vma) {
  mm->mm_mt.insert_equal(*vma);
  mm->map_count++;
}

void vma_iter_remove(mm_struct* mm, vm_area_struct* vma) {
  mm->mm_mt.erase(mm->mm_mt.iterator_to(*vma));
  mm->map_count--;
}

// __mmap_region for MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED.
int mmap_region(mm_struct* mm, Page addr, Page len, vm_flags_t vm_flags) {
  const Page end = addr + len;

  // __mmap_prepare: gather what the range overlaps (vms_gather_munmap_vmas).
  std::vector<vm_area_struct*> detach;
  if (vm_area_struct* vma = find_vma_intersection(mm, addr, end)) {
    if (addr > vma->vm_start && __split_vma(vma, addr, true) != 0) return -ENOMEM;
    for (vm_area_struct* next = find_vma_intersection(mm, addr, end); next != nullptr;
         next = find_vma_intersection(mm, next->vm_end, end)) {
      if (next->vm_end > end && __split_vma(next, end, false) != 0) return -ENOMEM;
      detach.push_back(next);
    }
    for (vm_area_struct* v : detach) vma_iter_remove(mm, v);
  }
  vm_area_struct* next = find_vma(mm, end);
  vm_area_struct* prev =
      next != nullptr ? vma_prev(mm, next) : (mm->mm_mt.empty() ? nullptr : &*mm->mm_mt.rbegin());

  // accountable_mapping: private writable without MAP_NORESERVE.
  if ((vm_flags & (VM_NORESERVE | VM_WRITE)) == VM_WRITE) vm_flags |= VM_ACCOUNT;

  // vms_clean_up_area: the old PTEs and anon links go before the merge.
  if (!detach.empty()) {
    unmap_vmas(detach.data(), detach.size(), addr, end);
    for (vm_area_struct* v : detach) unlink_anon_vmas(v);
  }

  vm_area_struct* vma = nullptr;
  int error = 0;
  if (prev != nullptr || next != nullptr) {
    vma_merge_struct vmg;
    vmg.mm = mm;
    vmg.prev = prev;
    vmg.next = next;
    vmg.start = addr;
    vmg.end = end;
    vmg.pgoff = addr;  // anon: addr >> PAGE_SHIFT
    vmg.vm_flags = vm_flags;
    vma = vma_merge_new_range(&vmg);
  }
  if (vma == nullptr) {
    // __mmap_new_vma
    vma = vm_area_alloc(mm);
    if (vma == nullptr) {
      error = -ENOMEM;
    } else {
      vma->vm_start = addr;
      vma->vm_end = end;
      vma->vm_pgoff = addr;
      vma->vm_flags = vm_flags;
      if (vma_iter_prealloc(mm) != 0) {
        vm_area_free(vma);
        error = -ENOMEM;
      } else {
        vma_iter_store(mm, vma);
      }
    }
  }
  // __mmap_complete / vms_abort_munmap_vmas: the old VMAs are gone either way
  // once their PTEs were cleared (a failure leaves a gap).
  for (vm_area_struct* v : detach) vm_area_free(v);
  return error;
}

// dup_mmap: the child gets a copy of every VMA but VM_DONTCOPY ones;
// anon_vma_fork links it, copy_page_range shares the pages (not for
// VM_WIPEONFORK, and only when the parent VMA has an anon_vma).
int dup_mmap(mm_struct* mm, mm_struct* oldmm) {
  kernel_state& k = *mm->k;
  for (vm_area_struct& mpnt : oldmm->mm_mt) {
    if ((mpnt.vm_flags & VM_DONTCOPY) != 0) {
      k.hit(Branch::ForkDontCopy);
      continue;
    }
    vm_area_struct* tmp = vm_area_alloc(mm);
    if (tmp == nullptr) return -ENOMEM;
    tmp->vm_start = mpnt.vm_start;
    tmp->vm_end = mpnt.vm_end;
    tmp->vm_pgoff = mpnt.vm_pgoff;
    tmp->vm_flags = mpnt.vm_flags & ~VM_LOCKED_MASK;
    tmp->anon_vma = mpnt.anon_vma;
    if ((tmp->vm_flags & VM_WIPEONFORK) != 0) {
      // VM_WIPEONFORK: the child starts with an empty VMA.
      tmp->anon_vma = nullptr;
      k.hit(Branch::ForkWipeOnFork);
    } else if (anon_vma_fork(tmp, &mpnt) != 0) {
      vm_area_free(tmp);
      return -ENOMEM;
    }
    vma_iter_store(mm, tmp);
    if ((tmp->vm_flags & VM_WIPEONFORK) == 0) {
      if (copy_page_range(tmp, &mpnt) != 0) return -ENOMEM;
    }
  }
  return 0;
}

// exit_mmap: zap everything, unlink every VMA's anon_vmas (free_pgtables),
// free the VMAs.
void exit_mmap(mm_struct* mm) {
  std::vector<vm_area_struct*> vmas;
  vmas.reserve(mm->mm_mt.size());
  for (vm_area_struct& v : mm->mm_mt) vmas.push_back(&v);
  if (vmas.empty()) return;
  unmap_vmas(vmas.data(), vmas.size(), 0, kWindowPages);
  for (vm_area_struct* v : vmas) unlink_anon_vmas(v);
  for (vm_area_struct* v : vmas) {
    vma_iter_remove(mm, v);
    vm_area_free(v);
  }
}

}  // namespace rmapcheck::impl
