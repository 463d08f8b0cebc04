// snapshot_restrict.cpp - restrict_to(): compare only what both lanes show.
//
// The live kernel cannot show folio->mapping, PTE write bits, the interval
// trees or a walk of its own, and shows vm_flags beyond r/w/x and the
// anon_vma forest only where smaps and the BPF iterator work
// (docs/conformance.md). A snapshot restricted to a visibility keeps exactly
// what that visibility shows, in canonical form, so equality of two
// restricted snapshots is agreement on what is visible.
#include <algorithm>
#include <set>

#include "rmapcheck/snapshot.h"

namespace rmapcheck {

namespace {

constexpr VmFlags kRwx = VM_READ | VM_WRITE | VM_EXEC;

// The anon_vmas the live kernel's forest lists: those some VMA names (as its
// anon_vma or in its chain), and their roots and parents, transitively.
std::set<SnapId> reached_from_vmas(const Snapshot& s) {
  std::set<SnapId> seen;
  std::vector<SnapId> todo;
  auto reach = [&](SnapId id) {
    if (id != 0 && seen.insert(id).second) todo.push_back(id);
  };
  for (const SnapProc& p : s.procs) {
    for (const SnapVma& v : p.vmas) {
      reach(v.anon_vma);
      for (SnapId c : v.chain) reach(c);
    }
  }
  while (!todo.empty()) {
    const SnapId id = todo.back();
    todo.pop_back();
    if (const SnapAnonVma* a = s.find_anon_vma(id)) {
      reach(a->root);
      reach(a->parent);
    }
  }
  return seen;
}

}  // namespace

std::string hidden_parts(Visibility v) {
  static constexpr std::pair<Shown, const char*> kParts[] = {
      {Shown::FlagsBeyondRwx, "vm_flags beyond r/w/x"},
      {Shown::Forest, "the anon_vma forest (pgoff, anon_vma, chains, counters)"},
      {Shown::Trees, "the interval trees"},
      {Shown::FolioMapping, "folio->mapping and folio->index"},
      {Shown::PteWrite, "PTE write bits"},
      {Shown::UnreadableValues, "values in unreadable VMAs"},
      {Shown::Walk, "the engine's own rmap walk"},
      {Shown::SwapExclusive, "the exclusive bit of swap PTEs"},
      {Shown::SwapCache, "the swap cache and slot contents"},
  };
  std::string out;
  for (const auto& [part, text] : kParts) {
    if (v.has(part)) continue;
    if (!out.empty()) out += ", ";
    out += text;
  }
  return out;
}

void restrict_to(Snapshot& s, Visibility v) {
  v = v & s.visible;
  s.visible = v;
  for (SnapProc& p : s.procs) {
    for (SnapVma& vma : p.vmas) {
      if (!v.has(Shown::FlagsBeyondRwx)) vma.flags &= kRwx;
      if (!v.has(Shown::Forest)) {
        vma.pgoff = 0;
        vma.anon_vma = 0;
        vma.chain.clear();
      }
    }
    if (!v.has(Shown::PteWrite)) {
      for (SnapPte& pte : p.ptes) pte.writable = false;
    }
    if (!v.has(Shown::SwapExclusive)) {
      for (SnapPte& pte : p.ptes) pte.swp_exclusive = false;
    }
  }
  if (!v.has(Shown::SwapCache)) {
    // Without the swap cache a folio is seen only where a PTE maps it.
    std::set<SnapId> mapped;
    for (const SnapProc& p : s.procs) {
      for (const SnapPte& pte : p.ptes) {
        if (pte.kind == SnapPte::Kind::Folio) mapped.insert(pte.folio);
      }
    }
    std::erase_if(s.folios, [&](const SnapFolio& f) { return mapped.count(f.id) == 0; });
    for (SnapFolio& f : s.folios) f.swap = 0;
    for (SnapSlot& x : s.slots) {
      x.cached = 0;
      x.value = 0;
    }
    // A slot no swap PTE holds lives only through the cache (has_cache
    // only: its folio is mapped, docs/model/pageout.md): part of the swap
    // cache, so not shown either. The slots left are those swap PTEs name.
    std::erase_if(s.slots, [](const SnapSlot& x) { return x.count == 0; });
  }
  if (!v.has(Shown::UnreadableValues)) {
    // A value is visible where some readable VMA maps the folio.
    std::set<SnapId> readable;
    for (const SnapProc& p : s.procs) {
      for (const SnapPte& pte : p.ptes) {
        if (pte.kind != SnapPte::Kind::Folio) continue;
        for (const SnapVma& vma : p.vmas) {
          if (vma.start <= pte.page && pte.page < vma.end && (vma.flags & VM_READ) != 0)
            readable.insert(pte.folio);
        }
      }
    }
    for (SnapFolio& f : s.folios) {
      if (readable.count(f.id) == 0) f.value = 0;
    }
  }
  for (SnapFolio& f : s.folios) {
    if (!v.has(Shown::FolioMapping)) {
      f.anon_vma = 0;
      f.index = 0;
    }
    if (!v.has(Shown::Walk)) f.walk.reset();
  }
  if (!v.has(Shown::Forest)) {
    s.anon_vmas.clear();
  } else if (!v.has(Shown::FolioMapping)) {
    const std::set<SnapId> keep = reached_from_vmas(s);
    std::erase_if(s.anon_vmas, [&](const SnapAnonVma& a) { return keep.count(a.id) == 0; });
  }
  if (!v.has(Shown::Trees)) {
    for (SnapAnonVma& a : s.anon_vmas) {
      a.tree.clear();
      a.tree_error.clear();
    }
  }
  canonicalize(s);
}

}  // namespace rmapcheck
