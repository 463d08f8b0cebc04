// live_merge_test.cpp - every merge / no-merge case measured on the live
// kernel (docs/kernel/observing-the-kernel.md#merge-experiments: s01..s16, exp6b, exp8,
// exp9), replayed on every engine. Each scenario's trace, with its address-space drawing, is the
// file tests/scenarios/live-<name>.trace, which the oracle also replays on the kernel; here the
// state at each `# check:` mark is asserted. The kernel's /proc/PID/maps lines are quoted as
// [start,end) perms.
#include "scenario.h"

namespace rmapcheck::testing {
namespace {

using LiveMerge = Scenario;

TEST_P(LiveMerge, S01TwoUntouchedAdjacentMmapsMerge) {
  //   AAAABBBB  ->  one VMA [0,8)
  load("live-s01-adjacent-unfaulted-mmaps");
  run_rest();
  EXPECT_EQ(maps("p0"), "[0,8) rw-p");
  EXPECT_EQ(vma("p0", 0).pgoff, 0u);
}

TEST_P(LiveMerge, S02UnfaultedMmapNextToAFaultedVmaAdoptsItsAnonVma) {
  //   AAAA (touched) then BBBB mapped unfaulted  ->  [0,8), A's anon_vma
  load("live-s02-unfaulted-next-to-faulted");
  run_rest();
  EXPECT_EQ(maps("p0"), "[0,8) rw-p");
  const SnapVma v = vma("p0", 0);
  EXPECT_NE(v.anon_vma, 0u);
  EXPECT_EQ(v.chain.size(), 1u);
}

TEST_P(LiveMerge, S03GapBetweenTwoDifferentAnonVmasJoinsLeftOnly) {
  //   AAAA BBBB -> AAAAABBBB as [0,5) [5,9): no 3-way merge
  load("live-s03-gap-between-two-anon-vmas");
  run_rest();
  EXPECT_EQ(maps("p0"), "[0,5) rw-p [5,9) rw-p");
  EXPECT_NE(vma("p0", 0).anon_vma, vma("p0", 5).anon_vma);
}

TEST_P(LiveMerge, S04MunmapHoleRefilledMergesThreeWays) {
  //   AAAA AAAA (one anon_vma)  mmap [4,5)  ->  [0,9)
  load("live-s04-refilled-hole-merges-three-ways");
  run_rest();
  EXPECT_EQ(maps("p0"), "[0,9) rw-p");
  EXPECT_EQ(vma("p0", 0).pgoff, 0u);
}

TEST_P(LiveMerge, S05MprotectSplitsThenRemerges) {
  //   AAAAAAAA -> AA rrr AAA -> AAAAAAAA
  load("live-s05-mprotect-split-and-remerge");
  run_to("split");
  EXPECT_EQ(maps("p0"), "[0,2) rw-p [2,5) r--p [5,8) rw-p");
  run_rest();
  EXPECT_EQ(maps("p0"), "[0,8) rw-p");
}

TEST_P(LiveMerge, S06MprotectUnfaultedLeft) {
  //   [1,11) rw noreserve; [1,6) -> r; touch 6; [6,11) -> r: Case 1 merge
  load("live-s06-mprotect-unfaulted-left");
  run_rest();
  EXPECT_EQ(maps("p0"), "[1,11) r--p");
  EXPECT_NE(vma("p0", 1).anon_vma, 0u);  // dup_anon_vma gave prev the anon_vma
  EXPECT_EQ(vma("p0", 1).pgoff, 1u);
}

TEST_P(LiveMerge, S07ForkChildRemergesButRefusesAnUnfaultedNeighbour) {
  //   AA rrr AAA in the child, back to one VMA; then no merge with a new
  //   unfaulted neighbour in the child (fork child, Case 2), but in the parent
  load("live-s07-fork-child-split-remerge");
  run_to("split");
  EXPECT_EQ(maps("c"), "[0,2) rw-p [2,5) r--p [5,8) rw-p");
  run_to("remerged");
  EXPECT_EQ(maps("c"), "[0,8) rw-p");
  run_to("child-neighbour");
  EXPECT_EQ(maps("c"), "[0,8) rw-p [8,12) rw-p");
  run_rest();
  EXPECT_EQ(maps("p0"), "[0,12) rw-p");
}

TEST_P(LiveMerge, S08NeighbourAnonVmaReuseThenMerge) {
  //   AAAA BBBB(rwx), A touched first: B's fault reuses A's anon_vma
  load("live-s08-neighbour-anon-vma-reuse");
  run_to("reused");
  EXPECT_EQ(maps("p0"), "[0,4) rw-p [4,8) rwxp");
  EXPECT_EQ(vma("p0", 0).anon_vma, vma("p0", 4).anon_vma);
  run_rest();
  EXPECT_EQ(maps("p0"), "[0,8) rw-p");
}

TEST_P(LiveMerge, S08InAChildNoReuseFromAForkedVma) {
  //   AAAA BBBB(rwx) in the child: B gets its own anon_vma, so mprotect B rw
  //   cannot merge it into A
  load("live-s08-child-no-reuse-from-forked");
  run_to("faulted");
  EXPECT_NE(vma("c", 0).anon_vma, vma("c", 4).anon_vma);
  run_rest();
  EXPECT_EQ(maps("c"), "[0,4) rw-p [4,8) rw-p");
}

TEST_P(LiveMerge, S09MovedUnfaultedVmaMergesThanksToThePgoffReset) {
  //   AAAA + unfaulted BBBB moved to 4 -> [0,8): B's pgoff restarts at 4
  load("live-s09-moved-unfaulted-merges");
  run_rest();
  EXPECT_EQ(maps("p0"), "[0,8) rw-p");
}

TEST_P(LiveMerge, S10MovedFaultedVmaDoesNotMerge) {
  //   AAAA + written BBBB moved to 4, pgoff 20: two VMAs
  load("live-s10-moved-faulted-no-merge");
  run_rest();
  EXPECT_EQ(maps("p0"), "[0,4) rw-p [4,8) rw-p");
  EXPECT_EQ(vma("p0", 4).pgoff, 20u);
}

TEST_P(LiveMerge, S11MoveOutAndBackRemergesButNotWithAWrongPgoff) {
  //   out to [30,34) and back: one VMA; out and next to [8,12): pgoff 4 != 12
  load("live-s11-move-out-and-back");
  run_to("back");
  EXPECT_EQ(maps("p0"), "[0,12) rw-p");
  run_rest();
  EXPECT_EQ(maps("p0"), "[0,4) rw-p [8,12) rw-p [12,16) rw-p");
  EXPECT_EQ(vma("p0", 12).pgoff, 4u);
}

TEST_P(LiveMerge, S12FaultedMovedBackWithDontunmapMergesIntoUnfaultedPrev) {
  //   BBB + A moved back with DONTUNMAP -> [1,7); the source [20,23) stays
  load("live-s12-dontunmap-back-into-unfaulted-prev");
  run_to("merged");
  EXPECT_EQ(maps("p0"), "[1,7) rw-p [20,23) rw-p");
  EXPECT_NE(vma("p0", 1).anon_vma, 0u);  // dup from copied_from (6.18.8)
  EXPECT_EQ(vma("p0", 20).anon_vma, 0u);
  run_rest();  // rmap p0 4 => {p0:4}
}

TEST_P(LiveMerge, S12ForkedSourceDoesNotMerge) {
  //   in the child, A's chain is {C, A}: Case 1 refused on copied_from
  load("live-s12-forked-source-no-merge");
  run_rest();
  EXPECT_EQ(maps("c"), "[1,4) rw-p [4,7) rw-p [20,23) rw-p");
}

TEST_P(LiveMerge, S13InPlaceGrowthDoesNotMergeIntoADifferentAnonVma) {
  //   AAAA CCCC -> AAAAAAAA CCCC (A grows; C's anon_vma differs)
  load("live-s13-in-place-growth-no-merge");
  run_rest();
  EXPECT_EQ(maps("p0"), "[0,8) rw-p [8,12) rw-p");
}

TEST_P(LiveMerge, S14MadviseAttributeSplitsAndRemerges) {
  //   AAAAAAAA -> AA DD A W AA -> AAAAAAAA
  load("live-s14-madvise-attribute-splits");
  run_to("split");
  EXPECT_EQ(maps("p0"), "[0,2) rw-p [2,4) rw-p [4,5) rw-p [5,6) rw-p [6,8) rw-p");
  run_rest();
  EXPECT_EQ(maps("p0"), "[0,8) rw-p");
}

TEST_P(LiveMerge, S15ForkedSourceVmaDoesNotMergeIntoAnUnfaultedNeighbour) {
  //   FFFFF NNNNN   mprotect F rwx: Case 1 refused (F is a fork child)
  load("live-s15-forked-source-vma");
  run_rest();
  EXPECT_EQ(maps("c"), "[1,6) rwxp [6,11) rwxp");
}

TEST_P(LiveMerge, S16AccountAndNoreserveKeepNeighboursApart) {
  //   A rw (ac), B rw noreserve (nr): no merge; C none -> rw gains ac: merges with D
  load("live-s16-account-and-noreserve");
  run_to("apart");
  EXPECT_EQ(maps("p0"), "[0,4) rw-p [4,8) rw-p");
  run_rest();
  EXPECT_EQ(maps("p0"), "[0,4) rw-p [4,8) rw-p [10,18) rw-p");
}

TEST_P(LiveMerge, Exp6bProtNoneDropsAccountOnlyWhenUnfaulted) {
  //   UUUU    FFFF   U unfaulted, F faulted; both made PROT_NONE
  load("live-exp6b-prot-none-drops-account");
  run_to("prot-none");
  EXPECT_EQ(vma("p0", 0).flags, 0u);
  EXPECT_EQ(vma("p0", 8).flags, VM_ACCOUNT);
  //   the unfaulted one now merges with a fresh PROT_NONE neighbour (no ac)
  run_rest();
  EXPECT_EQ(maps("p0"), "[0,6) ---p [8,12) ---p");
}

TEST_P(LiveMerge, Exp8ForkedVmaStaysUnmergeableAfterTheParentExits) {
  //   CCCC NNNN: the forked VMA stays apart (Case 2); a fresh faulted one merges
  load("live-exp8-forked-vma-stays-unmergeable");
  run_to("forked-apart");
  EXPECT_EQ(maps("c"), "[0,4) rw-p [4,8) rw-p");
  run_rest();
  EXPECT_EQ(maps("c"), "[0,4) rw-p [4,8) rw-p [9,13) rw-p");
}

TEST_P(LiveMerge, Exp9HalvesSplitBeforeForkRemergeOnlyInTheParent) {
  //   LLLL HHHH: one anon_vma in the parent, one new anon_vma per half in the child
  load("live-exp9-split-before-fork");
  run_to("child");
  EXPECT_EQ(maps("c"), "[0,4) rw-p [4,8) rw-p");
  EXPECT_NE(vma("c", 0).anon_vma, vma("c", 4).anon_vma);  // one new anon_vma each
  run_rest();
  EXPECT_EQ(maps("p0"), "[0,8) rw-p");
}

RMAPCHECK_INSTANTIATE(LiveMerge);

}  // namespace
}  // namespace rmapcheck::testing
