// fixture.h - hand-built snapshots for the invariant and snapshot tests.
//
// fork_snapshot(): p0 wrote page 0, forked p1, then wrote page 1 again
// (exclusive after the fork: a fresh COW copy would be the same); p1 read
// page 2 (zero page).
//
//        0123
//   p0   AAAA     vma [0,4) rw-p pgoff 0   anon_vma #1   chain [#1]
//        SE       page 0 folio #1 (shared, ro), page 1 folio #2 (exclusive, rw)
//   p1   BBBB     vma [0,4) rw-p pgoff 0   anon_vma #2   chain [#2 #1]
//        S z      page 0 folio #1 (shared, ro), page 2 the zero page
//
//   anon_vma #1  root; tree {p0@0 p1@0}; refcount 2 (tree + child #2's pin);
//                num_children 2 (itself + #2); num_active_vmas 1 (p0's VMA)
//     `- #2      parent #1; tree {p1@0}; refcount 1; num_children 0; num_active_vmas 1
//   folio #1     anon_vma #1 index 0 mapcount 2 shared
//   folio #2     anon_vma #1 index 1 mapcount 1 exclusive
#pragma once

#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>

#include "rmapcheck/invariants.h"
#include "rmapcheck/snapshot.h"

namespace rmapcheck::testing {

inline constexpr VmFlags kRw = VM_READ | VM_WRITE | VM_ACCOUNT;

inline Snapshot fork_snapshot() {
  Snapshot s;
  SnapProc p0{"p0", {SnapVma{0, 4, 0, kRw, 1, {1}}}, {}};
  p0.ptes.push_back({0, SnapPte::Kind::Folio, 1, false});
  p0.ptes.push_back({1, SnapPte::Kind::Folio, 2, true});
  SnapProc p1{"p1", {SnapVma{0, 4, 0, kRw, 2, {2, 1}}}, {}};
  p1.ptes.push_back({0, SnapPte::Kind::Folio, 1, false});
  p1.ptes.push_back({2, SnapPte::Kind::Zero, 0, false});
  s.procs = {p0, p1};
  s.anon_vmas.push_back({1, false, 1, 1, 2, 2, 1, {{"p0", 0}, {"p1", 0}}, ""});
  s.anon_vmas.push_back({2, false, 1, 1, 1, 0, 1, {{"p1", 0}}, ""});
  s.folios.push_back({1, 1, 0, 2, false, 7, {}});
  s.folios.push_back({2, 1, 1, 1, true, 8, {}});
  return s;
}

// Mutable access for breaking a snapshot by hand.
inline SnapProc& proc(Snapshot& s, const std::string& name) {
  for (SnapProc& p : s.procs) {
    if (p.name == name) return p;
  }
  throw std::logic_error("no process " + name);
}
inline SnapVma& vma(Snapshot& s, const std::string& name, Page start) {
  for (SnapVma& v : proc(s, name).vmas) {
    if (v.start == start) return v;
  }
  throw std::logic_error("no vma");
}
inline SnapPte& pte(Snapshot& s, const std::string& name, Page page) {
  for (SnapPte& p : proc(s, name).ptes) {
    if (p.page == page) return p;
  }
  throw std::logic_error("no pte");
}
inline SnapAnonVma& anon_vma(Snapshot& s, SnapId id) {
  for (SnapAnonVma& a : s.anon_vmas) {
    if (a.id == id) return a;
  }
  throw std::logic_error("no anon_vma");
}
inline SnapFolio& folio(Snapshot& s, SnapId id) {
  for (SnapFolio& f : s.folios) {
    if (f.id == id) return f;
  }
  throw std::logic_error("no folio");
}

// The names of the invariants reported, e.g. {"I-BIDIR", "I-REACH"}.
inline std::set<std::string> reported(const std::vector<Violation>& vs) {
  std::set<std::string> names;
  for (const Violation& v : vs) names.emplace(invariant_name(v.id));
  return names;
}

// All violations of one invariant, one to_string() per line.
inline std::string messages(const std::vector<Violation>& vs, InvariantId id) {
  std::string out;
  for (const Violation& v : vs) {
    if (v.id == id) out += v.to_string() + "\n";
  }
  return out;
}

}  // namespace rmapcheck::testing
