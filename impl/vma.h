// impl/vma.h - VMA split, merge and modify; the syscall-level entry points (mirrors mm/vma.h).
//
// What it is for: the merge/split engine of mm/vma.c (v6.18.8 semantics) and
// the mm-level operations built on it (mmap, munmap, mprotect, madvise,
// mremap, fork, exit, faults), each in the file a kernel reader expects:
//   vma.cpp      __split_vma, vma_merge_new_range, vma_merge_existing_range,
//                vma_expand, commit_merge, dup_anon_vma, vma_modify, copy_vma,
//                vma_merge_extend, do_vmi_munmap
//   mmap.cpp     mmap_region, dup_mmap, exit_mmap, VMA allocation, tree helpers
//   memory.cpp   faults, COW, zap, copy_page_range, move_page_tables
//   mprotect.cpp do_mprotect_pkey / mprotect_fixup
//   madvise.cpp  do_madvise
//   mremap.cpp   do_mremap
//
// Results: 0 or a negative errno, as the kernel returns them.
#pragma once

#include "impl/rmap.h"
#include "rmapcheck/op.h"

namespace rmapcheck::impl {

// struct vma_merge_struct (mm/vma.h, v6.18 naming).
struct vma_merge_struct {
  mm_struct* mm = nullptr;
  vm_area_struct* prev = nullptr;
  vm_area_struct* middle = nullptr;  // the VMA being modified (NULL: a new range)
  vm_area_struct* next = nullptr;
  vm_area_struct* target = nullptr;  // the VMA that ends up holding the range
  Page start = 0, end = 0;
  pgoff_t pgoff = 0;
  vm_flags_t vm_flags = 0;
  struct anon_vma* anon_vma = nullptr;
  vm_area_struct* copied_from = nullptr;  // copy_vma (6.18.8: vma_merge_copied_range)
  bool just_expand = false;
  bool __adjust_middle_start = false;
  bool __adjust_next_start = false;
  bool __remove_middle = false;
  bool __remove_next = false;
  bool nomem = false;  // VMA_MERGE_ERROR_NOMEM
};

int __split_vma(vm_area_struct* vma, Page addr, bool new_below);
vm_area_struct* vma_merge_new_range(vma_merge_struct* vmg);
vm_area_struct* vma_merge_existing_range(vma_merge_struct* vmg);
int vma_expand(vma_merge_struct* vmg);
// vma_modify_flags: merge, else split so [start,end) is one VMA. Returns the
// VMA that now covers [start,end), or nullptr with *err set.
vm_area_struct* vma_modify_flags(vm_area_struct* prev, vm_area_struct* vma, Page start, Page end,
                                 vm_flags_t new_flags, int* err);
vm_area_struct* vma_merge_extend(vm_area_struct* vma, Page delta);
vm_area_struct* copy_vma(vm_area_struct** vmap, Page addr, Page len, pgoff_t pgoff);
int vma_link(mm_struct* mm, vm_area_struct* vma);
int do_vmi_munmap(mm_struct* mm, Page start, Page len);

// Syscall-level operations (return 0 or -errno; faults return a Fault code).
vm_flags_t mprotect_prot_flags(Prot prot);  // VM_READ|VM_WRITE|VM_EXEC of a PROT_*
int mmap_region(mm_struct* mm, Page addr, Page len, vm_flags_t vm_flags);
int do_mprotect_pkey(mm_struct* mm, Page start, Page len, Prot prot);
// madvise behaviours, the kernel's numbers (uapi mman-common.h): the
// trace's `madvise` advices and its `pageout` op.
inline constexpr int MADV_DONTNEED = 4, MADV_DONTFORK = 10, MADV_DOFORK = 11, MADV_WIPEONFORK = 18,
                     MADV_KEEPONFORK = 19, MADV_PAGEOUT = 21;
int madv_behavior(Advice a);  // the MADV_* of a trace advice
int do_madvise(mm_struct* mm, Page start, Page len, int behavior);
int do_mremap(mm_struct* mm, Page addr, Page old_len, Page new_addr, Page new_len, bool dontunmap);
int dup_mmap(mm_struct* mm, mm_struct* oldmm);
void exit_mmap(mm_struct* mm);

enum class Fault { Ok, Segv };
// The user access: read returns the value, write stores one; faults as needed.
Fault user_read(mm_struct* mm, Page addr, std::uint64_t* value);
Fault user_write(mm_struct* mm, Page addr, std::uint64_t value);

}  // namespace rmapcheck::impl
