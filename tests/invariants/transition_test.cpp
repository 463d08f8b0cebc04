// transition_test.cpp - I-PGOFF-LINEAR: check_transition(before, op, after).
//
// Each test draws the VMAs of p0 before and after one op, with the linear
// page index (pgoff + page - start) of each page when it matters.
#include <gtest/gtest.h>

#include "fixture.h"

namespace rmapcheck::testing {
namespace {

Snapshot one_proc(std::vector<SnapVma> vmas) {
  Snapshot s;
  s.procs.push_back(SnapProc{"p0", std::move(vmas), {}});
  return s;
}

constexpr VmFlags kRx = VM_READ | VM_EXEC;

// mprotect splits: both halves keep every page's index.
//        0123            0123
//   p0   AAAA     ->     AaAA     (page 1 now r-x; pieces [0,1) [1,2) [2,4))
TEST(PgoffLinear, SplitKeepsIndices) {
  const Snapshot before = one_proc({{0, 4, 0, kRw, 1, {1}}});
  const Snapshot after =
      one_proc({{0, 1, 0, kRw, 1, {1}}, {1, 2, 1, kRx, 1, {1}}, {2, 4, 2, kRw, 1, {1}}});
  EXPECT_TRUE(check_transition(before, op_mprotect("p0", 1, 1, Prot::RX), after).empty());
}

// Mutant merge-right-keeps-pgoff (v6.3, docs/kernel/historical-bugs.md#2023-merge-right-pgoff):
// next grows down over page 1 but keeps pgoff 2, so pages 1..3 shift by one.
//        0123            0123
//   p0   AABB     ->     ABBB    B: [2,4) pgoff 2  ->  [1,4) pgoff 2 (should be 1)
TEST(PgoffLinear, NextGrowsDownWithoutLoweringPgoff) {
  const Snapshot before = one_proc({{0, 2, 0, kRw, 0, {}}, {2, 4, 2, kRx, 0, {}}});
  const Snapshot after = one_proc({{0, 1, 0, kRw, 0, {}}, {1, 4, 2, kRx, 0, {}}});
  const auto vs = check_transition(before, op_mprotect("p0", 1, 1, Prot::RX), after);
  ASSERT_EQ(vs.size(), 2u);
  EXPECT_EQ(vs[0].to_string(),
            "I-PGOFF-LINEAR: p0 page 1: mprotect: linear index was 1 (vma [0,2) pgoff=0) and is 2 "
            "(vma [1,4) pgoff=2)");
  EXPECT_EQ(vs[1].objects, "p0 page 2");
}

// MAP_FIXED over part of a VMA: the new pages get pgoff = addr, which is not
// checked; the rest keeps its indices.
//        0123            0123
//   p0   AAAA     ->     AANN
TEST(PgoffLinear, MmapReplacesItsOwnRangeOnly) {
  const Snapshot before = one_proc({{0, 4, 0, kRw, 1, {1}}});
  const Snapshot ok = one_proc({{0, 2, 0, kRw, 1, {1}}, {2, 4, 100, kRw, 0, {}}});
  EXPECT_TRUE(check_transition(before, op_mmap("p0", 2, 2, Prot::RW), ok).empty());
  const Snapshot bad = one_proc({{0, 2, 7, kRw, 1, {1}}, {2, 4, 100, kRw, 0, {}}});
  const auto vs = check_transition(before, op_mmap("p0", 2, 2, Prot::RW), bad);
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].objects, "p0 page 0");
}

// fork: the child's VMAs carry the parent's pgoff.
TEST(PgoffLinear, ForkChildInheritsIndices) {
  const Snapshot before = fork_snapshot();
  Snapshot after = before;
  SnapProc child = proc(after, "p1");
  child.name = "p2";
  after.procs.push_back(child);
  EXPECT_TRUE(check_transition(before, op_fork("p1", "p2"), after).empty());
  after.procs.back().vmas[0].pgoff = 5;
  const auto vs = check_transition(before, op_fork("p1", "p2"), after);
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(
      vs[0].to_string(),
      "I-PGOFF-LINEAR: p2 page 0: fork: linear index was 0 (vma [0,4) pgoff=0 of p1) and is 5 "
      "(vma [0,4) pgoff=5)");
}

// exit removes the process; nothing else may move.
TEST(PgoffLinear, ExitChangesNothingElse) {
  const Snapshot before = fork_snapshot();
  Snapshot after = before;
  after.procs.pop_back();
  EXPECT_TRUE(check_transition(before, op_exit("p1"), after).empty());
  vma(after, "p0", 0).pgoff = 1;
  EXPECT_EQ(check_transition(before, op_exit("p1"), after).size(), 1u);
}

// mremap move of a faulted VMA keeps the old pgoff at the destination
// (copy_vma); resetting it would orphan the folios' indices.
//        0123456789
//   p0   AAAA            ->        AAAA   (pgoff 0 at [6,10))
TEST(PgoffLinear, MremapFaultedMoveKeepsIndices) {
  const Snapshot before = one_proc({{0, 4, 0, kRw, 1, {1}}});
  const Snapshot after = one_proc({{6, 10, 0, kRw, 1, {1}}});
  EXPECT_TRUE(check_transition(before, op_mremap("p0", 0, 4, 6, 4), after).empty());
  const Snapshot reset = one_proc({{6, 10, 6, kRw, 1, {1}}});
  const auto vs = check_transition(before, op_mremap("p0", 0, 4, 6, 4), reset);
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].to_string(),
            "I-PGOFF-LINEAR: p0 page 6: mremap moved page 0 (faulted vma [0,4) pgoff=0, linear "
            "index 0) here, but its linear index is now 6 (vma [6,10) pgoff=6)");
}

// An unfaulted VMA may be re-based at the destination (copy_vma's reset).
TEST(PgoffLinear, MremapUnfaultedMoveMayReset) {
  const Snapshot before = one_proc({{0, 4, 0, kRw, 0, {}}});
  const Snapshot after = one_proc({{6, 10, 6, kRw, 0, {}}});
  EXPECT_TRUE(check_transition(before, op_mremap("p0", 0, 4, 6, 4), after).empty());
}

// Pages outside both mremap ranges keep theirs; an in-place resize keeps
// the pages it keeps.
//        0123456789
//   p0   AAAA BB     -> mremap [0,4) to 2 pages in place: AA   BB
TEST(PgoffLinear, MremapLeavesOtherPagesAlone) {
  const Snapshot before = one_proc({{0, 4, 0, kRw, 1, {1}}, {5, 7, 5, kRw, 0, {}}});
  const Snapshot ok = one_proc({{0, 2, 0, kRw, 1, {1}}, {5, 7, 5, kRw, 0, {}}});
  EXPECT_TRUE(check_transition(before, op_mremap("p0", 0, 4, 0, 2), ok).empty());
  const Snapshot bad_other = one_proc({{0, 2, 0, kRw, 1, {1}}, {5, 7, 9, kRw, 0, {}}});
  EXPECT_EQ(check_transition(before, op_mremap("p0", 0, 4, 0, 2), bad_other).size(), 1u);
  const Snapshot bad_kept = one_proc({{0, 2, 3, kRw, 1, {1}}, {5, 7, 5, kRw, 0, {}}});
  EXPECT_EQ(check_transition(before, op_mremap("p0", 0, 4, 0, 2), bad_kept).size(), 1u);
}

}  // namespace
}  // namespace rmapcheck::testing
