// historical_test.cpp - the historical bug sequences of kernel-spec §4,
// replayed under the fixed (v6.18.8+) rules: every invariant holds after
// every op (the fixture checks), and the decisive state is as the fix says.
#include "scenario.h"

namespace rmapcheck::testing {
namespace {

using Historical = Scenario;

// §4.1 CVE-2022-42703: R=p0 with one 2-page RW VMA; forks, exits, splits.
TEST_P(Historical, Cve2022_42703TwelveOpTraceHolds) {
  run("mmap p0 0 2 rw\n"
      "write p0 0\n"          //  1 W(R,0)
      "fork p0 a\n"           //  2 F(R) -> A
      "fork a b\n"            //  3 F(A) -> B
      "exit a\n"              //  4 X(A)
      "fork b c\n"            //  5 F(B) -> C: reuses AA
      "mprotect b 1 1 rwx\n"  //  6
      "mprotect c 1 1 rwx\n"  //  7
      "fork c m\n"            //  8
      "exit b\n"              //  9
      "write m 1\n"           // 10
      "fork m k\n"            // 11 K's two VMAs must not both reuse AB
      "mprotect k 1 1 rw\n"   // 12
      "exit m\n"              // 13
      "rmap k 1 => {k:1}");
  // Op 11 under the v6.0+ counters: the second VMA saw num_active_vmas == 1
  // and got a new anon_vma, so op 12 cannot merge the two (Case 3 refuses).
  EXPECT_EQ(maps("k"), "[0,1) rw-p [1,2) rw-p");
}

TEST_P(Historical, Cve2022_42703AtOpElevenTheTwoVmasGetDifferentAnonVmas) {
  run("mmap p0 0 2 rw\nwrite p0 0\nfork p0 a\nfork a b\nexit a\nfork b c\n"
      "mprotect b 1 1 rwx\nmprotect c 1 1 rwx\nfork c m\nexit b\nwrite m 1\nfork m k");
  const SnapVma k0 = vma("k", 0), k1 = vma("k", 1);
  EXPECT_NE(k0.anon_vma, k1.anon_vma);
  if (is_model()) {
    EXPECT_GE(count(Branch::CloneReuse), 2u);  // op 5 and the first at op 11
  }
}

// §4.2 (v6.16-6.18.7 UAF): a faulted VMA moved back next to an unfaulted
// prev merges into it; under 6.18.8 the target gets the anon_vma.
TEST_P(Historical, MremapFaultedToUnfaultedGetsTheAnonVma) {
  run("mmap p0 4 3 rw\nwrite p0 4 7\nmremap p0 4 3 20 3\nmmap p0 1 3 rw\n"
      "mremap p0 20 3 4 3 => 0\nread p0 4 => 7\nrmap p0 4 => {p0:4}");
  EXPECT_EQ(maps("p0"), "[1,7) rw-p");
  EXPECT_NE(vma("p0", 1).anon_vma, 0u);
  EXPECT_EQ(vma("p0", 1).pgoff, 1u);
}

TEST_P(Historical, MremapFaultedToUnfaultedNextGetsTheAnonVma) {
  //   next variant: B=[7,10) unfaulted pgoff 7, A (pgoff 4) returns to [4,7)
  run("mmap p0 4 3 rw\nwrite p0 4\nmremap p0 4 3 20 3\nmmap p0 7 3 rw\n"
      "mremap p0 20 3 4 3 dontunmap => 0\nrmap p0 4 => {p0:4}");
  EXPECT_EQ(maps("p0"), "[4,10) rw-p [20,23) rw-p");
  EXPECT_NE(vma("p0", 4).anon_vma, 0u);
  EXPECT_EQ(vma("p0", 4).pgoff, 4u);
}

TEST_P(Historical, MremapForkedFaultedSourceIsNotMergedIntoUnfaulted) {
  run("mmap p0 4 3 rw\nwrite p0 4\nmremap p0 4 3 20 3\nfork p0 c\nmmap c 1 3 rw\n"
      "mremap c 20 3 4 3 => 0\nexit p0\nrmap c 4 => {c:4}");
  EXPECT_EQ(maps("c"), "[1,4) rw-p [4,7) rw-p");
}

// §4.3 (2010): a fork child's neighbour must not reuse its non-singular anon_vma.
TEST_P(Historical, NeighbourReuseNeedsASingularChain) {
  run("mmap p0 0 1 rw\nwrite p0 0\nfork p0 c\nmmap c 1 1 rwx\nwrite c 1");
  EXPECT_NE(vma("c", 0).anon_vma, vma("c", 1).anon_vma);
  run("mprotect c 0 1 rwx\nexit p0\nrmap c 0 => {c:0}");
  EXPECT_EQ(maps("c"), "[0,1) rwxp [1,2) rwxp");
}

// §4.5 (v6.3): next grows down and its pgoff goes down with it.
TEST_P(Historical, MergeRightLowersPgoff) {
  run("mmap p0 2 1 rw\nwrite p0 2\nmmap p0 1 1 rw");
  EXPECT_EQ(maps("p0"), "[1,3) rw-p");
  EXPECT_EQ(vma("p0", 1).pgoff, 1u);
  EXPECT_EQ(folio_of("p0", 2)->index, 2u);  // == pgoff + (2 - 1)
  run("rmap p0 2 => {p0:2}");
}

RMAPCHECK_INSTANTIATE(Historical);

}  // namespace
}  // namespace rmapcheck::testing
