// tests/impl/vma_test.cpp - split/merge re-keying of the interval trees (impl/vma.cpp).
#include <gtest/gtest.h>

#include "machine.h"

namespace rmapcheck::impl::test {
namespace {

// Every avc of the VMA is in its anon_vma's tree under the VMA's current key.
void expect_keyed(const vm_area_struct* v) {
  for (const anon_vma_chain& avc : v->anon_vma_chain) {
    EXPECT_TRUE(avc.anon_vma->rb_root.contains_node(&avc));
    const pgoff_t first = v->vm_pgoff;
    const pgoff_t last = v->vm_pgoff + vma_pages(v) - 1;
    bool found = false;
    for (anon_vma_chain* hit =
             anon_vma_interval_tree_iter_first(avc.anon_vma->rb_root, first, last);
         hit != nullptr; hit = anon_vma_interval_tree_iter_next(hit, first, last))
      found = found || hit == &avc;
    EXPECT_TRUE(found) << "avc of [" << v->vm_start << "," << v->vm_end << ") not found by its key";
  }
}

//   01234567
//   AAAAAAAA      <- faulted at 0 and 6
//   AA BBB CC    <- mprotect [2,5) r: two splits, pgoffs stay linear
//   AAAAAAAA      <- mprotect back: one merge, keys re-made
TEST(SplitMerge, TreesAreReKeyedAroundEveryRangeChange) {
  Machine m;
  m.run("mmap p0 0 8 rw\nwrite p0 0\nwrite p0 6\nmprotect p0 2 3 r => 0");
  EXPECT_EQ(m.vma("p0", 2)->vm_start, 2u);
  EXPECT_EQ(m.vma("p0", 2)->vm_pgoff, 2u);
  EXPECT_EQ(m.vma("p0", 6)->vm_pgoff, 5u);
  for (Page p : {Page{0}, Page{2}, Page{6}}) expect_keyed(m.vma("p0", p));
  EXPECT_EQ(m.check(), "");
  m.run("mprotect p0 2 3 rw => 0");
  EXPECT_EQ(m.vma("p0", 0)->vm_end, 8u);
  expect_keyed(m.vma("p0", 0));
  EXPECT_EQ(m.vma("p0", 0)->anon_vma->rb_root.size(), 1u);
  EXPECT_EQ(m.check(), "");
  m.run("rmap p0 6 => {p0:6}");
}

//   0123
//    AA       <- faulted at 2
//   BAA       <- mmap [1,2): next grows down, pgoff lowered, tree re-keyed
TEST(MergeNewRange, NextGrowsDownAndLowersItsPgoff) {
  Machine m;
  m.run("mmap p0 2 2 rw\nwrite p0 2\nmmap p0 1 1 rw => 0");
  vm_area_struct* v = m.vma("p0", 1);
  EXPECT_EQ(v->vm_start, 1u);
  EXPECT_EQ(v->vm_end, 4u);
  EXPECT_EQ(v->vm_pgoff, 1u);
  expect_keyed(v);
  EXPECT_EQ(m.k.cov.count(Branch::MergeNewRight), 1u);
  m.run("rmap p0 2 => {p0:2}");
  EXPECT_EQ(m.check(), "");
}

//   012345
//   AAA        <- faulted
//      BBB     <- unfaulted, rwx
//   AAABBB  then mprotect A rwx: A merges right into B (Case 1: B takes a
//   copy of A's chain through dup_anon_vma), B grows down.
TEST(MergeExistingRange, UnfaultedNextAbsorbsFaultedMiddle) {
  Machine m;
  m.run("mmap p0 0 3 rw\nwrite p0 0\nmmap p0 3 3 rwx\nmprotect p0 0 3 rwx => 0");
  vm_area_struct* v = m.vma("p0", 0);
  EXPECT_EQ(v->vm_end, 6u);
  EXPECT_NE(v->anon_vma, nullptr);
  EXPECT_EQ(v->anon_vma->num_active_vmas, 1);
  EXPECT_EQ(m.k.cov.count(Branch::DupAnonVma), 1u);
  EXPECT_EQ(m.k.cov.count(Branch::MergeExistingRightWhole), 1u);
  expect_keyed(v);
  EXPECT_EQ(m.check(), "");
}

// A fork child's VMA does not merge with an unfaulted neighbour (Case 1
// refused), and the parent's does.
TEST(MergeNewRange, ForkChildRefusesAnUnfaultedNeighbour) {
  Machine m;
  m.run("mmap p0 0 4 rw\nwrite p0 0\nfork p0 a\nmmap a 4 4 rw\nmmap p0 4 4 rw");
  EXPECT_EQ(m.vma("a", 0)->vm_end, 4u);
  EXPECT_EQ(m.vma("p0", 0)->vm_end, 8u);
}

}  // namespace
}  // namespace rmapcheck::impl::test
