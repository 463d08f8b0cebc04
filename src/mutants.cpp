// mutants.cpp - the registry of named bug switches (see mutants.h and docs/mutants.md).
#include "rmapcheck/mutants.h"

#include <array>

namespace rmapcheck {

namespace {

constexpr std::array<MutantInfo, kMutantCount> kRegistry{{
    {Mutant::Cve2022_42703, "cve-2022-42703",
     "anon_vma_clone reuses an anon_vma whose single degree counter (children + active VMAs) is < "
     "2",
     "2555283eb40d mm/rmap: Fix anon_vma->degree ambiguity leading to double-reuse", false},
    {Mutant::Cve2022_42703_ChildrenOnly, "cve-2022-42703-children-only",
     "anon_vma_clone reuse tests only num_children < 2, ignoring num_active_vmas",
     "2555283eb40d (variant b)", false},
    {Mutant::Cve2022_42703_NoActiveInc, "cve-2022-42703-no-active-inc",
     "anon_vma_clone reuse forgets num_active_vmas++ on the reused anon_vma",
     "2555283eb40d (variant c)", false},
    {Mutant::NeighbourReuseNotSingular, "neighbour-reuse-not-singular",
     "find_mergeable_anon_vma reuses a neighbour's anon_vma without list_is_singular",
     "d0e9fe1758f2 Simplify and comment on anon_vma re-use for anon_vma_prepare() (2010)", false},
    {Mutant::CloneBeforeAssign, "clone-before-assign",
     "dup_anon_vma calls anon_vma_clone before setting dst->anon_vma, so the fork reuse branch "
     "fires",
     "b800c91a0517 mm: fix corner case in anon_vma endless growing prevention (2015)", false},
    {Mutant::CloneEnomemKeepsAnonVma, "clone-enomem-keeps-anon-vma",
     "anon_vma_clone's ENOMEM path unlinks with dst->anon_vma still set: num_active_vmas "
     "underflows",
     "3fe89b3e2a7b mm: fix anon_vma->degree underflow in anon_vma endless growing prevention "
     "(2015)",
     true},
    {Mutant::MremapNoDupCopiedFrom, "mremap-no-dup-copied-from",
     "vma_expand does not dup_anon_vma from copied_from: an unfaulted target absorbs a moved "
     "faulted VMA",
     "61f67c230a5e mm/vma: fix anon_vma UAF on mremap() faulted, unfaulted merge (6.18.8)", false},
    {Mutant::MremapForkCheckMiddleOnly, "mremap-fork-check-middle-only",
     "is_mergeable_anon_vma applies the fork-child check only to vmg->middle, not copied_from",
     "3b617fd3d317 mm/vma: enforce VMA fork limit on unfaulted,faulted mremap merge too (6.18.8)",
     false},
    {Mutant::MergeRightKeepsPgoff, "merge-right-keeps-pgoff",
     "a new range merging into next grows next downwards without lowering vm_pgoff",
     "7e7757876f25 mm/mremap: fix vm_pgoff in vma_merge() case 3 (v6.3 regression)", false},
    {Mutant::StaleSubtreeLast, "stale-subtree-last",
     "interval tree insert does not propagate rb_subtree_last up the path",
     "none: the class CONFIG_DEBUG_VM_RB exists to catch (mm/interval_tree.c)", false},
    {Mutant::NoTreeUpdateOnPgoff, "no-tree-update-on-pgoff",
     "a VMA range/pgoff change without anon_vma_interval_tree_pre/post_update_vma",
     "none: vma_prepare/vma_complete contract (mm/vma.c)", false},
    {Mutant::CowReuseShared, "cow-reuse-shared",
     "do_wp_page reuses an anon folio that another process still maps",
     "none: wp_can_reuse_anon_folio contract (CVE-2020-29374 class)", false},
    {Mutant::MergeNoDupUndo, "merge-no-dup-undo",
     "a merge that fails after dup_anon_vma does not unlink the duplicated chain",
     "mmap: Fix error paths with dup_anon_vma() (Liam Howlett, 2023)", true},
    {Mutant::ForkKeepsSwapExclusive, "fork-keeps-swap-exclusive",
     "copy_nonpresent_pte copies a swap PTE without clearing pte_swp_exclusive in parent and "
     "child",
     "none: the rule of mm/swap: remember PG_anon_exclusive via a swp pte bit (v5.19): fork "
     "clears the bit, the slot is shared",
     false},
    {Mutant::SwapinSharedUnderVmaAnonVma, "swapin-shared-under-vma-anon-vma",
     "__folio_set_anon puts a non-exclusive swapped-in folio under vma->anon_vma instead of its "
     "root",
     "none: __folio_set_anon contract (mm/rmap.c: a shared folio must be found from every "
     "process, so it goes under the root)",
     false},
    {Mutant::ReclaimFreesMappedFolio, "reclaim-frees-mapped-folio",
     "try_to_unmap_one ends the walk after its first PTE and shrink_folio_list frees the folio "
     "without re-checking folio_mapped: a PTE is left on a freed folio",
     "none: shrink_folio_list's folio_mapped check after try_to_unmap (mm/vmscan.c)", false},
    {Mutant::CopyNonpresentNoSwapDuplicate, "copy-nonpresent-no-swap-duplicate",
     "fork copies a swap PTE without swap_duplicate: the slot's count misses the child's PTE",
     "none: copy_nonpresent_pte contract (mm/memory.c)", false},
    {Mutant::MremapSwapcacheWrongIndex, "mremap-swapcache-wrong-index",
     "moving a swap PTE whose slot caches a folio rewrites folio->index to the new page, not the "
     "linear index",
     "c50f8e6053b0 mm: fix kernel BUG when userfaultfd_move encounters swapcache (the class: a "
     "moved swap PTE whose cached folio's index no longer matches)",
     false},
}};

}  // namespace

std::span<const MutantInfo> all_mutants() {
  return kRegistry;
}

const MutantInfo& mutant_info(Mutant m) {
  return kRegistry[static_cast<std::size_t>(m)];
}

std::optional<Mutant> mutant_from_name(std::string_view s) {
  for (const auto& info : kRegistry) {
    if (info.name == s) return info.id;
  }
  return std::nullopt;
}

}  // namespace rmapcheck
