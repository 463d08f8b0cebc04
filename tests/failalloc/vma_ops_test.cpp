// vma_ops_test.cpp - munmap, mprotect and madvise under injected allocation failures.
//
// Their allocations are __split_vma's (the VMA, the maple-tree
// preallocation, the clone's avcs) and a merge's (dup_anon_vma's avcs, then
// commit_merge's preallocation). A failed split changes nothing; a split
// done before it stays. A failed merge changes nothing (a dup is undone).
// mprotect and madvise stop at the VMA that failed with ENOMEM; the VMAs
// before it keep their change.
#include "fixture.h"
#include "rmapcheck/invariants.h"
#include "rmapcheck/mutants.h"
#include "rmapcheck/trace.h"

namespace rmapcheck::failalloc_testing {
namespace {

using Munmap = FailScenario;
using Mprotect = FailScenario;
using Madvise = FailScenario;

// 0123
// AAAA   <- faulted at 0 and 3; munmap [1,3) splits at 1, then at 3
TEST_P(Munmap, FailedFirstSplitUnmapsNothing) {
  for (const char* fail : {"vma 1", "prealloc 1", "avc 1"}) {
    SCOPED_TRACE(fail);
    TearDown();
    SetUp();
    history_.clear();
    run("mmap p0 0 4 rw\nwrite p0 0\nwrite p0 3");
    const Snapshot before = engine_->snapshot();
    run(std::string("failalloc ") + fail + "\nmunmap p0 1 2 => ENOMEM");
    EXPECT_EQ(engine_->snapshot(), before);
  }
}

TEST_P(Munmap, SplitBeforeTheFailureStays) {
  run("mmap p0 0 4 rw\nwrite p0 0\nwrite p0 3\nfailalloc vma 2\nmunmap p0 1 2 => ENOMEM");
  EXPECT_EQ(maps(),
            "p0 0-1 rw-p pgoff=0 flags=rd,wr,ac av=#1\n"
            "p0 1-4 rw-p pgoff=1 flags=rd,wr,ac av=#1\n");
  EXPECT_TRUE(pte("p0", 3).has_value());
}

// 012345
// AABBBB  <- A rw, B rx, both unfaulted. mprotect [0,4) r: A changes
//            alone; B's [2,4) would then merge into A (prev ┃mi┃d), which
//            needs commit_merge's preallocation.
TEST_P(Mprotect, FailureKeepsTheVmasAlreadyChanged) {
  run("mmap p0 0 2 rw\nmmap p0 2 4 rx\nfailalloc prealloc 1\nmprotect p0 0 4 r => ENOMEM");
  EXPECT_EQ(maps(),
            "p0 0-2 r--p pgoff=0 flags=rd av=none\n"
            "p0 2-6 r-xp pgoff=2 flags=rd,ex av=none\n");
}

// 0123
// AAAA   <- mprotect [1,2) splits at 1 and at 2
TEST_P(Mprotect, FailedSplitChangesNothing) {
  for (const char* fail : {"vma 1", "prealloc 1", "avc 1"}) {
    SCOPED_TRACE(fail);
    TearDown();
    SetUp();
    history_.clear();
    run("mmap p0 0 4 rw\nwrite p0 0");
    run(std::string("failalloc ") + fail + "\nmprotect p0 1 1 r => ENOMEM");
    EXPECT_EQ(maps(), "p0 0-4 rw-p pgoff=0 flags=rd,wr,ac av=#1\n");
    EXPECT_TRUE(pte("p0", 0)->writable);
  }
}

// 0123
// AABB   <- A rw unfaulted, B r faulted; mprotect B rw merges it into A
//           (Case 1: dup_anon_vma(A, B), then commit_merge)
TEST_P(Mprotect, FailedMergeUndoesTheDup) {
  for (const char* fail : {"avc 1", "prealloc 1"}) {
    SCOPED_TRACE(fail);
    TearDown();
    SetUp();
    history_.clear();
    run("mmap p0 2 2 rw\nwrite p0 2\nmprotect p0 2 2 r\nmmap p0 0 2 rw");
    const Snapshot before = engine_->snapshot();
    run(std::string("failalloc ") + fail + "\nmprotect p0 2 2 rw => ENOMEM");
    EXPECT_EQ(engine_->snapshot(), before);
    EXPECT_EQ(maps(),
              "p0 0-2 rw-p pgoff=0 flags=rd,wr,ac av=none\n"
              "p0 2-4 r--p pgoff=2 flags=rd,ac av=#1\n");
  }
}

// 0123
// AAAA  <- madvise [1,2) dontfork splits
TEST_P(Madvise, FailedSplitChangesNothing) {
  for (const char* fail : {"vma 1", "prealloc 1", "avc 1"}) {
    SCOPED_TRACE(fail);
    TearDown();
    SetUp();
    history_.clear();
    run("mmap p0 0 4 rw\nwrite p0 2");
    run(std::string("failalloc ") + fail + "\nmadvise p0 1 1 dontfork => ENOMEM");
    EXPECT_EQ(maps(), "p0 0-4 rw-p pgoff=0 flags=rd,wr,ac av=#1\n");
  }
}

// 012345
// AABBBB  <- madvise [0,4) dontfork: A whole, then B split at 4 fails
TEST_P(Madvise, FailureKeepsTheVmasAlreadyChanged) {
  run("mmap p0 0 2 rw\nmmap p0 2 4 rx\nfailalloc vma 1\nmadvise p0 0 4 dontfork => ENOMEM");
  EXPECT_EQ(maps(),
            "p0 0-2 rw-p pgoff=0 flags=rd,wr,dc,ac av=none\n"
            "p0 2-6 r-xp pgoff=2 flags=rd,ex av=none\n");
}

INSTANTIATE_TEST_SUITE_P(Engines, Munmap, FAILALLOC_ENGINE_KINDS, engine_param_name);
INSTANTIATE_TEST_SUITE_P(Engines, Mprotect, FAILALLOC_ENGINE_KINDS, engine_param_name);
INSTANTIATE_TEST_SUITE_P(Engines, Madvise, FAILALLOC_ENGINE_KINDS, engine_param_name);

// The two failure-path mutants: the impl with the switch on ends in a state
// the model (the kernel) does not.
Snapshot run_on(EngineKind kind, const EngineConfig& config, std::string_view text) {
  auto e = make_engine(kind, config);
  ParseOutcome parsed = parse_trace(text, "<mutant>");
  EXPECT_TRUE(parsed.trace.has_value());
  if (parsed.trace)
    for (const TraceLine& l : parsed.trace->lines) e->apply(l.op);
  return e->snapshot();
}

TEST(FailallocMutants, CloneEnomemKeepsAnonVmaIsSeen) {
  // munmap [1,2) of a faulted [1,3): the split's clone fails with the
  // new VMA's anon_vma set; the mutant's unlink drops a num_active_vmas
  // that was never taken.
  const char* trace = "mmap p0 1 2 rw noreserve\nwrite p0 1\nfailalloc avc 1\nmunmap p0 1 1\n";
  const Snapshot model = run_on(EngineKind::Model, {}, trace);
  EngineConfig cfg;
  cfg.mutants = MutantSet::of(Mutant::CloneEnomemKeepsAnonVma);
  const Snapshot impl = run_on(EngineKind::Impl, cfg, trace);
  EXPECT_NE(model, impl);
  EXPECT_FALSE(check_invariants(impl).empty());
  EXPECT_EQ(model, run_on(EngineKind::Impl, {}, trace));
}

TEST(FailallocMutants, MergeNoDupUndoIsSeen) {
  const char* trace =
      "mmap p0 0 1 rw\nmmap p0 2 1 rw\nwrite p0 2\nfailalloc prealloc 1\nmmap p0 1 1 rw\n";
  const Snapshot model = run_on(EngineKind::Model, {}, trace);
  EngineConfig cfg;
  cfg.mutants = MutantSet::of(Mutant::MergeNoDupUndo);
  EXPECT_NE(model, run_on(EngineKind::Impl, cfg, trace));
  EXPECT_EQ(model, run_on(EngineKind::Impl, {}, trace));
}

}  // namespace
}  // namespace rmapcheck::failalloc_testing
