// snapshot.cpp - flag names and lookups of snapshot.h.
//
// canonicalize() lives in snapshot_canonical.cpp, the printers in
// snapshot_format.cpp and the line diff in snapshot_diff.cpp.
#include "rmapcheck/snapshot.h"

#include <algorithm>

namespace rmapcheck {

namespace {
// The codes /proc/PID/smaps prints in "VmFlags:", in the kernel's order
// (show_smap_vma_flags).
struct FlagCode {
  VmFlags flag;
  const char* code;
};
constexpr FlagCode kFlagCodes[] = {
    {VM_READ, "rd"},     {VM_WRITE, "wr"},   {VM_EXEC, "ex"},      {VM_LOCKED, "lo"},
    {VM_DONTCOPY, "dc"}, {VM_ACCOUNT, "ac"}, {VM_NORESERVE, "nr"}, {VM_WIPEONFORK, "wf"},
};
}  // namespace

std::string vm_flags_codes(VmFlags f) {
  std::string out;
  for (const FlagCode& c : kFlagCodes) {
    if ((f & c.flag) == 0) continue;
    if (!out.empty()) out += ' ';
    out += c.code;
  }
  return out;
}

std::string vma_perms(VmFlags f) {
  std::string p = "---p";  // every VMA here is private anonymous
  if ((f & VM_READ) != 0) p[0] = 'r';
  if ((f & VM_WRITE) != 0) p[1] = 'w';
  if ((f & VM_EXEC) != 0) p[2] = 'x';
  return p;
}

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

}  // namespace rmapcheck
