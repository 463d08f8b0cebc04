// snapshot_property_test.cpp - properties of canonicalize, format, diff and
// the checker over random (and randomly broken) snapshots.
//
//   - canonicalize is idempotent, on any snapshot;
//   - on a snapshot whose objects are all reachable from the processes,
//     canonicalize does not depend on the engine's ids or list order;
//   - diff_snapshots and snapshot_difference are empty iff the snapshots are equal;
//   - snapshot_dot and snapshot_pair_dot draw anything, deterministically;
//   - check_invariants, format_snapshot and rmap_walk never crash, whatever
//     the snapshot holds (dangling ids, cycles, duplicates, freed objects).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>

#include "fixture.h"
#include "rmapcheck/snapshot_dot.h"

namespace rmapcheck::testing {
namespace {

const std::vector<std::string> kProcNames = {"p0", "p1", "p2"};

template <typename T>
T pick(T lo, T hi) {
  return *rc::gen::inRange<T>(lo, hi);
}

// Fisher-Yates with RapidCheck's choices, so a failure shrinks.
template <typename T>
std::vector<T> shuffled(std::vector<T> v) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[pick<std::size_t>(0, i)]);
  return v;
}

// Anything at all, within small ranges so that ids and pages collide.
Snapshot arbitrary_snapshot() {
  Snapshot s;
  const int nprocs = pick(0, 4);
  for (int i = 0; i < nprocs; ++i) {
    SnapProc p;
    p.name = kProcNames[static_cast<std::size_t>(pick(0, 3))];
    const int nv = pick(0, 4);
    for (int k = 0; k < nv; ++k) {
      SnapVma v;
      v.start = pick<Page>(0, 12);
      v.end = v.start + pick<Page>(0, 4);
      v.pgoff = pick<Page>(0, 12);
      v.flags = pick<VmFlags>(0, 256);
      v.anon_vma = pick<SnapId>(0, 6);
      const int nc = pick(0, 4);
      for (int c = 0; c < nc; ++c) v.chain.push_back(pick<SnapId>(0, 6));
      p.vmas.push_back(v);
    }
    const int np = pick(0, 6);
    for (int k = 0; k < np; ++k) {
      SnapPte pte;
      pte.page = pick<Page>(0, 16);
      pte.kind = *rc::gen::arbitrary<bool>() ? SnapPte::Kind::Folio : SnapPte::Kind::Zero;
      pte.folio = pick<SnapId>(0, 5);
      pte.writable = *rc::gen::arbitrary<bool>();
      p.ptes.push_back(pte);
    }
    s.procs.push_back(p);
  }
  const int na = pick(0, 6);
  for (int i = 0; i < na; ++i) {
    SnapAnonVma a;
    a.id = pick<SnapId>(0, 6);
    a.freed = pick(0, 4) == 0;
    a.root = pick<SnapId>(0, 6);
    a.parent = pick<SnapId>(0, 6);
    a.refcount = pick(-1, 4);
    a.num_children = pick(-1, 4);
    a.num_active_vmas = pick(-1, 4);
    const int nt = pick(0, 3);
    for (int k = 0; k < nt; ++k) {
      a.tree.push_back({kProcNames[static_cast<std::size_t>(pick(0, 3))], pick<Page>(0, 12)});
    }
    if (pick(0, 4) == 0) a.tree_error = "bad";
    s.anon_vmas.push_back(a);
  }
  const int nf = pick(0, 5);
  for (int i = 0; i < nf; ++i) {
    SnapFolio f;
    f.id = pick<SnapId>(0, 5);
    f.anon_vma = pick<SnapId>(0, 6);
    f.index = pick<Page>(0, 16);
    f.mapcount = pick(-1, 3);
    f.exclusive = *rc::gen::arbitrary<bool>();
    f.value = pick<std::uint64_t>(0, 3);
    s.folios.push_back(f);
  }
  return s;
}

