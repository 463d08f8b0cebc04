// invariant_index.h - lookups over a Snapshot for the invariant checks (internal).
//
// A Snapshot may be arbitrarily broken (dangling ids, duplicates, cycles), so
// every lookup here returns nullptr rather than assuming anything; the checks
// turn each nullptr into a violation. Duplicates: the first entry wins the
// lookup and the duplicate itself is reported by the invariant that owns it.
#pragma once

#include <fmt/format.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "rmapcheck/invariants.h"

namespace rmapcheck::detail {

struct VmaRef {
  const SnapProc* proc = nullptr;
  const SnapVma* vma = nullptr;
};

class SnapIndex {
 public:
  explicit SnapIndex(const Snapshot& s) : snap(s) {
    for (const SnapAnonVma& a : s.anon_vmas) anon_vmas.emplace(a.id, &a);
    for (const SnapFolio& f : s.folios) folios.emplace(f.id, &f);
    for (const SnapProc& p : s.procs) {
      for (const SnapVma& v : p.vmas) vmas.emplace(std::make_pair(p.name, v.start), VmaRef{&p, &v});
    }
  }

  const SnapAnonVma* anon_vma(SnapId id) const {
    auto it = anon_vmas.find(id);
    return it == anon_vmas.end() ? nullptr : it->second;
  }
  const SnapFolio* folio(SnapId id) const {
    auto it = folios.find(id);
    return it == folios.end() ? nullptr : it->second;
  }
  // Listed and not freed.
  bool allocated(SnapId id) const {
    const SnapAnonVma* a = anon_vma(id);
    return a != nullptr && !a->freed;
  }
  // Live: allocated with a non-empty interval tree
  // (docs/kernel/anon-vma.md#liveness-and-freeing).
  bool live(SnapId id) const {
    const SnapAnonVma* a = anon_vma(id);
    return a != nullptr && !a->freed && !a->tree.empty();
  }
  // The VMA a tree node names: (proc, vm_start).
  VmaRef vma_at_start(const std::string& proc, Page start) const {
    auto it = vmas.find(std::make_pair(proc, start));
    return it == vmas.end() ? VmaRef{} : it->second;
  }

  const Snapshot& snap;
  std::map<SnapId, const SnapAnonVma*> anon_vmas;  // first entry per id
  std::map<SnapId, const SnapFolio*> folios;
  std::map<std::pair<std::string, Page>, VmaRef> vmas;
};

// The VMA of `p` that contains `page`, or nullptr.
inline const SnapVma* vma_containing(const SnapProc& p, Page page) {
  for (const SnapVma& v : p.vmas) {
    if (page >= v.start && page < v.end) return &v;
  }
  return nullptr;
}

// linear_page_index(vma, page): the pgoff of `page` inside `v`.
inline Page linear_index(const SnapVma& v, Page page) {
  return v.pgoff + (page - v.start);
}

inline bool chain_has(const SnapVma& v, SnapId id) {
  for (SnapId c : v.chain) {
    if (c == id) return true;
  }
  return false;
}

inline std::set<SnapId> chainset(const SnapVma& v) {
  return {v.chain.begin(), v.chain.end()};
}

// Object names used in every message.
inline std::string vma_name(const std::string& proc, const SnapVma& v) {
  return fmt::format("{} vma [{},{})", proc, v.start, v.end);
}
inline std::string av_name(SnapId id) {
  return fmt::format("anon_vma #{}", id);
}
inline std::string folio_name(SnapId id) {
  return fmt::format("folio #{}", id);
}
inline std::string page_name(const std::string& proc, Page page) {
  return fmt::format("{} page {}", proc, page);
}

// Why an anon_vma id is not usable: "" when allocated.
inline std::string av_state(const SnapIndex& ix, SnapId id) {
  const SnapAnonVma* a = ix.anon_vma(id);
  if (id == 0) return "NULL";
  if (a == nullptr) return "dangling (no such anon_vma)";
  if (a->freed) return "freed";
  return "";
}

// The root of an allocated anon_vma by its root field, or 0.
inline SnapId root_of(const SnapIndex& ix, SnapId id) {
  const SnapAnonVma* a = ix.anon_vma(id);
  return a == nullptr ? 0 : a->root;
}

using Violations = std::vector<Violation>;

// Each state invariant, defined once (invariant_structure.cpp,
// invariant_counters.cpp, invariant_folios.cpp).
void check_null(const SnapIndex& ix, Violations& out);
void check_active_in_chain(const SnapIndex& ix, Violations& out);
void check_distinct(const SnapIndex& ix, Violations& out);
void check_bidir(const SnapIndex& ix, Violations& out);
void check_key(const SnapIndex& ix, Violations& out);
void check_root(const SnapIndex& ix, Violations& out);
void check_close(const SnapIndex& ix, Violations& out);
void check_children(const SnapIndex& ix, Violations& out);
void check_active(const SnapIndex& ix, Violations& out);
void check_ref(const SnapIndex& ix, Violations& out);
void check_live_in_chain(const SnapIndex& ix, Violations& out);
void check_samechain(const SnapIndex& ix, Violations& out);
void check_mapping(const SnapIndex& ix, Violations& out);
void check_reach(const SnapIndex& ix, Violations& out);
void check_mapcount(const SnapIndex& ix, Violations& out);
void check_excl(const SnapIndex& ix, Violations& out);

// rmap_walk() over an index already built (check_reach walks every folio).
std::vector<RmapHit> rmap_walk(const SnapIndex& ix, SnapId folio);

}  // namespace rmapcheck::detail
