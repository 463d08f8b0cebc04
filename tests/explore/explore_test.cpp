// explore_test.cpp - the exhaustive search (properties/explore.h) on bounds
// small enough to know the answer.
#include "properties/explore.h"

#include <gtest/gtest.h>

#include <sstream>

#include "properties/explore_shrink.h"
#include "rmapcheck/checker.h"
#include "rmapcheck/engine.h"
#include "rmapcheck/trace.h"

namespace rmapcheck::props {
namespace {

ExploreConfig config(Page pages, int procs, int depth, std::vector<OpKind> ops) {
  ExploreConfig c;
  c.bounds.pages = pages;
  c.bounds.procs = procs;
  c.bounds.depth = depth;
  c.bounds.ops = std::move(ops);
  c.bounds.all_ops = false;
  c.bounds.prots = {Prot::None, Prot::R, Prot::RW, Prot::RX, Prot::RWX};
  c.max_memory = std::uint64_t{256} << 20;
  return c;
}

ExploreResult run(const ExploreConfig& c) {
  std::ostringstream log;
  return explore(c, log);
}

// Replays ops through the one checker: the first failure, if any.
std::optional<CheckFailure> replay(const std::vector<Op>& ops, const MutantSet& mutants) {
  EngineConfig ec;
  ec.mutants = mutants;
  std::vector<std::unique_ptr<Engine>> lanes;
  lanes.push_back(make_engine(EngineKind::Model));
  lanes.push_back(make_engine(EngineKind::Impl, ec));
  Checker c(std::move(lanes));
  for (const Op& op : ops)
    if (auto f = c.step(op)) return f;
  return std::nullopt;
}

// Two pages, two processes, three ops of mmap/write/fork/exit: the whole
// bound is checked, and the threads, the store and the order of the work
// change nothing in what is found.
TEST(Explore, SmallBoundIsCompleteAndTheSameForAnyThreadsOrStore) {
  auto c = config(2, 2, 3, {OpKind::Mmap, OpKind::Write, OpKind::Fork, OpKind::Exit});
  ExploreResult one = run(c);
  ASSERT_EQ(one.verdict, ExploreResult::Verdict::Complete) << completeness_line(one, c);
  EXPECT_EQ(one.depth_done, 3);
  EXPECT_GT(one.states, 100u);
  c.threads = 2;
  ExploreResult two = run(c);
  c.threads = 1;
  c.store = StoreKind::Exact;
  ExploreResult exact = run(c);
  for (const ExploreResult* r : {&two, &exact}) {
    EXPECT_EQ(r->verdict, one.verdict);
    EXPECT_EQ(r->states, one.states);
    EXPECT_EQ(r->transitions, one.transitions);
    ASSERT_EQ(r->levels.size(), one.levels.size());
    for (std::size_t d = 0; d < one.levels.size(); ++d)
      EXPECT_EQ(r->levels[d].new_states, one.levels[d].new_states) << "depth " << d;
  }
  EXPECT_GT(one.omission_probability, 0.0);
  EXPECT_LT(one.omission_probability, 1e-9);
}

// Symmetry: with the children's names folded, a fork of p0 into p1 and a
// later, separate fork into p2 reach the same "two identical children"
// states; without symmetry reduction the count would be larger. Here: one
// page read-only, three processes, only forks and exits.
//   depth 0: p0            depth 1: p0 -> p1         depth 2: p0 -> {p1, p2} or p0 -> p1 -> p2
//   (exits reach p0 alone, p1 alone, ...: all "one process, nothing mapped")
TEST(Explore, ProcessRenamingFoldsSymmetricStates) {
  auto c = config(1, 3, 4, {OpKind::Fork, OpKind::Exit});
  ExploreResult r = run(c);
  ASSERT_EQ(r.verdict, ExploreResult::Verdict::Complete);
  // Nothing mapped: a state is only the number of live processes (0..3).
  EXPECT_EQ(r.states, 4u) << completeness_line(r, c);
  EXPECT_TRUE(r.exhausted);
}

// A bound with finitely many states is exhausted: after the one mmap there
// is nothing new (a second mmap of the page is EEXIST).
TEST(Explore, ExhaustedBoundSaysSo) {
  auto c = config(1, 1, 10, {OpKind::Mmap});
  ExploreResult r = run(c);
  ASSERT_EQ(r.verdict, ExploreResult::Verdict::Complete);
  EXPECT_TRUE(r.exhausted);
  EXPECT_EQ(r.states, 11u);  // the start, and 5 prots x noreserve
  EXPECT_NE(completeness_line(r, c).find("COMPLETE: 11 distinct states"), std::string::npos)
      << completeness_line(r, c);
}

// do_wp_page reusing a folio that is still mapped twice (the CowReuseShared
// mutant) needs: a private page written, a fork, a write by either side.
//   p0: [0] rw  --write-->  folio A  --fork-->  p0, p1 both map A (mapcount 2)
//   write p0 0: the kernel copies (A is shared); the mutant writes into A.
// Four ops is the shortest trace, and BFS finds one of exactly that length,
// the same with any number of threads; it fails on replay with the mutant
// and passes without.
TEST(Explore, FindsTheShortestCounterexample) {
  auto c = config(1, 2, 6, {OpKind::Mmap, OpKind::Write, OpKind::Fork});
  c.bounds.prots = {Prot::RW};
  c.mutants = MutantSet::of(Mutant::CowReuseShared);
  ExploreResult r = run(c);
  ASSERT_EQ(r.verdict, ExploreResult::Verdict::Counterexample) << completeness_line(r, c);
  ASSERT_EQ(r.trace.size(), 4u);
  EXPECT_EQ(r.depth_done, 3);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->index, 3u);
  c.threads = 2;
  ExploreResult two = run(c);
  EXPECT_EQ(two.trace, r.trace);
  EXPECT_EQ(two.failure->headline(), r.failure->headline());
  EXPECT_TRUE(replay(r.trace, c.mutants));
  EXPECT_FALSE(replay(r.trace, {})) << "the counterexample fails without the mutant";
}

// failalloc arms the op it precedes: the pair is one transition, and the
// explorer reaches the allocation-failure paths. CloneEnomemKeepsAnonVma
// is reachable only through a failed anon_vma_clone:
//   01
//   AA   faulted rw; mprotect [0,1) r splits A, and the clone of A's chain
//        for the new VMA fails at its first avc (failalloc avc 1): ENOMEM
// Three transitions (mmap, write, the armed mprotect), four trace lines.
TEST(Explore, FailallocMovesReachAllocationFailures) {
  auto c = config(2, 1, 4, {OpKind::Mmap, OpKind::Write, OpKind::Mprotect, OpKind::FailAlloc});
  c.bounds.prots = {Prot::R, Prot::RW};
  c.mutants = MutantSet::of(Mutant::CloneEnomemKeepsAnonVma);
  ExploreResult r = run(c);
  ASSERT_EQ(r.verdict, ExploreResult::Verdict::Counterexample) << completeness_line(r, c);
  EXPECT_EQ(r.depth_done, 2);
  ASSERT_EQ(r.trace.size(), 4u);
  EXPECT_EQ(r.trace[2].kind, OpKind::FailAlloc);
  EXPECT_TRUE(replay(r.trace, c.mutants));
  EXPECT_FALSE(replay(r.trace, {}));
}

TEST(Explore, MaxStatesStopsBetweenDepthsIncomplete) {
  auto c = config(2, 2, 6, {OpKind::Mmap, OpKind::Write, OpKind::Fork, OpKind::Exit});
  c.max_states = 50;
  ExploreResult r = run(c);
  EXPECT_EQ(r.verdict, ExploreResult::Verdict::Incomplete);
  EXPECT_EQ(r.why_incomplete, "--max-states reached");
  EXPECT_LE(r.states, 50u);
  EXPECT_NE(completeness_line(r, c).find("INCOMPLETE (--max-states reached"), std::string::npos);
}

TEST(Explore, MovesCoverEveryArgumentInsideTheBounds) {
  ExploreBounds b;
  b.pages = 3;
  b.ops = {OpKind::Mremap};
  auto moves = explore_moves(b);
  // 6 ranges in 3 pages, old x new x dontunmap.
  EXPECT_EQ(moves.size(), 6u * 6u * 2u);
  b.ops = {OpKind::Write, OpKind::FailAlloc};
  b.values = 2;
  b.fail_nth = 2;
  // 3 pages x 2 values, plain and armed at 7 sites x K = 1..2.
  EXPECT_EQ(explore_moves(b).size(), 6u + 6u * 7u * 2u);
  b.ops = {OpKind::Pageout, OpKind::Reclaim};
  b.fail_nth = 1;
  // 6 ranges and one reclaim (it names no process).
  EXPECT_EQ(explore_moves(b).size(), 6u + 1u);
  b.ops = {OpKind::Madvise};
  // 6 ranges x the five advices, or only those asked for.
  EXPECT_EQ(explore_moves(b).size(), 6u * 5u);
  b.advices = {Advice::WipeOnFork};
  EXPECT_EQ(explore_moves(b).size(), 6u);
}

// The shrinker's last step (properties/explore_shrink.h) on the counterexample
// `rmapcheck mutants` first found for mremap-no-dup-copied-from once pageout
// and reclaim joined the default mix: 11 ops after ddmin, pages 8-14, two
// processes, one madvise advice. Searching all five advices ran out of budget
// before depth 5; searching the trace's own advice finds a 5-op trace.
TEST(ExploreShrink, SearchesOnlyTheAdvicesTheTraceUses) {
  auto t = parse_trace(
      "mmap p0 11 2 rwx\nmadvise p0 9 4 wipeonfork\nwrite p0 12 38\nmremap p0 11 2 8 3\n"
      "mprotect p0 8 1 rw\nmremap p0 9 1 13 2\nmremap p0 8 1 10 1\nfork p0 p3\n"
      "mprotect p3 13 2 rw\nwrite p3 13 23\nmremap p3 13 2 11 2\n",
      "t");
  ASSERT_TRUE(t.trace);
  std::vector<Op> ops;
  for (const auto& l : t.trace->lines) ops.push_back(l.op);
  const auto mutants = MutantSet::of(*mutant_from_name("mremap-no-dup-copied-from"));
  auto shorter = shorter_within_span(ops, mutants, 1500000);  // the campaign's budget
  ASSERT_TRUE(shorter);
  EXPECT_LE(shorter->size(), 5u);
}

}  // namespace
}  // namespace rmapcheck::props