// Every anon_vma (ids 1..na) is named by some chain and every folio (1..nf)
// by some PTE; ids are distinct, VMAs disjoint, one PTE per page.
Snapshot reachable_snapshot() {
  Snapshot s;
  const auto na = pick<SnapId>(1, 6);
  const auto nf = pick<SnapId>(0, 5);
  const int nprocs = pick(1, 4);
  for (int i = 0; i < nprocs; ++i) {
    SnapProc p;
    p.name = kProcNames[static_cast<std::size_t>(i)];
    Page at = 0;
    const int nv = pick(1, 4);
    for (int k = 0; k < nv; ++k) {
      SnapVma v;
      v.start = at + pick<Page>(0, 2);
      v.end = v.start + pick<Page>(1, 4);
      at = v.end;
      v.pgoff = pick<Page>(0, 20);
      v.flags = kRw;
      v.anon_vma = pick<SnapId>(0, na + 1);
      const int nc = pick(0, 3);
      for (int c = 0; c < nc; ++c) v.chain.push_back(pick<SnapId>(1, na + 1));
      p.vmas.push_back(v);
    }
    const int np = pick(0, 5);
    for (int k = 0; k < np; ++k) {
      const bool folio = nf > 0 && *rc::gen::arbitrary<bool>();
      p.ptes.push_back({static_cast<Page>(k) * 2 + pick<Page>(0, 2),
                        folio ? SnapPte::Kind::Folio : SnapPte::Kind::Zero,
                        folio ? pick<SnapId>(1, nf + 1) : 0, *rc::gen::arbitrary<bool>()});
    }
    s.procs.push_back(p);
  }
  for (SnapId id = 1; id <= na; ++id) {
    SnapProc& p = s.procs[static_cast<std::size_t>(pick(0, nprocs))];
    p.vmas[static_cast<std::size_t>(pick<std::size_t>(0, p.vmas.size()))].chain.push_back(id);
    SnapAnonVma a;
    a.id = id;
    a.root = pick<SnapId>(1, na + 1);
    a.parent = pick<SnapId>(1, na + 1);
    a.refcount = pick(0, 3);
    const int nt = pick(0, 3);
    for (int k = 0; k < nt; ++k)
      a.tree.push_back({kProcNames[static_cast<std::size_t>(pick(0, 3))], pick<Page>(0, 8)});
    s.anon_vmas.push_back(a);
  }
  for (SnapId id = 1; id <= nf; ++id) {
    SnapProc& p = s.procs[static_cast<std::size_t>(pick(0, nprocs))];
    p.ptes.push_back({100 + id, SnapPte::Kind::Folio, id, false});
    s.folios.push_back({id, pick<SnapId>(0, na + 1), pick<Page>(0, 9), pick(0, 3), false, id, {}});
  }
  return s;
}

// The same state under other engine ids and in another list order.
Snapshot renamed(const Snapshot& s) {
  auto perm = [](std::size_t n) {
    std::vector<SnapId> ids(n);
    std::iota(ids.begin(), ids.end(), SnapId{1});
    for (SnapId& id : ids) id = id * 7 + 3;  // sparse, like pool slots
    return shuffled(ids);
  };
  const std::vector<SnapId> av = perm(s.anon_vmas.size());
  const std::vector<SnapId> fo = perm(s.folios.size());
  auto ra = [&](SnapId id) { return id == 0 ? 0 : av[id - 1]; };
  auto rf = [&](SnapId id) { return id == 0 ? 0 : fo[id - 1]; };
  Snapshot t = s;
  for (SnapProc& p : t.procs) {
    for (SnapVma& v : p.vmas) {
      v.anon_vma = ra(v.anon_vma);
      for (SnapId& c : v.chain) c = ra(c);
    }
    for (SnapPte& pte : p.ptes) pte.folio = rf(pte.folio);
    p.vmas = shuffled(p.vmas);
    p.ptes = shuffled(p.ptes);
  }
  for (SnapAnonVma& a : t.anon_vmas) {
    a.id = ra(a.id);
    a.root = ra(a.root);
    a.parent = ra(a.parent);
    a.tree = shuffled(a.tree);
  }
  for (SnapFolio& f : t.folios) {
    f.id = rf(f.id);
    f.anon_vma = ra(f.anon_vma);
  }
  t.procs = shuffled(t.procs);
  t.anon_vmas = shuffled(t.anon_vmas);
  t.folios = shuffled(t.folios);
  return t;
}

