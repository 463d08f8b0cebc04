// impl/swap_state.h - the swap cache: which folio a swap slot holds (mirrors mm/swap_state.c).
//
// What it is for: a folio on its way out (shrink_folio_list between
// folio_alloc_swap and __remove_mapping) or on its way in (a swap-in of a
// slot other PTEs still hold: swapin_readahead) sits in the swap cache
// under folio->swap. While there it holds one reference (refcount) and the
// slot's SWAP_HAS_CACHE bit; do_swap_page finds it there (a cache hit) and
// maps it again with folio_add_anon_rmap_ptes, keeping its mapping and
// index, even when no PTE maps it any more (its mapping is then stale but
// still used, and I-SWAPPTE-CHAIN holds it to the swap PTEs' VMAs).
//
// Contract
//   - folio->swap.val != 0  <=>  si.swap_table[folio->swap.val] == folio
//     <=>  swap_map[folio->swap.val] has SWAP_HAS_CACHE (PG_swapcache).
//   - Leaving the cache drops the cache's reference: a folio no PTE maps is
//     freed right there (folio_put).
//
// Synopsis
//   swap_cache_get_folio(k, e)     the cached folio or nullptr
//   swap_cache_add_folio(k, f, e)  f->swap = e, +1 reference
//   swap_cache_del_folio(k, f)     out of the cache, cache bit cleared, -1 reference
//   free_swap_cache(k, f)          drop f from the cache if unmapped and unheld
//   folio_test_swapcache(f)
#pragma once

#include "impl/swapfile.h"

namespace rmapcheck::impl {

inline bool folio_test_swapcache(const folio* f) {
  return f->swap.val != 0;
}

folio* swap_cache_get_folio(const kernel_state& k, swp_entry_t entry);
// The caller has set SWAP_HAS_CACHE (folio_alloc_swap, swapcache_prepare).
void swap_cache_add_folio(kernel_state& k, folio* f, swp_entry_t entry);
// __swap_cache_del_folio + put_swap_folio + folio_put of the cache's
// reference (delete_from_swap_cache). Counts Branch::SwapCacheDropped when
// the folio was unmapped (it is freed, or was freed by reclaim).
void swap_cache_del_folio(kernel_state& k, folio* f);
// free_swap_cache (mm/swap_state.c): a cached folio that no PTE maps leaves
// the cache when folio_free_swap allows it (its slot has no count).
void free_swap_cache(kernel_state& k, folio* f);

}  // namespace rmapcheck::impl
