// snapshot_canonical.cpp - canonicalize(): engine ids -> ids by first appearance.
//
// Two engines in the same state must print the same bytes, yet each picks
// its own ids (the model counts, the impl uses pool slots). Renaming by the
// order in which a fixed traversal first meets an object removes the choice:
//
//   1. procs by name, VMAs by start: the VMA's anon_vma, then its chain in
//      list order (newest first, root last);
//   2. closure: for every anon_vma named so far, in new-id order, its root
//      and then its parent (this names ancestors no chain mentions);
//   3. folios in order of (proc, page) of their first PTE and, in the same
//      pass, swap slots in order of their first swap PTE; then the folio
//      each named slot caches (a folio only the swap cache holds), in slot
//      order; then the slot of each named folio in the swap cache (a mapped
//      folio whose slot no swap PTE holds any more); then the anon_vma of
//      each named folio, in new-id order, and the closure again;
//   4. leftovers (leaked or unreachable), in engine-id order: anon_vmas,
//      folios, slots, then any id they mention that is still unnamed.
//
// A dangling id (named by a VMA or folio but not listed) is renamed like any
// other, so the breakage survives canonicalization and the invariants see it.
// Id 0 means "none" and is never renamed.
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "rmapcheck/id_positions.h"
#include "rmapcheck/snapshot.h"

namespace rmapcheck {

namespace {

// One namespace of ids (anon_vmas, folios or slots): engine id ->
// canonical id. The listed objects' ids (the lists are sorted by engine id
// first) are found by IdPositions (rmapcheck/id_positions.h); the new ids
// sit in a flat array beside them; an id no object has (dangling) goes to a
// short side list. The buffers live as long as the thread:
// canonicalize() allocates nothing once they have grown.
class Renamer {
 public:
  template <class List>
  void reset(const List& listed) {
    keys_.clear();
    for (const auto& x : listed) keys_.push_back(x.id);
    keys_.index();
    new_.assign(keys_.size(), 0);
    extra_.clear();
    order_.clear();
  }
  // The three lookups below run a few hundred times per snapshot: always
  // inlined (g++ -O2 kept them calls, a fifth of canonicalize()'s cost).
  [[gnu::always_inline]] void name(SnapId old_id) {
    if (old_id == 0) return;
    SnapId& slot = slot_of(old_id);
    if (slot != 0) return;
    slot = static_cast<SnapId>(order_.size() + 1);
    order_.push_back(old_id);
  }
  [[gnu::always_inline]] SnapId operator()(SnapId old_id) const {
    if (old_id == 0) return 0;
    const std::size_t pos = position(old_id);
    if (pos != npos) return new_[pos];
    for (const auto& [o, n] : extra_) {
      if (o == old_id) return n;
    }
    return 0;
  }
  // The position of the first listed object with this id, or npos.
  [[gnu::always_inline]] std::size_t position(SnapId old_id) const { return keys_.find(old_id); }
  std::size_t size() const { return order_.size(); }
  SnapId old_at(std::size_t i) const { return order_[i]; }
  static constexpr std::size_t npos = IdPositions::npos;

 private:
  [[gnu::always_inline]] SnapId& slot_of(SnapId old_id) {
    const std::size_t pos = position(old_id);
    if (pos != npos) return new_[pos];
    for (auto& [o, n] : extra_) {
      if (o == old_id) return n;
    }
    return extra_.emplace_back(old_id, 0).second;
  }

