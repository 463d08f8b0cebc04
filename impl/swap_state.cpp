// impl/swap_state.cpp - the swap cache (mirrors mm/swap_state.c, v6.18 swap tables).
#include "impl/swap_state.h"

#include "impl/internal.h"

namespace rmapcheck::impl {

folio* swap_cache_get_folio(const kernel_state& k, swp_entry_t entry) {
  return entry.val < k.si.swap_table.size() ? k.si.swap_table[entry.val] : nullptr;
}

// swap_cache_add_folio: the cache takes a reference (folio_ref_add(nr)).
void swap_cache_add_folio(kernel_state& k, folio* f, swp_entry_t entry) {
  k.si.swap_table[entry.val] = f;
  f->swap = entry;
  f->refcount++;
}

void swap_cache_del_folio(kernel_state& k, folio* f) {
  const swp_entry_t entry = f->swap;
  k.si.swap_table[entry.val] = nullptr;
  f->swap = swp_entry_t{};
  put_swap_folio(k, entry);
  folio_put(k, f);
}

void free_swap_cache(kernel_state& k, folio* f) {
  if (!folio_test_swapcache(f) || f->mapcount != 0) return;  // && folio_trylock
  if (folio_free_swap(k, f)) k.hit(Branch::SwapCacheDropped);
}

}  // namespace rmapcheck::impl
