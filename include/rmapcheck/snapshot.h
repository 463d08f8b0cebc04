// snapshot.h - the canonical state of an engine, the unit of comparison.
//
// Data flows one way: trace -> engine -> Snapshot -> invariants and
// comparison -> report. Every engine (model, impl) describes its whole state
// as a Snapshot with ids of its own choosing; canonicalize() then renames
// anon_vmas and folios in order of first appearance, so two engines that are
// in the same state produce equal Snapshots, byte for byte when formatted.
//
// Synopsis
//   SnapVma, SnapPte, SnapProc, SnapAnonVma, SnapFolio, SnapSlot, Snapshot
//   canonicalize(s)          rename ids, sort everything; idempotent
//   Visibility, restrict_to(s, v)  what a lane shows; compare only that
//   format_snapshot(s)       the full state printout (replay --step)
//   format_maps(s)           one line per VMA: "PROC START-END PERMS ..." (replay --maps)
//   format_pages(s)          one line per PTE: "PROC PAGE zero|folio|swap ..." (replay --pages)
//   diff_snapshots(a, b, la, lb)  a readable line diff, empty when equal
//   snapshot_difference(a, b)     the objects that differ (for pictures), empty when equal
//
// What the engines fill in:
//   - counters (refcount, num_children, num_active_vmas): the impl reports
//     the values it stores; the model reports the values derived by their
//     definitions. The invariants (invariants.h) compare them with the
//     relations, so a drifting stored counter is caught.
//   - tree: the (proc, vma start) of every anon_vma_chain node in the
//     anon_vma's interval tree; tree_error: the impl's verify() message
//     (colour, order, rb_subtree_last), empty when sound or for the model.
//   - freed anon_vmas appear only when a folio still points to one.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "rmapcheck/op.h"
#include "rmapcheck/result.h"
#include "rmapcheck/vm_flags.h"

namespace rmapcheck {

using SnapId = std::uint64_t;  // engine-chosen before canonicalize(), 1..n after; 0 = none

struct SnapVma {
  Page start = 0, end = 0;  // half-open, pages
  Page pgoff = 0;           // vm_pgoff, in pages
  VmFlags flags = 0;
  SnapId anon_vma = 0;        // 0: NULL (unfaulted)
  std::vector<SnapId> chain;  // vma->anon_vma_chain in list order (newest first, root last)
  bool operator==(const SnapVma&) const = default;
};

// A PTE that is not none: present (the zero page or an anon folio) or a
// swap entry (docs/model/pageout.md): the slot holding the page and the
// pte_swp_exclusive bit. A swap PTE is never writable and maps no folio.
struct SnapPte {
  enum class Kind : std::uint8_t { Zero, Folio, Swap };
  Page page = 0;
  Kind kind = Kind::Zero;
  SnapId folio = 0;  // Kind::Folio
  bool writable = false;
  SnapId slot = 0;             // Kind::Swap: the swap slot
  bool swp_exclusive = false;  // Kind::Swap: pte_swp_exclusive
  bool operator==(const SnapPte&) const = default;
};

struct SnapProc {
  std::string name;
  std::vector<SnapVma> vmas;  // sorted by start
  std::vector<SnapPte> ptes;  // present and swap PTEs (not none), sorted by page
  bool operator==(const SnapProc&) const = default;
};

struct SnapTreeNode {
  std::string proc;
  Page vma_start = 0;
  auto operator<=>(const SnapTreeNode&) const = default;
};

struct SnapAnonVma {
  SnapId id = 0;
  bool freed = false;  // only for an anon_vma a folio still points to
  SnapId root = 0, parent = 0;
  long refcount = 0;
  long num_children = 0;
  long num_active_vmas = 0;
  std::vector<SnapTreeNode> tree;  // sorted
  std::string tree_error;          // impl's interval-tree verify(); "" when sound
  bool operator==(const SnapAnonVma&) const = default;
};

struct SnapFolio {
  SnapId id = 0;
  SnapId anon_vma = 0;      // folio_anon_vma(folio): folio->mapping without the tag bit
  Page index = 0;           // folio->index
  long mapcount = 0;        // _mapcount + 1, as the engine keeps it
  bool exclusive = false;   // PageAnonExclusive
  std::uint64_t value = 0;  // page contents (what a read returns)
  // What the engine's own rmap walk finds for this folio, sorted (the impl:
  // rmap_walk_anon over the interval tree; the model: its walk over the
  // chains). I-REACH compares it with the page tables. nullopt: not reported
  // (a snapshot built by hand, or a lane that cannot walk: the live kernel).
  std::optional<std::vector<RmapHit>> walk;
  // folio->swap while the folio is in the swap cache (folio_test_swapcache):
  // the slot whose cache holds it; 0 when not in the swap cache. A folio in
  // the swap cache may be mapped by no PTE (mapcount 0): it keeps its
  // mapping and index for the next swap-in (docs/model/pageout.md).
  SnapId swap = 0;
  bool operator==(const SnapFolio&) const = default;
};
// A swap slot in use (swap_map[offset] != 0). count: the swap PTEs holding
// it, as the engine keeps it (the impl's swap_map count; the model derives
// it), which I-SWAPCOUNT checks against the page tables. cached: the folio
// the swap cache holds for it, 0 for none. value: the page contents the
// slot stores (what a swap-in reads when nothing is cached).
struct SnapSlot {
  SnapId id = 0;
  long count = 0;
  SnapId cached = 0;
  std::uint64_t value = 0;
  bool operator==(const SnapSlot&) const = default;
};

// What a snapshot shows. The engines show everything; the live kernel shows
// less (docs/conformance.md says how each part is observed), and a
// comparison with it is restricted to what both sides show (restrict_to).
enum class Shown : std::uint32_t {
  FlagsBeyondRwx = 1u << 0,    // vm_flags other than r/w/x (smaps VmFlags)
  Forest = 1u << 1,            // vm_pgoff, vma->anon_vma, chains, anon_vma root/parent/counters
  Trees = 1u << 2,             // anon_vma interval-tree contents and verify()
  FolioMapping = 1u << 3,      // folio->mapping (its anon_vma) and folio->index
  PteWrite = 1u << 4,          // the PTE write bit
  UnreadableValues = 1u << 5,  // values of folios no readable VMA maps
  Walk = 1u << 6,              // the engine's own rmap walk (SnapFolio::walk)
  SwapExclusive = 1u << 7,     // the pte_swp_exclusive bit of swap PTEs
  SwapCache = 1u << 8,         // the swap cache (SnapFolio::swap, SnapSlot::cached, unmapped
                               // cached folios) and the contents slots store
};
struct Visibility {
  std::uint32_t bits = 0x1ff;  // everything
  static constexpr Visibility all() { return {}; }
  bool has(Shown s) const { return (bits & static_cast<std::uint32_t>(s)) != 0; }
  Visibility operator&(Visibility o) const { return {bits & o.bits}; }
  bool operator==(const Visibility&) const = default;
};
// "folio->mapping, PTE write bits": the parts `v` does not show, in words.
std::string hidden_parts(Visibility v);

struct Snapshot {
  std::vector<SnapProc> procs;         // live processes, sorted by name
  std::vector<SnapAnonVma> anon_vmas;  // allocated ones (plus freed ones still pointed to), by id
  std::vector<SnapFolio> folios;       // allocated anon folios, by id
  std::vector<SnapSlot> slots;         // swap slots in use, by id
  Visibility visible;                  // what the lane that made it can show
  bool operator==(const Snapshot&) const = default;

