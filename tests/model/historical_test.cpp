// historical_test.cpp - the reproducers of docs/kernel/historical-bugs.md,
// replayed under the fixed (v6.18.8+) rules: every invariant holds after
// every op (the fixture checks), and the decisive state is as the fix says.
// The traces are tests/scenarios/hist-*.trace (the oracle replays them on the
// kernel); the state at each `# check:` mark is asserted here.
#include "scenario.h"

namespace rmapcheck::testing {
namespace {

using Historical = Scenario;

// docs/kernel/historical-bugs.md#cve-2022-42703: R=p0 with one 2-page RW VMA; forks, exits,
// splits.
TEST_P(Historical, Cve2022_42703TwelveOpTraceHolds) {
  load("hist-4-1-cve-2022-42703");
  run_rest();  // ends with rmap k 1 => {k:1}
  // Op 11 under the v6.0+ counters: the second VMA saw num_active_vmas == 1
  // and got a new anon_vma, so op 12 cannot merge the two (Case 3 refuses).
  EXPECT_EQ(maps("k"), "[0,1) rw-p [1,2) rw-p");
}

TEST_P(Historical, Cve2022_42703AtOpElevenTheTwoVmasGetDifferentAnonVmas) {
  load("hist-4-1-cve-2022-42703");
  run_to("op11");
  const SnapVma k0 = vma("k", 0), k1 = vma("k", 1);
  EXPECT_NE(k0.anon_vma, k1.anon_vma);
  if (is_model()) {
    EXPECT_GE(count(Branch::CloneReuse), 2u);  // op 5 and the first at op 11
  }
}

// docs/kernel/historical-bugs.md#mremap-uaf (v6.16-6.18.7): a faulted VMA moved back
// next to an unfaulted prev merges into it; under 6.18.8 the target gets the anon_vma.
TEST_P(Historical, MremapFaultedToUnfaultedGetsTheAnonVma) {
  load("hist-4-2-mremap-faulted-to-unfaulted-prev");
  run_rest();  // mremap => 0, read p0 4 => 7, rmap p0 4 => {p0:4}
  EXPECT_EQ(maps("p0"), "[1,7) rw-p");
  EXPECT_NE(vma("p0", 1).anon_vma, 0u);
  EXPECT_EQ(vma("p0", 1).pgoff, 1u);
}

TEST_P(Historical, MremapFaultedToUnfaultedNextGetsTheAnonVma) {
  //   next variant: B=[7,10) unfaulted pgoff 7, A (pgoff 4) returns to [4,7)
  load("hist-4-2-mremap-faulted-to-unfaulted-next");
  run_rest();  // mremap => 0, rmap p0 4 => {p0:4}
  EXPECT_EQ(maps("p0"), "[4,10) rw-p [20,23) rw-p");
  EXPECT_NE(vma("p0", 4).anon_vma, 0u);
  EXPECT_EQ(vma("p0", 4).pgoff, 4u);
}

TEST_P(Historical, MremapForkedFaultedSourceIsNotMergedIntoUnfaulted) {
  load("hist-4-2-mremap-forked-source-no-merge");
  run_rest();  // mremap => 0, rmap c 4 => {c:4}
  EXPECT_EQ(maps("c"), "[1,4) rw-p [4,7) rw-p");
}

// docs/kernel/historical-bugs.md#2010-neighbour-reuse: a fork child's neighbour must not reuse
// its non-singular anon_vma.
TEST_P(Historical, NeighbourReuseNeedsASingularChain) {
  load("hist-4-3-neighbour-reuse-needs-singular-chain");
  run_to("faulted");
  EXPECT_NE(vma("c", 0).anon_vma, vma("c", 1).anon_vma);
  run_rest();  // rmap c 0 => {c:0}
  EXPECT_EQ(maps("c"), "[0,1) rwxp [1,2) rwxp");
}

// docs/kernel/historical-bugs.md#2023-merge-right-pgoff (v6.3): next grows down and its pgoff
// goes down with it.
TEST_P(Historical, MergeRightLowersPgoff) {
  load("hist-4-5-merge-right-lowers-pgoff");
  run_to("merged");
  EXPECT_EQ(maps("p0"), "[1,3) rw-p");
  EXPECT_EQ(vma("p0", 1).pgoff, 1u);
  EXPECT_EQ(folio_of("p0", 2)->index, 2u);  // == pgoff + (2 - 1)
  run_rest();                               // rmap p0 2 => {p0:2}
}

RMAPCHECK_INSTANTIATE(Historical);

}  // namespace
}  // namespace rmapcheck::testing
