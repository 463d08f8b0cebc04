// generator_test.cpp - the op generator: valid, deterministic, tunable, and
// biased towards the hard states (deep forks, exits in the middle, splits).
#include <gtest/gtest.h>

#include <set>

#include "properties/generator.h"

namespace rmapcheck::props {
namespace {

TEST(Generator, SameSeedSameTraceDifferentSeedDifferentTrace) {
  GenConfig cfg;
  EXPECT_EQ(print_trace(generate_trace(42, 80, cfg)), print_trace(generate_trace(42, 80, cfg)));
  EXPECT_NE(print_trace(generate_trace(42, 80, cfg)), print_trace(generate_trace(43, 80, cfg)));
}

// Every generated trace is valid: the parser (which checks that ops name
// live processes and that fork children are fresh) accepts its printout and
// reads back the same ops, and every page stays inside the small window.
TEST(Generator, PrintedTracesParseBackAndStayInTheWindow) {
  GenConfig cfg;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Trace t = generate_trace(seed, 60, cfg);
    std::string text = print_trace(t);
    auto parsed = parse_trace(text, "gen");
    ASSERT_TRUE(parsed.trace) << "seed " << seed << ": " << parsed.diagnostics.at(0).to_string() << "\n"
                              << text;
    EXPECT_EQ(*parsed.trace, t);
    for (const auto& l : t.lines) {
      ASSERT_FALSE(op_invalid_reason(l.op)) << format_op(l.op);
      if (l.op.kind == OpKind::FailAlloc || l.op.kind == OpKind::Fork || l.op.kind == OpKind::Exit) continue;
      EXPECT_LT(l.op.start, 16u) << format_op(l.op);
      EXPECT_LE(l.op.start + l.op.npages, 16u) << format_op(l.op);
      if (l.op.kind == OpKind::Mremap) {
        EXPECT_LE(l.op.new_start + l.op.new_npages, 16u);
      }
    }
  }
}

TEST(Generator, EveryFamilyAppearsWithDefaultWeightsAndZeroWeightsDisable) {
  GenConfig cfg;
  std::set<OpKind> seen;
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    for (const auto& l : generate_trace(seed, 60, cfg).lines) seen.insert(l.op.kind);
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kOpKindCount));

  ASSERT_FALSE(parse_weights("fork=0,mremap=0,failalloc=0", cfg.weights));
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    for (const auto& l : generate_trace(seed, 60, cfg).lines) {
      EXPECT_NE(l.op.kind, OpKind::Fork);
      EXPECT_NE(l.op.kind, OpKind::Mremap);
      EXPECT_NE(l.op.kind, OpKind::FailAlloc);
    }
  }
}

TEST(Weights, ParseErrorsAreClearAndLeaveTheWeightsAlone) {
  Weights w = Weights::defaults();
  EXPECT_EQ(parse_weights("frok=3", w).value_or(""), "unknown operation 'frok' in --weights");
  EXPECT_TRUE(parse_weights("fork", w));
  EXPECT_TRUE(parse_weights("fork=-1", w));
  EXPECT_TRUE(parse_weights("mmap=0,munmap=0,mprotect=0,madvise=0,mremap=0,read=0,write=0,"
                            "fork=0,exit=0,rmap=0,failalloc=0", w));
  EXPECT_EQ(w, Weights::defaults());
  ASSERT_FALSE(parse_weights("fork=20,exit=0", w));
  EXPECT_EQ(w.get(OpKind::Fork), 20u);
  EXPECT_EQ(w.get(OpKind::Exit), 0u);
  Weights back = Weights::defaults();
  ASSERT_FALSE(parse_weights(format_weights(w), back));
  EXPECT_EQ(back, w);
}

// The §4.1 skeleton: a write, then a fork chain of depth >= 3 in which an
// intermediate process exits while its child lives on. A good share of the
// default-sized cases must contain it, or the CVE mutants survive.
TEST(Generator, DeepForkChainsWithMiddleExitsAreCommon) {
  GenConfig cfg;
  int with_skeleton = 0;
  const int cases = 300;
  for (int seed = 0; seed < cases; ++seed) {
    GenState s = GenState::initial(cfg);
    bool wrote = false, middle_exit = false;
    int max_depth = 0;
    for (const auto& l : generate_trace(static_cast<std::uint64_t>(seed), 40, cfg).lines) {
      const Op& op = l.op;
      if (op.kind == OpKind::Write) wrote = true;
      if (op.kind == OpKind::Exit && wrote) {
        const GenProc* p = s.find(op.proc);
        if (p && !p->parent.empty() && s.has_live_child(p->name)) middle_exit = true;
      }
      s.apply(op);
      for (const auto& p : s.procs) max_depth = std::max(max_depth, p.depth);
    }
    if (middle_exit && max_depth >= 3) ++with_skeleton;
  }
  EXPECT_GT(with_skeleton, cases / 5) << with_skeleton << " of " << cases;
}

TEST(Generator, StateFollowsForkAndExit) {
  // p0 -> p1 -> p2, then p1 (the middle) exits: p2 keeps its depth and mappings.
  GenConfig cfg;
  GenState s = GenState::initial(cfg);
  s.apply(op_mmap("p0", 2, 3, Prot::RW));
  s.apply(op_fork("p0", "p1"));
  s.apply(op_fork("p1", "p2"));
  EXPECT_TRUE(s.has_live_child("p1"));
  s.apply(op_exit("p1"));
  ASSERT_EQ(s.procs.size(), 2u);
  EXPECT_EQ(s.find("p2")->depth, 2);
  EXPECT_TRUE(s.find("p2")->mapped.test(4));
  EXPECT_FALSE(s.find("p2")->mapped.test(5));
  EXPECT_EQ(s.next_child, 3u);
  EXPECT_FALSE(op_allowed(s, op_fork("p2", "p2")));
  EXPECT_FALSE(op_allowed(s, op_write("p1", 2)));
  EXPECT_TRUE(op_allowed(s, op_write("p2", 2)));
}

}  // namespace
}  // namespace rmapcheck::props
