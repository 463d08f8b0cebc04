// impl/swapfile.cpp - swap_map counts and slot allocation (mirrors mm/swapfile.c, v6.18).
//
// Written from the kernel's behaviour, not copied; each function names the
// one it mirrors. See impl/swapfile.h for the contract.
#include "impl/swapfile.h"

#include <cerrno>

#include "impl/rmap.h"
#include "impl/swap_state.h"

namespace rmapcheck::impl {

namespace {

swap_map_t& map_of(kernel_state& k, swp_entry_t entry) {
  if (entry.val == 0 || entry.val >= k.si.swap_map.size() || k.si.swap_map[entry.val] == 0) {
    // _swap_info_get's "Unused swap offset entry": a use of a freed slot.
    throw EngineFault("use of a free swap slot " + std::to_string(entry.val));
  }
  return k.si.swap_map[entry.val];
}

// swap_entries_free: the last reference went; the offset is free again.
void swap_entries_free(kernel_state& k, swp_entry_t entry) {
  k.si.swap_map[entry.val] = 0;
  k.si.contents[entry.val] = 0;
  k.si.inuse_pages--;
  k.hit(Branch::SwapSlotFreed);
}

// scan_swap_map / cluster_alloc_swap_entry, for order 0: the next free
// offset from the cursor, wrapping once; grow when every offset is in use.
std::uint32_t alloc_swap_offset(swap_info_struct& si) {
  const auto size = static_cast<std::uint32_t>(si.swap_map.size());
  if (static_cast<std::uint32_t>(si.inuse_pages) + 1 < size) {
    for (std::uint32_t n = 0, off = si.next; n < size; ++n, ++off) {
      if (off >= size) off = 1;
      if (si.swap_map[off] == 0) return off;
    }
  }
  si.swap_map.push_back(0);
  si.contents.push_back(0);
  si.swap_table.push_back(nullptr);
  return size;
}

}  // namespace

int folio_alloc_swap(kernel_state& k, folio* f) {
  if (k.should_fail_alloc(AllocSite::Swap)) return -ENOMEM;
  const std::uint32_t off = alloc_swap_offset(k.si);
  k.si.next = off + 1;
  k.si.inuse_pages++;
  k.si.swap_map[off] = SWAP_HAS_CACHE;  // swap_range_alloc with usage SWAP_HAS_CACHE
  swap_cache_add_folio(k, f, swp_entry_t{off});
  return 0;
}

void swap_duplicate(kernel_state& k, swp_entry_t entry) {
  swap_map_t& m = map_of(k, entry);
  if (swap_count(m) == SWAP_COUNT_MASK) throw EngineFault("swap_map count overflow");
  ++m;
}

// swap_entry_put_locked with usage 1.
void swap_free(kernel_state& k, swp_entry_t entry) {
  swap_map_t& m = map_of(k, entry);
  if (swap_count(m) == 0) throw EngineFault("swap_free of a slot with no count");
  if (--m == 0) swap_entries_free(k, entry);
}

void free_swap_and_cache(kernel_state& k, swp_entry_t entry) {
  swap_free(k, entry);
  // any_only_cache: the count went and the cache bit is all that is left.
  if (k.si.swap_map[entry.val] != SWAP_HAS_CACHE) return;
  // __try_to_reclaim_swap(TTRS_UNMAPPED | TTRS_FULL): need_reclaim only for
  // an unmapped folio (the device is never full); swap_only_has_cache holds.
  folio* f = swap_cache_get_folio(k, entry);
  if (f == nullptr || f->mapcount != 0) return;
  k.hit(Branch::SwapCacheDropped);
  swap_cache_del_folio(k, f);
}

bool folio_free_swap(kernel_state& k, folio* f) {
  if (!folio_test_swapcache(f)) return false;       // folio_swapcache_freeable
  if (__swap_count(k, f->swap) != 0) return false;  // folio_swapped
  swap_cache_del_folio(k, f);
  return true;
}

// swap_entries_put_cache: swap_only_has_cache -> free, else drop the bit.
void put_swap_folio(kernel_state& k, swp_entry_t entry) {
  swap_map_t& m = map_of(k, entry);
  if ((m & SWAP_HAS_CACHE) == 0) throw EngineFault("put_swap_folio without SWAP_HAS_CACHE");
  m &= static_cast<swap_map_t>(~SWAP_HAS_CACHE);
  if (m == 0) swap_entries_free(k, entry);
}

unsigned __swap_count(const kernel_state& k, swp_entry_t entry) {
  return entry.val < k.si.swap_map.size() ? swap_count(k.si.swap_map[entry.val]) : 0;
}

}  // namespace rmapcheck::impl
