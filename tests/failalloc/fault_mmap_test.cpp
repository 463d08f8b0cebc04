// fault_mmap_test.cpp - faults and mmap under injected allocation failures.
//
// A user fault that cannot allocate returns VM_FAULT_OOM; the #PF handler
// calls pagefault_out_of_memory() and the access is retried, so the op
// completes and ends in the state it would have reached without the failure
// (what the failed attempt did, an allocated page table, a prepared
// anon_vma, is what the retry needs anyway). mmap fails with ENOMEM and maps
// nothing, except that a merge that cannot allocate falls back to a new VMA.
#include "fixture.h"

namespace rmapcheck::failalloc_testing {
namespace {

using Fault = FailScenario;
using Mmap = FailScenario;

// 0
// A     <- one unfaulted VMA; the first write allocates, in order: the page
//          table, __anon_vma_prepare's avc and anon_vma, the folio.
TEST_P(Fault, FirstWriteCompletesWhateverSiteFails) {
  for (const char* site : {"pgtable", "avc", "anon_vma", "folio"}) {
    SCOPED_TRACE(site);
    TearDown();
    SetUp();
    history_.clear();
    run("mmap p0 0 1 rw");
    run(std::string("failalloc ") + site + " 1\nwrite p0 0 7 => 0\nread p0 0 => 7");
    EXPECT_EQ(failed(*alloc_site_from_name(site)), 1u);
    same_as_without_failures();
  }
}

TEST_P(Fault, AnyCountsTheFirstWritesAllocationsInKernelOrder) {
  // The 4th allocation of the first write is the folio (after pgtable, avc,
  // anon_vma): the anon_vma prepared before it stays, the retry maps it.
  run("mmap p0 0 1 rw\nfailalloc 4\nwrite p0 0 => 0");
  EXPECT_EQ(failed(AllocSite::Folio), 1u);
  EXPECT_EQ(engine_->coverage().count(Branch::AllocFailed), 1u);
  same_as_without_failures();
}

TEST_P(Fault, ReadFaultRetriesAfterAFailedPageTable) {
  run("mmap p0 0 1 r\nfailalloc pgtable 1\nread p0 0 => 0");
  EXPECT_EQ(failed(AllocSite::PageTable), 1u);
  ASSERT_TRUE(pte("p0", 0).has_value());
  EXPECT_EQ(pte("p0", 0)->kind, SnapPte::Kind::Zero);
  same_as_without_failures();
}

// 0
// A     <- faulted in p0, shared with p1 by fork; p1's write copies (COW)
TEST_P(Fault, CowCopyRetriesAfterAFailedFolio) {
  run("mmap p0 0 1 rw\nwrite p0 0 5\nfork p0 p1\nfailalloc folio 1\nwrite p1 0 6 => 0\nread p0 0 "
      "=> 5");
  EXPECT_EQ(failed(AllocSite::Folio), 1u);
  same_as_without_failures();
}

// 0
// A     <- read first (zero page, no anon_vma), then written: the COW copy
//          of the zero page prepares the anon_vma (avc, anon_vma) first
TEST_P(Fault, ZeroPageCowRetriesWhateverSiteFails) {
  for (const char* site : {"avc", "anon_vma", "folio"}) {
    SCOPED_TRACE(site);
    TearDown();
    SetUp();
    history_.clear();
    run("mmap p0 0 1 rw\nread p0 0 => 0");
    run(std::string("failalloc ") + site + " 1\nwrite p0 0 4 => 0\nread p0 0 => 4");
    EXPECT_EQ(failed(*alloc_site_from_name(site)), 1u);
    same_as_without_failures();
  }
}

// 0123
// AAAA  <- a new mapping with no neighbour: vm_area_alloc, then the
//          maple-tree preallocation
TEST_P(Mmap, NewVmaFailsWithNothingMapped) {
  run("failalloc vma 1\nmmap p0 0 4 rw => ENOMEM");
  EXPECT_EQ(maps(), "");
  run("failalloc prealloc 1\nmmap p0 0 4 rw => ENOMEM");
  EXPECT_EQ(maps(), "");
  EXPECT_EQ(failed(AllocSite::Vma), 1u);
  EXPECT_EQ(failed(AllocSite::Prealloc), 1u);
}

// 012
// A.B   <- A unfaulted, B faulted; mmap [1,2) would make prev A absorb the
//          range and B (dup_anon_vma(A, B), then commit_merge)
TEST_P(Mmap, MergeThatCannotAllocateFallsBackToANewVma) {
  for (const char* site : {"avc", "prealloc"}) {
    SCOPED_TRACE(site);
    TearDown();
    SetUp();
    history_.clear();
    run("mmap p0 0 1 rw\nmmap p0 2 1 rw\nwrite p0 2");
    run(std::string("failalloc ") + site + " 1\nmmap p0 1 1 rw => 0");
    // The dup into A is undone (a failed clone undoes itself; a failed
    // preallocation unlinks the dup), and the range gets its own VMA.
    EXPECT_EQ(maps(),
              "p0 0-1 rw-p pgoff=0 flags=rd,wr,ac av=none\n"
              "p0 1-2 rw-p pgoff=1 flags=rd,wr,ac av=none\n"
              "p0 2-3 rw-p pgoff=2 flags=rd,wr,ac av=#1\n");
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, Fault, FAILALLOC_ENGINE_KINDS, engine_param_name);
INSTANTIATE_TEST_SUITE_P(Engines, Mmap, FAILALLOC_ENGINE_KINDS, engine_param_name);

}  // namespace
}  // namespace rmapcheck::failalloc_testing
