// impl/mprotect.cpp - do_mprotect_pkey and mprotect_fixup (mirrors mm/mprotect.c, v6.18).
//
// A hole in the range stops the walk with ENOMEM after the VMAs before it
// were changed, as the kernel does. VM_ACCOUNT: added when a VMA first gets
// VM_WRITE, dropped when an unfaulted anon VMA loses it (v6.7+).
#include <cerrno>

#include "impl/internal.h"
#include "impl/vma.h"

namespace rmapcheck::impl {

namespace {

vm_flags_t prot_to_vm_flags(Prot prot) {
  vm_flags_t f = 0;
  if (prot_read(prot)) f |= VM_READ;
  if (prot_write(prot)) f |= VM_WRITE | VM_READ;  // x86: write implies read
  if (prot_exec(prot)) f |= VM_EXEC;
  return f;
}

// mprotect_fixup: [start,end) of vma gets newflags (merge or split first).
int mprotect_fixup(vm_area_struct* vma, vm_area_struct* prev, Page start, Page end,
                   vm_flags_t newflags, vm_area_struct** result) {
  const vm_flags_t oldflags = vma->vm_flags;
  *result = vma;
  if (newflags == oldflags) return 0;

  if ((newflags & VM_WRITE) != 0) {
    if ((oldflags & (VM_ACCOUNT | VM_WRITE | VM_NORESERVE)) == 0) newflags |= VM_ACCOUNT;
  } else if ((oldflags & VM_ACCOUNT) != 0 && vma->anon_vma == nullptr) {
    newflags &= ~VM_ACCOUNT;
  }
  int err = 0;
  vm_area_struct* v = vma_modify_flags(prev, vma, start, end, newflags, &err);
  if (v == nullptr) return err;
  v->vm_flags = newflags;  // vm_flags_reset
  *result = v;
  change_protection(v, start, end);
  return 0;
}

}  // namespace

vm_flags_t mprotect_prot_flags(Prot prot) {
  return prot_to_vm_flags(prot);
}

// do_mprotect_pkey
int do_mprotect_pkey(mm_struct* mm, Page start, Page len, Prot prot) {
  if (len == 0) return 0;
  const Page end = start + len;
  vm_area_struct* vma = find_vma_intersection(mm, start, end);
  if (vma == nullptr || vma->vm_start > start) return -ENOMEM;

  const vm_flags_t want = prot_to_vm_flags(prot);
  Page nstart = start;
  Page tmp = vma->vm_start;
  int error = 0;
  while (vma != nullptr && vma->vm_start < end) {
    if (vma->vm_start != tmp) {
      error = -ENOMEM;
      break;
    }
    const vm_flags_t newflags = want | (vma->vm_flags & ~VM_ACCESS_FLAGS);
    tmp = std::min(vma->vm_end, end);
    vm_area_struct* prev = vma_prev(mm, vma);
    vm_area_struct* result = nullptr;
    error = mprotect_fixup(vma, prev, nstart, tmp, newflags, &result);
    if (error != 0) break;
    tmp = result->vm_end;  // vma_iter_end
    nstart = tmp;
    vma = vma_next(mm, result);
  }
  if (error == 0 && tmp < end) error = -ENOMEM;
  return error;
}

}  // namespace rmapcheck::impl
