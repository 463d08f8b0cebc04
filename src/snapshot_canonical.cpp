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
//   3. folios in order of (proc, page) of their first PTE; then the anon_vma
//      of each of those folios, in new-id order, and the closure again;
//   4. leftovers (leaked or unreachable), in engine-id order: anon_vmas,
//      folios, then any id they mention that is still unnamed.
//
// A dangling id (named by a VMA or folio but not listed) is renamed like any
// other, so the breakage survives canonicalization and the invariants see it.
// Id 0 means "none" and is never renamed.
#include <algorithm>
#include <map>

#include "rmapcheck/snapshot.h"

namespace rmapcheck {

namespace {

// One namespace of ids (anon_vmas or folios): engine id -> canonical id.
class Renamer {
 public:
  void name(SnapId old_id) {
    if (old_id == 0 || map_.count(old_id) != 0) return;
    map_.emplace(old_id, static_cast<SnapId>(order_.size() + 1));
    order_.push_back(old_id);
  }
  bool named(SnapId old_id) const { return map_.count(old_id) != 0; }
  SnapId operator()(SnapId old_id) const {
    if (old_id == 0) return 0;
    auto it = map_.find(old_id);
    return it == map_.end() ? 0 : it->second;
  }
  std::size_t size() const { return order_.size(); }
  SnapId old_at(std::size_t i) const { return order_[i]; }

 private:
  std::map<SnapId, SnapId> map_;
  std::vector<SnapId> order_;  // order_[new - 1] == old
};

// Step 2: name root and parent of every named anon_vma, in new-id order,
// until no new name appears. `from` skips the part already closed.
void close_over_ancestors(const Snapshot& s, Renamer& av, std::size_t from) {
  for (std::size_t i = from; i < av.size(); ++i) {
    const SnapAnonVma* a = s.find_anon_vma(av.old_at(i));
    if (a == nullptr) continue;  // dangling: nothing to follow
    av.name(a->root);
    av.name(a->parent);
  }
}

}  // namespace

void canonicalize(Snapshot& s) {
  // Sorting first makes the traversal independent of the engine's list order.
  std::stable_sort(s.procs.begin(), s.procs.end(),
                   [](const SnapProc& a, const SnapProc& b) { return a.name < b.name; });
  for (SnapProc& p : s.procs) {
    std::stable_sort(p.vmas.begin(), p.vmas.end(), [](const SnapVma& a, const SnapVma& b) {
      return a.start != b.start ? a.start < b.start : a.end < b.end;
    });
    std::stable_sort(p.ptes.begin(), p.ptes.end(),
                     [](const SnapPte& a, const SnapPte& b) { return a.page < b.page; });
  }
  std::stable_sort(s.anon_vmas.begin(), s.anon_vmas.end(),
                   [](const SnapAnonVma& a, const SnapAnonVma& b) { return a.id < b.id; });
  std::stable_sort(s.folios.begin(), s.folios.end(),
                   [](const SnapFolio& a, const SnapFolio& b) { return a.id < b.id; });

  Renamer av, fo;
  // 1. VMAs.
  for (const SnapProc& p : s.procs) {
    for (const SnapVma& v : p.vmas) {
      av.name(v.anon_vma);
      for (SnapId c : v.chain) av.name(c);
    }
  }
  // 2. Ancestors.
  close_over_ancestors(s, av, 0);
  // 3. Folios by first PTE, then their anon_vmas.
  for (const SnapProc& p : s.procs) {
    for (const SnapPte& pte : p.ptes) {
      if (pte.kind == SnapPte::Kind::Folio) fo.name(pte.folio);
    }
  }
  std::size_t closed = av.size();
  for (std::size_t i = 0; i < fo.size(); ++i) {
    if (const SnapFolio* f = s.find_folio(fo.old_at(i))) av.name(f->anon_vma);
  }
  close_over_ancestors(s, av, closed);
  // 4. Leftovers, in engine-id order (the lists are sorted by engine id).
  for (const SnapAnonVma& a : s.anon_vmas) av.name(a.id);
  for (const SnapFolio& f : s.folios) fo.name(f.id);
  for (const SnapAnonVma& a : s.anon_vmas) {
    av.name(a.root);
    av.name(a.parent);
  }
  for (const SnapFolio& f : s.folios) av.name(f.anon_vma);
  for (const SnapProc& p : s.procs) {
    for (const SnapPte& pte : p.ptes) fo.name(pte.folio);  // a stray id on a zero PTE
  }

  // Rename.
  for (SnapProc& p : s.procs) {
    for (SnapVma& v : p.vmas) {
      v.anon_vma = av(v.anon_vma);
      for (SnapId& c : v.chain) c = av(c);
    }
    for (SnapPte& pte : p.ptes) pte.folio = fo(pte.folio);
  }
  for (SnapAnonVma& a : s.anon_vmas) {
    a.id = av(a.id);
    a.root = av(a.root);
    a.parent = av(a.parent);
    std::sort(a.tree.begin(), a.tree.end());
  }
  for (SnapFolio& f : s.folios) {
    f.id = fo(f.id);
    f.anon_vma = av(f.anon_vma);
    if (f.walk) std::sort(f.walk->begin(), f.walk->end());
  }
  std::stable_sort(s.anon_vmas.begin(), s.anon_vmas.end(),
                   [](const SnapAnonVma& a, const SnapAnonVma& b) { return a.id < b.id; });
  std::stable_sort(s.folios.begin(), s.folios.end(),
                   [](const SnapFolio& a, const SnapFolio& b) { return a.id < b.id; });
}

}  // namespace rmapcheck
