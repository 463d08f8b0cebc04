// mremap.cpp - mremap (mm/mremap.c, v6.17+ flow: check_mremap_params,
// remap_move, check_prep_vma, mremap_to, mremap_at, move_vma) and the
// mm/vma.c helpers it uses (copy_vma, vma_merge_extend) (docs/kernel/mremap.md).
//
// The op: NEW == OLD resizes in place (flags 0); otherwise
// MREMAP_MAYMOVE|MREMAP_FIXED to NEW, with MREMAP_DONTUNMAP if asked.
#include <algorithm>

#include "model/ops.h"

namespace rmapcheck::model {

namespace {

// copy_vma (via vma_merge_copied_range): try to merge the destination range
// with its neighbours, else duplicate the source VMA there with an exact
// copy of its chain. An unfaulted source restarts its pgoff at the new
// address, which makes a merge at the destination more likely.
// Allocations: the merge's (dup avcs, prealloc); a merge that fails for
// want of memory falls back to the copy, like no merge. The copy: the VMA,
// the clone's avcs, the preallocation of vma_link (on its failure the
// clone is unlinked again). Returns 0 when the copy cannot be made; then
// nothing changed.
Id copy_vma(State& s, Proc& p, Id src_id, Page addr, Page len, Page pgoff) {
  Vma& src = vma_by_id(p, src_id);
  if (src.anon_vma == 0) {
    pgoff = addr;
    s.hit(Branch::MremapPgoffReset);
  }
  MergeRequest m;
  if (Vma* prev = vma_prev(p, addr)) m.prev = prev->id;
  if (Vma* next = vma_next(p, addr)) m.next = next->id;
  m.start = addr;
  m.end = addr + len;
  m.pgoff = pgoff;
  m.flags = src.flags;
  m.anon_vma = src.anon_vma;
  m.copied_from = src_id;
  if (Id merged = vma_merge_new_range(s, p, m)) {
    s.hit(Branch::MremapMoveMerged);
    return merged;
  }
  if (alloc_fails(s, AllocSite::Vma)) return 0;
  Vma v;
  v.id = s.new_id();
  v.start = addr;
  v.end = addr + len;
  v.pgoff = pgoff;
  v.flags = src.flags;
  v.anon_vma = src.anon_vma;  // from vm_area_dup: the clone is an exact copy
  if (anon_vma_clone(s, v, src) != 0) return 0;
  if (alloc_fails(s, AllocSite::Prealloc)) {  // vma_link
    unlink_anon_vmas(s, v);
    return 0;
  }
  p.vmas[v.id] = v;
  return v.id;
}

// move_page_tables: PTEs move as they are (folios keep mapping and index;
// swap PTEs keep slot and exclusive bit, and a swap-cache folio its index:
// copy_vma kept the linear pgoff of the faulted VMA),
// in address order; the destination page table is allocated when missing
// (the PTE is installed before the source is cleared, since both may sit
// in one table). Returns how many pages were handled: less than len when a
// page table could not be allocated, and the PTEs from there on stay.
Page move_page_tables(State& s, Proc& p, Page from, Page len, Page to) {
  std::vector<Page> present;
  for (auto it = p.ptes.lower_bound(from); it != p.ptes.end() && it->first < from + len; ++it)
    present.push_back(it->first);
  for (Page page : present) {
    const Page dst = to + (page - from);
    if (!p.pte_tables.count(table_of(dst))) {
      if (alloc_fails(s, AllocSite::PageTable)) return page - from;
      p.pte_tables.insert(table_of(dst));
    }
    p.ptes[dst] = p.ptes.at(page);
    if (p.ptes.at(dst).is_swap()) s.hit(Branch::MremapMoveSwapPte);
    pte_clear(p, page);
  }
  return len;
}

// unmap_source_vma: munmap [addr, addr+len). VM_ACCOUNT is taken off the
// VMA while it is split and given back to the pieces that stay outside the
// range; if the munmap fails (a split cannot allocate) the range stays
// mapped, the op still succeeds ("OOM: unable to split vma, just get
// accounts right"), and the VMA, with any piece split off it before the
// failure, keeps VM_ACCOUNT cleared.
void unmap_source_vma(State& s, Proc& p, Id vma_id, Page addr, Page len, bool dontunmap) {
  Vma& vma = vma_by_id(p, vma_id);
  const bool accountable_move = (vma.flags & VM_ACCOUNT) && !dontunmap;
  const Page vm_start = vma.start, vm_end = vma.end, end = addr + len;
  if (accountable_move) vma.flags &= ~VM_ACCOUNT;
  if (do_munmap(s, p, addr, end) != 0 || !accountable_move) return;
  if (vm_start < addr)
    if (Vma* prev = vma_prev(p, addr)) prev->flags |= VM_ACCOUNT;
  if (vm_end > end)
    if (Vma* next = vma_next(p, end)) next->flags |= VM_ACCOUNT;
}

// move_vma: copy the VMA, move the page tables, then either unmap the
// source or, with MREMAP_DONTUNMAP, keep it and unlink its anon state when
// it was moved whole (dontunmap_complete).
// Failure: no copy possible is ENOMEM with nothing changed. A page-table
// move that stops part-way (copy_vma_and_data) moves the PTEs back, then
// unmaps the NEW range instead of the old one (also with DONTUNMAP) and
// returns ENOMEM: the source is as before, the destination is unmapped (a
// neighbour the destination had merged into is split back; any anon state
// dup'ed into it stays).
Result move_vma(State& s, Proc& p, Page addr, Page old_len, Page new_addr, Page new_len,
                bool dontunmap) {
  s.hit(Branch::MremapMove);
  const Vma& src = *vma_containing(p, addr);
  const Page new_pgoff = src.linear_index(addr);
  const Id new_id = copy_vma(s, p, src.id, new_addr, new_len, new_pgoff);
  if (new_id == 0) return Result::error(ENOMEM);
  Vma& now = *vma_containing(p, addr);  // the source, possibly merged into new_vma
  const bool self_merged = now.id == new_id;
  const Page moved = move_page_tables(s, p, addr, old_len, new_addr);
  if (moved < old_len) {
    move_page_tables(s, p, new_addr, moved, addr);  // cannot fail: fired once
    unmap_source_vma(s, p, new_id, new_addr, new_len, dontunmap);
    return Result::error(ENOMEM);
  }
  if (!dontunmap) {
    unmap_source_vma(s, p, now.id, addr, old_len, false);
    return Result::ok();
  }
  s.hit(Branch::MremapDontUnmap);
  now.flags &= ~VM_LOCKED;
  if (!self_merged && now.start == addr && now.end == addr + old_len) unlink_anon_vmas(s, now);
  return Result::ok();
}

// mremap_to: MREMAP_FIXED unmaps the destination first; a shrinking move
// unmaps the tail of the source, then the rest moves.
Result mremap_to(State& s, Proc& p, Page addr, Page old_len, Page new_addr, Page new_len,
                 bool dontunmap) {
  if (int err = do_munmap(s, p, new_addr, new_addr + new_len)) return Result::error(-err);
  if (!vma_containing(p, addr)) return Result::error(EFAULT);
  if (old_len > new_len) {
    if (int err = do_munmap(s, p, addr + new_len, addr + old_len)) return Result::error(-err);
    s.hit(Branch::MremapShrink);
    if (!vma_containing(p, addr)) return Result::error(EFAULT);
    old_len = new_len;
  }
  return move_vma(s, p, addr, old_len, new_addr, new_len, dontunmap);
}

// remap_move (v6.17+): MREMAP_FIXED with old_len == new_len moves every
// VMA piece of [addr, addr+len), keeping the gaps; no gap is allowed at the
// start (EFAULT); pieces already moved stay moved.
Result remap_move(State& s, Proc& p, Page addr, Page len, Page new_addr, bool dontunmap) {
  const Page end = addr + len;
  Page pos = addr;
  bool seen = false;
  // The walk resumes at the end of the last piece (the kernel's VMA
  // iterator is paused there), so a piece that grew by merging at its
  // destination is not found, and moved, a second time.
  while (pos < end) {
    Vma* v = first_vma_ending_after(p, pos, end);
    if (!v) break;
    if (!seen && v->start > addr) return Result::error(EFAULT);
    const Page piece = std::max(v->start, addr);
    const Page piece_len = std::min(end, v->end) - piece;
    const Page last_end = v->end;
    Result r = mremap_to(s, p, piece, piece_len, new_addr + (piece - addr), piece_len, dontunmap);
    if (r.kind != Result::Kind::Ok) return r;
    seen = true;
    pos = last_end;
  }
  return seen ? Result::ok() : Result::error(EFAULT);
}

// vma_merge_extend: [vm_end, vm_end+delta) as a new range whose prev is the
// VMA itself (Case 3) and which may also swallow next. ENOMEM when the
// merge cannot allocate (then nothing changed).
Result vma_merge_extend(State& s, Proc& p, Vma& v, Page delta) {
  MergeRequest m;
  m.prev = v.id;
  if (Vma* next = vma_next(p, v.end)) m.next = next->id;
  m.start = v.end;
  m.end = v.end + delta;
  m.pgoff = v.linear_index(v.end);
  m.flags = v.flags;
  m.anon_vma = v.anon_vma;
  if (!vma_merge_new_range(s, p, m)) return Result::error(ENOMEM);
  s.hit(Branch::MremapExpandInPlace);
  return Result::ok();
}

// mremap_at: resize in place. Growth needs [addr, addr+old_len) to end at
// the VMA's end and free space after it; without MREMAP_MAYMOVE a blocked
// growth is ENOMEM.
Result mremap_at(State& s, Proc& p, Vma& v, Page addr, Page old_len, Page new_len) {
  if (new_len == old_len) return Result::ok();
  if (new_len < old_len) {
    if (int err = do_munmap(s, p, addr + new_len, addr + old_len)) return Result::error(-err);
    s.hit(Branch::MremapShrink);
    return Result::ok();
  }
  const Page delta = new_len - old_len;
  if (v.end - addr != old_len || range_has_vma(p, v.end, v.end + delta))
    return Result::error(ENOMEM);
  return vma_merge_extend(s, p, v, delta);
}

}  // namespace

Result do_mremap(State& s, Proc& p, const Op& op) {
  const Page addr = op.start, old_len = op.npages;
  const Page new_addr = op.new_start, new_len = op.new_npages;
  const bool in_place = new_addr == addr;

  // check_mremap_params: no VMA is looked at yet.
  if (new_len == 0) return Result::error(EINVAL);
  if (in_place && op.dontunmap)  // DONTUNMAP implies a new address that overlaps
    return Result::error(EINVAL);
  if (!in_place) {
    if (op.dontunmap && old_len != new_len) return Result::error(EINVAL);
    const bool overlap = addr + old_len > new_addr && new_addr + new_len > addr;  // vrm_overlaps
    if (overlap) return Result::error(EINVAL);
    if (old_len == new_len) return remap_move(s, p, addr, old_len, new_addr, op.dontunmap);
  }

  // check_prep_vma on vma_lookup(addr).
  Vma* v = vma_containing(p, addr);
  if (!v) return Result::error(EFAULT);
  const bool will_map_new = !in_place || new_len > old_len;
  if (will_map_new) {
    if (old_len == 0) return Result::error(EINVAL);            // no duplicating a private mapping
    const Page moved = old_len > new_len ? new_len : old_len;  // a shrink may cross VMAs
    if (moved > v->end - addr) return Result::error(EFAULT);
  }
  if (in_place) return mremap_at(s, p, *v, addr, old_len, new_len);
  return mremap_to(s, p, addr, old_len, new_addr, new_len, op.dontunmap);
}

}  // namespace rmapcheck::model
