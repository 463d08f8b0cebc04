// reclaim.cpp - reclaim of anon folios to swap: MADV_PAGEOUT (mm/madvise.c),
// memcg reclaim (mm/vmscan.c shrink_folio_list), try_to_unmap (mm/rmap.c),
// and the rules that free swap-cache folios and slots (mm/swapfile.c,
// mm/swap_state.c). docs/model/pageout.md, docs/model/reclaim.md.
//
// The machine the model describes swaps to zram (SWP_SYNCHRONOUS_IO: the
// write completes inside pageout()), never fills half its swap, and keeps
// every folio on the LRU (one CPU, drained). So reclaiming a folio either
// succeeds completely or, when its slot cannot be allocated, changes
// nothing.
#include <algorithm>
#include <vector>

#include "model/ops.h"

namespace rmapcheck::model {

namespace {

// try_to_unmap: rmap_walk_anon with try_to_unmap_one at each mapping the
// walk finds. Each PTE becomes a swap PTE of the folio's slot
// (swap_duplicate: the slot's count is derived, so it is +1 by
// definition); PageAnonExclusive moves into the first swap PTE's exclusive
// bit (folio_try_share_anon_rmap_pte clears it on the folio). The walk is
// the model's own, as the kernel's is its own: a mapping it misses stays
// mapped, and shrink_folio then keeps the folio.
void try_to_unmap(State& s, Folio& f) {
  const std::vector<RmapHit> hits = rmap_walk_anon(s, f.id);
  for (const RmapHit& h : hits) {
    Pte& pte = s.procs.at(h.proc).ptes.at(h.page);
    const bool exclusive = f.exclusive;
    pte = Pte::swap(f.swap, exclusive);
    f.exclusive = false;
    s.hit(Branch::SwapOut);
    if (exclusive) s.hit(Branch::SwapOutExclusive);
  }
  if (hits.size() > 1) s.hit(Branch::ReclaimShared);
}

}  // namespace

// shrink_folio_list for one anon folio with ignore_references (pageout) or
// after folio_check_references found it unreferenced (memcg reclaim, whose
// repeated passes clear the young bits: docs/model/reclaim.md).
//   1. Not in the swap cache: folio_alloc_swap gives it a slot (the
//      `failalloc swap` site; on failure the folio is activated, unchanged).
//   2. Mapped: try_to_unmap; still mapped afterwards: activated, kept in
//      the swap cache.
//   3. pageout: the slot stores the contents (zram, synchronous), then
//      __remove_mapping takes it out of the swap cache and frees it.
bool shrink_folio(State& s, Id id) {
  Folio& f = s.folios.at(id);
  if (f.swap == 0) {
    if (alloc_fails(s, AllocSite::Swap)) return false;
    const Id slot = s.new_id();
    s.slots[slot] = SwapSlot{slot, 0};
    f.swap = slot;
  }
  if (mapcount(s, id) > 0) try_to_unmap(s, f);
  if (mapcount(s, id) > 0) return false;
  s.slots.at(f.swap).value = f.value;
  s.folios.erase(id);
  return true;
}

// madvise_pageout -> madvise_cold_or_pageout_pte_range(pageout) over each
// VMA piece of the range (madvise_walk_vmas: holes make it ENOMEM, the
// mapped parts are still done). VM_LOCKED is EINVAL (can_madv_lru_vma).
// Per present PTE, in address order: the zero page is skipped
// (vm_normal_folio is NULL), so is a folio mapped more than once
// (folio_mapcount != folio_nr_pages); the rest is reclaimed
// (reclaim_pages, at the end of each PMD range, in list order = address
// order). Swap PTEs are left as they are. No VMA changes.
Result madvise_pageout(State& s, Proc& p, Page start, Page npages) {
  return madvise_walk_vmas(p, start, npages, [&](Vma& v, Page from, Page to) {
    if (v.flags & VM_LOCKED) return -EINVAL;
    std::vector<Id> list;
    for (auto it = p.ptes.lower_bound(from); it != p.ptes.end() && it->first < to; ++it) {
      const Pte& pte = it->second;
      if (!pte.maps_folio()) continue;
      if (mapcount(s, pte.folio) != 1) {
        s.hit(Branch::PageoutSkipShared);
        continue;
      }
      list.push_back(pte.folio);
    }
    for (Id id : list) shrink_folio(s, id);
    return 0;
  });
}

// `reclaim`: memory.force_empty of the memcg every process runs in
// (mem_cgroup_force_empty: try_to_free_mem_cgroup_pages until nothing is
// charged). Every folio is reclaimed, shared ones too: try_to_unmap
// unmaps every mapping in every process. Order (it matters only for which
// slot allocation a `failalloc swap K` fails): folios by (process, page)
// of their first PTE, then the unmapped swap-cache folios by their slot's
// first swap PTE.
Result reclaim_all(State& s) {
  std::vector<Id> order;
  auto add = [&](Id id) {
    if (id != 0 && std::find(order.begin(), order.end(), id) == order.end()) order.push_back(id);
  };
  for (const auto& [name, p] : s.procs)
    for (const auto& [page, pte] : p.ptes)
      if (pte.maps_folio()) add(pte.folio);
  for (const auto& [name, p] : s.procs)
    for (const auto& [page, pte] : p.ptes)
      if (pte.is_swap()) add(cached_folio(s, pte.slot));
  for (Id id : order) shrink_folio(s, id);
  return Result::ok();
}

// What frees folios and slots, by definition, after every step that can
// unmap a page or drop a slot's count:
//  - a folio no PTE maps is freed, unless it is in the swap cache of a slot
//    a swap PTE still holds (free_swap_cache in the zap and wp_page_copy
//    paths, __try_to_reclaim_swap(TTRS_UNMAPPED) in free_swap_and_cache_nr:
//    an unmapped swap-cache folio whose slot has no count is dropped);
//  - a slot with no swap PTE and no swap-cache folio is freed
//    (swap_entries_free).
// A MAPPED swap-cache folio whose slot has no count stays in the swap
// cache until it is unmapped or reused by a write (folio_free_swap).
void free_unmapped_folios(State& s) {
  for (auto it = s.folios.begin(); it != s.folios.end();) {
    const Folio& f = it->second;
    if (mapcount(s, f.id) > 0 || (f.swap != 0 && swap_count(s, f.swap) > 0)) {
      ++it;
      continue;
    }
    if (f.swap != 0) s.hit(Branch::SwapCacheDropped);
    it = s.folios.erase(it);
  }
  for (auto it = s.slots.begin(); it != s.slots.end();) {
    if (swap_count(s, it->first) > 0 || cached_folio(s, it->first) != 0) {
      ++it;
      continue;
    }
    s.hit(Branch::SwapSlotFreed);
    it = s.slots.erase(it);
  }
}

}  // namespace rmapcheck::model