  const SnapProc* find_proc(std::string_view name) const;
  const SnapAnonVma* find_anon_vma(SnapId id) const;
  const SnapFolio* find_folio(SnapId id) const;
  const SnapSlot* find_slot(SnapId id) const;
};

// Renames anon_vma and folio ids in order of first appearance and sorts:
//   procs by name; in each, VMAs by start: anon_vma, then the chain in list
//   order; then the root and parent of every anon_vma named so far, in id
//   order, until closed; then folios in order of (proc, page) of their first
//   PTE and, with them, swap slots in order of their first swap PTE; then
//   the folios those slots cache, the slots of folios in the swap cache,
//   and the folios' anon_vmas; anything left (leaked objects) last, in the
//   engine's id order. Trees are sorted.
void canonicalize(Snapshot& s);

// Clears what `v` does not show (and, without Forest or FolioMapping, the
// anon_vmas no VMA reaches), sets s.visible &= v and canonicalizes again,
// so that two snapshots restricted to the same visibility compare equal
// exactly when they agree on what that visibility shows.
void restrict_to(Snapshot& s, Visibility v);

std::string format_snapshot(const Snapshot& s);
// How every printer (format_snapshot, format_maps, the DOT pictures) writes
// an id ("#3", "none") and a VMA's flags ("rd,wr,ac", "-").
std::string id_ref(SnapId id);
std::string flags_field(VmFlags f);
std::string format_maps(const Snapshot& s);
// One line per present or swap PTE, processes by name, pages ascending:
//   "p0 3 zero", "p0 4 folio #2 writable exclusive", "p1 4 folio #2 ro shared",
//   "p0 5 swap $1 exclusive", "p1 5 swap $1 shared"
// (a folio line says whether the folio is PageAnonExclusive; a swap line
// whether the swap PTE has the exclusive bit).
std::string format_pages(const Snapshot& s);
// How every printer writes a slot id: "$3", "none".
std::string slot_ref(SnapId id);

// Line diff of the two formatted snapshots, labelled ("model", "impl"):
// only differing sections, "-"/"+" prefixed. Empty iff a == b.
std::string diff_snapshots(const Snapshot& a, const Snapshot& b, std::string_view label_a,
                           std::string_view label_b);

// The same comparison as diff_snapshots, object by object: the keys of the
// objects whose records differ (by the records' operator==, of which
// Snapshot's is made), for a picture to highlight them. An object is keyed
// as the printout names it: a process by name, a VMA by (process, start), a
// PTE by (process, page), an anon_vma or a folio by its canonical id. A key
// differs when the records under it (all of them, in list order, should a
// snapshot hold duplicates) are not equal in a and b, or exist in only one.
struct SnapshotDifference {
  // Processes live in only one snapshot, or whose records differ in nothing
  // but the order or number of duplicated VMAs and PTEs.
  std::set<std::string> procs;
  std::set<std::pair<std::string, Page>> vmas;  // (process, start)
  std::set<std::pair<std::string, Page>> ptes;  // (process, page)
  std::set<SnapId> anon_vmas, folios, slots;
  bool visibility = false;  // the two show different parts (Snapshot::visible)
  // Unequal, yet nothing above differs: the same records in another list order.
  bool order_only = false;

  bool empty() const {
    return procs.empty() && vmas.empty() && ptes.empty() && anon_vmas.empty() && folios.empty() &&
           slots.empty() && !visibility && !order_only;
  }
};
// Empty iff a == b.
SnapshotDifference snapshot_difference(const Snapshot& a, const Snapshot& b);

}  // namespace rmapcheck
