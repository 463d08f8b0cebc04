// snapshot.cpp - the model's state as a rmapcheck::Snapshot (model ids), canonicalized.
#include "model/ops.h"

namespace rmapcheck::model {

Snapshot build_snapshot(const State& s) {
  Snapshot out;
  for (const auto& [name, p] : s.procs) {
    SnapProc sp;
    sp.name = name;
    for (Id id : vmas_in_order(p)) {
      const Vma& v = p.vmas.at(id);
      sp.vmas.push_back(SnapVma{v.start, v.end, v.pgoff, v.flags, v.anon_vma, v.chain});
    }
    for (const auto& [page, pte] : p.ptes) {
      SnapPte t;
      t.page = page;
      t.kind = pte.zero ? SnapPte::Kind::Zero : SnapPte::Kind::Folio;
      t.folio = pte.zero ? 0 : pte.folio;
      t.writable = pte.writable;
      sp.ptes.push_back(t);
    }
    out.procs.push_back(std::move(sp));
  }
  for (const auto& [id, a] : s.anon_vmas) {
    if (a.freed) {
      bool named = false;  // a freed anon_vma appears only while a folio names it
      for (const auto& [fid, f] : s.folios) named = named || f.anon_vma == id;
      if (!named) continue;
    }
    SnapAnonVma sa;
    sa.id = id;
    sa.freed = a.freed;
    sa.root = a.root;
    sa.parent = a.parent;
    sa.refcount = refcount(s, id);
    sa.num_children = a.freed ? 0 : num_children(s, id);
    sa.num_active_vmas = num_active_vmas(s, id);
    for (const auto& [proc, start] : anon_vma_tree(s, id))
      sa.tree.push_back(SnapTreeNode{proc, start});
    out.anon_vmas.push_back(std::move(sa));
  }
  for (const auto& [id, f] : s.folios) {
    out.folios.push_back(SnapFolio{id, f.anon_vma, f.index, mapcount(s, id), f.exclusive, f.value,
                                   rmap_walk_anon(s, id)});
  }
  canonicalize(out);
  return out;
}

}  // namespace rmapcheck::model
