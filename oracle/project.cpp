// project.cpp - Snapshot -> Observation.
#include "project.h"

namespace rmapcheck::oracle {

Observation project_snapshot(const Snapshot& s) {
  Observation o;
  o.has_flags = true;
  o.has_forest = true;
  for (const SnapProc& sp : s.procs) {
    ObsProc p;
    p.name = sp.name;
    for (const SnapVma& sv : sp.vmas) {
      ObsVma v;
      v.start = sv.start;
      v.end = sv.end;
      v.flags = sv.flags & kComparedFlags;
      v.pgoff = sv.pgoff;
      v.anon_vma = sv.anon_vma;
      v.chain = sv.chain;
      p.vmas.push_back(std::move(v));
    }
    for (const SnapPte& pte : sp.ptes) {
      ObsPage pg;
      pg.page = pte.page;
      bool readable = false;
      for (const SnapVma& sv : sp.vmas)
        if (sv.start <= pte.page && pte.page < sv.end) readable = (sv.flags & VM_READ) != 0;
      if (pte.kind == SnapPte::Kind::Zero) {
        pg.kind = ObsPage::Kind::Zero;
        if (readable) pg.value = 0;
      } else if (const SnapFolio* f = s.find_folio(pte.folio)) {
        pg.kind = ObsPage::Kind::Anon;
        pg.frame = pte.folio;
        pg.mapcount = f->mapcount;
        pg.exclusive = f->exclusive;
        if (readable) pg.value = f->value;
      } else {
        // A PTE naming no folio: keep it visible as a non-anon page.
        pg.kind = ObsPage::Kind::Other;
        pg.frame = pte.folio;
      }
      p.pages.push_back(pg);
    }
    o.procs.push_back(std::move(p));
  }
  for (const SnapAnonVma& sa : s.anon_vmas) {
    ObsAnonVma a;
    a.id = sa.id;
    a.root = sa.root;
    a.parent = sa.parent;
    a.refcount = sa.refcount;
    a.num_children = sa.num_children;
    a.num_active_vmas = sa.num_active_vmas;
    o.anon_vmas.push_back(a);
  }
  return o;
}

}  // namespace rmapcheck::oracle
