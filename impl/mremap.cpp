// impl/mremap.cpp - do_mremap: shrink, expand in place, move, DONTUNMAP
// (mirrors mm/mremap.c, v6.18.8).
//
// The trace's `mremap P OLD OLDN NEW NEWN [dontunmap]` is mremap(OLD, OLDN,
// OLDN, NEWN, flags, NEW) with flags = 0 when NEW == OLD (resize in place)
// and MREMAP_MAYMOVE|MREMAP_FIXED otherwise; `dontunmap` adds
// MREMAP_MAYMOVE|MREMAP_DONTUNMAP. Since v6.17 a FIXED move with equal
// lengths may span several VMAs (remap_move).
#include <cerrno>

#include "impl/internal.h"
#include "impl/vma.h"

namespace rmapcheck::impl {

namespace {

constexpr unsigned MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2, MREMAP_DONTUNMAP = 4;

struct vma_remap_struct {
  mm_struct* mm = nullptr;
  vm_area_struct* vma = nullptr;
  Page addr = 0, old_len = 0, new_addr = 0, new_len = 0;
  unsigned flags = 0;
};

bool vrm_implies_new_addr(const vma_remap_struct& vrm) {
  return (vrm.flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) != 0;
}

// check_prep_vma: the source must lie in one VMA (shrinks may cross).
int check_prep_vma(vma_remap_struct& vrm) {
  vm_area_struct* vma = vrm.vma;
  if (vma == nullptr) return -EFAULT;
  if (!vrm_implies_new_addr(vrm)) vrm.new_addr = vrm.addr;
  const bool expand = vrm.new_len > vrm.old_len;
  const bool shrink = vrm.new_len < vrm.old_len;
  if (!expand && !vrm_implies_new_addr(vrm)) return 0;  // !vrm_will_map_new
  Page old_len = vrm.old_len;
  if (old_len == 0) return -EINVAL;  // duplicating a private mapping
  if (shrink) old_len = vrm.new_len;
  if (old_len > vma->vm_end - vrm.addr) return -EFAULT;
  return 0;
}

// unmap_source_vma: munmap the old range; VM_ACCOUNT is hidden on the source
// while it is split, and given back to the pieces that stay.
void unmap_source_vma(vma_remap_struct& vrm) {
  vm_area_struct* vma = vrm.vma;
  const bool accountable_move =
      (vma->vm_flags & VM_ACCOUNT) != 0 && (vrm.flags & MREMAP_DONTUNMAP) == 0;
  const Page vm_start = vma->vm_start;
  const Page vm_end = vma->vm_end;
  const Page addr = vrm.addr;
  const Page end = vrm.addr + vrm.old_len;
  if (accountable_move) vma->vm_flags &= ~VM_ACCOUNT;
  const int err = do_vmi_munmap(vrm.mm, addr, vrm.old_len);
  vrm.vma = nullptr;
  if (err != 0 || !accountable_move) return;
  if (vm_start < addr) {
    vm_area_struct* after = find_vma(vrm.mm, addr);
    vm_area_struct* prev = after != nullptr
                               ? vma_prev(vrm.mm, after)
                               : (vrm.mm->mm_mt.empty() ? nullptr : &*vrm.mm->mm_mt.rbegin());
    if (prev != nullptr) prev->vm_flags |= VM_ACCOUNT;
  }
  if (vm_end > end) {
    vm_area_struct* next = find_vma(vrm.mm, end);
    if (next != nullptr) next->vm_flags |= VM_ACCOUNT;
  }
}

// dontunmap_complete: the source stays mapped and empty; when all of it
// moved (and it did not merge into the destination) its anon state goes.
void dontunmap_complete(vma_remap_struct& vrm, vm_area_struct* new_vma) {
  vm_area_struct* vma = vrm.vma;
  const Page start = vrm.addr;
  const Page end = vrm.addr + vrm.old_len;
  vma->vm_flags &= ~VM_LOCKED_MASK;
  if (new_vma != vma && start == vma->vm_start && end == vma->vm_end) unlink_anon_vmas(vma);
  vrm.mm->k->hit(Branch::MremapDontUnmap);
}

// copy_vma_and_data: the destination VMA, then the page tables; a partial
// move is moved back and the NEW range is unmapped instead.
int copy_vma_and_data(vma_remap_struct& vrm, vm_area_struct** new_vma_ptr) {
  vm_area_struct* vma = vrm.vma;
  const pgoff_t new_pgoff = vma->vm_pgoff + (vrm.addr - vma->vm_start);
  vm_area_struct* new_vma = copy_vma(&vma, vrm.new_addr, vrm.new_len, new_pgoff);
  if (new_vma == nullptr) {
    *new_vma_ptr = nullptr;
    return -ENOMEM;
  }
  vrm.vma = vma;
  const Page moved = move_page_tables(vma, vrm.addr, vrm.new_addr, vrm.old_len);
  int err = 0;
  if (moved < vrm.old_len) {
    err = -ENOMEM;
    move_page_tables(new_vma, vrm.new_addr, vrm.addr, moved);
    vrm.vma = new_vma;
    vrm.old_len = vrm.new_len;
    vrm.addr = vrm.new_addr;
  }
  *new_vma_ptr = new_vma;
  return err;
}

// move_vma
int move_vma(vma_remap_struct& vrm) {
  vrm.mm->k->hit(Branch::MremapMove);
  vm_area_struct* new_vma = nullptr;
  const int err = copy_vma_and_data(vrm, &new_vma);
  if (err != 0 && new_vma == nullptr) return err;
  if (err == 0 && (vrm.flags & MREMAP_DONTUNMAP) != 0) {
    dontunmap_complete(vrm, new_vma);
  } else {
    unmap_source_vma(vrm);
  }
  return err;
}

// shrink_vma: unmap the tail.
int shrink_vma(vma_remap_struct& vrm) {
  vrm.mm->k->hit(Branch::MremapShrink);
  const int res = do_vmi_munmap(vrm.mm, vrm.addr + vrm.new_len, vrm.old_len - vrm.new_len);
  vrm.vma = nullptr;
  if (res != 0) return res;
  vrm.vma = vma_lookup(vrm.mm, vrm.addr);
  return vrm.vma == nullptr ? -EFAULT : 0;
}

// mremap_to: FIXED unmaps the destination first; a shrink happens before
// the move.
int mremap_to(vma_remap_struct& vrm) {
  if ((vrm.flags & MREMAP_FIXED) != 0) {
    const int err = do_vmi_munmap(vrm.mm, vrm.new_addr, vrm.new_len);
    if (err != 0) return err;
    vrm.vma = vma_lookup(vrm.mm, vrm.addr);
    if (vrm.vma == nullptr) return -EFAULT;
  }
  if (vrm.new_len < vrm.old_len) {
    const int err = shrink_vma(vrm);
    if (err != 0) return err;
    vrm.old_len = vrm.new_len;
  }
  return move_vma(vrm);
}

// vma_expandable: nothing mapped in [vm_end, vm_end + delta).
bool vma_expandable(vm_area_struct* vma, Page delta) {
  const Page end = vma->vm_end + delta;
  if (end > kWindowPages) return false;
  return find_vma_intersection(vma->vm_mm, vma->vm_end, end) == nullptr;
}

// mremap_at: no new address.
int mremap_at(vma_remap_struct& vrm) {
  if (vrm.new_len == vrm.old_len) return 0;
  if (vrm.new_len < vrm.old_len) return shrink_vma(vrm);
  // expand_vma
  vm_area_struct* vma = vrm.vma;
  const Page delta = vrm.new_len - vrm.old_len;
  if (vma->vm_end - vrm.addr == vrm.old_len && vma_expandable(vma, delta)) {
    // expand_vma_in_place
    if (vma_merge_extend(vma, delta) == nullptr) return -ENOMEM;
    vrm.mm->k->hit(Branch::MremapExpandInPlace);
    return 0;
  }
  return -ENOMEM;  // not MREMAP_MAYMOVE
}

// remap_move (v6.17+): every VMA of [addr, addr+len) moves, gaps kept.
int remap_move(vma_remap_struct& vrm) {
  const Page start = vrm.addr;
  const Page end = vrm.addr + vrm.old_len;
  Page target_addr = vrm.new_addr;
  Page last_end = 0;
  bool seen_vma = false;
  int res = -EFAULT;
  Page cursor = start;
  // for_each_vma_range: the iterator resumes after the VMA just handled (a
  // destination that merged back over the source is not visited again).
  for (vm_area_struct* vma = find_vma_intersection(vrm.mm, cursor, end); vma != nullptr;
       vma = cursor < end ? find_vma_intersection(vrm.mm, cursor, end) : nullptr) {
    const Page addr = std::max(vma->vm_start, start);
    const Page len = std::min(end, vma->vm_end) - addr;
    if (!seen_vma && start < vma->vm_start) return -EFAULT;
    const Page offset = seen_vma ? vma->vm_start - last_end : 0;
    last_end = vma->vm_end;
    cursor = vma->vm_end;

    vrm.vma = vma;
    vrm.addr = addr;
    vrm.new_addr = target_addr + offset;
    vrm.old_len = vrm.new_len = len;
    int r = check_prep_vma(vrm);
    if (r == 0) r = mremap_to(vrm);
    if (r != 0) return r;
    if (!seen_vma) res = 0;
    seen_vma = true;
    target_addr = vrm.new_addr + vrm.new_len;
  }
  return res;
}

}  // namespace

// do_mremap + check_mremap_params
int do_mremap(mm_struct* mm, Page addr, Page old_len, Page new_addr, Page new_len, bool dontunmap) {
  vma_remap_struct vrm;
  vrm.mm = mm;
  vrm.addr = addr;
  vrm.old_len = old_len;
  vrm.new_addr = new_addr;
  vrm.new_len = new_len;
  if (new_addr != addr) vrm.flags |= MREMAP_MAYMOVE | MREMAP_FIXED;
  if (dontunmap) vrm.flags |= MREMAP_MAYMOVE | MREMAP_DONTUNMAP;

  if (new_len == 0) return -EINVAL;
  if (vrm_implies_new_addr(vrm)) {
    if (new_addr + new_len > kWindowPages) return -EINVAL;
    if ((vrm.flags & MREMAP_DONTUNMAP) != 0 && old_len != new_len) return -EINVAL;
    // vrm_overlaps
    if (addr + old_len > new_addr && new_addr + new_len > addr) return -EINVAL;
  }
  // vrm_move_only
  if ((vrm.flags & MREMAP_FIXED) != 0 && old_len == new_len) return remap_move(vrm);
  vrm.vma = vma_lookup(mm, addr);
  int res = check_prep_vma(vrm);
  if (res != 0) return res;
  return vrm_implies_new_addr(vrm) ? mremap_to(vrm) : mremap_at(vrm);
}

}  // namespace rmapcheck::impl
