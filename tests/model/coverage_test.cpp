// coverage_test.cpp - every branch of coverage.h that the model can take is
// counted by it: one small trace per branch, run on the model.
#include <gtest/gtest.h>

#include "rmapcheck/engine.h"
#include "rmapcheck/invariants.h"
#include "rmapcheck/trace.h"

namespace rmapcheck {
namespace {

// Runs `text` on a fresh model; every invariant must hold after every op.
Coverage coverage_of(const std::string& text) {
  auto engine = make_engine(EngineKind::Model);
  ParseOutcome parsed = parse_trace(text, "<coverage>");
  if (!parsed.trace) {
    ADD_FAILURE() << parsed.diagnostics.at(0).to_string();
    return {};
  }
  for (const TraceLine& line : parsed.trace->lines) {
    engine->apply(line.op);
    for (const Violation& v : check_invariants(engine->snapshot()))
      ADD_FAILURE() << format_op(line.op) << ": " << v.to_string();
  }
  return engine->coverage();
}

struct BranchCase {
  Branch branch;
  const char* trace;
};

const BranchCase kCases[] = {
    {Branch::ZeroPageRead, "mmap p0 0 1 rw\nread p0 0"},
    {Branch::NewAnonFolio, "mmap p0 0 1 rw\nwrite p0 0"},
    {Branch::CowReuseSoleMapper, "mmap p0 0 1 rw\nwrite p0 0\nfork p0 c\nexit c\nwrite p0 0"},
    {Branch::CowCopy, "mmap p0 0 1 rw\nwrite p0 0\nfork p0 c\nwrite c 0"},
    {Branch::CowCopyZeroPage, "mmap p0 0 1 rw\nread p0 0\nwrite p0 0"},
    {Branch::PrepareNeighbourReuse, "mmap p0 0 1 rw\nmmap p0 1 1 rwx\nwrite p0 0\nwrite p0 1"},
    {Branch::PrepareNewAnonVma, "mmap p0 0 1 rw\nwrite p0 0"},
    {Branch::CloneReuse, "mmap p0 0 1 rw\nwrite p0 0\nfork p0 c\nfork c g\nexit c\nfork g h"},
    {Branch::CloneNoReuse, "mmap p0 0 1 rw\nwrite p0 0\nfork p0 c"},
    {Branch::ForkUnfaultedVma, "mmap p0 0 1 rw\nfork p0 c"},
    {Branch::ForkDontCopy, "mmap p0 0 1 rw\nmadvise p0 0 1 dontfork\nfork p0 c"},
    {Branch::ForkWipeOnFork, "mmap p0 0 1 rw\nmadvise p0 0 1 wipeonfork\nfork p0 c"},
    {Branch::ForkPteShared, "mmap p0 0 1 rw\nwrite p0 0\nfork p0 c"},
    {Branch::MergeNewLeft, "mmap p0 0 1 rw\nmmap p0 1 1 rw"},
    {Branch::MergeNewRight, "mmap p0 1 1 rw\nmmap p0 0 1 rw"},
    {Branch::MergeNewBoth, "mmap p0 0 1 rw\nmmap p0 2 1 rw\nmmap p0 1 1 rw"},
    {Branch::MergeExistingBoth, "mmap p0 0 3 rw\nmprotect p0 1 1 r\nmprotect p0 1 1 rw"},
    {Branch::MergeExistingLeftWhole, "mmap p0 0 2 rw\nmprotect p0 1 1 r\nmprotect p0 1 1 rw"},
    {Branch::MergeExistingLeftPart, "mmap p0 0 1 r\nmmap p0 1 2 rw\nmprotect p0 1 1 r"},
    {Branch::MergeExistingRightWhole, "mmap p0 0 2 rw\nmprotect p0 0 1 r\nmprotect p0 0 1 rw"},
    {Branch::MergeExistingRightPart, "mmap p0 0 2 rw\nmmap p0 2 1 r\nmprotect p0 1 1 r"},
    {Branch::MergeRefusedAnonVma,
     "mmap p0 0 1 rw\nwrite p0 0\nmmap p0 2 1 rw\nwrite p0 2\nmmap p0 1 1 rw"},
    {Branch::DupAnonVma, "mmap p0 0 1 rw\nmmap p0 1 1 rwx\nwrite p0 1\nmprotect p0 1 1 rw"},
    {Branch::SplitVma, "mmap p0 0 2 rw\nmunmap p0 0 1"},
    {Branch::MremapMove, "mmap p0 0 1 rw\nmremap p0 0 1 5 1"},
    {Branch::MremapPgoffReset, "mmap p0 0 1 rw\nmremap p0 0 1 5 1"},
    {Branch::MremapMoveMerged, "mmap p0 0 1 rw\nmmap p0 5 1 rw\nmremap p0 5 1 1 1"},
    {Branch::MremapDontUnmap, "mmap p0 0 1 rw\nwrite p0 0\nmremap p0 0 1 5 1 dontunmap"},
    {Branch::MremapExpandInPlace, "mmap p0 0 1 rw\nmremap p0 0 1 0 2"},
    {Branch::MremapShrink, "mmap p0 0 2 rw\nmremap p0 0 2 0 1"},
    {Branch::MadviseDontNeed, "mmap p0 0 1 rw\nwrite p0 0\nmadvise p0 0 1 dontneed"},
    {Branch::UnlinkFreedAnonVma, "mmap p0 0 1 rw\nwrite p0 0\nmunmap p0 0 1"},
    // Reclaim and swap (docs/model/pageout.md, docs/model/reclaim.md).
    {Branch::PageoutSkipShared, "mmap p0 0 1 rw\nwrite p0 0\nfork p0 c\npageout p0 0 1"},
    {Branch::SwapOut, "mmap p0 0 1 rw\nwrite p0 0\npageout p0 0 1"},
    {Branch::SwapOutExclusive, "mmap p0 0 1 rw\nwrite p0 0\npageout p0 0 1"},
    {Branch::ReclaimShared, "mmap p0 0 1 rw\nwrite p0 0\nfork p0 c\nreclaim"},
    {Branch::SwapInBypass, "mmap p0 0 1 rw\nwrite p0 0\npageout p0 0 1\nread p0 0"},
    {Branch::SwapInCacheMiss, "mmap p0 0 1 rw\nwrite p0 0\nfork p0 c\nreclaim\nread p0 0"},
    {Branch::SwapInCacheHit, "mmap p0 0 1 rw\nwrite p0 0\nfork p0 c\nreclaim\nread p0 0\nread c 0"},
    {Branch::SwapInWritableOnRead, "mmap p0 0 1 rw\nwrite p0 0\npageout p0 0 1\nread p0 0"},
    {Branch::CowReuseFreedSwapCache,
     "mmap p0 0 1 rw\nwrite p0 0\nfork p0 c\nreclaim\nread p0 0\nexit c\nwrite p0 0"},
    {Branch::ForkSwapPte, "mmap p0 0 1 rw\nwrite p0 0\npageout p0 0 1\nfork p0 c"},
    {Branch::ZapSwapPte, "mmap p0 0 1 rw\nwrite p0 0\npageout p0 0 1\nmunmap p0 0 1"},
    {Branch::MremapMoveSwapPte, "mmap p0 0 1 rw\nwrite p0 0\npageout p0 0 1\nmremap p0 0 1 5 1"},
    {Branch::SwapCacheDropped,
     "mmap p0 0 1 rw\nwrite p0 0\nfork p0 c\nreclaim\nread p0 0\nexit c\nmunmap p0 0 1"},
    {Branch::SwapSlotFreed, "mmap p0 0 1 rw\nwrite p0 0\npageout p0 0 1\nread p0 0"},
    // The fault's folio allocation fails: VM_FAULT_OOM, and the retry maps it.
    {Branch::AllocFailed, "mmap p0 0 1 rw\nfailalloc folio 1\nwrite p0 0"},
};

TEST(ModelCoverage, EachReachableBranchIsCountedByItsTrace) {
  for (const BranchCase& c : kCases) {
    const Coverage cov = coverage_of(c.trace);
    EXPECT_GT(cov.count(c.branch), 0u) << branch_name(c.branch) << " not counted by:\n" << c.trace;
  }
}

TEST(ModelCoverage, EveryBranchHasATrace) {
  for (int b = 0; b < kBranchCount; ++b) {
    const auto branch = static_cast<Branch>(b);
    bool found = false;
    for (const BranchCase& c : kCases) found = found || c.branch == branch;
    EXPECT_TRUE(found) << branch_name(branch) << " has no trace";
  }
}

}  // namespace
}  // namespace rmapcheck
