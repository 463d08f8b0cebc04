// fault.cpp - read and write accesses: the page-fault paths of mm/memory.c (docs/kernel/faults.md).
#include "model/ops.h"

namespace rmapcheck::model {

namespace {

// A fault either completes or returns VM_FAULT_OOM (an allocation failed).
enum class FaultResult { Done, Oom };

// folio_alloc + folio_add_new_anon_rmap(folio, vma, addr, RMAP_EXCLUSIVE):
// a new exclusive folio under vma->anon_vma at the page's linear index; 0
// when the folio cannot be allocated.
Id new_exclusive_folio(State& s, const Vma& v, Page page, std::uint64_t value) {
  if (alloc_fails(s, AllocSite::Folio)) return 0;
  Folio f;
  f.id = s.new_id();
  f.anon_vma = v.anon_vma;
  f.index = v.linear_index(page);
  f.exclusive = true;
  f.value = value;
  s.folios[f.id] = f;
  return f.id;
}

// pte_alloc: the page table of `page`, allocated if missing; false when it
// cannot be.
bool pte_alloc(State& s, Proc& p, Page page) {
  if (p.pte_tables.count(table_of(page))) return true;
  if (alloc_fails(s, AllocSite::PageTable)) return false;
  p.pte_tables.insert(table_of(page));
  return true;
}

// do_anonymous_page on a missing PTE: the page table first; a read maps
// the zero page (no anon_vma_prepare); a write prepares the anon_vma, then
// allocates a new exclusive folio and maps it writable. A failure leaves
// what came before it: an allocated page table, a prepared anon_vma.
FaultResult do_anonymous_page(State& s, Proc& p, Vma& v, Page page, bool write) {
  if (!pte_alloc(s, p, page)) return FaultResult::Oom;
  if (!write) {
    p.ptes[page] = Pte{true, 0, false};
    s.hit(Branch::ZeroPageRead);
    return FaultResult::Done;
  }
  if (anon_vma_prepare(s, p, v) != 0) return FaultResult::Oom;  // vmf_anon_prepare
  const Id f = new_exclusive_folio(s, v, page, 0);
  if (f == 0) return FaultResult::Oom;
  p.ptes[page] = Pte{false, f, true};
  s.hit(Branch::NewAnonFolio);
  return FaultResult::Done;
}

// wp_page_copy: a private copy (zero-filled for the zero page) under
// vma->anon_vma; the old folio loses one mapping (folio_remove_rmap_pte).
// A failure leaves the old PTE as it was (and a prepared anon_vma).
FaultResult wp_page_copy(State& s, Proc& p, Vma& v, Page page) {
  const bool from_zero = p.ptes.at(page).zero;
  if (anon_vma_prepare(s, p, v) != 0) return FaultResult::Oom;  // vmf_anon_prepare
  Pte& pte = p.ptes.at(page);
  const std::uint64_t old_value = pte.zero ? 0 : s.folios.at(pte.folio).value;
  const Id copy = new_exclusive_folio(s, v, page, old_value);
  if (copy == 0) return FaultResult::Oom;
  p.ptes[page] = Pte{false, copy, true};
  free_unmapped_folios(s);
  s.hit(from_zero ? Branch::CowCopyZeroPage : Branch::CowCopy);
  return FaultResult::Done;
}

// refcount(F) with no GUP pin or LRU batch: one per mapping, one for the
// swap cache.
long folio_ref_count(const State& s, const Folio& f) {
  return mapcount(s, f.id) + (f.swap != 0 ? 1 : 0);
}

// folio_free_swap: the folio leaves the swap cache, unless a swap PTE still
// holds its slot (then a later swap-in needs it). True when it left.
bool folio_free_swap(State& s, Folio& f) {
  if (f.swap == 0 || swap_count(s, f.swap) != 0) return false;
  f.swap = 0;  // the slot, with no count and no cache, is freed after the op
  return true;
}

// wp_can_reuse_anon_folio for an order-0 folio, in the kernel's order:
// more references than mappings and the swap cache can explain, or a
// second mapping, mean a copy; a swap-cache reference is dropped when no
// swap PTE needs it any more (folio_free_swap), and the sole mapper then
// reuses the folio.
bool wp_can_reuse_anon_folio(State& s, Folio& f, bool* freed_swap) {
  if (folio_ref_count(s, f) > 3) return false;
  if (folio_ref_count(s, f) > 1 + (f.swap != 0 ? 1 : 0)) return false;
  *freed_swap = folio_free_swap(s, f);
  return folio_ref_count(s, f) == 1;
}

// do_wp_page on a present read-only PTE of a writable private VMA.
FaultResult do_wp_page(State& s, Proc& p, Vma& v, Page page) {
  Pte& pte = p.ptes.at(page);
  if (!pte.zero) {
    Folio& f = s.folios.at(pte.folio);
    if (f.exclusive) {  // PageAnonExclusive: wp_page_reuse (unreachable here, see coverage.h)
      pte.writable = true;
      return FaultResult::Done;
    }
    bool freed_swap = false;
    if (wp_can_reuse_anon_folio(s, f, &freed_swap)) {
      s.hit(Branch::CowReuseSoleMapper);
      if (freed_swap) s.hit(Branch::CowReuseFreedSwapCache);
      f.anon_vma = v.anon_vma;  // folio_move_anon_rmap; index unchanged
      f.exclusive = true;
      pte.writable = true;
      return FaultResult::Done;
    }
  }
  return wp_page_copy(s, p, v, page);
}

// The root of an anon_vma, 0 for none.
Id root_of(const State& s, Id av) {
  auto it = s.anon_vmas.find(av);
  return it == s.anon_vmas.end() ? 0 : it->second.root;
}

// do_swap_page on a swap PTE (zram: SWP_SYNCHRONOUS_IO; page-cluster 0, so
// no readahead; swap never half full). docs/model/pageout.md#swap-in.
FaultResult do_swap_page(State& s, Proc& p, Vma& v, Page page, bool write) {
  const Id slot = p.ptes.at(page).slot;
  const bool swp_exclusive = p.ptes.at(page).swp_exclusive;
  const Page index = v.linear_index(page);
  const std::uint64_t stored = s.slots.at(slot).value;
  Id id = cached_folio(s, slot);
  bool exclusive = swp_exclusive;
  bool fresh = true;  // folio_add_new_anon_rmap (a folio not anon yet) or not
  if (id != 0) {
    const Folio& cached = s.folios.at(id);
    // ksm_might_need_to_copy: a cached folio that does not belong here
    // (another index or another anon_vma root) is copied, never mapped.
    // Unreachable while I-SWAPPTE-CHAIN holds; the kernel's safety net.
    if (cached.index != index || root_of(s, cached.anon_vma) != root_of(s, v.anon_vma)) {
      id = new_exclusive_folio(s, v, page, cached.value);
      if (id == 0) return FaultResult::Oom;
      exclusive = true;
    } else {
      fresh = false;
    }
    s.hit(Branch::SwapInCacheHit);
  } else if (swap_count(s, slot) == 1) {
    // SWP_SYNCHRONOUS_IO and __swap_count == 1: read straight into a new
    // folio that never enters the swap cache; it is exclusive (folio !=
    // swapcache).
    if (alloc_fails(s, AllocSite::Folio)) return FaultResult::Oom;
    Folio f;
    f.id = s.new_id();
    f.value = stored;
    s.folios[f.id] = f;
    id = f.id;
    exclusive = true;
    s.hit(Branch::SwapInBypass);
  } else {
    // swapin_readahead (just this slot): a new swap-cache folio, not anon yet.
    if (alloc_fails(s, AllocSite::Folio)) return FaultResult::Oom;
    Folio f;
    f.id = s.new_id();
    f.value = stored;
    f.swap = slot;
    s.folios[f.id] = f;
    id = f.id;
    s.hit(Branch::SwapInCacheMiss);
  }
  Folio& f = s.folios.at(id);
  // swap_free_nr: this PTE's reference to the slot goes (the PTE is
  // replaced below; the counts are derived, so "after swap_free" is one
  // less than now).
  const long count_after = swap_count(s, slot) - 1;
  // should_try_to_free_swap: a write fault on a folio no one else
  // references (refcount == 1 + the swap cache) tries folio_free_swap.
  if (write && f.swap != 0 && mapcount(s, f.id) == 0 && count_after == 0) f.swap = 0;
  // folio_ref_count == 1: nothing but this fault holds the folio.
  if (f.swap == 0 && mapcount(s, f.id) == 0) exclusive = true;
  if (fresh) {
    // folio_add_new_anon_rmap -> __folio_set_anon: an exclusive folio under
    // the VMA's anon_vma, a shared one under its root, so that every
    // process that may map it finds it.
    f.anon_vma = exclusive ? v.anon_vma : root_of(s, v.anon_vma);
    f.index = index;
    f.exclusive = exclusive;
  } else if (exclusive) {
    f.exclusive = true;  // folio_add_anon_rmap_ptes(RMAP_EXCLUSIVE); mapping kept
  }
  const bool writable = exclusive && (v.flags & VM_WRITE) != 0;
  p.ptes[page] = Pte{false, id, writable};
  if (writable && !write) s.hit(Branch::SwapInWritableOnRead);
  if (write && !writable) return do_wp_page(s, p, v, page);
  return FaultResult::Done;
}

// handle_mm_fault -> handle_pte_fault.
FaultResult handle_mm_fault(State& s, Proc& p, Vma& v, Page page, bool write) {
  auto it = p.ptes.find(page);
  if (it == p.ptes.end()) return do_anonymous_page(s, p, v, page, write);
  if (it->second.is_swap()) return do_swap_page(s, p, v, page, write);
  if (write && !it->second.writable) return do_wp_page(s, p, v, page);
  return FaultResult::Done;
}

// The user access faults until it can complete. VM_FAULT_OOM from a user
// fault is not an error the program sees: do_user_addr_fault calls
// pagefault_out_of_memory() and returns, and the instruction is retried.
// An injected failure fires once, so the retry succeeds; what the failed
// attempt did stays (docs/failure.md).
void fault_until_done(State& s, Proc& p, Vma& v, Page page, bool write) {
  while (handle_mm_fault(s, p, v, page, write) == FaultResult::Oom) {
  }
}

// x86 access_error(): a read needs any of VM_READ|VM_WRITE|VM_EXEC.
bool may_read(const Vma& v) {
  return (v.flags & (VM_READ | VM_WRITE | VM_EXEC)) != 0;
}

}  // namespace

// A load: a missing PTE is a read fault (do_anonymous_page maps the zero
// page, with no anon_vma_prepare), a swap PTE a swap-in (do_swap_page);
// the value is the page's contents.
Result handle_read(State& s, Proc& p, Page page) {
  Vma* v = vma_containing(p, page);
  if (!v || !may_read(*v)) return Result::segv();
  if (auto it = p.ptes.find(page); it == p.ptes.end() || it->second.is_swap())
    fault_until_done(s, p, *v, page, false);
  const Pte& pte = p.ptes.at(page);
  return Result::read_value(pte.zero ? 0 : s.folios.at(pte.folio).value);
}

// A store: VM_WRITE needed (else SIGSEGV); fault if the PTE is missing or
// read-only; then the value is stored in the (now exclusive) folio.
Result handle_write(State& s, Proc& p, Page page, std::uint64_t value) {
  Vma* v = vma_containing(p, page);
  if (!v || !(v->flags & VM_WRITE)) return Result::segv();
  fault_until_done(s, p, *v, page, true);
  s.folios.at(p.ptes.at(page).folio).value = value;
  return Result::ok();
}

}  // namespace rmapcheck::model
