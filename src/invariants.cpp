// invariants.cpp - the catalogue's names and check_invariants(), the driver.
//
// The predicates themselves live in invariant_structure.cpp (chains and
// trees), invariant_counters.cpp (the anon_vma counters and forest) and
// invariant_folios.cpp (folios, PTEs and the rmap walk); each is defined
// once and runs in catalogue order here.
#include "rmapcheck/invariants.h"

#include <array>

#include "invariant_index.h"

namespace rmapcheck {

namespace {
constexpr std::array<std::string_view, kInvariantCount> kNames = {
    "I-NULL",    "I-ACTIVE-IN-CHAIN", "I-DISTINCT", "I-BIDIR", "I-KEY",           "I-ROOT",
    "I-CLOSE",   "I-CHILDREN",        "I-ACTIVE",   "I-REF",   "I-LIVE-IN-CHAIN", "I-SAMECHAIN",
    "I-MAPPING", "I-REACH",           "I-MAPCOUNT", "I-EXCL",  "I-PGOFF-LINEAR",
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
  return out;
}

}  // namespace rmapcheck
