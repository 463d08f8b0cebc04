// impl/swapfile.h - the swap device: swap_map counts, slot allocation, stored contents
// (mirrors mm/swapfile.c for one zram device).
//
// What it is for: swap slots as the kernel keeps them. A slot (an offset on
// the one swap device, type 0) is held by the swap PTEs that name it (its
// count in swap_map) and by the swap cache while a folio sits there for it
// (the SWAP_HAS_CACHE bit of the same swap_map entry). Counts are STORED and
// updated incrementally at the kernel's sites (swap_duplicate per copied or
// unmapped PTE, swap_free per PTE swapped in or zapped); nothing here counts
// PTEs. I-SWAPCOUNT (docs/invariants.md) holds the stored counts to the page
// tables, so a drifting count is caught.
//
// The device is zram (SWP_SYNCHRONOUS_IO): a write is complete when
// swap_writeout returns, a read too; `contents` is what zram stores.
// vm.page-cluster = 0 (no readahead), the device is never more than half
// full (vm_swap_full() and mem_cgroup_swap_full() are false), zswap is off.
//
// Contract
//   - Offset 0 is the swap header and never allocated, so swp_entry_t{0}
//     means "no entry" (folio->swap of a folio not in the swap cache).
//   - A slot is free iff swap_map[offset] == 0; it is freed (swap_entries_free)
//     the moment its count and its cache bit are both gone.
//   - Slots are allocated in a deterministic order: the next free offset at
//     or after the allocation cursor, wrapping once, like the per-CPU
//     cluster's `next` of cluster_alloc_swap_entry; the map grows when full.
//     Canonical snapshots rename slots anyway (snapshot.h), so only
//     determinism matters.
//   - Count continuation (add_swap_count_continuation past SWAP_MAP_MAX = 62)
//     is not modelled: a swap_map entry here is 16 bits wide, so up to 64
//     processes sharing a slot fit without it.
//
// Synopsis
//   swp_entry_t (mm_types.h), swap_info_struct
//   folio_alloc_swap(k, f)       a slot for f, f in the swap cache (AllocSite::Swap)
//   swap_duplicate(k, e)         count + 1 (fork, try_to_unmap_one)
//   swap_free(k, e)              count - 1 (do_swap_page)
//   free_swap_and_cache(k, e)    count - 1, then drop an unmapped cached folio (zap)
//   folio_free_swap(k, f)        f leaves the cache if no swap PTE holds its slot
//   put_swap_folio(k, e)         the cache bit goes (swap_cache_del_folio)
//   __swap_count(k, e), swap_has_cache(k, e)
//
// Cost: 2 bytes of swap_map + 8 bytes of contents + 8 bytes of swap table
// per slot ever used at once; every operation O(1) but
// allocation (O(map) in the worst case, amortized O(1)).
#pragma once

#include <cstdint>
#include <vector>

#include "impl/mm_types.h"

namespace rmapcheck::impl {

struct kernel_state;

// The kernel's swap_map is an unsigned char with SWAP_HAS_CACHE = 0x40;
// here 15 bits of count (see Contract) and the cache bit on top.
using swap_map_t = std::uint16_t;
inline constexpr swap_map_t SWAP_HAS_CACHE = 0x8000;
inline constexpr swap_map_t SWAP_COUNT_MASK = 0x7fff;

// struct swap_info_struct (include/linux/swap.h): the one device.
struct swap_info_struct {
  std::vector<swap_map_t> swap_map{0};     // [0]: the header, never allocated
  std::vector<std::uint64_t> contents{0};  // what pageout wrote at each offset
  // The swap cache (v6.18: the clusters' swap tables): the folio cached for
  // each offset, nullptr if none. impl/swap_state.h reads and writes it.
  std::vector<folio*> swap_table{nullptr};
  std::uint32_t next = 1;  // allocation cursor (cluster->next)
  long inuse_pages = 0;    // allocated offsets
};

inline unsigned swap_count(swap_map_t ent) {
  return ent & SWAP_COUNT_MASK;
}

// folio_alloc_swap (mm/swapfile.c): a free slot, marked SWAP_HAS_CACHE, and
// f added to the swap cache for it (swap_cache_add_folio). -ENOMEM when the
// injected AllocSite::Swap failure fires: f is left as it was.
int folio_alloc_swap(kernel_state& k, folio* f);
// swap_duplicate (__swap_duplicate with usage 1): one more swap PTE.
void swap_duplicate(kernel_state& k, swp_entry_t entry);
// swap_free (swap_free_nr, swap_entries_put_map): one swap PTE fewer; the
// slot is freed when that was the last reference and nothing is cached.
void swap_free(kernel_state& k, swp_entry_t entry);
// free_swap_and_cache_nr (nr = 1): swap_free, then, if only the cache holds
// the slot now, __try_to_reclaim_swap(TTRS_UNMAPPED | TTRS_FULL): the
// cached folio goes if it is not mapped (swap is never full here).
void free_swap_and_cache(kernel_state& k, swp_entry_t entry);
// folio_free_swap: f leaves the swap cache iff no swap PTE holds its slot
// (folio_swapped); true when it did.
bool folio_free_swap(kernel_state& k, folio* f);
// put_swap_folio -> swap_entries_put_cache: clears SWAP_HAS_CACHE, frees the
// slot if no count is left.
void put_swap_folio(kernel_state& k, swp_entry_t entry);
// __swap_count: the count without the cache bit.
unsigned __swap_count(const kernel_state& k, swp_entry_t entry);

}  // namespace rmapcheck::impl
