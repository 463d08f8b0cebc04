// snapshot.cpp - the model's state as a rmapcheck::Snapshot (model ids), canonicalized.
//
// The counters are derived by their definitions (state.cpp: num_children,
// num_active_vmas, refcount, mapcount, anon_vma_tree), here all in one pass
// over the VMAs, chains and PTEs instead of one scan per anon_vma and folio:
//   live(X)            some VMA's chain holds X
//   tree(X)            (proc, vma start) of every VMA whose chain holds X
//   num_active_vmas(X) VMAs whose anon_vma is X
//   num_children(X)    live, allocated Y with Y.parent == X (0 when X is freed)
//   refcount(X)        [live] + (X root ? allocated Y != X with Y.root == X : 0)
//                      (0 when X is freed)
//   mapcount(F)        PTEs (not the zero page) that map F
//   swap_count(S)      swap PTEs that hold slot S; cached_folio(S) the folio with swap == S
// and each folio's walk is the model's own (rmap_walk_anon).
// (A slip here shows at once: every campaign op compares them with the
// counters the impl stores.)
#include <algorithm>

#include "model/ops.h"
#include "rmapcheck/id_positions.h"
#include "rmapcheck/snapshot_refill.h"

namespace rmapcheck::model {

namespace {

constexpr std::size_t npos = IdPositions::npos;

}  // namespace

void build_snapshot(const State& s, Snapshot& out, bool* reach_complete) {
  out.visible = Visibility::all();
  // Scratch, by position in the sorted ids; kept for the thread's next call.
  thread_local IdPositions av_ids, folio_ids, slot_ids;  // the maps' keys, sorted
  thread_local std::vector<char> live, reached;
  thread_local std::vector<long> active, children, descendants, mapcount, swap_count;
  thread_local std::vector<std::vector<SnapTreeNode>> tree;
  av_ids.clear();
  for (const auto& [id, a] : s.anon_vmas) av_ids.push_back(id);
  av_ids.index();
  folio_ids.clear();
  for (const auto& [id, f] : s.folios) folio_ids.push_back(id);
  folio_ids.index();
  slot_ids.clear();
  for (const auto& [id, x] : s.slots) slot_ids.push_back(id);
  slot_ids.index();
  swap_count.assign(slot_ids.size(), 0);
  const std::size_t na = av_ids.size();
  live.assign(na, 0);
  reached.assign(na, 0);  // reached from a live process (leaks())
  active.assign(na, 0);
  children.assign(na, 0);
  descendants.assign(na, 0);
  mapcount.assign(folio_ids.size(), 0);
  tree.resize(std::max(tree.size(), na));
  for (std::size_t k = 0; k < na; ++k) tree[k].clear();

  {
    Refill<SnapProc> procs(out.procs);
    for (const auto& [name, p] : s.procs) {
      SnapProc& sp = procs.next();
      sp.name = name;
      {
        Refill<SnapVma> vmas(sp.vmas);
        for (const auto& [id, v] : p.vmas) {
          SnapVma& sv = vmas.next();
          sv.start = v.start;
          sv.end = v.end;
          sv.pgoff = v.pgoff;
          sv.flags = v.flags;
          sv.anon_vma = v.anon_vma;
          sv.chain.assign(v.chain.begin(), v.chain.end());
          if (const std::size_t i = av_ids.find(v.anon_vma); v.anon_vma != 0 && i != npos)
            ++active[i];
          for (std::size_t c = 0; c < v.chain.size(); ++c) {
            const Id av = v.chain[c];
            if (std::find(v.chain.begin(), v.chain.begin() + static_cast<std::ptrdiff_t>(c), av) !=
                v.chain.begin() + static_cast<std::ptrdiff_t>(c))
              continue;  // one tree node per VMA
            const std::size_t i = av_ids.find(av);
            if (i == npos) continue;
            live[i] = 1;
            tree[i].push_back(SnapTreeNode{name, v.start});
          }
        }
      }
      // Address order (vmas_in_order): by start; the map's id order breaks
      // ties. Swapping keeps each record's buffers with it.
      const auto by_start = [](const SnapVma& a, const SnapVma& b) { return a.start < b.start; };
      if (!std::is_sorted(sp.vmas.begin(), sp.vmas.end(), by_start))
        std::stable_sort(sp.vmas.begin(), sp.vmas.end(), by_start);
      sp.ptes.clear();
      for (const auto& [page, pte] : p.ptes) {
        SnapPte& t = sp.ptes.emplace_back();
        t.page = page;
        t.writable = pte.writable;
        if (pte.is_swap()) {
          t.kind = SnapPte::Kind::Swap;
          t.slot = pte.slot;
          t.swp_exclusive = pte.swp_exclusive;
          if (const std::size_t i = slot_ids.find(pte.slot); i != npos) ++swap_count[i];
        } else if (pte.zero) {
          t.kind = SnapPte::Kind::Zero;
        } else {
          t.kind = SnapPte::Kind::Folio;
          t.folio = pte.folio;
          if (const std::size_t i = folio_ids.find(pte.folio); i != npos) ++mapcount[i];
        }
      }
    }
  }
  if (reach_complete != nullptr) {
    // What leaks() reaches: every anon_vma of a chain or a vma->anon_vma,
    // their roots and parents, transitively; every folio a PTE maps.
    std::vector<std::size_t> todo;
    for (std::size_t k = 0; k < na; ++k) {
      if (live[k] || active[k] > 0) todo.push_back(k);
    }
    while (!todo.empty()) {
      const std::size_t k = todo.back();
      todo.pop_back();
      if (reached[k]) continue;
      reached[k] = 1;
      const AnonVma& a = s.anon_vmas.at(av_ids[k]);
      for (Id next : {a.root, a.parent}) {
        if (const std::size_t i = av_ids.find(next); i != npos && !reached[i]) todo.push_back(i);
      }
    }
    bool complete = true;
    std::size_t k = 0;
    for (const auto& [id, a] : s.anon_vmas) complete = complete && (a.freed || reached[k++]);
    // A folio is reached when mapped, or cached for a slot a swap PTE
    // holds; a slot when a swap PTE holds it or it caches a mapped folio.
    k = 0;
    for (const auto& [id, f] : s.folios) {
      const std::size_t x = slot_ids.find(f.swap);
      const bool held = f.swap != 0 && x != npos && swap_count[x] > 0;
      complete = complete && (mapcount[k] > 0 || held);
      ++k;
    }
    k = 0;
    for (const auto& [id, x] : s.slots) {
      const Id f = cached_folio(s, id);
      const std::size_t i = folio_ids.find(f);
      const bool cached_mapped = f != 0 && i != npos && mapcount[i] > 0;
      complete = complete && (swap_count[k] > 0 || cached_mapped);
      ++k;
    }
    *reach_complete = complete;
  }
  for (const auto& [id, y] : s.anon_vmas) {
    if (y.freed) continue;
    const std::size_t self = av_ids.find(id);
    if (const std::size_t i = av_ids.find(y.parent); live[self] && i != npos) ++children[i];
    if (const std::size_t i = av_ids.find(y.root); y.root != id && i != npos) ++descendants[i];
  }

  {
    Refill<SnapAnonVma> anon_vmas(out.anon_vmas);
    std::size_t k = 0;
    for (const auto& [id, a] : s.anon_vmas) {
      const std::size_t i = k++;
      if (a.freed) {
        bool named = false;  // a freed anon_vma appears only while a folio names it
        for (const auto& [fid, f] : s.folios) named = named || f.anon_vma == id;
        if (!named) continue;
      }
      SnapAnonVma& sa = anon_vmas.next();
      sa.id = id;
      sa.freed = a.freed;
      sa.root = a.root;
      sa.parent = a.parent;
      sa.refcount = a.freed ? 0 : (live[i] ? 1 : 0) + (a.root == id ? descendants[i] : 0);
      sa.num_children = a.freed ? 0 : children[i];
      sa.num_active_vmas = active[i];
      sa.tree.swap(tree[i]);  // tree[i] takes the old buffer, cleared at the next call
      if (!std::is_sorted(sa.tree.begin(), sa.tree.end()))
        std::sort(sa.tree.begin(), sa.tree.end());
      sa.tree_error.clear();
    }
  }
  {
    Refill<SnapFolio> folios(out.folios);
    std::size_t k = 0;
    for (const auto& [id, f] : s.folios) {
      SnapFolio& sf = folios.next();
      sf.id = id;
      sf.anon_vma = f.anon_vma;
      sf.index = f.index;
      sf.mapcount = mapcount[k++];
      sf.exclusive = f.exclusive;
      sf.value = f.value;
      sf.swap = f.swap;
      std::vector<RmapHit>& walk = sf.walk ? *sf.walk : sf.walk.emplace();
      walk.clear();
      rmap_walk_anon(s, id, walk);
    }
  }
  out.slots.clear();
  std::size_t k = 0;
  for (const auto& [id, x] : s.slots) {
    out.slots.push_back(SnapSlot{id, swap_count[k++], cached_folio(s, id), x.value});
  }
  canonicalize(out);
}

}  // namespace rmapcheck::model
