// invariants.cpp - the catalogue's names and check_invariants(), the driver.
//
// The predicates themselves live in invariant_structure.cpp (chains and
// trees), invariant_counters.cpp (the anon_vma counters and forest) and
// invariant_folios.cpp (folios, PTEs and the rmap walk), invariant_swap.cpp
// (swap slots and the swap cache); each is defined
// once and runs in catalogue order here.
#include "rmapcheck/invariants.h"

#include <algorithm>
#include <array>

#include "invariant_index.h"

namespace rmapcheck {

namespace {
constexpr std::array<std::string_view, kInvariantCount> kNames = {
    "I-NULL",          "I-ACTIVE-IN-CHAIN", "I-DISTINCT",      "I-BIDIR",     "I-KEY",
    "I-ROOT",          "I-CLOSE",           "I-CHILDREN",      "I-ACTIVE",    "I-REF",
    "I-LIVE-IN-CHAIN", "I-SAMECHAIN",       "I-MAPPING",       "I-REACH",     "I-MAPCOUNT",
    "I-EXCL",          "I-SWAPCOUNT",       "I-SWAPPTE-CHAIN", "I-EXCL-SWAP", "I-PGOFF-LINEAR",
};
}  // namespace

std::string_view invariant_name(InvariantId id) {
  const auto i = static_cast<std::size_t>(id);
  return i < kNames.size() ? kNames[i] : "I-?";
}

std::optional<InvariantId> invariant_from_name(std::string_view s) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == s) return static_cast<InvariantId>(i);
  }
  return std::nullopt;
}

namespace detail {

namespace {
// `out`: (id, &entry) of `list`, first entry per id, in id order; `dense`
// when the ids are exactly 1..n (a canonical snapshot), so that a lookup is
// an index.
template <class List, class Out>
void by_id(const List& list, Out& out, bool& dense) {
  out.clear();
  out.reserve(list.size());
  bool sorted = true;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i > 0 && list[i].id < list[i - 1].id) sorted = false;
    out.emplace_back(list[i].id, &list[i]);
  }
  auto less = [](const auto& a, const auto& b) { return a.first < b.first; };
  if (!sorted) std::stable_sort(out.begin(), out.end(), less);
  out.erase(std::unique(out.begin(), out.end(),
                        [](const auto& a, const auto& b) { return a.first == b.first; }),
            out.end());
  dense = true;
  for (std::size_t i = 0; i < out.size() && dense; ++i) dense = out[i].first == i + 1;
}
}  // namespace

SnapIndex::Arrays& SnapIndex::borrow(std::unique_ptr<Arrays>& own) {
  thread_local Arrays mine;
  if (!mine.lent) {
    mine.lent = true;
    return mine;
  }
  own = std::make_unique<Arrays>();
  return *own;
}

SnapIndex::~SnapIndex() {
  arrays_.lent = false;
}

SnapIndex::SnapIndex(const Snapshot& s)
    : arrays_(borrow(own_)),
      snap(s),
      anon_vmas(arrays_.anon_vmas),
      folios(arrays_.folios),
      pte_counts(arrays_.pte_counts),
      node_refs_(arrays_.node_refs),
      node_off_(arrays_.node_off) {
  by_id(s.anon_vmas, anon_vmas, avs_dense_);
  by_id(s.folios, folios, folios_dense_);
  node_off_.resize(s.anon_vmas.size());
  std::size_t nodes = 0;
  for (std::size_t i = 0; i < s.anon_vmas.size(); ++i) {
    node_off_[i] = nodes;
    nodes += s.anon_vmas[i].tree.size();
  }
  node_refs_.clear();
  node_refs_.reserve(nodes);
  for (const SnapAnonVma& a : s.anon_vmas) {
    // Nodes are sorted by process: look a process up once per run of nodes.
    const std::string* last = nullptr;
    const SnapProc* first_of_name = nullptr;
    for (const SnapTreeNode& n : a.tree) {
      if (last == nullptr || *last != n.proc) {
        last = &n.proc;
        first_of_name = nullptr;
        for (const SnapProc& p : s.procs) {
          if (p.name == n.proc) {
            first_of_name = &p;
            break;
          }
        }
      }
      node_refs_.push_back(first_of_name == nullptr ? VmaRef{}
                                                    : vma_at_start(*first_of_name, n.vma_start));
    }
  }
  std::vector<SnapId>& ids = arrays_.ids;
  ids.clear();
  for (const SnapProc& p : s.procs) {
    for (const SnapPte& pte : p.ptes) {
      if (pte.kind == SnapPte::Kind::Folio) ids.push_back(pte.folio);
    }
  }
  std::sort(ids.begin(), ids.end());
  pte_counts.clear();
  for (std::size_t i = 0; i < ids.size();) {
    std::size_t j = i;
    while (j < ids.size() && ids[j] == ids[i]) ++j;
    pte_counts.emplace_back(ids[i], static_cast<long>(j - i));
    i = j;
  }
}

VmaRef SnapIndex::vma_at_start(const std::string& proc, Page start) const {
  for (const SnapProc& p : snap.procs) {
    if (p.name != proc) continue;
    for (const SnapVma& v : p.vmas) {
      if (v.start == start) return VmaRef{&p, &v};
    }
  }
  return VmaRef{};
}

// From the first process of its name on (the processes of one name are not
// always adjacent in a broken snapshot).
VmaRef SnapIndex::vma_at_start(const SnapProc& first, Page start) const {
  const SnapProc* end = snap.procs.data() + snap.procs.size();
  for (const SnapProc* p = &first; p != end; ++p) {
    if (p != &first && p->name != first.name) continue;
    for (const SnapVma& v : p->vmas) {
      if (v.start == start) return VmaRef{p, &v};
    }
  }
  return VmaRef{};
}

}  // namespace detail

std::string Violation::to_string() const {
  return std::string(invariant_name(id)) + ": " + objects + ": " + why;
}

std::vector<Violation> check_invariants(const Snapshot& s) {
  const detail::SnapIndex ix(s);
  std::vector<Violation> out;
  detail::check_null(ix, out);
  detail::check_active_in_chain(ix, out);
  detail::check_distinct(ix, out);
  detail::check_bidir(ix, out);
  detail::check_key(ix, out);
  detail::check_root(ix, out);
  detail::check_close(ix, out);
  detail::check_children(ix, out);
  detail::check_active(ix, out);
  detail::check_ref(ix, out);
  detail::check_live_in_chain(ix, out);
  detail::check_samechain(ix, out);
  detail::check_mapping(ix, out);
  detail::check_reach(ix, out);
  detail::check_mapcount(ix, out);
  detail::check_excl(ix, out);
  detail::check_swapcount(ix, out);
  detail::check_swappte_chain(ix, out);
  detail::check_excl_swap(ix, out);
  return out;
}

}  // namespace rmapcheck
