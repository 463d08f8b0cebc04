// mremap_test.cpp - mremap under injected allocation failures.
//
// A move allocates in copy_vma (a merge's, else the VMA, the clone's avcs,
// vma_link's preallocation), then the destination page tables
// (move_page_tables), then unmap_source_vma's splits. No copy: ENOMEM,
// nothing changed. A page-table move that stops part-way is moved back and
// the NEW range is unmapped: ENOMEM, source as before. A failed unmap of
// the source is not an error: mremap returns 0 with both ranges mapped and
// the source without VM_ACCOUNT ("OOM: unable to split vma, just get
// accounts right"). An in-place expand that cannot merge is ENOMEM.
#include "fixture.h"

namespace rmapcheck::failalloc_testing {
namespace {

using Mremap = FailScenario;

// 01 ... 600
// AA              <- faulted at 0 and 1, moved to 600 (another page table)
TEST_P(Mremap, FailedCopyOrPageTableChangesNothing) {
  for (const char* fail : {"vma 1", "avc 1", "prealloc 1", "pgtable 1"}) {
    SCOPED_TRACE(fail);
    TearDown();
    SetUp();
    history_.clear();
    run("mmap p0 0 2 rw\nwrite p0 0 1\nwrite p0 1 2");
    const Snapshot before = engine_->snapshot();
    run(std::string("failalloc ") + fail + "\nmremap p0 0 2 600 2 => ENOMEM");
    EXPECT_EQ(engine_->snapshot(), before)
        << diff_snapshots(engine_->snapshot(), before, "after", "before");
  }
}

// 500..503 ... 1022..1025
// AAAA                      <- faulted at 500 and 503 (page table 0); the
//                              destination spans two page tables: 1022 is
//                              in table 1, 1025 in table 2
TEST_P(Mremap, PartialPageTableMoveIsMovedBack) {
  run("mmap p0 500 4 rw\nwrite p0 500 1\nwrite p0 503 2");
  const Snapshot before = engine_->snapshot();
  run("failalloc pgtable 2\nmremap p0 500 4 1022 4 => ENOMEM\nread p0 500 => 1\nread p0 503 => 2");
  EXPECT_EQ(failed(AllocSite::PageTable), 1u);
  EXPECT_EQ(engine_->snapshot(), before)
      << diff_snapshots(engine_->snapshot(), before, "after", "before");
}

// 0123 ... 600
// AAAA            <- faulted at 0; [0,1) moves to 600, then the source's
//                    split (the 2nd VMA allocated) fails
TEST_P(Mremap, FailedSourceUnmapStillSucceeds) {
  run("mmap p0 0 4 rw\nwrite p0 0 9\nfailalloc vma 2\nmremap p0 0 1 600 1 => 0\nread p0 600 => 9");
  EXPECT_EQ(maps(),
            "p0 0-4 rw-p pgoff=0 flags=rd,wr av=#1\n"
            "p0 600-601 rw-p pgoff=0 flags=rd,wr,ac av=#1\n");
  EXPECT_FALSE(pte("p0", 0).has_value());
}

// 012345
// AA..BB   <- A unfaulted, B faulted; growing A in place to [0,4) would
//             absorb B too (dup_anon_vma(A, B), then commit_merge)
TEST_P(Mremap, FailedExpandInPlaceChangesNothing) {
  for (const char* fail : {"avc 1", "prealloc 1"}) {
    SCOPED_TRACE(fail);
    TearDown();
    SetUp();
    history_.clear();
    run("mmap p0 0 2 rw\nmmap p0 4 2 rw\nwrite p0 4");
    const Snapshot before = engine_->snapshot();
    run(std::string("failalloc ") + fail + "\nmremap p0 0 2 0 4 => ENOMEM");
    EXPECT_EQ(engine_->snapshot(), before);
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, Mremap, FAILALLOC_ENGINE_KINDS, engine_param_name);

}  // namespace
}  // namespace rmapcheck::failalloc_testing
