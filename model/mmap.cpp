// mmap.cpp - mmap(MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE): do_mmap and
// __mmap_region (docs/kernel/merge.md#new-mappings).
#include "model/ops.h"

namespace rmapcheck::model {

Result mmap_region(State& s, Proc& p, Page start, Page npages, Prot prot, bool noreserve) {
  if (npages == 0) return Result::error(EINVAL);  // do_mmap: !len
  const Page end = start + npages;
  if (range_has_vma(p, start, end)) return Result::error(EEXIST);  // MAP_FIXED_NOREPLACE

  VmFlags flags = prot_to_flags(prot);
  if (noreserve) flags |= VM_NORESERVE;  // overcommit is not OVERCOMMIT_NEVER
  // accountable_mapping(): private, writable, not NORESERVE.
  if ((flags & (VM_NORESERVE | VM_WRITE)) == VM_WRITE) flags |= VM_ACCOUNT;

  // vma_merge_new_range with no anon_vma and pgoff = addr >> PAGE_SHIFT. A
  // merge that fails for want of memory falls through to a new VMA, as
  // __mmap_region does (it does not look at vmg_nomem here).
  MergeRequest m;
  if (Vma* prev = vma_prev(p, start)) m.prev = prev->id;
  if (Vma* next = vma_next(p, end)) m.next = next->id;
  m.start = start;
  m.end = end;
  m.pgoff = start;
  m.flags = flags;
  if (vma_merge_new_range(s, p, m)) return Result::ok();

  // __mmap_new_vma: vm_area_alloc, then the maple-tree preallocation; a
  // failure of either is ENOMEM with nothing mapped.
  if (alloc_fails(s, AllocSite::Vma)) return Result::error(ENOMEM);
  if (alloc_fails(s, AllocSite::Prealloc)) return Result::error(ENOMEM);
  Vma v;
  v.id = s.new_id();
  v.start = start;
  v.end = end;
  v.pgoff = start;
  v.flags = flags;
  p.vmas[v.id] = v;  // anon_vma NULL, empty chain: nothing faulted yet
  return Result::ok();
}

}  // namespace rmapcheck::model
