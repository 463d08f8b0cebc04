// mutants.h - the registry of named bug switches.
//
// Each mutant reintroduces one real historical kernel bug (or a named class
// of bug) into impl/, and is documented with the kernel commit it reverts
// (see docs/kernel/historical-bugs.md and docs/mutants.md). All are
// off by default; when off they cost one predictable branch.
// `rmapcheck mutants` must kill every one of them from random generation.
//
// Synopsis
//   Mutant                  the switches
//   MutantInfo              name, one-line summary, kernel commit, how it is killed
//   all_mutants()           the registry, in Mutant order
//   mutant_from_name(s)
//   MutantSet               a set of switches; has(m) is what impl/ tests
#pragma once

#include <bitset>
#include <optional>
#include <span>
#include <string_view>

namespace rmapcheck {

enum class Mutant : std::uint8_t {
  // single degree counter, reuse when degree < 2 (reverts 2555283eb40d)
  Cve2022_42703,
  // (b) two counters, reuse tests num_children < 2 only
  Cve2022_42703_ChildrenOnly,
  // (c) reuse forgets num_active_vmas++
  Cve2022_42703_NoActiveInc,
  // 2010: reusable_anon_vma without list_is_singular (reverts d0e9fe1758f2)
  NeighbourReuseNotSingular,
  // 2015: dup_anon_vma clones before setting dst->anon_vma (reverts b800c91a0517)
  CloneBeforeAssign,
  // 2015: clone's ENOMEM path unlinks with dst->anon_vma set (reverts 3fe89b3e2a7b)
  CloneEnomemKeepsAnonVma,
  // v6.16-6.18.7: vma_expand does not dup from copied_from (reverts 61f67c230a5e)
  MremapNoDupCopiedFrom,
  // v6.16-6.18.7: fork-child check only on vmg->middle (reverts 3b617fd3d317)
  MremapForkCheckMiddleOnly,
  // v6.3: next grows down without lowering vm_pgoff (reverts 7e7757876f25)
  MergeRightKeepsPgoff,
  // interval tree: rb_subtree_last not propagated on insert
  StaleSubtreeLast,
  // no pre/post_update_vma around a range/pgoff change
  NoTreeUpdateOnPgoff,
  // do_wp_page reuses a folio that is still mapped twice
  CowReuseShared,
  // 2023: merge failure does not undo dup_anon_vma
  MergeNoDupUndo,
  // copy_nonpresent_pte keeps pte_swp_exclusive in parent and child
  ForkKeepsSwapExclusive,
  // do_swap_page: a non-exclusive new folio under vma->anon_vma, not its root
  SwapinSharedUnderVmaAnonVma,
  // shrink_folio_list frees a folio try_to_unmap left mapped
  ReclaimFreesMappedFolio,
  // copy_nonpresent_pte without swap_duplicate
  CopyNonpresentNoSwapDuplicate,
  // mremap moves a swap PTE and rewrites its cached folio's index
  MremapSwapcacheWrongIndex,
};
inline constexpr int kMutantCount = static_cast<int>(Mutant::MremapSwapcacheWrongIndex) + 1;

struct MutantInfo {
  Mutant id;
  std::string_view name;     // "cve-2022-42703", ...
  std::string_view summary;  // one line
  std::string_view commit;   // the kernel commit whose fix it reverts
  bool needs_failalloc;      // only reachable through an injected allocation failure
};

std::span<const MutantInfo> all_mutants();
const MutantInfo& mutant_info(Mutant m);
std::optional<Mutant> mutant_from_name(std::string_view s);

class MutantSet {
 public:
  MutantSet() = default;
  static MutantSet of(Mutant m) {
    MutantSet s;
    s.set(m);
    return s;
  }
  void set(Mutant m) { bits_.set(static_cast<std::size_t>(m)); }
  bool has(Mutant m) const { return bits_.test(static_cast<std::size_t>(m)); }
  bool any() const { return bits_.any(); }

 private:
  std::bitset<kMutantCount> bits_;
};

}  // namespace rmapcheck
