// coverage.h - which kernel branches an engine took, counted.
//
// The model counts, as it decides, each branch named here; campaigns sum the
// counters and print them, so a user sees whether the generator reached the
// hard states (a campaign whose clone-reuse counter is 0 tested little).
//
// do_wp_page's first reuse test (PageAnonExclusive behind a read-only PTE)
// has no counter: no op here can reach it. Fork clears exclusivity,
// mprotect upgrades the PTEs of exclusive folios to writable
// (can_change_pte_writable), and an exclusive swap-in maps the page
// writable whenever the VMA allows writes; the kernel reaches it through
// uffd-wp and soft-dirty only. A counter that can never move would only
// hide the ones that matter (so has ksm_might_need_to_copy's swap-in copy:
// unreachable while I-SWAPPTE-CHAIN holds).
//
// Synopsis
//   Branch             one kernel decision (the kernel function in the comment)
//   branch_name(b)     stable snake_case name used in reports
//   Coverage           counters per Branch and per AllocSite failure; += merges
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "rmapcheck/op.h"

namespace rmapcheck {

enum class Branch : std::uint8_t {
  ZeroPageRead,           // do_anonymous_page: read fault maps the zero page
  NewAnonFolio,           // do_anonymous_page: write fault, new exclusive folio
  CowReuseSoleMapper,     // wp_can_reuse_anon_folio: refcount 1, folio_move_anon_rmap
  CowCopy,                // wp_page_copy from an anon folio
  CowCopyZeroPage,        // wp_page_copy from the zero page
  PrepareNeighbourReuse,  // __anon_vma_prepare: find_mergeable_anon_vma hit
  PrepareNewAnonVma,      // __anon_vma_prepare: anon_vma_alloc
  CloneReuse,             // anon_vma_clone (fork): reused an anon_vma of the chain
  CloneNoReuse,           // anon_vma_fork: allocated a new anon_vma
  ForkUnfaultedVma,       // anon_vma_fork: parent VMA had no anon_vma
  ForkDontCopy,           // dup_mmap: VM_DONTCOPY VMA skipped
  ForkWipeOnFork,         // dup_mmap: VM_WIPEONFORK, child VMA empty
  ForkPteShared,          // copy_present_ptes: anon PTE shared, exclusive cleared
  MergeNewLeft,           // vma_merge_new_range: prev grows
  MergeNewRight,          // vma_merge_new_range: next grows down
  MergeNewBoth,           // vma_merge_new_range: prev absorbs range and next
  MergeExistingBoth,      // vma_merge_existing_range: prev ┃mid┃ next
  MergeExistingLeftWhole,
  MergeExistingLeftPart,
  MergeExistingRightWhole,
  MergeExistingRightPart,
  MergeRefusedAnonVma,  // is_mergeable_anon_vma said no (fork child / different)
  DupAnonVma,           // dup_anon_vma copied a chain into an unfaulted target
  SplitVma,             // __split_vma
  MremapMove,           // move_vma
  MremapPgoffReset,     // copy_vma: unfaulted source, pgoff reset to new address
  MremapMoveMerged,     // copy_vma: destination merged into a neighbour
  MremapDontUnmap,      // MREMAP_DONTUNMAP: source unlinked, stays mapped
  MremapExpandInPlace,  // vma_merge_extend
  MremapShrink,
  MadviseDontNeed,       // zap, anon state kept
  UnlinkFreedAnonVma,    // unlink_anon_vmas: an anon_vma's tree emptied
  PageoutSkipShared,     // madvise_cold_or_pageout_pte_range: folio mapped more than once, skipped
  SwapOut,               // try_to_unmap_one: a PTE became a swap PTE
  SwapOutExclusive,      // try_to_unmap_one: the swap PTE got the exclusive bit
  ReclaimShared,         // shrink_folio_list: a folio mapped more than once unmapped everywhere
  SwapInBypass,          // do_swap_page: SWP_SYNCHRONOUS_IO, count 1, no swap cache
  SwapInCacheMiss,       // do_swap_page: swapin_readahead, new swap-cache folio under the root
  SwapInCacheHit,        // do_swap_page: swap_cache_get_folio hit, folio_add_anon_rmap_ptes
  SwapInWritableOnRead,  // do_swap_page: exclusive swap-in mapped writable on a read fault
  CowReuseFreedSwapCache,  // wp_can_reuse_anon_folio: folio_free_swap let the sole mapper reuse
  ForkSwapPte,             // copy_nonpresent_pte: swap_duplicate, exclusive bit cleared
  ZapSwapPte,              // zap_nonpresent_ptes: free_swap_and_cache_nr
  MremapMoveSwapPte,       // move_ptes: a swap PTE moved
  SwapCacheDropped,        // free_swap_cache / __try_to_reclaim_swap: unmapped cached folio freed
  SwapSlotFreed,           // swap_entries_free: a slot's last count and cache gone
  AllocFailed,             // an injected allocation failure was taken
};
inline constexpr int kBranchCount = static_cast<int>(Branch::AllocFailed) + 1;
inline constexpr int kAllocSiteCount = 8;

std::string_view branch_name(Branch b);  // "zero_page_read", ...

struct Coverage {
  std::array<std::uint64_t, kBranchCount> branch{};
  std::array<std::uint64_t, kAllocSiteCount> alloc_failed{};  // by AllocSite

  void hit(Branch b) { ++branch[static_cast<std::size_t>(b)]; }
  void failed(AllocSite s) { ++alloc_failed[static_cast<std::size_t>(s)]; }
  std::uint64_t count(Branch b) const { return branch[static_cast<std::size_t>(b)]; }
  Coverage& operator+=(const Coverage& o);
};

}  // namespace rmapcheck
