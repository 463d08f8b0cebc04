// snapshot.cpp - the lookups of snapshot.h.
//
// canonicalize() lives in snapshot_canonical.cpp, the printers in
// snapshot_format.cpp and the line diff in snapshot_diff.cpp.
#include "rmapcheck/snapshot.h"

#include <algorithm>

namespace rmapcheck {

const SnapProc* Snapshot::find_proc(std::string_view name) const {
  auto it =
      std::find_if(procs.begin(), procs.end(), [&](const SnapProc& p) { return p.name == name; });
  return it == procs.end() ? nullptr : &*it;
}

const SnapAnonVma* Snapshot::find_anon_vma(SnapId id) const {
  if (id == 0) return nullptr;
  auto it = std::find_if(anon_vmas.begin(), anon_vmas.end(),
                         [&](const SnapAnonVma& a) { return a.id == id; });
  return it == anon_vmas.end() ? nullptr : &*it;
}

const SnapFolio* Snapshot::find_folio(SnapId id) const {
  if (id == 0) return nullptr;
  auto it =
      std::find_if(folios.begin(), folios.end(), [&](const SnapFolio& f) { return f.id == id; });
  return it == folios.end() ? nullptr : &*it;
}

const SnapSlot* Snapshot::find_slot(SnapId id) const {
  if (id == 0) return nullptr;
  auto it = std::find_if(slots.begin(), slots.end(), [&](const SnapSlot& x) { return x.id == id; });
  return it == slots.end() ? nullptr : &*it;
}

}  // namespace rmapcheck
