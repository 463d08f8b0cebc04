// fork_test.cpp - fork (dup_mmap) under injected allocation failures.
//
// A failed dup_mmap makes copy_process drop the half-built child (mmput ->
// exit_mmap): fork returns ENOMEM and no child exists. The parent is
// unchanged only if no page table was copied yet: copy_present_ptes has
// already write-protected the parent's PTEs it copied and cleared
// PageAnonExclusive, and that is not undone.
#include "fixture.h"

namespace rmapcheck::failalloc_testing {
namespace {

using Fork = FailScenario;

// 0123
// AAAA   <- faulted at 0 and 1. fork allocates, in order: the child VMA
//           (vm_area_dup), anon_vma_clone's avc for the root, the child's
//           own anon_vma and its avc, then the child's page table.
TEST_P(Fork, FailureBeforeAnyPageTableLeavesTheParentUnchanged) {
  for (const char* fail : {"vma 1", "avc 1", "anon_vma 1", "avc 2"}) {
    SCOPED_TRACE(fail);
    TearDown();
    SetUp();
    history_.clear();
    run("mmap p0 0 4 rw\nwrite p0 0 1\nwrite p0 1 2");
    const Snapshot before = engine_->snapshot();
    run(std::string("failalloc ") + fail + "\nfork p0 p1 => ENOMEM");
    EXPECT_EQ(engine_->snapshot(), before)
        << diff_snapshots(engine_->snapshot(), before, "after", "before");
  }
}

TEST_P(Fork, FailedFirstPageTableCopiesNothing) {
  run("mmap p0 0 4 rw\nwrite p0 0 1\nfailalloc pgtable 1\nfork p0 p1 => ENOMEM");
  EXPECT_EQ(maps(), "p0 0-4 rw-p pgoff=0 flags=rd,wr,ac av=#1\n");
  // The table was never allocated, so nothing was copied and the PTE is
  // as before.
  EXPECT_TRUE(pte("p0", 0)->writable);
  EXPECT_TRUE(folio_of("p0", 0)->exclusive);
}

// 01 ... 600 601
// AA     BB       <- two faulted VMAs in two page tables; the second
//                    table's copy fails after the first was copied
TEST_P(Fork, PtesCopiedBeforeTheFailureStayShared) {
  run("mmap p0 0 2 rw\nwrite p0 0 1\nmmap p0 600 2 rw\nwrite p0 600 2\n"
      "failalloc pgtable 2\nfork p0 p1 => ENOMEM");
  EXPECT_EQ(failed(AllocSite::PageTable), 1u);
  EXPECT_EQ(engine_->snapshot().procs.size(), 1u);  // no child
  // First VMA: copied, then the child went away: read-only, not exclusive,
  // mapped once again (the next write reuses it as its sole mapper).
  EXPECT_FALSE(pte("p0", 0)->writable);
  EXPECT_FALSE(folio_of("p0", 0)->exclusive);
  EXPECT_EQ(folio_of("p0", 0)->mapcount, 1);
  // Second VMA: never copied.
  EXPECT_TRUE(pte("p0", 600)->writable);
  EXPECT_TRUE(folio_of("p0", 600)->exclusive);
  run("write p0 0 3 => 0\nread p0 0 => 3");
  EXPECT_TRUE(pte("p0", 0)->writable);
}

// After a failed fork a fork succeeds (the trace parser takes every fork
// for a success, so the second child has another name) and the child sees the pages.
TEST_P(Fork, ForkAgainAfterAFailure) {
  run("mmap p0 0 4 rw\nwrite p0 0 1\nfailalloc anon_vma 1\nfork p0 p1 => ENOMEM\n"
      "fork p0 p2 => 0\nread p2 0 => 1");
}

INSTANTIATE_TEST_SUITE_P(Engines, Fork, FAILALLOC_ENGINE_KINDS, engine_param_name);

}  // namespace
}  // namespace rmapcheck::failalloc_testing
