// coverage.cpp - names of the kernel branches counted by engines.
#include "rmapcheck/coverage.h"

namespace rmapcheck {

std::string_view branch_name(Branch b) {
  switch (b) {
    case Branch::ZeroPageRead:
      return "zero_page_read";
    case Branch::NewAnonFolio:
      return "new_anon_folio";
    case Branch::CowReuseSoleMapper:
      return "cow_reuse_sole_mapper";
    case Branch::CowCopy:
      return "cow_copy";
    case Branch::CowCopyZeroPage:
      return "cow_copy_zero_page";
    case Branch::PrepareNeighbourReuse:
      return "prepare_neighbour_reuse";
    case Branch::PrepareNewAnonVma:
      return "prepare_new_anon_vma";
    case Branch::CloneReuse:
      return "clone_reuse";
    case Branch::CloneNoReuse:
      return "clone_no_reuse";
    case Branch::ForkUnfaultedVma:
      return "fork_unfaulted_vma";
    case Branch::ForkDontCopy:
      return "fork_dontcopy";
    case Branch::ForkWipeOnFork:
      return "fork_wipeonfork";
    case Branch::ForkPteShared:
      return "fork_pte_shared";
    case Branch::MergeNewLeft:
      return "merge_new_left";
    case Branch::MergeNewRight:
      return "merge_new_right";
    case Branch::MergeNewBoth:
      return "merge_new_both";
    case Branch::MergeExistingBoth:
      return "merge_existing_both";
    case Branch::MergeExistingLeftWhole:
      return "merge_existing_left_whole";
    case Branch::MergeExistingLeftPart:
      return "merge_existing_left_part";
    case Branch::MergeExistingRightWhole:
      return "merge_existing_right_whole";
    case Branch::MergeExistingRightPart:
      return "merge_existing_right_part";
    case Branch::MergeRefusedAnonVma:
      return "merge_refused_anon_vma";
    case Branch::DupAnonVma:
      return "dup_anon_vma";
    case Branch::SplitVma:
      return "split_vma";
    case Branch::MremapMove:
      return "mremap_move";
    case Branch::MremapPgoffReset:
      return "mremap_pgoff_reset";
    case Branch::MremapMoveMerged:
      return "mremap_move_merged";
    case Branch::MremapDontUnmap:
      return "mremap_dontunmap";
    case Branch::MremapExpandInPlace:
      return "mremap_expand_in_place";
    case Branch::MremapShrink:
      return "mremap_shrink";
    case Branch::MadviseDontNeed:
      return "madvise_dontneed";
    case Branch::UnlinkFreedAnonVma:
      return "unlink_freed_anon_vma";
    case Branch::PageoutSkipShared:
      return "pageout_skip_shared";
    case Branch::SwapOut:
      return "swap_out";
    case Branch::SwapOutExclusive:
      return "swap_out_exclusive";
    case Branch::ReclaimShared:
      return "reclaim_shared";
    case Branch::SwapInBypass:
      return "swap_in_bypass";
    case Branch::SwapInCacheMiss:
      return "swap_in_cache_miss";
    case Branch::SwapInCacheHit:
      return "swap_in_cache_hit";
    case Branch::SwapInWritableOnRead:
      return "swap_in_writable_on_read";
    case Branch::CowReuseFreedSwapCache:
      return "cow_reuse_freed_swap_cache";
    case Branch::ForkSwapPte:
      return "fork_swap_pte";
    case Branch::ZapSwapPte:
      return "zap_swap_pte";
    case Branch::MremapMoveSwapPte:
      return "mremap_move_swap_pte";
    case Branch::SwapCacheDropped:
      return "swap_cache_dropped";
    case Branch::SwapSlotFreed:
      return "swap_slot_freed";
    case Branch::AllocFailed:
      return "alloc_failed";
  }
  return "?";
}

Coverage& Coverage::operator+=(const Coverage& o) {
  for (std::size_t i = 0; i < branch.size(); ++i) branch[i] += o.branch[i];
  for (std::size_t i = 0; i < alloc_failed.size(); ++i) alloc_failed[i] += o.alloc_failed[i];
  return *this;
}

}  // namespace rmapcheck
