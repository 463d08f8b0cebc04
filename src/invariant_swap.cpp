// invariant_swap.cpp - swap slots, swap PTEs and the swap cache:
// I-SWAPCOUNT, I-SWAPPTE-CHAIN, I-EXCL-SWAP (docs/invariants.md,
// docs/model/pageout.md).
//
// A swap PTE is how reclaim leaves a page behind: the slot it names holds
// the contents, and the slot's swap-cache folio (if any) is what the next
// swap-in maps again without reading. These predicates are what
// do_swap_page relies on (mm/memory.c): the count says when the slot can be
// freed (swap_free), the cached folio's mapping and index say where it
// belongs (the VM_BUG_ON of __page_check_anon_rmap), and the exclusive bit
// says whether the swap-in may map it writable without a copy.
#include <algorithm>

#include "invariant_index.h"

namespace rmapcheck::detail {

namespace {
std::string slot_name(SnapId id) {
  return fmt::format("slot ${}", id);
}

// The swap PTEs holding each slot id, counted over every process: (id, n),
// sorted by id.
std::vector<std::pair<SnapId, long>> swap_pte_counts(const Snapshot& s) {
  std::vector<SnapId> ids;
  for (const SnapProc& p : s.procs) {
    for (const SnapPte& pte : p.ptes) {
      if (pte.kind == SnapPte::Kind::Swap) ids.push_back(pte.slot);
    }
  }
  std::sort(ids.begin(), ids.end());
  std::vector<std::pair<SnapId, long>> out;
  for (std::size_t i = 0; i < ids.size();) {
    std::size_t j = i;
    while (j < ids.size() && ids[j] == ids[i]) ++j;
    out.emplace_back(ids[i], static_cast<long>(j - i));
    i = j;
  }
  return out;
}

long count_of(const std::vector<std::pair<SnapId, long>>& counts, SnapId id) {
  const auto it = std::lower_bound(counts.begin(), counts.end(), id,
                                   [](const auto& e, SnapId x) { return e.first < x; });
  return it != counts.end() && it->first == id ? it->second : 0;
}

}  // namespace

// I-SWAPCOUNT: a slot's count is the number of swap PTEs (in every process)
// that hold it; every slot a swap PTE names is in use; a slot in use has a
// count or a cached folio (a free slot is not held: swap_entries_free runs
// when the last of both goes); the swap cache is one relation seen from both
// sides (slot.cached == F <=> F.swap == slot); a folio only the swap cache
// holds (unmapped) has a slot some swap PTE still holds (else
// free_swap_cache / __try_to_reclaim_swap would have freed it).
void check_swapcount(const SnapIndex& ix, Violations& out) {
  const Snapshot& s = ix.snap;
  if (s.slots.empty() && std::none_of(s.folios.begin(), s.folios.end(),
                                      [](const SnapFolio& f) { return f.swap != 0; })) {
    bool any_swap_pte = false;
    for (const SnapProc& p : s.procs) {
      for (const SnapPte& pte : p.ptes) any_swap_pte = any_swap_pte || pte.slot != 0;
    }
    if (!any_swap_pte) return;  // the common case: nothing is swapped
  }
  const auto counts = swap_pte_counts(s);
  for (std::size_t i = 0; i < s.slots.size(); ++i) {
    const SnapSlot& x = s.slots[i];
    if (s.find_slot(x.id) != &x) {
      add(out, InvariantId::SwapCount, slot_name(x.id), "the slot is listed twice");
      continue;
    }
    const long n = count_of(counts, x.id);
    if (x.count != n) {
      add(out, InvariantId::SwapCount, slot_name(x.id),
          fmt::format("count is {} but {} swap PTE(s) hold it", x.count, n));
    }
    if (n == 0 && x.cached == 0) {
      add(out, InvariantId::SwapCount, slot_name(x.id),
          "in use with no swap PTE and no swap-cache folio: a free slot still held (leaked)");
    }
    if (x.cached != 0) {
      const SnapFolio* f = ix.folio(x.cached);
      if (f == nullptr) {
        add(out, InvariantId::SwapCount, slot_name(x.id),
            fmt::format("the swap cache holds folio #{}, which is not allocated", x.cached));
      } else if (f->swap != x.id) {
        add(out, InvariantId::SwapCount, slot_name(x.id) + " " + folio_name(f->id),
            fmt::format("the slot caches the folio but the folio's swap is {}",
                        f->swap == 0 ? std::string("none") : fmt::format("${}", f->swap)));
      }
    }
  }
  for (const auto& [id, n] : counts) {
    if (s.find_slot(id) == nullptr) {
      add(out, InvariantId::SwapCount, slot_name(id),
          fmt::format("{} swap PTE(s) hold a slot that is not in use", n));
    }
  }
  for (const SnapFolio& f : s.folios) {
    if (f.swap == 0) continue;
    const SnapSlot* x = s.find_slot(f.swap);
    if (x == nullptr) {
      add(out, InvariantId::SwapCount, folio_name(f.id),
          fmt::format("in the swap cache of slot ${}, which is not in use", f.swap));
      continue;
    }
    if (x->cached != f.id) {
      add(out, InvariantId::SwapCount, folio_name(f.id) + " " + slot_name(x->id),
          fmt::format("the folio's swap is the slot but the slot caches {}", id_ref(x->cached)));
    }
    if (ix.pte_count(f.id) == 0 && count_of(counts, f.swap) == 0) {
      add(out, InvariantId::SwapCount, folio_name(f.id),
          "unmapped in the swap cache of a slot no swap PTE holds: should have been freed "
          "(leaked)");
    }
  }
}

// I-SWAPPTE-CHAIN (I-MAPPING for swap PTEs): a swap PTE lies inside a VMA
// that has an anon_vma (do_swap_page maps the page under it without
// anon_vma_prepare); when its slot caches folio F, folio_anon_vma(F) is
// allocated and in the VMA's chain, with the VMA's root, and F.index is the
// page's linear index: the swap-in maps F at this page with
// folio_add_anon_rmap_ptes, which keeps mapping and index, so a mismatch
// makes F unreachable by the rmap walk from here on (the bug class of
// c50f8e6053b0, UFFDIO_MOVE of a swap PTE whose folio sat in the swap cache).
void check_swappte_chain(const SnapIndex& ix, Violations& out) {
  for (const SnapProc& p : ix.snap.procs) {
    for (const SnapPte& pte : p.ptes) {
      if (pte.kind != SnapPte::Kind::Swap) continue;
      const auto where = [&] {
        return page_name(p.name, pte.page) + " swap " + slot_name(pte.slot);
      };
      const SnapVma* v = vma_containing(p, pte.page);
      if (v == nullptr) {
        add(out, InvariantId::SwapPteChain, where(), "a swap PTE outside any VMA");
        continue;
      }
      if (v->anon_vma == 0) {
        add(out, InvariantId::SwapPteChain, where() + " " + vma_name(p.name, *v),
            "a swap PTE in a VMA without an anon_vma (unfaulted)");
      }
      const SnapSlot* x = ix.snap.find_slot(pte.slot);
      if (x == nullptr || x->cached == 0) continue;
      const SnapFolio* f = ix.folio(x->cached);
      if (f == nullptr) continue;  // I-SWAPCOUNT reports it
      const std::string obj = where() + " " + folio_name(f->id) + " " + vma_name(p.name, *v);
      const std::string state = av_state(ix, f->anon_vma);
      if (!state.empty()) {
        add(out, InvariantId::SwapPteChain, obj,
            fmt::format("the cached folio's anon_vma #{} is {}", f->anon_vma, state));
      } else if (!chain_has(*v, f->anon_vma)) {
        add(out, InvariantId::SwapPteChain, obj,
            fmt::format("the VMA's chain does not link the cached folio's anon_vma #{}",
                        f->anon_vma));
      }
      const SnapAnonVma* va = ix.anon_vma(v->anon_vma);
      const SnapAnonVma* fa = ix.anon_vma(f->anon_vma);
      if (va != nullptr && fa != nullptr && va->root != fa->root) {
        add(out, InvariantId::SwapPteChain, obj,
            fmt::format("the cached folio's anon_vma has root #{}, the VMA's anon_vma #{} has "
                        "root #{}",
                        fa->root, va->id, va->root));
      }
      const Page lin = linear_index(*v, pte.page);
      if (f->index != lin) {
        add(out, InvariantId::SwapPteChain, obj,
            fmt::format("cached folio index is {} but the page's linear index is {} (pgoff {} "
                        "+ {} - {})",
                        f->index, lin, v->pgoff, pte.page, v->start));
      }
    }
  }
}

// I-EXCL-SWAP: an exclusive swap PTE is the only one holding its slot
// (count 1: the page was exclusive to this mapping when it was unmapped, and
// fork clears the bit when it duplicates the entry); a folio in the swap
// cache of a slot that swap PTEs hold is not PageAnonExclusive (the BUG_ON
// in do_swap_page: exclusivity moved into the swap PTE when try_to_unmap
// unmapped it); a swap PTE is never writable.
void check_excl_swap(const SnapIndex& ix, Violations& out) {
  for (const SnapProc& p : ix.snap.procs) {
    for (const SnapPte& pte : p.ptes) {
      if (pte.kind != SnapPte::Kind::Swap) continue;
      if (pte.writable) {
        add(out, InvariantId::ExclSwap, page_name(p.name, pte.page) + " " + slot_name(pte.slot),
            "a swap PTE marked writable");
      }
      if (!pte.swp_exclusive) continue;
      const SnapSlot* x = ix.snap.find_slot(pte.slot);
      if (x != nullptr && x->count != 1) {
        add(out, InvariantId::ExclSwap, page_name(p.name, pte.page) + " " + slot_name(pte.slot),
            fmt::format("an exclusive swap PTE whose slot has count {}", x->count));
      }
    }
  }
  for (const SnapSlot& x : ix.snap.slots) {
    if (x.cached == 0 || x.count == 0) continue;
    const SnapFolio* f = ix.folio(x.cached);
    if (f != nullptr && f->exclusive) {
      add(out, InvariantId::ExclSwap, folio_name(f->id) + " " + slot_name(x.id),
          fmt::format("PageAnonExclusive while {} swap PTE(s) hold its slot", x.count));
    }
  }
}

}  // namespace rmapcheck::detail
