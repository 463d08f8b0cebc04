// impl/vmscan.cpp - reclaim of anon folios to swap (mirrors mm/vmscan.c, v6.18).
//
// shrink_folio_list for the folios that MADV_PAGEOUT isolated (reclaim_pages,
// ignore_references) and for `reclaim` (memory.force_empty of the memcg
// every process is in): each folio gets a swap slot if it has none
// (folio_alloc_swap), loses every mapping (try_to_unmap: rmap_walk_anon
// with try_to_unmap_one), is written (zram: synchronous, done when pageout
// returns) and leaves the swap cache and memory (__remove_mapping). A folio
// that cannot get a slot, or is still mapped after try_to_unmap, is
// activated and stays as it is.
#include <cerrno>
#include <unordered_set>
#include <vector>

#include "impl/internal.h"
#include "impl/swap_state.h"

namespace rmapcheck::impl {

namespace {

// __remove_mapping for a swap-cache folio: folio_ref_freeze(folio, 1 + nr)
// succeeds only when the isolation's and the cache's references are all
// that is left; then __swap_cache_del_folio + put_swap_folio, and the
// folio is freed (free_unref_folios).
bool __remove_mapping(kernel_state& k, folio* f) {
  const bool mutant = k.has(Mutant::ReclaimFreesMappedFolio);
  if (f->refcount != 2 && !mutant) return false;
  swap_cache_del_folio(k, f);
  if (mutant && f->refcount != 1) {
    // reclaim-frees-mapped-folio: freed though PTEs still map it.
    k.folio_cachep.free(f, "__remove_mapping");
    return true;
  }
  folio_put(k, f);
  return true;
}

// shrink_folio_list for one isolated folio of an anon, swap-backed LRU.
void shrink_folio(kernel_state& k, folio* f) {
  f->refcount++;  // folio_isolate_lru's reference
  if (!folio_test_swapcache(f)) {
    if (folio_alloc_swap(k, f) != 0) {  // activate_locked_split
      folio_put(k, f);
      return;
    }
  }
  if (f->mapcount > 0) {
    if (f->mapcount > 1) k.hit(Branch::ReclaimShared);
    try_to_unmap(k, f);
    // The re-check: a PTE the walk missed must keep its folio.
    if (f->mapcount > 0 && !k.has(Mutant::ReclaimFreesMappedFolio)) {
      folio_put(k, f);  // activate_locked
      return;
    }
  }
  // pageout -> swap_writeout: zram stores the page at the slot, at once.
  k.si.contents[f->swap.val] = f->value;
  if (!__remove_mapping(k, f)) folio_put(k, f);  // keep_locked
}

}  // namespace

// reclaim_pages -> reclaim_folio_list -> shrink_folio_list: the list is
// taken from its tail, where folio_isolate_lru's list_add put the first
// folio: first isolated, first reclaimed.
void reclaim_pages(kernel_state& k, const std::vector<folio*>& folio_list) {
  for (folio* f : folio_list) shrink_folio(k, f);
}

// mem_cgroup_force_empty: every anon folio of every process, shared ones
// too. The kernel takes them from the LRU lists; the order matters only for
// which folio an injected AllocSite::Swap failure hits, and is fixed by
// docs/model: folios by (process name, page) of their first PTE, then the
// unmapped swap-cache folios by their slot's first swap PTE.
void mem_cgroup_force_empty(kernel_state& k, const std::vector<mm_struct*>& mms) {
  std::vector<folio*> mapped, cached;
  std::unordered_set<const folio*> seen;
  auto first_time = [&](const folio* f) { return seen.insert(f).second; };
  for (int pass = 0; pass < 2; ++pass) {
    for (mm_struct* mm : mms) {
      for (Page t = 0; t < mm->pmd.size(); ++t) {
        const pte_table* table = mm->pmd[t].get();
        if (table == nullptr) continue;
        table->for_each_used([&](Page, const pte_t& pte) {
          if (pass == 0 && pte.present && pte.page != nullptr && first_time(pte.page)) {
            mapped.push_back(pte_folio(k, pte.page, "mem_cgroup_force_empty"));
          } else if (pass == 1 && is_swap_pte(pte)) {
            folio* f = swap_cache_get_folio(k, pte.swp);
            if (f != nullptr && f->mapcount == 0 && first_time(f)) cached.push_back(f);
          }
        });
      }
    }
  }
  reclaim_pages(k, mapped);
  reclaim_pages(k, cached);
}

}  // namespace rmapcheck::impl