RC_GTEST_PROP(CanonicalizeProperty, IsIdempotentOnAnySnapshot, ()) {
  Snapshot s = arbitrary_snapshot();
  canonicalize(s);
  Snapshot t = s;
  canonicalize(t);
  RC_ASSERT(s == t);
}

RC_GTEST_PROP(CanonicalizeProperty, IgnoresEngineIdsAndOrder, ()) {
  Snapshot s = reachable_snapshot();
  Snapshot t = renamed(s);
  canonicalize(s);
  canonicalize(t);
  RC_ASSERT(format_snapshot(s) == format_snapshot(t));
  RC_ASSERT(s == t);
}

RC_GTEST_PROP(DiffProperty, EmptyIffEqual, ()) {
  Snapshot a = arbitrary_snapshot();
  Snapshot b = *rc::gen::arbitrary<bool>() ? a : arbitrary_snapshot();
  canonicalize(a);
  canonicalize(b);
  RC_ASSERT(diff_snapshots(a, b, "a", "b").empty() == (a == b));
}

// The object-wise comparison the pictures use agrees with the line diff.
RC_GTEST_PROP(DiffProperty, DifferenceEmptyIffEqual, ()) {
  Snapshot a = arbitrary_snapshot();
  Snapshot b = *rc::gen::arbitrary<bool>() ? a : arbitrary_snapshot();
  if (*rc::gen::arbitrary<bool>()) canonicalize(a);
  canonicalize(b);
  RC_ASSERT(snapshot_difference(a, b).empty() == (a == b));
  RC_ASSERT(snapshot_difference(a, b).empty() == diff_snapshots(a, b, "a", "b").empty());
}

// Pictures of anything (dangling ids, duplicates, cycles) are made, and
// made the same way twice.
RC_GTEST_PROP(DotProperty, DrawsAnySnapshotDeterministically, ()) {
  Snapshot a = arbitrary_snapshot();
  Snapshot b = arbitrary_snapshot();
  const std::string one = snapshot_dot(DotSide{"x", &a, {}}, {"t"});
  RC_ASSERT(one.rfind("digraph rmap {\n", 0) == 0);
  RC_ASSERT(one == snapshot_dot(DotSide{"x", &a, {}}, {"t"}));
  const std::string two = snapshot_pair_dot({"a", &a, {}}, {"b", &b, {}}, {"t"});
  RC_ASSERT(two == snapshot_pair_dot({"a", &a, {}}, {"b", &b, {}}, {"t"}));
  RC_ASSERT(std::count(two.begin(), two.end(), '{') == std::count(two.begin(), two.end(), '}'));
}

RC_GTEST_PROP(CheckerProperty, NeverCrashesOnBrokenSnapshots, ()) {
  Snapshot s = arbitrary_snapshot();
  // Even uncanonicalized, every violation has a message.
  for (const Violation& v : check_invariants(s)) RC_ASSERT(!v.to_string().empty());
  canonicalize(s);
  const std::vector<Violation> vs = check_invariants(s);
  for (const Violation& v : vs) RC_ASSERT(!v.to_string().empty());
  RC_ASSERT(!format_snapshot(s).empty());
  std::size_t vmas = 0;
  for (const SnapProc& p : s.procs) vmas += p.vmas.size();
  const std::string maps = format_maps(s);  // one line per VMA
  RC_ASSERT(static_cast<std::size_t>(std::count(maps.begin(), maps.end(), '\n')) == vmas);
  for (const SnapFolio& f : s.folios) {
    const std::vector<RmapHit> walk = rmap_walk(s, f.id);
    RC_ASSERT(std::is_sorted(walk.begin(), walk.end()));
  }
}

// The walk only ever reports real mappings (page_vma_mapped_walk's check),
// whatever the trees say: rmap_walk is a subset of the brute-force scan.
RC_GTEST_PROP(CheckerProperty, WalkFindsOnlyRealMappings, ()) {
  Snapshot s = arbitrary_snapshot();
  canonicalize(s);
  for (const SnapFolio& f : s.folios) {
    const std::vector<RmapHit> walk = rmap_walk(s, f.id);
    const std::vector<RmapHit> brute = brute_force_mappers(s, f.id);
    RC_ASSERT(std::includes(brute.begin(), brute.end(), walk.begin(), walk.end()));
  }
}

}  // namespace
}  // namespace rmapcheck::testing
