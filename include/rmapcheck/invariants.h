// invariants.h - the invariant catalogue, as named predicates over a Snapshot.
//
// Each invariant is defined once, here and in docs/invariants.md, and is
// referred to everywhere by its name (I-NULL, I-BIDIR, ...). The same code
// checks the model and the impl, so a stored counter of the impl is checked
// against the relation the model derives it from.
//
//   I-NULL            vma.anon_vma == NULL <=> chain empty; an unfaulted VMA maps no anon folio
//   I-ACTIVE-IN-CHAIN vma.anon_vma != NULL => vma.anon_vma in chainset(vma)
//   I-DISTINCT        no anon_vma twice in one chain
//   I-BIDIR           avc in vma.chain <=> node (proc, vma) in anon_vma.tree
//   I-KEY             every tree node is keyed by its VMA's current
//                     [pgoff, pgoff+pages-1] and the tree is sound (tree_error empty)
//   I-ROOT            root.root == root; root == self <=> parent == self; parent
//                     chain reaches the root without a cycle; one root per chain
//   I-CLOSE           a in chainset(V) => a.parent in chainset(V)
//   I-CHILDREN        num_children == #{live Y : Y.parent == X} (a live root counts itself)
//   I-ACTIVE          num_active_vmas == #{V : V.anon_vma == X}
//   I-REF             refcount == [live] + (root ? #{allocated Y != X : Y.root == X} : 0);
//                     nothing allocated with refcount 0 (no leak)
//   I-LIVE-IN-CHAIN   X live (tree non-empty) <=> X in some chain
//   I-SAMECHAIN       same mm, same non-NULL anon_vma => same chainset
//   I-MAPPING         a PTE mapping folio F in VMA V: F.anon_vma allocated and
//                     live, in chainset(V), F.index == linear_page_index(V, page),
//                     same root as V.anon_vma
//   I-REACH           the rmap walk (interval query + vma_address + PTE check)
//                     finds exactly the PTEs a brute-force scan finds
//   I-MAPCOUNT        F.mapcount == number of PTEs mapping F; no allocated folio
//                     unmapped unless the swap cache holds it
//   I-EXCL            exclusive => mapcount == 1; writable PTE => exclusive;
//                     writable PTE => VMA has VM_WRITE; zero page never writable
//   I-SWAPCOUNT       slot.count == number of swap PTEs holding it; a slot in use
//                     has a count or a cached folio; slot.cached == F <=> F.swap == slot;
//                     an unmapped cached folio's slot is held by a swap PTE
//   I-SWAPPTE-CHAIN   a swap PTE lies in a faulted VMA V; if its slot caches F:
//                     F.anon_vma allocated, in chainset(V), same root, and
//                     F.index == linear_page_index(V, page)
//   I-EXCL-SWAP       exclusive swap PTE => slot count 1; a cached folio whose
//                     slot is held is not exclusive; swap PTEs are never writable
//   I-PGOFF-LINEAR    (transition) an op other than mremap keeps every still
//                     mapped page's linear index; mremap keeps it for pages of
//                     faulted VMAs it moves
//
// Synopsis
//   InvariantId, invariant_name, invariant_from_name
//   Violation                      {id, objects, why}; to_string() "I-X: objects: why"
//   check_invariants(s)            every state invariant; empty when all hold
//   check_transition(before, op, after)  I-PGOFF-LINEAR
//   rmap_walk(s, folio)            the walk over the snapshot (what I-REACH checks)
//   brute_force_mappers(s, folio)  every (proc, page) whose PTE maps the folio
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rmapcheck/op.h"
#include "rmapcheck/result.h"
#include "rmapcheck/snapshot.h"

namespace rmapcheck {

enum class InvariantId : std::uint8_t {
  Null,
  ActiveInChain,
  Distinct,
  Bidir,
  Key,
  Root,
  Close,
  Children,
  Active,
  Ref,
  LiveInChain,
  SameChain,
  Mapping,
  Reach,
  Mapcount,
  Excl,
  SwapCount,
  SwapPteChain,
  ExclSwap,
  PgoffLinear,
};
inline constexpr int kInvariantCount = 20;

std::string_view invariant_name(InvariantId id);  // "I-NULL", ...
std::optional<InvariantId> invariant_from_name(std::string_view s);

struct Violation {
  InvariantId id;
  std::string objects;  // e.g. "p1 vma [4,8) anon_vma #3"
  std::string why;      // e.g. "num_active_vmas is 2 but 1 VMA points to it"
  std::string to_string() const;
};

// Expects a canonicalized snapshot. Violations come in catalogue order.
std::vector<Violation> check_invariants(const Snapshot& s);

std::vector<Violation> check_transition(const Snapshot& before, const Op& op,
                                        const Snapshot& after);

// rmap_walk_anon over the snapshot's own structures: every VMA whose chain
// holds the folio's anon_vma and whose [pgoff, pgoff+pages-1] holds
// folio.index, at vma_address(), kept only when that PTE maps the folio.
std::vector<RmapHit> rmap_walk(const Snapshot& s, SnapId folio);
std::vector<RmapHit> brute_force_mappers(const Snapshot& s, SnapId folio);

}  // namespace rmapcheck
