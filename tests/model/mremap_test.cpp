// mremap_test.cpp - mremap: in-place resize, moves, DONTUNMAP, the
// multi-VMA move of v6.17+, and the error results, on every engine.
#include "scenario.h"

namespace rmapcheck::testing {
namespace {

using Mremap = Scenario;

TEST_P(Mremap, ErrorsBeforeAnyEffect) {
  run("mmap p0 0 4 rw\nwrite p0 0\n"
      "mremap p0 10 2 20 2 => EFAULT\n"           // source not mapped
      "mremap p0 0 2 0 2 dontunmap => EINVAL\n"   // in place + DONTUNMAP
      "mremap p0 0 4 2 4 => EINVAL\n"             // overlapping ranges
      "mremap p0 0 2 20 4 dontunmap => EINVAL\n"  // DONTUNMAP must keep the size
      "mremap p0 0 0 20 2 => EINVAL\n"            // old_len 0 on a private mapping
      "mremap p0 0 0 0 2 => EINVAL\n"
      "mremap p0 0 4 20 0 => EINVAL\n"  // new_len 0
      "mremap p0 2 4 20 6 => EFAULT");  // the range leaves its VMA
  EXPECT_EQ(maps("p0"), "[0,4) rw-p");
  EXPECT_TRUE(pte("p0", 0).has_value());
}

TEST_P(Mremap, InPlaceShrinkExpandAndBlockedGrowth) {
  //   0123456789
  //   AAAA    BB   grow A to 6: fine; to 9: blocked by B (ENOMEM, no move)
  run("mmap p0 0 4 rw\nmmap p0 8 2 r\nwrite p0 3\n"
      "mremap p0 0 4 0 6 => 0\nmremap p0 0 6 0 9 => ENOMEM\n"
      "mremap p0 2 3 2 4 => ENOMEM\n"  // [2,5) does not end at the VMA's end
      "mremap p0 0 6 0 6 => 0");
  EXPECT_EQ(maps("p0"), "[0,6) rw-p [8,10) r--p");
  EXPECT_EQ(vma("p0", 0).pgoff, 0u);
  run("mremap p0 0 6 0 2 => 0");
  EXPECT_EQ(maps("p0"), "[0,2) rw-p [8,10) r--p");
  EXPECT_FALSE(pte("p0", 3).has_value());
}

TEST_P(Mremap, InPlaceShrinkMayCrossVmas) {
  run("mmap p0 0 2 rw\nmmap p0 2 2 r\nmremap p0 0 4 0 1 => 0");
  EXPECT_EQ(maps("p0"), "[0,1) rw-p");
}

TEST_P(Mremap, MoveOfAFaultedVmaKeepsItsPgoffAndFolios) {
  run("mmap p0 0 4 rw\nwrite p0 1 11\nmremap p0 0 4 20 4 => 0\nread p0 21 => 11\n"
      "rmap p0 21 => {p0:21}");
  EXPECT_EQ(maps("p0"), "[20,24) rw-p");
  EXPECT_EQ(vma("p0", 20).pgoff, 0u);
  EXPECT_EQ(folio_of("p0", 21)->index, 1u);
}

TEST_P(Mremap, MoveOfAnUnfaultedVmaResetsItsPgoff) {
  run("mmap p0 0 4 rw\nread p0 1\nmremap p0 0 4 20 4 => 0");
  EXPECT_EQ(vma("p0", 20).pgoff, 20u);
  EXPECT_EQ(pte("p0", 21)->kind, SnapPte::Kind::Zero);  // zero-page PTEs move too
}

TEST_P(Mremap, MoveWithResizeUnmapsTheDestinationFirst) {
  run("mmap p0 0 4 rw\nwrite p0 0\nmmap p0 20 8 r\n"
      "mremap p0 0 4 20 6 => 0");
  EXPECT_EQ(maps("p0"), "[20,26) rw-p [26,28) r--p");
  run("mremap p0 20 6 40 2 => 0\nread p0 40 => 1");
  EXPECT_EQ(maps("p0"), "[26,28) r--p [40,42) rw-p");
}

TEST_P(Mremap, DontunmapKeepsTheSourceEmptyAndUnlinked) {
  run("mmap p0 0 4 rw\nwrite p0 0 3\nmremap p0 0 4 20 4 dontunmap => 0\n"
      "read p0 0 => 0\nread p0 20 => 3");
  EXPECT_EQ(maps("p0"), "[0,4) rw-p [20,24) rw-p");
  const SnapVma src = vma("p0", 0);
  EXPECT_EQ(src.anon_vma, 0u);
  EXPECT_TRUE(src.chain.empty());
  EXPECT_EQ(src.pgoff, 0u);
  EXPECT_EQ(src.flags, VM_READ | VM_WRITE | VM_ACCOUNT);
}

TEST_P(Mremap, PartialDontunmapKeepsTheSourceAnonState) {
  run("mmap p0 0 4 rw\nwrite p0 0\nwrite p0 3\nmremap p0 0 2 20 2 dontunmap => 0");
  EXPECT_EQ(maps("p0"), "[0,4) rw-p [20,22) rw-p");
  EXPECT_NE(vma("p0", 0).anon_vma, 0u);
  EXPECT_FALSE(pte("p0", 0).has_value());
  EXPECT_TRUE(pte("p0", 3).has_value());
}

TEST_P(Mremap, MultiVmaMoveKeepsTheGaps) {
  //   0123456      ->   20 21 22 23 24 25
  //   AA BB             AA    BB
  run("mmap p0 0 2 rw\nmmap p0 3 2 r\nwrite p0 1 8\nmremap p0 0 6 20 6 => 0");
  EXPECT_EQ(maps("p0"), "[20,22) rw-p [23,25) r--p");
  run("read p0 21 => 8\nmremap p0 19 4 40 4 => EFAULT");  // a gap at the start
  EXPECT_EQ(maps("p0"), "[20,22) rw-p [23,25) r--p");
}

RMAPCHECK_INSTANTIATE(Mremap);

}  // namespace
}  // namespace rmapcheck::testing
