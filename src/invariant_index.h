// invariant_index.h - lookups over a Snapshot for the invariant checks (internal).
//
// A Snapshot may be arbitrarily broken (dangling ids, duplicates, cycles), so
// every lookup here returns nullptr rather than assuming anything; the checks
// turn each nullptr into a violation. Duplicates: the first entry wins the
// lookup and the duplicate itself is reported by the invariant that owns it.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
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

// Built once per check_invariants() from flat arrays: the anon_vmas and
// folios by id (first entry per id, in id order), each tree node's VMA, and
// the PTE count of every folio id. Nothing here formats a string.
//
// The arrays are the calling thread's, lent to one index at a time (an
// index built while another one holds them gets arrays of its own), so
// that indexing a snapshot after every op allocates nothing once they have
// grown.
class SnapIndex {
  struct Arrays {
    std::vector<std::pair<SnapId, const SnapAnonVma*>> anon_vmas;
    std::vector<std::pair<SnapId, const SnapFolio*>> folios;
    std::vector<std::pair<SnapId, long>> pte_counts;
    std::vector<VmaRef> node_refs;
    std::vector<std::size_t> node_off;
    std::vector<SnapId> ids;
    bool lent = false;
  };
  static Arrays& borrow(std::unique_ptr<Arrays>& own);
  std::unique_ptr<Arrays> own_;  // set when the thread's arrays were lent already
  Arrays& arrays_;

 public:
  explicit SnapIndex(const Snapshot& s);
  ~SnapIndex();
  SnapIndex(const SnapIndex&) = delete;
  SnapIndex& operator=(const SnapIndex&) = delete;

  const SnapAnonVma* anon_vma(SnapId id) const {
    const std::size_t i = av_pos(id);
    return i == npos ? nullptr : anon_vmas[i].second;
  }
  const SnapFolio* folio(SnapId id) const {
    const std::size_t i = pos_of(folios, folios_dense_, id);
    return i == npos ? nullptr : folios[i].second;
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
  // The VMA a tree node names: (proc, vm_start); the first such VMA of the
  // first process of that name that has one.
  VmaRef vma_at_start(const std::string& proc, Page start) const;
  VmaRef vma_at_start(const SnapProc& first_of_name, Page start) const;
  // The same for node j of `a`'s tree (a in snap.anon_vmas), resolved once.
  VmaRef node_vma(const SnapAnonVma& a, std::size_t j) const {
    return node_refs_[node_off_[static_cast<std::size_t>(&a - snap.anon_vmas.data())] + j];
  }
  // Position of id in `anon_vmas`, or npos.
  std::size_t av_pos(SnapId id) const { return pos_of(anon_vmas, avs_dense_, id); }
  // How many PTEs (of all processes) map folio id.
  long pte_count(SnapId id) const {
    const auto it = std::lower_bound(pte_counts.begin(), pte_counts.end(), id,
                                     [](const auto& e, SnapId x) { return e.first < x; });
    return it != pte_counts.end() && it->first == id ? it->second : 0;
  }

  static constexpr std::size_t npos = ~std::size_t{0};

  const Snapshot& snap;
  std::vector<std::pair<SnapId, const SnapAnonVma*>>& anon_vmas;  // first entry per id, by id
  std::vector<std::pair<SnapId, const SnapFolio*>>& folios;
  std::vector<std::pair<SnapId, long>>& pte_counts;  // folio id -> PTEs mapping it, by id

 private:
  template <class Vec>
  static std::size_t pos_of(const Vec& v, bool dense, SnapId id) {
    if (dense) return id >= 1 && id <= v.size() ? static_cast<std::size_t>(id - 1) : npos;
    const auto it = std::lower_bound(v.begin(), v.end(), id,
                                     [](const auto& e, SnapId x) { return e.first < x; });
    return it != v.end() && it->first == id ? static_cast<std::size_t>(it - v.begin()) : npos;
  }

  bool avs_dense_ = false, folios_dense_ = false;  // ids are exactly 1..n: index = id - 1
  std::vector<VmaRef>& node_refs_;
  std::vector<std::size_t>& node_off_;  // by position in snap.anon_vmas
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

// chainset(vma): the chain's ids, sorted, each once (what a std::set of
// them would iterate), in `out`.
inline void chainset(const SnapVma& v, std::vector<SnapId>& out) {
  out.assign(v.chain.begin(), v.chain.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
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

// Records one violation of `id`: the objects it names and why it fails.
inline void add(Violations& out, InvariantId id, std::string objects, std::string why) {
  out.push_back({id, std::move(objects), std::move(why)});
}

// Each state invariant, defined once (invariant_structure.cpp,
// invariant_counters.cpp, invariant_folios.cpp, invariant_swap.cpp).
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
void check_swapcount(const SnapIndex& ix, Violations& out);
void check_swappte_chain(const SnapIndex& ix, Violations& out);
void check_excl_swap(const SnapIndex& ix, Violations& out);

// rmap_walk() over an index already built (check_reach walks every folio).
std::vector<RmapHit> rmap_walk(const SnapIndex& ix, SnapId folio);

}  // namespace rmapcheck::detail
