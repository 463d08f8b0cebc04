// live_merge_test.cpp - every merge / no-merge case measured on the live
// kernel (live-kernel.md §1: s01..s16, exp6b, exp8, exp9), replayed on every
// engine. Pages are window page numbers; the kernel's /proc/PID/maps lines
// are quoted as [start,end) perms.
#include "scenario.h"

namespace rmapcheck::testing {
namespace {

using LiveMerge = Scenario;

TEST_P(LiveMerge, S01TwoUntouchedAdjacentMmapsMerge) {
  //   01234567
  //   AAAABBBB  ->  one VMA [0,8)
  run("mmap p0 0 4 rw\nmmap p0 4 4 rw");
  EXPECT_EQ(maps("p0"), "[0,8) rw-p");
  EXPECT_EQ(vma("p0", 0).pgoff, 0u);
}

TEST_P(LiveMerge, S02UnfaultedMmapNextToAFaultedVmaAdoptsItsAnonVma) {
  //   AAAA (touched) then BBBB mapped unfaulted  ->  [0,8), A's anon_vma
  run("mmap p0 0 4 rw\nwrite p0 0\nmmap p0 4 4 rw");
  EXPECT_EQ(maps("p0"), "[0,8) rw-p");
  const SnapVma v = vma("p0", 0);
  EXPECT_NE(v.anon_vma, 0u);
  EXPECT_EQ(v.chain.size(), 1u);
}

TEST_P(LiveMerge, S03GapBetweenTwoDifferentAnonVmasJoinsLeftOnly) {
  //   0123456789
  //   AAAA BBBB    (each touched: two anon_vmas); map [4,5)
  //   AAAAABBBB    -> [0,5) [5,9): prev and next differ, no 3-way merge
  run("mmap p0 0 4 rw\nwrite p0 0\nmmap p0 5 4 rw\nwrite p0 5\nmmap p0 4 1 rw");
  EXPECT_EQ(maps("p0"), "[0,5) rw-p [5,9) rw-p");
  EXPECT_NE(vma("p0", 0).anon_vma, vma("p0", 5).anon_vma);
}

TEST_P(LiveMerge, S04MunmapHoleRefilledMergesThreeWays) {
  //   AAAA AAAA  (one anon_vma on both sides)  mmap [4,5)  ->  [0,9)
  run("mmap p0 0 9 rw\nwrite p0 0\nwrite p0 8\nmunmap p0 4 1\nmmap p0 4 1 rw");
  EXPECT_EQ(maps("p0"), "[0,9) rw-p");
  EXPECT_EQ(vma("p0", 0).pgoff, 0u);
}

TEST_P(LiveMerge, S05MprotectSplitsThenRemerges) {
  //   AAAAAAAA -> AA BBB AAA (r) -> AAAAAAAA
  run("mmap p0 0 8 rw\nwrite p0 0\nwrite p0 3\nwrite p0 7\nmprotect p0 2 3 r");
  EXPECT_EQ(maps("p0"), "[0,2) rw-p [2,5) r--p [5,8) rw-p");
  run("mprotect p0 2 3 rw");
  EXPECT_EQ(maps("p0"), "[0,8) rw-p");
}

TEST_P(LiveMerge, S06MprotectUnfaultedLeft) {
  //   [1,11) rw noreserve; [1,6) -> r; touch 6; [6,11) -> r: Case 1 merge
  run("mmap p0 1 10 rw noreserve\nmprotect p0 1 5 r\nwrite p0 6\nmprotect p0 6 5 r");
  EXPECT_EQ(maps("p0"), "[1,11) r--p");
  EXPECT_NE(vma("p0", 1).anon_vma, 0u);  // dup_anon_vma gave prev the anon_vma
  EXPECT_EQ(vma("p0", 1).pgoff, 1u);
}

TEST_P(LiveMerge, S07ForkChildRemergesButRefusesAnUnfaultedNeighbour) {
  //   01234567
  //   AAAAAAAA   parent, page 0 written; the child inherits it (chain {C, A})
  //   AA BBB AA  child after mprotect [2,5) r; back to rw -> one VMA again
  run("mmap p0 0 8 rw\nwrite p0 0\nfork p0 c\nmprotect c 2 3 r");
  EXPECT_EQ(maps("c"), "[0,2) rw-p [2,5) r--p [5,8) rw-p");
  run("mprotect c 2 3 rw");
  EXPECT_EQ(maps("c"), "[0,8) rw-p");
  for (int pg = 0; pg < 8; ++pg) run("write c " + std::to_string(pg));
  //   child:  CCCCCCCC + [8,12) unfaulted  -> not merged (fork child, Case 2)
  run("mmap c 8 4 rw");
  EXPECT_EQ(maps("c"), "[0,8) rw-p [8,12) rw-p");
  run("mmap p0 8 4 rw");
  EXPECT_EQ(maps("p0"), "[0,12) rw-p");
}

TEST_P(LiveMerge, S08NeighbourAnonVmaReuseThenMerge) {
  //   AAAA BBBB(rwx), A touched first: B's fault reuses A's anon_vma
  run("mmap p0 0 4 rw\nmmap p0 4 4 rwx\nwrite p0 0\nwrite p0 4");
  EXPECT_EQ(maps("p0"), "[0,4) rw-p [4,8) rwxp");
  EXPECT_EQ(vma("p0", 0).anon_vma, vma("p0", 4).anon_vma);
  run("mprotect p0 4 4 rw");
  EXPECT_EQ(maps("p0"), "[0,8) rw-p");
}

TEST_P(LiveMerge, S08InAChildNoReuseFromAForkedVma) {
  //   0123 4567
  //   AAAA BBBB(rwx)  child: A inherited (fork child), B mapped and written in the child
  //   -> B gets its own anon_vma, so mprotect B rw cannot merge it into A
  run("mmap p0 0 4 rw\nwrite p0 0\nfork p0 c\nmmap c 4 4 rwx\nwrite c 0\nwrite c 4");
  EXPECT_NE(vma("c", 0).anon_vma, vma("c", 4).anon_vma);
  run("mprotect c 4 4 rw");
  EXPECT_EQ(maps("c"), "[0,4) rw-p [4,8) rw-p");
}

TEST_P(LiveMerge, S09MovedUnfaultedVmaMergesThanksToThePgoffReset) {
  //   0123 ...... 20-23          0123 4567
  //   AAAA        BBBB (unf.) ->  AAAA BBBB = [0,8): B's pgoff restarts at 4
  run("mmap p0 0 4 rw\nwrite p0 0\nmmap p0 20 4 rw\nmremap p0 20 4 4 4 => 0");
  EXPECT_EQ(maps("p0"), "[0,8) rw-p");
}

TEST_P(LiveMerge, S10MovedFaultedVmaDoesNotMerge) {
  //   AAAA ... BBBB at 20 (written)  ->  AAAA BBBB at 4, pgoff 20: two VMAs
  run("mmap p0 0 4 rw\nwrite p0 0\nmmap p0 20 4 rw\nwrite p0 20\nmremap p0 20 4 4 4 => 0");
  EXPECT_EQ(maps("p0"), "[0,4) rw-p [4,8) rw-p");
  EXPECT_EQ(vma("p0", 4).pgoff, 20u);
}

TEST_P(LiveMerge, S11MoveOutAndBackRemergesButNotWithAWrongPgoff) {
  //   AAAAAAAAAAAA -> AAAA....AAAA + [30,34) -> back: one VMA again
  std::string text = "mmap p0 0 12 rw\n";
  for (int pg = 0; pg < 12; ++pg) text += "write p0 " + std::to_string(pg) + "\n";
  run(text + "mremap p0 4 4 30 4\nmremap p0 30 4 4 4");
  EXPECT_EQ(maps("p0"), "[0,12) rw-p");
  //   move [4,8) to [40,44), then to [12,16): adjacent to [8,12), pgoff 4 != 12
  run("mremap p0 4 4 40 4\nmremap p0 40 4 12 4");
  EXPECT_EQ(maps("p0"), "[0,4) rw-p [8,12) rw-p [12,16) rw-p");
  EXPECT_EQ(vma("p0", 12).pgoff, 4u);
}

TEST_P(LiveMerge, S12FaultedMovedBackWithDontunmapMergesIntoUnfaultedPrev) {
  //   1234567 ... 20 21 22         1234567 ... 20 21 22
  //   BBB         A  A  A    ->    BBBBBBB     .  .  .   (source kept, empty)
  //   B=[1,4) unfaulted, A (faulted, pgoff 4) at [20,23) moves to [4,7)
  run("mmap p0 4 3 rw\nwrite p0 4\nmremap p0 4 3 20 3\nmmap p0 1 3 rw\n"
      "mremap p0 20 3 4 3 dontunmap => 0");
  EXPECT_EQ(maps("p0"), "[1,7) rw-p [20,23) rw-p");
  EXPECT_NE(vma("p0", 1).anon_vma, 0u);  // dup from copied_from (6.18.8)
  EXPECT_EQ(vma("p0", 20).anon_vma, 0u);
  run("rmap p0 4 => {p0:4}");
}

TEST_P(LiveMerge, S12ForkedSourceDoesNotMerge) {
  //   in the child, A's chain is {C, A}: Case 1 refused on copied_from
  //   BBB AAA ... ...   (A moved back next to B but not merged; the source stays)
  run("mmap p0 4 3 rw\nwrite p0 4\nmremap p0 4 3 20 3\nmmap p0 1 3 rw\nfork p0 c\n"
      "mremap c 20 3 4 3 dontunmap => 0");
  EXPECT_EQ(maps("c"), "[1,4) rw-p [4,7) rw-p [20,23) rw-p");
}

TEST_P(LiveMerge, S13InPlaceGrowthDoesNotMergeIntoADifferentAnonVma) {
  //   0123    89AB          01234567 89AB
  //   AAAA    CCCC    ->    AAAAAAAA CCCC   (A grows; C's anon_vma differs)
  run("mmap p0 0 4 rw\nwrite p0 0\nmmap p0 8 4 rw\nwrite p0 8\nmremap p0 0 4 0 8 => 0");
  EXPECT_EQ(maps("p0"), "[0,8) rw-p [8,12) rw-p");
}

TEST_P(LiveMerge, S14MadviseAttributeSplitsAndRemerges) {
  //   01234567           01 23 4 5 67
  //   AAAAAAAA    ->     AA DD A W AA   (D dontfork, W wipeonfork) -> AAAAAAAA
  run("mmap p0 0 8 rw\nmadvise p0 2 2 dontfork\nmadvise p0 5 1 wipeonfork");
  EXPECT_EQ(maps("p0"), "[0,2) rw-p [2,4) rw-p [4,5) rw-p [5,6) rw-p [6,8) rw-p");
  run("madvise p0 2 2 dofork\nmadvise p0 5 1 keeponfork");
  EXPECT_EQ(maps("p0"), "[0,8) rw-p");
}

TEST_P(LiveMerge, S15ForkedSourceVmaDoesNotMergeIntoAnUnfaultedNeighbour) {
  //   12345 6789A           child: F = forked [1,6), N = new rwx [6,11)
  //   FFFFF NNNNN   mprotect F rwx: Case 1 refused (F is a fork child)
  run("mmap p0 1 5 rw\nwrite p0 1\nfork p0 c\nmmap c 6 5 rwx\nmprotect c 1 5 rwx");
  EXPECT_EQ(maps("c"), "[1,6) rwxp [6,11) rwxp");
}

TEST_P(LiveMerge, S16AccountAndNoreserveKeepNeighboursApart) {
  //   0123 4567
  //   AAAA BBBB   A rw (ac), B rw noreserve (nr): flags differ, no merge
  run("mmap p0 0 4 rw\nmmap p0 4 4 rw noreserve");
  EXPECT_EQ(maps("p0"), "[0,4) rw-p [4,8) rw-p");
  //   C=[10,14) none -> rw (gains VM_ACCOUNT) next to a fresh rw D=[14,18)
  run("mmap p0 10 4 none\nmprotect p0 10 4 rw\nmmap p0 14 4 rw");
  EXPECT_EQ(maps("p0"), "[0,4) rw-p [4,8) rw-p [10,18) rw-p");
}

TEST_P(LiveMerge, Exp6bProtNoneDropsAccountOnlyWhenUnfaulted) {
  //   0123    89AB
  //   UUUU    FFFF   U unfaulted, F faulted; both made PROT_NONE
  run("mmap p0 0 4 rw\nmprotect p0 0 4 none\nmmap p0 8 4 rw\nwrite p0 8\nmprotect p0 8 4 none");
  EXPECT_EQ(vma("p0", 0).flags, 0u);
  EXPECT_EQ(vma("p0", 8).flags, VM_ACCOUNT);
  //   the unfaulted one now merges with a fresh PROT_NONE neighbour (no ac)
  run("mmap p0 4 2 none");
  EXPECT_EQ(maps("p0"), "[0,6) ---p [8,12) ---p");
}

TEST_P(LiveMerge, Exp8ForkedVmaStaysUnmergeableAfterTheParentExits) {
  //   0123 4567      child: [0,4) forked (chain {C, P}) even after P exits
  //   CCCC NNNN      and every page reused: the new N stays apart (Case 2)
  std::string text = "mmap p0 0 4 rw\n";
  for (int pg = 0; pg < 4; ++pg) text += "write p0 " + std::to_string(pg) + "\n";
  text += "fork p0 c\nexit p0\n";
  for (int pg = 0; pg < 4; ++pg) text += "write c " + std::to_string(pg) + "\n";
  run(text + "mmap c 4 4 rw");
  EXPECT_EQ(maps("c"), "[0,4) rw-p [4,8) rw-p");
  //   a fresh faulted VMA in the same child does merge with an unfaulted one
  run("mmap c 9 2 rw\nwrite c 9\nmmap c 11 2 rw");
  EXPECT_EQ(maps("c"), "[0,4) rw-p [4,8) rw-p [9,13) rw-p");
}

TEST_P(LiveMerge, Exp9HalvesSplitBeforeForkRemergeOnlyInTheParent) {
  //   0123 4567      parent: both halves share one anon_vma
  //   LLLL HHHH      child: fork gives each half its own new anon_vma
  run("mmap p0 0 8 rw\nwrite p0 0\nmprotect p0 4 4 r\nfork p0 c\nmprotect c 4 4 rw");
  EXPECT_EQ(maps("c"), "[0,4) rw-p [4,8) rw-p");
  EXPECT_NE(vma("c", 0).anon_vma, vma("c", 4).anon_vma);  // one new anon_vma each
  run("mprotect p0 4 4 rw");
  EXPECT_EQ(maps("p0"), "[0,8) rw-p");
}

RMAPCHECK_INSTANTIATE(LiveMerge);

}  // namespace
}  // namespace rmapcheck::testing
