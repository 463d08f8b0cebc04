// state.cpp - lookups over the model's objects and the derived counters.
//
// Everything here is brute force on purpose: a counter is computed from the
// relation that defines it (docs/invariants.md), so the reader sees the meaning.
#include "model/state.h"

#include <algorithm>

#include "rmapcheck/engine.h"

namespace rmapcheck::model {

bool Vma::chain_has(Id av) const {
  return std::find(chain.begin(), chain.end(), av) != chain.end();
}

Vma& vma_by_id(Proc& p, Id id) {
  auto it = p.vmas.find(id);
  if (it == p.vmas.end())
    throw EngineFault("model: " + p.name + " has no VMA #" + std::to_string(id));
  return it->second;
}

Vma* vma_containing(Proc& p, Page page) {
  for (auto& [id, v] : p.vmas)
    if (v.contains(page)) return &v;
  return nullptr;
}

Vma* vma_prev(Proc& p, Page addr) {
  Vma* best = nullptr;
  for (auto& [id, v] : p.vmas)
    if (v.start < addr && (!best || v.start > best->start)) best = &v;
  return best;
}

Vma* vma_next(Proc& p, Page addr) {
  Vma* best = nullptr;
  for (auto& [id, v] : p.vmas)
    if (v.start >= addr && (!best || v.start < best->start)) best = &v;
  return best;
}

// vma_find(vmi, end) starting at addr: the lowest VMA with end > addr and start < end.
Vma* first_vma_ending_after(Proc& p, Page addr, Page end) {
  Vma* best = nullptr;
  for (auto& [id, v] : p.vmas)
    if (v.end > addr && v.start < end && (!best || v.start < best->start)) best = &v;
  return best;
}

std::vector<Id> vmas_in_order(const Proc& p) {
  std::vector<std::pair<Page, Id>> v;
  for (const auto& [id, vma] : p.vmas) v.emplace_back(vma.start, id);
  std::sort(v.begin(), v.end());
  std::vector<Id> out;
  for (const auto& [start, id] : v) out.push_back(id);
  return out;
}

bool range_has_vma(const Proc& p, Page start, Page end) {
  for (const auto& [id, v] : p.vmas)
    if (v.start < end && start < v.end) return true;
  return false;
}

void pte_clear(Proc& p, Page page) {
  p.ptes.erase(page);
  const Page t = table_of(page);
  auto it = p.ptes.lower_bound(t * kPtesPerTable);
  if (it == p.ptes.end() || table_of(it->first) != t) p.pte_tables.erase(t);
}

// Live: the interval tree is non-empty, i.e. some VMA's chain holds it.
bool anon_vma_live(const State& s, Id av) {
  for (const auto& [name, p] : s.procs)
    for (const auto& [id, v] : p.vmas)
      if (v.chain_has(av)) return true;
  return false;
}

// I-CHILDREN: live anon_vmas whose parent is av (a live root counts itself).
long num_children(const State& s, Id av) {
  long n = 0;
  for (const auto& [id, y] : s.anon_vmas)
    if (!y.freed && y.parent == av && anon_vma_live(s, id)) ++n;
  return n;
}

// I-ACTIVE: VMAs whose anon_vma is av.
long num_active_vmas(const State& s, Id av) {
  long n = 0;
  for (const auto& [name, p] : s.procs)
    for (const auto& [id, v] : p.vmas)
      if (v.anon_vma == av) ++n;
  return n;
}

// I-REF: the "tree non-empty" reference, plus, for a root, one pin per
// allocated descendant (get_anon_vma(root) in anon_vma_fork).
long refcount(const State& s, Id av) {
  auto it = s.anon_vmas.find(av);
  if (it == s.anon_vmas.end() || it->second.freed) return 0;
  long n = anon_vma_live(s, av) ? 1 : 0;
  if (it->second.root == av)
    for (const auto& [id, y] : s.anon_vmas)
      if (id != av && !y.freed && y.root == av) ++n;
  return n;
}

// I-MAPCOUNT: PTEs mapping the folio, in every process.
long mapcount(const State& s, Id folio) {
  long n = 0;
  for (const auto& [name, p] : s.procs)
    for (const auto& [page, pte] : p.ptes)
      if (pte.maps_folio() && pte.folio == folio) ++n;
  return n;
}

// I-SWAPCOUNT: swap PTEs holding the slot, in every process.
long swap_count(const State& s, Id slot) {
  long n = 0;
  for (const auto& [name, p] : s.procs)
    for (const auto& [page, pte] : p.ptes)
      if (pte.slot == slot) ++n;
  return n;
}

Id cached_folio(const State& s, Id slot) {
  for (const auto& [id, f] : s.folios)
    if (f.swap == slot) return id;
  return 0;
}

std::vector<std::pair<std::string, Page>> anon_vma_tree(const State& s, Id av) {
  std::vector<std::pair<std::string, Page>> out;
  for (const auto& [name, p] : s.procs)
    for (const auto& [id, v] : p.vmas)
      if (v.chain_has(av)) out.emplace_back(name, v.start);
  std::sort(out.begin(), out.end());
  return out;
}

// vma_is_fork_child (v6.19 name; vma_had_uncowed_parents in v6.18):
// faulted and the chain holds more than one anon_vma.
bool is_fork_child(const Vma* v) {
  return v != nullptr && v->anon_vma != 0 && v->chain.size() > 1;
}

}  // namespace rmapcheck::model
