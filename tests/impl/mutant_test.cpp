// tests/impl/mutant_test.cpp - each mutant switch changes behaviour where it should.
//
// Each scenario runs on the impl with and without the switch: the correct
// engine satisfies every invariant and the mutant either breaks one (named)
// or ends in a different state. The traces are the reproducers of
// docs/kernel/historical-bugs.md.
#include <gtest/gtest.h>

#include "rmapcheck/checker.h"
#include "rmapcheck/engine.h"
#include "rmapcheck/invariants.h"
#include "rmapcheck/trace.h"

namespace rmapcheck {
namespace {

struct Outcome {
  std::vector<std::string> results;
  Snapshot snap;
  bool failed = false;                // the checker found something wrong with the impl
  std::vector<Violation> violations;  // the first op that broke something, all of them
  bool fault = false;                 // EngineFault (use after free caught by the pools)
};

// The impl alone through the one checker until its first failure (every
// invariant, transition and leak, as replay checks one lane); after that
// the impl runs on unchecked so the test sees what the mutant made of the rest.
Outcome run(const std::string& text, MutantSet mutants) {
  ParseOutcome po = parse_trace(text, "<mutant test>");
  EXPECT_TRUE(po.trace.has_value());
  EngineConfig cfg;
  cfg.mutants = mutants;
  auto e = make_impl_engine(cfg);
  Checker checker(std::vector<Engine*>{e.get()});
  Outcome out;
  for (const TraceLine& l : po.trace->lines) {
    if (!out.failed) {
      const std::optional<CheckFailure> f = checker.step(l.op);
      if (f && f->kind == CheckFailure::Kind::EngineFault) {
        out.fault = true;
        return out;
      }
      out.results.push_back(format_result(checker.result(0)));
      if (f) {
        out.failed = true;
        out.violations = f->violations;
      }
      continue;
    }
    try {
      out.results.push_back(format_result(e->apply(l.op)));
    } catch (const EngineFault&) {
      out.fault = true;
      return out;
    }
  }
  out.snap = e->snapshot();
  return out;
}

bool broke(const Outcome& o, InvariantId id) {
  for (const Violation& v : o.violations)
    if (v.id == id) return true;
  return false;
}

// The correct engine is sound on the scenario; the mutant differs from it.
void expect_killed(const std::string& text, Mutant m) {
  const Outcome good = run(text, {});
  ASSERT_FALSE(good.fault);
  ASSERT_FALSE(good.failed) << (good.violations.empty() ? "" : good.violations.front().to_string());
  const Outcome bad = run(text, MutantSet::of(m));
  EXPECT_TRUE(bad.fault || bad.failed || bad.results != good.results || !(bad.snap == good.snap))
      << mutant_info(m).name << " changed nothing";
}

// docs/kernel/historical-bugs.md#cve-2022-42703, our 13-op derivation.
const char* kCve = R"(mmap p0 0 2 rw
write p0 0
fork p0 a
fork a b
exit a
fork b c
mprotect b 1 1 rwx
mprotect c 1 1 rwx
fork c m
exit b
write m 1
fork m k
mprotect k 1 1 rw
exit m
rmap k 1
)";

TEST(Mutant, Cve2022_42703BreaksSameChainAtTheDoubleReuse) {
  const Outcome bad = run(kCve, MutantSet::of(Mutant::Cve2022_42703));
  EXPECT_TRUE(broke(bad, InvariantId::SameChain));
  EXPECT_TRUE(bad.fault);  // the final rmap walks a freed anon_vma
  expect_killed(kCve, Mutant::Cve2022_42703);
}

TEST(Mutant, ChildrenOnlyReusesTheRoot) {
  expect_killed("mmap p0 0 2 rw\nwrite p0 0\nfork p0 a\nwrite a 0\n",
                Mutant::Cve2022_42703_ChildrenOnly);
}

TEST(Mutant, NoActiveIncBreaksActiveAtTheFirstReuse) {
  const char* t = "mmap p0 0 2 rw\nwrite p0 0\nfork p0 a\nfork a b\nexit a\nfork b c\n";
  EXPECT_TRUE(broke(run(t, MutantSet::of(Mutant::Cve2022_42703_NoActiveInc)), InvariantId::Active));
  expect_killed(t, Mutant::Cve2022_42703_NoActiveInc);
}

// docs/kernel/historical-bugs.md#2010-neighbour-reuse
TEST(Mutant, NeighbourReuseNotSingularBreaksSameChain) {
  const char* t =
      "mmap p0 0 1 rw\nwrite p0 0\nfork p0 c\nmmap c 1 1 rwx\nwrite c 1\nmprotect c 0 1 rwx\n";
  EXPECT_TRUE(
      broke(run(t, MutantSet::of(Mutant::NeighbourReuseNotSingular)), InvariantId::SameChain));
  expect_killed(t, Mutant::NeighbourReuseNotSingular);
}

//   012345
//   AAABBB   A faulted rw, B unfaulted rwx; mprotect A rwx: B absorbs A (dup_anon_vma)
const char* kDup = "mmap p0 0 3 rw\nwrite p0 0\nmmap p0 3 3 rwx\n";

TEST(Mutant, CloneBeforeAssignBreaksActive) {
  const std::string t = std::string(kDup) + "mprotect p0 0 3 rwx\n";
  EXPECT_TRUE(broke(run(t, MutantSet::of(Mutant::CloneBeforeAssign)), InvariantId::Active));
  expect_killed(t, Mutant::CloneBeforeAssign);
}

// docs/kernel/historical-bugs.md#mremap-uaf
const char* kMremapUaf =
    "mmap p0 4 3 rw\nwrite p0 4\nmremap p0 4 3 20 3\nmmap p0 1 3 rw\nmremap p0 20 3 4 3\n";

TEST(Mutant, MremapNoDupCopiedFromBreaksMapping) {
  EXPECT_TRUE(
      broke(run(kMremapUaf, MutantSet::of(Mutant::MremapNoDupCopiedFrom)), InvariantId::Mapping));
  expect_killed(kMremapUaf, Mutant::MremapNoDupCopiedFrom);
}

TEST(Mutant, MremapForkCheckMiddleOnlyMergesAForkedSource) {
  const char* t =
      "mmap p0 4 3 rw\nwrite p0 4\nfork p0 c\nmremap c 4 3 20 3\nmmap c 1 3 rw\nmremap c 20 3 4 "
      "3\n";
  expect_killed(t, Mutant::MremapForkCheckMiddleOnly);
}

// docs/kernel/historical-bugs.md#2023-merge-right-pgoff
TEST(Mutant, MergeRightKeepsPgoffBreaksMapping) {
  const char* t = "mmap p0 2 1 rw\nwrite p0 2\nmmap p0 1 1 rw\n";
  EXPECT_TRUE(broke(run(t, MutantSet::of(Mutant::MergeRightKeepsPgoff)), InvariantId::Mapping));
  expect_killed(t, Mutant::MergeRightKeepsPgoff);
}

//   01234567
//   AAAAAAAA   faulted; mprotect [4,8) r splits: the second insert is under a
//   node whose rb_subtree_last the stale insert does not raise.
TEST(Mutant, StaleSubtreeLastFailsVerify) {
  const char* t = "mmap p0 0 8 rw\nwrite p0 0\nmprotect p0 4 4 r\n";
  EXPECT_TRUE(broke(run(t, MutantSet::of(Mutant::StaleSubtreeLast)), InvariantId::Key));
  expect_killed(t, Mutant::StaleSubtreeLast);
}

//   01234567
//   AAAA       faulted at 0; mmap [4,8) merges: A grows without re-keying,
//   so a folio at page 6 is not found by the walk.
TEST(Mutant, NoTreeUpdateOnPgoffLosesTheGrownRange) {
  const char* t = "mmap p0 0 4 rw\nwrite p0 0\nmmap p0 4 4 rw\nwrite p0 6\nrmap p0 6\n";
  const Outcome bad = run(t, MutantSet::of(Mutant::NoTreeUpdateOnPgoff));
  EXPECT_EQ(bad.results.back(), "{}");
  EXPECT_EQ(run(t, {}).results.back(), "{p0:6}");
  expect_killed(t, Mutant::NoTreeUpdateOnPgoff);
}

TEST(Mutant, CowReuseSharedLeaksTheChildsWrite) {
  const char* t = "mmap p0 0 1 rw\nwrite p0 0 5\nfork p0 c\nwrite c 0 7\nread p0 0\n";
  EXPECT_EQ(run(t, {}).results.back(), "5");
  EXPECT_EQ(run(t, MutantSet::of(Mutant::CowReuseShared)).results.back(), "7");
}

// --- reclaim and swap (issue 14) ---

//   0
//   S      pageout made swap(S, excl); fork: the child gets S too. The
//          exclusive bit must go in both (count 2 now), or a later swap-in
//          maps a page two processes hold as exclusive and writable.
const char* kForkSwap = "mmap p0 0 1 rw\nwrite p0 0 5\npageout p0 0 1\nfork p0 a\n";

TEST(Mutant, ForkKeepsSwapExclusiveBreaksExclSwap) {
  EXPECT_TRUE(
      broke(run(kForkSwap, MutantSet::of(Mutant::ForkKeepsSwapExclusive)), InvariantId::ExclSwap));
  expect_killed(kForkSwap, Mutant::ForkKeepsSwapExclusive);
}

TEST(Mutant, CopyNonpresentNoSwapDuplicateBreaksSwapCount) {
  EXPECT_TRUE(broke(run(kForkSwap, MutantSet::of(Mutant::CopyNonpresentNoSwapDuplicate)),
                    InvariantId::SwapCount));
  expect_killed(kForkSwap, Mutant::CopyNonpresentNoSwapDuplicate);
}

// The child's swap-in misses the cache (count 2): the folio is not
// exclusive and must go under the ROOT anon_vma, which p0's chain holds;
// under the child's own anon_vma p0's swap PTE cannot reach it.
TEST(Mutant, SwapinSharedUnderVmaAnonVmaBreaksSwapPteChain) {
  const std::string t = std::string(kForkSwap) + "read a 0\n";
  EXPECT_TRUE(
      broke(run(t, MutantSet::of(Mutant::SwapinSharedUnderVmaAnonVma)), InvariantId::SwapPteChain));
  expect_killed(t, Mutant::SwapinSharedUnderVmaAnonVma);
}

// reclaim of a folio p0 and a share: the walk stops after the first PTE
// and the folio is freed anyway: the other PTE maps a freed folio.
TEST(Mutant, ReclaimFreesMappedFolioLeavesAPteOnAFreedFolio) {
  const char* t = "mmap p0 0 1 rw\nwrite p0 0 5\nfork p0 a\nreclaim\n";
  EXPECT_TRUE(run(t, MutantSet::of(Mutant::ReclaimFreesMappedFolio)).fault);
  expect_killed(t, Mutant::ReclaimFreesMappedFolio);
}

// p0's swap PTE moves while a's swap-in keeps the slot's folio cached:
// the folio's index must stay linear (0), not become the new page (10).
TEST(Mutant, MremapSwapcacheWrongIndexBreaksSwapPteChain) {
  const std::string t = std::string(kForkSwap) + "read a 0\nmremap p0 0 1 10 1\n";
  EXPECT_TRUE(
      broke(run(t, MutantSet::of(Mutant::MremapSwapcacheWrongIndex)), InvariantId::SwapPteChain));
  expect_killed(t, Mutant::MremapSwapcacheWrongIndex);
}

}  // namespace
}  // namespace rmapcheck
