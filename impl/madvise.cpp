// impl/madvise.cpp - do_madvise for DONTNEED and the fork flags (mirrors mm/madvise.c, v6.18).
//
// madvise_walk_vmas: no VMA at or after start is ENOMEM at once; holes make
// the call return ENOMEM at the end, after every mapped part was handled.
#include <cerrno>

#include "impl/internal.h"
#include "impl/vma.h"

namespace rmapcheck::impl {

namespace {

// madvise_vma_behavior for one VMA piece [start,end).
int madvise_vma_behavior(vm_area_struct* vma, Page start, Page end, Advice behavior,
                         vm_area_struct** result) {
  *result = vma;
  kernel_state& k = *vma->vm_mm->k;
  vm_flags_t new_flags = vma->vm_flags;
  switch (behavior) {
    case Advice::DontNeed:
      // madvise_dontneed_single_vma: zap; the anon_vma and chain stay.
      if ((vma->vm_flags & VM_LOCKED) != 0) return -EINVAL;
      zap_page_range_single(vma, start, end);
      k.hit(Branch::MadviseDontNeed);
      return 0;
    case Advice::DontFork:
      new_flags |= VM_DONTCOPY;
      break;
    case Advice::DoFork:
      new_flags &= ~VM_DONTCOPY;
      break;
    case Advice::WipeOnFork:
      new_flags |= VM_WIPEONFORK;  // anonymous private: always allowed
      break;
    case Advice::KeepOnFork:
      new_flags &= ~VM_WIPEONFORK;
      break;
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

// do_madvise + madvise_walk_vmas
int do_madvise(mm_struct* mm, Page start, Page len, Advice behavior) {
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
