// impl/vma.cpp - split, merge, modify, copy_vma, munmap (mirrors mm/vma.c, v6.18.8 semantics).
//
// Our own code, written from docs/kernel/merge.md, mremap.md and munmap-exit.md and the
// kernel's mm/vma.c structure: each function has the kernel's name and order of steps. The
// order matters here: dup_anon_vma runs BEFORE vma_prepare, so cloned avcs
// are inserted under the target's old key and then re-keyed by the
// pre/post_update pair around vma_set_range.
#include "impl/vma.h"

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "impl/internal.h"

namespace rmapcheck::impl {

namespace {

// struct vma_prepare (named vma_prepare_s: vma_prepare() is the function)
struct vma_prepare_s {
  vm_area_struct* vma = nullptr;
  vm_area_struct* adj_next = nullptr;
  vm_area_struct* insert = nullptr;
  vm_area_struct* remove = nullptr;
  vm_area_struct* remove2 = nullptr;
  struct anon_vma* anon_vma = nullptr;
};

void vma_set_range(vm_area_struct* vma, Page start, Page end, pgoff_t pgoff) {
  vma->vm_start = start;
  vma->vm_end = end;
  vma->vm_pgoff = pgoff;
}

pgoff_t vma_pgoff_offset(const vm_area_struct* vma, Page addr) {
  return vma->vm_pgoff + (addr - vma->vm_start);
}

// vma_prepare: under the root lock, take the avcs of the VMAs whose range
// changes out of their trees.
void vma_prepare(vma_prepare_s& vp) {
  if (vp.anon_vma != nullptr && !vp.vma->vm_mm->k->has(Mutant::NoTreeUpdateOnPgoff)) {
    anon_vma_interval_tree_pre_update_vma(vp.vma);
    if (vp.adj_next != nullptr) anon_vma_interval_tree_pre_update_vma(vp.adj_next);
  }
}

// vma_complete: store the split-off VMA, put the avcs back under their new
// keys, then drop the VMAs a merge removed (anon_vma_merge unlinks them).
void vma_complete(vma_prepare_s& vp, mm_struct* mm) {
  if (vp.insert != nullptr) vma_iter_store(mm, vp.insert);
  if (vp.anon_vma != nullptr && !mm->k->has(Mutant::NoTreeUpdateOnPgoff)) {
    anon_vma_interval_tree_post_update_vma(vp.vma);
    if (vp.adj_next != nullptr) anon_vma_interval_tree_post_update_vma(vp.adj_next);
  }
  for (vm_area_struct* remove : {vp.remove, vp.remove2}) {
    if (remove == nullptr) continue;
    vma_iter_remove(mm, remove);
    if (remove->anon_vma != nullptr) anon_vma_merge(vp.vma, remove);
    vm_area_free(remove);
  }
}

// init_multi_vma_prep
void init_multi_vma_prep(vma_prepare_s& vp, vm_area_struct* vma, const vma_merge_struct* vmg) {
  vp = {};
  vp.vma = vma;
  vp.anon_vma = vma->anon_vma;
  if (vmg != nullptr) {
    vm_area_struct** remove = &vp.remove;
    if (vmg->__remove_middle) {
      *remove = vmg->middle;
      remove = &vp.remove2;
    }
    if (vmg->__remove_next) *remove = vmg->next;
    if (vmg->__adjust_middle_start) {
      vp.adj_next = vmg->middle;
    } else if (vmg->__adjust_next_start) {
      vp.adj_next = vmg->next;
    }
  }
  if (vp.anon_vma == nullptr && vp.adj_next != nullptr) vp.anon_vma = vp.adj_next->anon_vma;
}

// is_mergeable_vma: flags (no VM_SOFTDIRTY here), file, policy, uffd, name.
bool is_mergeable_vma(const vma_merge_struct* vmg, bool merge_next) {
  const vm_area_struct* vma = merge_next ? vmg->next : vmg->prev;
  return vma->vm_flags == vmg->vm_flags;
}

// is_mergeable_anon_vma (v6.16+ Cases 1/2/3, v6.18.8 copied_from check).
bool is_mergeable_anon_vma(const vma_merge_struct* vmg, bool merge_next) {
  const vm_area_struct* tgt = merge_next ? vmg->next : vmg->prev;
  const vm_area_struct* src = vmg->middle;
  const anon_vma* tgt_anon = tgt->anon_vma;
  const anon_vma* src_anon = vmg->anon_vma;
  kernel_state& k = *vmg->mm->k;
  bool ok;
  if (tgt_anon == nullptr && src_anon != nullptr) {
    // Case 1: dup_anon_vma() from src into tgt; src must not be a fork child.
    ok = !vma_had_uncowed_parents(src);
    if (ok && !k.has(Mutant::MremapForkCheckMiddleOnly)) {
      ok = !vma_had_uncowed_parents(vmg->copied_from);
    }
  } else if (tgt_anon != nullptr && src_anon == nullptr) {
    // Case 2: the range takes tgt's anon_vma; tgt must not be a fork child.
    ok = !vma_had_uncowed_parents(tgt);
  } else {
    // Case 3: already shared (or both NULL).
    ok = src_anon == tgt_anon;
  }
  if (!ok) k.hit(Branch::MergeRefusedAnonVma);
  return ok;
}

// are_anon_vmas_compatible: prev and next may only meet if they do not
// carry two different anon_vmas.
bool are_anon_vmas_compatible(const vm_area_struct* a, const vm_area_struct* b) {
  return a->anon_vma == nullptr || b->anon_vma == nullptr || a->anon_vma == b->anon_vma;
}

// can_vma_merge_before: the range can go in front of next.
bool can_vma_merge_before(const vma_merge_struct* vmg) {
  const pgoff_t pglen = vmg->end - vmg->start;
  return is_mergeable_vma(vmg, true) && is_mergeable_anon_vma(vmg, true) &&
         vmg->next->vm_pgoff == vmg->pgoff + pglen;
}

// can_vma_merge_after: the range can go after prev.
bool can_vma_merge_after(const vma_merge_struct* vmg) {
  return is_mergeable_vma(vmg, false) && is_mergeable_anon_vma(vmg, false) &&
         vmg->prev->vm_pgoff + vma_pages(vmg->prev) == vmg->pgoff;
}

bool can_vma_merge_left(const vma_merge_struct* vmg) {
  return vmg->prev != nullptr && vmg->prev->vm_end == vmg->start && can_vma_merge_after(vmg);
}

bool can_vma_merge_right(const vma_merge_struct* vmg, bool can_merge_left) {
  if (vmg->next == nullptr || vmg->end != vmg->next->vm_start || !can_vma_merge_before(vmg)) {
    return false;
  }
  if (!can_merge_left) return true;
  return are_anon_vmas_compatible(vmg->prev, vmg->next);
}

// dup_anon_vma: an unfaulted dst absorbing a faulted src takes src's anon
// state (an exact copy of the chain); *dup records it for the undo.
int dup_anon_vma(vm_area_struct* dst, vm_area_struct* src, vm_area_struct** dup) {
  if (src->anon_vma != nullptr && dst->anon_vma == nullptr) {
    kernel_state& k = *dst->vm_mm->k;
    int ret;
    if (k.has(Mutant::CloneBeforeAssign)) {
      // Before b800c91a0517: the clone sees dst->anon_vma == NULL and takes
      // the fork reuse branch.
      ret = anon_vma_clone(dst, src);
      dst->anon_vma = src->anon_vma;
    } else {
      dst->anon_vma = src->anon_vma;
      ret = anon_vma_clone(dst, src);
    }
    if (ret != 0) return ret;
    k.hit(Branch::DupAnonVma);
    *dup = dst;
  }
  return 0;
}

// The undo of a dup when the commit fails (Liam Howlett, 2023).
void undo_dup_anon_vma(vm_area_struct* anon_dup) {
  if (anon_dup == nullptr) return;
  if (anon_dup->vm_mm->k->has(Mutant::MergeNoDupUndo)) return;
  unlink_anon_vmas(anon_dup);
}

// vmg_adjust_set_range: the VMA that only moves one boundary.
void vmg_adjust_set_range(vma_merge_struct* vmg) {
  if (vmg->__adjust_middle_start) {
    vm_area_struct* adjust = vmg->middle;
    const pgoff_t pgoff = adjust->vm_pgoff + (vmg->end - adjust->vm_start);
    vma_set_range(adjust, vmg->end, adjust->vm_end, pgoff);
  } else if (vmg->__adjust_next_start) {
    vm_area_struct* adjust = vmg->next;
    const pgoff_t pgoff = adjust->vm_pgoff - (adjust->vm_start - vmg->end);
    vma_set_range(adjust, vmg->end, adjust->vm_end, pgoff);
  }
}

// commit_merge: preallocate, then vma_prepare / set ranges / vma_complete.
int commit_merge(vma_merge_struct* vmg) {
  vm_area_struct* vma = vmg->__adjust_next_start ? vmg->middle : vmg->target;
  vma_prepare_s vp;
  init_multi_vma_prep(vp, vma, vmg);
  if (vma_iter_prealloc(vmg->mm) != 0) return -ENOMEM;
  vma_prepare(vp);
  vma_set_range(vma, vmg->start, vmg->end, vmg->pgoff);
  vmg_adjust_set_range(vmg);
  vma_complete(vp, vmg->mm);
  return 0;
}

bool can_merge_remove_vma(const vm_area_struct* /*vma*/) {
  return true;
}  // no vm_ops->close

}  // namespace

// anon_vma_compatible: (a, b) in address order could share an anon_vma:
// adjacent, same file and policy, flags equal but for access bits, linear pgoff.
static bool anon_vma_compatible(const vm_area_struct* a, const vm_area_struct* b) {
  return a->vm_end == b->vm_start && ((a->vm_flags ^ b->vm_flags) & ~VM_ACCESS_FLAGS) == 0 &&
         b->vm_pgoff == a->vm_pgoff + (b->vm_start - a->vm_start);
}

// reusable_anon_vma: old's anon_vma, if old was never forked (d0e9fe1758f2:
// list_is_singular, so the reused anon_vma is a root with old's whole chain).
static anon_vma* reusable_anon_vma(const vm_area_struct* old, const vm_area_struct* a,
                                   const vm_area_struct* b) {
  if (!anon_vma_compatible(a, b)) return nullptr;
  anon_vma* av = old->anon_vma;
  if (av == nullptr) return nullptr;
  if (old->vm_mm->k->has(Mutant::NeighbourReuseNotSingular)) return av;
  auto it = old->anon_vma_chain.begin();
  const bool singular = it != old->anon_vma_chain.end() && ++it == old->anon_vma_chain.end();
  return singular ? av : nullptr;
}

// find_mergeable_anon_vma: next first, then prev (immediate neighbours only).
anon_vma* find_mergeable_anon_vma(vm_area_struct* vma) {
  if (vm_area_struct* next = vma_next(vma->vm_mm, vma)) {
    if (anon_vma* av = reusable_anon_vma(next, vma, next)) return av;
  }
  if (vm_area_struct* prev = vma_prev(vma->vm_mm, vma)) return reusable_anon_vma(prev, prev, vma);
  return nullptr;
}

// __split_vma: the new VMA takes [vm_start, addr) (new_below) or
// [addr, vm_end); it gets an exact copy of the chain; vma shrinks under
// vma_prepare/vma_complete.
int __split_vma(vm_area_struct* vma, Page addr, bool new_below) {
  mm_struct* mm = vma->vm_mm;
  vm_area_struct* nv = vm_area_dup(vma);
  if (nv == nullptr) return -ENOMEM;
  if (new_below) {
    nv->vm_end = addr;
  } else {
    nv->vm_start = addr;
    nv->vm_pgoff += addr - vma->vm_start;
  }
  if (vma_iter_prealloc(mm) != 0) {
    vm_area_free(nv);
    return -ENOMEM;
  }
  int err = anon_vma_clone(nv, vma);
  if (err != 0) {
    vm_area_free(nv);
    return err;
  }
  mm->k->hit(Branch::SplitVma);

  vma_prepare_s vp;
  init_multi_vma_prep(vp, vma, nullptr);
  vp.insert = nv;
  vma_prepare(vp);
  if (new_below) {
    vma->vm_pgoff += addr - nv->vm_start;
    vma->vm_start = addr;
  } else {
    vma->vm_end = addr;
  }
  vma_complete(vp, mm);
  return 0;
}

// vma_merge_existing_range: [start,end) of middle changes attributes; try to
// fold it into prev and/or next (the five cases of
// docs/kernel/merge.md#existing-range-merge).
vm_area_struct* vma_merge_existing_range(vma_merge_struct* vmg) {
  vm_area_struct* middle = vmg->middle;
  vm_area_struct* prev = vmg->prev;
  kernel_state& k = *vmg->mm->k;
  const Page start = vmg->start;
  const Page end = vmg->end;
  const bool left_side = start == middle->vm_start;
  const bool right_side = end == middle->vm_end;
  vm_area_struct* anon_dup = nullptr;

  if ((vmg->vm_flags & VM_SPECIAL) != 0 || (!left_side && !right_side)) return nullptr;

  const bool merge_left = left_side && can_vma_merge_left(vmg);
  bool merge_right = false;
  vm_area_struct* next = nullptr;
  if (right_side) {
    next = vmg->next = vma_next(vmg->mm, middle);
    merge_right = can_vma_merge_right(vmg, merge_left);
  }
  if (!merge_left && !merge_right) return nullptr;

  const bool merge_both = merge_left && merge_right;
  vmg->__remove_middle = left_side && right_side;
  vmg->__remove_next = merge_both;
  if (vmg->__remove_middle && !can_merge_remove_vma(middle)) return nullptr;

  int err;
  if (merge_both) {
    //        |<----->|
    // prev ┃ middle ┃ next : prev grows over both
    vmg->target = prev;
    vmg->start = prev->vm_start;
    vmg->end = next->vm_end;
    vmg->pgoff = prev->vm_pgoff;
    err = dup_anon_vma(prev, next->anon_vma != nullptr ? next : middle, &anon_dup);
    k.hit(Branch::MergeExistingBoth);
  } else if (merge_left) {
    vmg->target = prev;
    vmg->start = prev->vm_start;
    vmg->pgoff = prev->vm_pgoff;
    if (!vmg->__remove_middle) vmg->__adjust_middle_start = true;
    err = dup_anon_vma(prev, middle, &anon_dup);
    k.hit(vmg->__remove_middle ? Branch::MergeExistingLeftWhole : Branch::MergeExistingLeftPart);
  } else {
    const pgoff_t pglen = end - start;
    vmg->target = next;
    if (vmg->__remove_middle) {
      vmg->end = next->vm_end;
      vmg->pgoff = next->vm_pgoff - pglen;
    } else {
      // middle shrinks, next grows down: the only case where the range is
      // not set on the target (commit_merge sets middle, adjusts next).
      vmg->__adjust_next_start = true;
      vmg->start = middle->vm_start;
      vmg->end = start;
      vmg->pgoff = middle->vm_pgoff;
    }
    err = dup_anon_vma(next, middle, &anon_dup);
    k.hit(vmg->__remove_middle ? Branch::MergeExistingRightWhole : Branch::MergeExistingRightPart);
  }
  if (err != 0) {
    vmg->nomem = true;
    return nullptr;
  }
  if (commit_merge(vmg) != 0) {
    undo_dup_anon_vma(anon_dup);
    vmg->nomem = true;
    return nullptr;
  }
  return vmg->target;
}

// vma_merge_new_range: a new range [start,end) between prev and next.
vm_area_struct* vma_merge_new_range(vma_merge_struct* vmg) {
  vm_area_struct* prev = vmg->prev;
  vm_area_struct* next = vmg->next;
  kernel_state& k = *vmg->mm->k;
  const Page start = vmg->start;
  const Page end = vmg->end;
  const pgoff_t pgoff = vmg->pgoff;
  const pgoff_t pglen = end - start;

  if ((vmg->vm_flags & VM_SPECIAL) != 0 || (prev == nullptr && next == nullptr)) return nullptr;

  const bool can_merge_left = can_vma_merge_left(vmg);
  const bool can_merge_right = !vmg->just_expand && can_vma_merge_right(vmg, can_merge_left);

  if (can_merge_right) {
    vmg->end = next->vm_end;
    vmg->target = next;
    // v6.3 (fixed by 7e7757876f25): next grew down keeping its pgoff.
    vmg->pgoff = k.has(Mutant::MergeRightKeepsPgoff) ? next->vm_pgoff : next->vm_pgoff - pglen;
  }
  if (can_merge_left) {
    vmg->start = prev->vm_start;
    vmg->target = prev;
    vmg->pgoff = prev->vm_pgoff;
    if (can_merge_right && !can_merge_remove_vma(next)) vmg->end = end;
  }

  if (vmg->target != nullptr && vma_expand(vmg) == 0) {
    if (can_merge_left && can_merge_right) {
      k.hit(Branch::MergeNewBoth);
    } else {
      k.hit(can_merge_left ? Branch::MergeNewLeft : Branch::MergeNewRight);
    }
    return vmg->target;
  }
  vmg->target = nullptr;
  vmg->start = start;
  vmg->end = end;
  vmg->pgoff = pgoff;
  return nullptr;
}

// vma_expand: target grows to [start,end), absorbing next when it reaches
// next's end; v6.18.8 also copies the anon state of a VMA being copied.
int vma_expand(vma_merge_struct* vmg) {
  vm_area_struct* target = vmg->target;
  vm_area_struct* next = vmg->next;
  vm_area_struct* anon_dup = nullptr;
  kernel_state& k = *vmg->mm->k;
  int ret = 0;

  if (next != nullptr && next != target && vmg->end == next->vm_end) {
    vmg->__remove_next = true;
    ret = dup_anon_vma(target, next, &anon_dup);
    if (ret != 0) return ret;
  }
  if (vmg->copied_from != nullptr && !k.has(Mutant::MremapNoDupCopiedFrom)) {
    ret = dup_anon_vma(target, vmg->copied_from, &anon_dup);
  }
  if (ret == 0 && commit_merge(vmg) == 0) return 0;
  vmg->__remove_next = false;
  vmg->nomem = true;
  undo_dup_anon_vma(anon_dup);
  return -ENOMEM;
}

// vma_modify (+ vma_modify_flags): merge, else split at start then at end.
vm_area_struct* vma_modify_flags(vm_area_struct* prev, vm_area_struct* vma, Page start, Page end,
                                 vm_flags_t new_flags, int* err) {
  vma_merge_struct vmg;
  vmg.mm = vma->vm_mm;
  vmg.prev = prev;
  vmg.middle = vma;
  vmg.start = start;
  vmg.end = end;
  vmg.pgoff = vma_pgoff_offset(vma, start);
  vmg.vm_flags = new_flags;
  vmg.anon_vma = vma->anon_vma;
  *err = 0;

  vm_area_struct* merged = vma_merge_existing_range(&vmg);
  if (merged != nullptr) return merged;
  if (vmg.nomem) {
    *err = -ENOMEM;
    return nullptr;
  }
  if (vma->vm_start < start) {
    int e = __split_vma(vma, start, true);
    if (e != 0) {
      *err = e;
      return nullptr;
    }
  }
  if (vma->vm_end > end) {
    int e = __split_vma(vma, end, false);
    if (e != 0) {
      *err = e;
      return nullptr;
    }
  }
  return vma;
}

// vma_merge_extend: mremap's in-place growth is a new range right after the
// VMA itself (prev = vma, middle = NULL).
vm_area_struct* vma_merge_extend(vm_area_struct* vma, Page delta) {
  vma_merge_struct vmg;
  vmg.mm = vma->vm_mm;
  vmg.prev = vma;
  vmg.start = vma->vm_end;
  vmg.end = vma->vm_end + delta;
  vmg.pgoff = vma_pgoff_offset(vma, vma->vm_end);
  vmg.vm_flags = vma->vm_flags;
  vmg.anon_vma = vma->anon_vma;
  vmg.next = vma_next(vma->vm_mm, vma);
  return vma_merge_new_range(&vmg);
}

// vma_link: store a fully built VMA.
int vma_link(mm_struct* mm, vm_area_struct* vma) {
  if (vma_iter_prealloc(mm) != 0) return -ENOMEM;
  vma_iter_store(mm, vma);
  return 0;
}

// copy_vma: the destination VMA of an mremap move, merged into a neighbour
// when possible (vma_merge_copied_range), else a copy with an exact chain.
vm_area_struct* copy_vma(vm_area_struct** vmap, Page addr, Page len, pgoff_t pgoff) {
  vm_area_struct* vma = *vmap;
  mm_struct* mm = vma->vm_mm;
  kernel_state& k = *mm->k;
  const Page vma_start = vma->vm_start;
  bool faulted_in_anon_vma = true;

  // An unfaulted anon VMA takes the pgoff of its new place: more merges.
  if (vma->anon_vma == nullptr) {
    pgoff = addr;
    faulted_in_anon_vma = false;
    k.hit(Branch::MremapPgoffReset);
  }
  if (find_vma_intersection(mm, addr, addr + len) != nullptr) return nullptr;

  vma_merge_struct vmg;
  vmg.mm = mm;
  vm_area_struct* after = find_vma(mm, addr);
  vmg.next = after;
  vmg.prev = after != nullptr ? vma_prev(mm, after) : nullptr;
  if (after == nullptr && !mm->mm_mt.empty()) vmg.prev = &*mm->mm_mt.rbegin();
  vmg.start = addr;
  vmg.end = addr + len;
  vmg.pgoff = pgoff;
  vmg.vm_flags = vma->vm_flags;
  vmg.anon_vma = vma->anon_vma;
  vmg.copied_from = vma;
  vm_area_struct* new_vma = vma_merge_new_range(&vmg);
  if (new_vma != nullptr) {
    k.hit(Branch::MremapMoveMerged);
    // The source merged into its own destination: only possible unfaulted.
    if (vma_start >= new_vma->vm_start && vma_start < new_vma->vm_end) {
      // VM_BUG_ON_VMA(faulted_in_anon_vma, new_vma): a faulted source
      // cannot merge into its own destination (its pgoff stays linear).
      if (faulted_in_anon_vma) [[unlikely]]
        throw EngineFault("copy_vma: faulted VMA [" + std::to_string(vma_start) + ", ...) of " +
                          mm->name + " merged into its own destination");
      *vmap = new_vma;
    }
    return new_vma;
  }
  // No merge (a failed one included): a copy with an exact chain.
  new_vma = vm_area_dup(vma);
  if (new_vma == nullptr) return nullptr;
  vma_set_range(new_vma, addr, addr + len, pgoff);
  if (anon_vma_clone(new_vma, vma) != 0) {
    vm_area_free(new_vma);
    return nullptr;
  }
  if (vma_link(mm, new_vma) != 0) {
    unlink_anon_vmas(new_vma);
    vm_area_free(new_vma);
    return nullptr;
  }
  return new_vma;
}

// do_vmi_munmap + vms_gather_munmap_vmas + vms_complete_munmap_vmas: split
// the VMAs straddling start and end, detach the range, zap its PTEs, unlink
// the anon_vmas of every detached VMA (free_pgtables), free the VMAs.
int do_vmi_munmap(mm_struct* mm, Page start, Page len) {
  if (len == 0) return -EINVAL;
  const Page end = start + len;
  vm_area_struct* vma = find_vma_intersection(mm, start, end);
  if (vma == nullptr) return 0;

  if (start > vma->vm_start) {
    if (__split_vma(vma, start, true) != 0) return -ENOMEM;
  }
  std::vector<vm_area_struct*> detach;
  for (vm_area_struct* next = find_vma_intersection(mm, start, end); next != nullptr;
       next = find_vma_intersection(mm, next->vm_end, end)) {
    if (next->vm_end > end) {
      if (__split_vma(next, end, false) != 0) return -ENOMEM;  // earlier splits stay
    }
    detach.push_back(next);
  }
  for (vm_area_struct* v : detach) vma_iter_remove(mm, v);
  unmap_vmas(detach.data(), detach.size(), start, end);
  for (vm_area_struct* v : detach) unlink_anon_vmas(v);  // free_pgtables
  for (vm_area_struct* v : detach) vm_area_free(v);      // remove_vma
  return 0;
}

}  // namespace rmapcheck::impl