  IdPositions keys_;         // listed engine ids, sorted
  std::vector<SnapId> new_;  // new_[i]: canonical id of keys_[i], 0 while unnamed
  std::vector<std::pair<SnapId, SnapId>> extra_;  // unlisted ids: engine -> canonical
  std::vector<SnapId> order_;                     // order_[new - 1] == old
};

// Step 2: name root and parent of every named anon_vma, in new-id order,
// until no new name appears. `from` skips the part already closed.
void close_over_ancestors(const Snapshot& s, Renamer& av, std::size_t from) {
  for (std::size_t i = from; i < av.size(); ++i) {
    const std::size_t pos = av.position(av.old_at(i));
    if (pos == Renamer::npos) continue;  // dangling: nothing to follow
    const SnapAnonVma& a = s.anon_vmas[pos];
    av.name(a.root);
    av.name(a.parent);
  }
}

// std::stable_sort allocates a buffer even for sorted input; most inputs
// here (a snapshot canonicalized before) are sorted already.
template <class Vec, class Less>
void sort_stable(Vec& v, Less less) {
  if (!std::is_sorted(v.begin(), v.end(), less)) std::stable_sort(v.begin(), v.end(), less);
}

constexpr auto by_id = [](const auto& a, const auto& b) { return a.id < b.id; };

// sort_stable(list, by_id) once the ids are renamed: when they are exactly
// 1..n, each in one place (any snapshot without duplicated objects), every
// record goes straight to position id - 1, swapped along the permutation's
// cycles, instead of a merge sort moving each record log n times.
template <class List>
void sort_renamed(List& list) {
  const std::size_t n = list.size();
  thread_local std::vector<char> seen;
  seen.assign(n + 1, 0);
  for (const auto& x : list) {
    if (x.id == 0 || x.id > n || seen[x.id] != 0) {
      sort_stable(list, by_id);  // duplicates (a broken snapshot): the general way
      return;
    }
    seen[x.id] = 1;
  }
  for (std::size_t i = 0; i < n; ++i) {
    while (list[i].id != i + 1) std::swap(list[i], list[list[i].id - 1]);
  }
}

// True when canonicalize(s) would change nothing: everything sorted, the
// ids of both lists exactly 1..n, and the traversal below meeting each id
// first in increasing order (each already its own canonical number). Costs
// a fraction of a renaming (an index per lookup, no writes), and a snapshot
// an engine canonicalized is canonicalized again by its callers.
bool already_canonical(const Snapshot& s) {
  // The ids first: an engine's own ids are rarely exactly 1..n, and this
  // fails at the first one that is not.
  const std::size_t na = s.anon_vmas.size(), nf = s.folios.size();
  for (std::size_t i = 0; i < na; ++i) {
    if (s.anon_vmas[i].id != i + 1) return false;
  }
  for (std::size_t i = 0; i < nf; ++i) {
    if (s.folios[i].id != i + 1) return false;
  }
  for (const SnapAnonVma& a : s.anon_vmas)
    if (!std::is_sorted(a.tree.begin(), a.tree.end())) return false;
  // Swap slots and the swap cache take the full renaming below.
  if (!s.slots.empty()) return false;
  for (const SnapFolio& f : s.folios)
    if (f.swap != 0) return false;
  for (const SnapProc& p : s.procs)
    for (const SnapPte& pte : p.ptes)
      if (pte.slot != 0) return false;
  auto vma_less = [](const SnapVma& a, const SnapVma& b) {
    return a.start != b.start ? a.start < b.start : a.end < b.end;
  };
  if (!std::is_sorted(s.procs.begin(), s.procs.end(),
                      [](const SnapProc& a, const SnapProc& b) { return a.name < b.name; }))
    return false;
  for (const SnapProc& p : s.procs) {
    if (!std::is_sorted(p.vmas.begin(), p.vmas.end(), vma_less)) return false;
    if (!std::is_sorted(p.ptes.begin(), p.ptes.end(),
                        [](const SnapPte& a, const SnapPte& b) { return a.page < b.page; }))
      return false;
  }
  thread_local std::vector<char> av_seen, fo_seen;
  av_seen.assign(na + 1, 0);
  fo_seen.assign(nf + 1, 0);
  SnapId next_av = 1, next_fo = 1;
  // Names `id` as canonicalize() would; false when that would rename it.
  auto av = [&](SnapId id) {
    if (id == 0) return true;
    if (id > na) return false;  // dangling: leave it to the renaming
    if (av_seen[id] != 0) return true;
    if (id != next_av) return false;
    av_seen[id] = 1;
    ++next_av;
    return true;
  };
  auto fo = [&](SnapId id) {
    if (id == 0) return true;
    if (id > nf) return false;
    if (fo_seen[id] != 0) return true;
    if (id != next_fo) return false;
    fo_seen[id] = 1;
    ++next_fo;
    return true;
  };
  auto close = [&](SnapId from) {
    for (SnapId i = from; i < next_av; ++i) {
      const SnapAnonVma& a = s.anon_vmas[i - 1];
      if (!av(a.root) || !av(a.parent)) return false;
    }
    return true;
  };
  for (const SnapProc& p : s.procs) {
    for (const SnapVma& v : p.vmas) {
      if (!av(v.anon_vma)) return false;
      for (SnapId c : v.chain)
        if (!av(c)) return false;
    }
  }
  if (!close(1)) return false;
  for (const SnapProc& p : s.procs) {
    for (const SnapPte& pte : p.ptes)
      if (pte.kind == SnapPte::Kind::Folio && !fo(pte.folio)) return false;
  }
  const SnapId closed = next_av;
  for (SnapId i = 1; i < next_fo; ++i)
    if (!av(s.folios[i - 1].anon_vma)) return false;
  if (!close(closed)) return false;
  for (const SnapAnonVma& a : s.anon_vmas)
    if (!av(a.id)) return false;
  for (const SnapFolio& f : s.folios)
    if (!fo(f.id)) return false;
  for (const SnapAnonVma& a : s.anon_vmas)
    if (!av(a.root) || !av(a.parent)) return false;
  for (const SnapFolio& f : s.folios)
    if (!av(f.anon_vma)) return false;
  for (const SnapProc& p : s.procs) {
    for (const SnapPte& pte : p.ptes)
      if (!fo(pte.folio)) return false;
  }
  return true;
}

}  // namespace

void canonicalize(Snapshot& s) {
  if (already_canonical(s)) return;
  // Sorting first makes the traversal independent of the engine's list order.
  sort_stable(s.procs, [](const SnapProc& a, const SnapProc& b) { return a.name < b.name; });
  for (SnapProc& p : s.procs) {
    sort_stable(p.vmas, [](const SnapVma& a, const SnapVma& b) {
      return a.start != b.start ? a.start < b.start : a.end < b.end;
    });
    sort_stable(p.ptes, [](const SnapPte& a, const SnapPte& b) { return a.page < b.page; });
  }
  sort_stable(s.anon_vmas, by_id);
  sort_stable(s.folios, by_id);
  sort_stable(s.slots, by_id);

  thread_local Renamer av, fo, sl;
  av.reset(s.anon_vmas);
  fo.reset(s.folios);
  sl.reset(s.slots);
  // 1. VMAs.
  for (const SnapProc& p : s.procs) {
    for (const SnapVma& v : p.vmas) {
      av.name(v.anon_vma);
      for (SnapId c : v.chain) av.name(c);
    }
  }
  // 2. Ancestors.
  close_over_ancestors(s, av, 0);
  // 3. Folios and slots by first PTE, the swap cache both ways, then the
  // folios' anon_vmas.
  for (const SnapProc& p : s.procs) {
    for (const SnapPte& pte : p.ptes) {
      if (pte.kind == SnapPte::Kind::Folio) fo.name(pte.folio);
      if (pte.kind == SnapPte::Kind::Swap) sl.name(pte.slot);
    }
  }
  for (std::size_t i = 0; i < sl.size(); ++i) {
    const std::size_t pos = sl.position(sl.old_at(i));
    if (pos != Renamer::npos) fo.name(s.slots[pos].cached);
  }
  for (std::size_t i = 0; i < fo.size(); ++i) {
    const std::size_t pos = fo.position(fo.old_at(i));
    if (pos != Renamer::npos) sl.name(s.folios[pos].swap);
  }
  std::size_t closed = av.size();
  for (std::size_t i = 0; i < fo.size(); ++i) {
    const std::size_t pos = fo.position(fo.old_at(i));
    if (pos != Renamer::npos) av.name(s.folios[pos].anon_vma);
  }
  close_over_ancestors(s, av, closed);
  // 4. Leftovers, in engine-id order (the lists are sorted by engine id).
  for (const SnapAnonVma& a : s.anon_vmas) av.name(a.id);
  for (const SnapFolio& f : s.folios) fo.name(f.id);
  for (const SnapSlot& x : s.slots) sl.name(x.id);
  for (const SnapSlot& x : s.slots) fo.name(x.cached);
  for (const SnapFolio& f : s.folios) sl.name(f.swap);
  for (const SnapAnonVma& a : s.anon_vmas) {
    av.name(a.root);
    av.name(a.parent);
  }
  for (const SnapFolio& f : s.folios) av.name(f.anon_vma);
  for (const SnapProc& p : s.procs) {
    for (const SnapPte& pte : p.ptes) {
      fo.name(pte.folio);  // a stray id on a zero or swap PTE
      sl.name(pte.slot);
    }
  }

  // Rename.
  for (SnapProc& p : s.procs) {
    for (SnapVma& v : p.vmas) {
      v.anon_vma = av(v.anon_vma);
      for (SnapId& c : v.chain) c = av(c);
    }
    for (SnapPte& pte : p.ptes) {
      pte.folio = fo(pte.folio);
      pte.slot = sl(pte.slot);
    }
  }
  for (SnapAnonVma& a : s.anon_vmas) {
    a.id = av(a.id);
    a.root = av(a.root);
    a.parent = av(a.parent);
    if (!std::is_sorted(a.tree.begin(), a.tree.end())) std::sort(a.tree.begin(), a.tree.end());
  }
  for (SnapFolio& f : s.folios) {
    f.id = fo(f.id);
    f.anon_vma = av(f.anon_vma);
    f.swap = sl(f.swap);
    if (f.walk) std::sort(f.walk->begin(), f.walk->end());
  }
  for (SnapSlot& x : s.slots) {
    x.id = sl(x.id);
    x.cached = fo(x.cached);
  }
  sort_renamed(s.anon_vmas);
  sort_renamed(s.folios);
  sort_renamed(s.slots);
}

}  // namespace rmapcheck
