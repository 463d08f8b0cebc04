// generator_test.cpp - the op generator: valid, deterministic, tunable, and
// biased towards the hard states (deep forks, exits in the middle, splits).
#include "properties/generator.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <set>

#include "rmapcheck/engine.h"

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
    ASSERT_TRUE(parsed.trace) << "seed " << seed << ": " << parsed.diagnostics.at(0).to_string()
                              << "\n"
                              << text;
    EXPECT_EQ(*parsed.trace, t);
    for (const auto& l : t.lines) {
      ASSERT_FALSE(op_invalid_reason(l.op)) << format_op(l.op);
      if (l.op.kind == OpKind::FailAlloc || l.op.kind == OpKind::Fork || l.op.kind == OpKind::Exit)
        continue;
      EXPECT_LT(l.op.start, 16u) << format_op(l.op);
      EXPECT_LE(l.op.start + l.op.npages, 16u) << format_op(l.op);
      if (l.op.kind == OpKind::Mremap) {
        EXPECT_LE(l.op.new_start + l.op.new_npages, 16u);
      }
    }
  }
}

TEST(Generator, EveryWeightedFamilyAppearsAndZeroWeightsDisable) {
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
  EXPECT_TRUE(
      parse_weights("mmap=0,munmap=0,mprotect=0,madvise=0,mremap=0,read=0,write=0,"
                    "fork=0,exit=0,rmap=0,failalloc=0,pageout=0,reclaim=0",
                    w));
  EXPECT_EQ(w, Weights::defaults());
  ASSERT_FALSE(parse_weights("fork=20,exit=0", w));
  EXPECT_EQ(w.get(OpKind::Fork), 20u);
  EXPECT_EQ(w.get(OpKind::Exit), 0u);
  Weights back = Weights::defaults();
  ASSERT_FALSE(parse_weights(format_weights(w), back));
  EXPECT_EQ(back, w);
}

// The skeleton of docs/kernel/historical-bugs.md#cve-2022-42703: a write, then a fork chain of
// depth >= 3 in which an intermediate process exits while its child lives on. A good share of
// the default-sized cases must contain it, or the CVE mutants survive.
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

// A fork run with a failalloc armed may fail, and then its child does not
// exist; the generator cannot tell (it never asks an engine), so it must
// never act on such a child except to exit it, nor fork from it. Found by
// the mixed-trace benchmark: 70% of generate_trace(1, 10000)'s ops failed,
// nearly all with ESRCH, on children of failed forks and their descendants
// (fork prefers the newest process, so one phantom bred more).
TEST(Generator, NoOpNamesAProcessThatAFailedForkMayNotHaveCreated) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    const Trace t = generate_trace(seed, 3000);
    auto engine = make_engine(EngineKind::Impl);
    std::size_t failed_forks = 0;
    for (std::size_t i = 0; i < t.lines.size(); ++i) {
      const Op& op = t.lines[i].op;
      const Result r = engine->apply(op);
      if (op.kind == OpKind::Fork && r.kind == Result::Kind::Errno) ++failed_forks;
      if (op.kind == OpKind::Exit) continue;  // exiting a phantom is how the generator forgets it
      ASSERT_FALSE(r.kind == Result::Kind::Errno && r.err == ESRCH)
          << "seed " << seed << ", op " << i + 1 << ": `" << format_op(op)
          << "` names a process that does not exist";
    }
    EXPECT_GT(failed_forks, 0u) << "seed " << seed
                                << ": no fork failed, so this case proves nothing";
  }
}

//     p0 --fork(failalloc armed)--> p1 ?    p1 exists only if the fork succeeded
// The generator keeps p1 (so that it can exit it and count it against
// max_live) but marks it uncertain: no op but exit picks it.
TEST(Generator, AChildOfAForkWithAFailureArmedIsOnlyEverExited) {
  GenState s = GenState::initial();
  s.apply(op_mmap("p0", 0, 4, Prot::RW));
  s.apply(op_failalloc(AllocSite::Any, 1));
  s.apply(op_fork("p0", "p1"));
  ASSERT_NE(s.find("p1"), nullptr);
  EXPECT_TRUE(s.find("p1")->uncertain);
  s.apply(op_fork("p0", "p2"));  // no failure armed: p2 certainly exists
  EXPECT_FALSE(s.find("p2")->uncertain);
  GenConfig cfg;
  std::size_t exits_of_p1 = 0;
  for (std::uint64_t seed = 0; seed < 400; ++seed) {
    SeededChooser ch(seed);
    const Op op = generate_op(s, cfg, ch);
    if (op.proc == "p1") {
      EXPECT_EQ(op.kind, OpKind::Exit) << format_op(op);
      ++exits_of_p1;
    }
  }
  EXPECT_GT(exits_of_p1, 0u);
}

// A state built by applying ops, as the generator would see it.
GenState state_after(std::initializer_list<Op> ops) {
  GenState s = GenState::initial();
  for (const auto& op : ops) s.apply(op);
  return s;
}

// Draws `n` ops of one family from `s` with seeds 0..n-1.
std::set<std::string> draws(const GenState& s, OpKind kind, int n) {
  std::set<std::string> out;
  GenConfig cfg;
  for (int seed = 0; seed < n; ++seed) {
    SeededChooser ch(static_cast<std::uint64_t>(seed));
    Op op = kind == OpKind::Mprotect ? gen_protect(kind, s, cfg, ch)
            : kind == OpKind::Mmap   ? gen_layout(kind, s, cfg, ch)
                                     : gen_access(kind, s, cfg, ch);
    out.insert(format_op(op));
  }
  return out;
}

//     0123456
//     AAABBAA     <- p0: rw rw rw | rwx rwx | rw rw
// The generator's guess at the VMAs splits on protection, and mprotect aims
// at vma_merge_existing_range: the middle back to its neighbours'
// protection (prev ┃mid┃ next), a tail of A to B's (next grows down over
// part of it), a head of the last A to B's (prev grows up).
TEST(Generator, MprotectAimsAtTheMergesOfExistingRanges) {
  GenState s = state_after({op_mmap("p0", 0, 7, Prot::RW), op_mprotect("p0", 3, 2, Prot::RWX)});
  auto segs = prot_segments(*s.find("p0"), s.window);
  ASSERT_EQ(segs.size(), 3u);
  EXPECT_EQ(segs[1].start, 3u);
  EXPECT_EQ(segs[1].n, 2u);
  EXPECT_EQ(segs[1].prot, Prot::RWX);
  EXPECT_TRUE(segs[0].joined && segs[1].joined && !segs[2].joined);
  auto got = draws(s, OpKind::Mprotect, 300);
  EXPECT_TRUE(got.count("mprotect p0 3 2 rw")) << "the middle";
  EXPECT_TRUE(got.count("mprotect p0 1 2 rwx") || got.count("mprotect p0 2 1 rwx"))
      << "a tail of A";
  EXPECT_TRUE(got.count("mprotect p0 5 1 rwx")) << "the head of the last A";
}

//     0123456
//       AA        <- p0: rw, page 2 written
// mmap lands right beside the faulted VMA with the other writable
// protection (no merge, but anon_vma_compatible), and the first write of
// the new VMA is aimed at the page next to the faulted one: the
// find_mergeable_anon_vma reuse of __anon_vma_prepare.
TEST(Generator, MmapAndWriteAimAtTheNeighbourReuseOfAnonVmaPrepare) {
  GenState s = state_after({op_mmap("p0", 2, 2, Prot::RW), op_write("p0", 2)});
  auto mmaps = draws(s, OpKind::Mmap, 300);
  EXPECT_TRUE(mmaps.count("mmap p0 4 2 rwx")) << "after it";
  EXPECT_TRUE(mmaps.count("mmap p0 0 2 rwx")) << "before it";
  s.apply(op_mmap("p0", 4, 2, Prot::RWX));
  auto writes = draws(s, OpKind::Write, 300);
  bool page4 = false;
  for (const auto& w : writes) page4 = page4 || w.rfind("write p0 4", 0) == 0;
  EXPECT_TRUE(page4);
}

// mremap carries the protection of the pages it moves.
TEST(Generator, StateFollowsProtectionThroughMremap) {
  GenState s = state_after({op_mmap("p0", 0, 2, Prot::RWX), op_mremap("p0", 0, 2, 8, 3)});
  const GenProc& p = *s.find("p0");
  EXPECT_FALSE(p.mapped.test(0));
  EXPECT_EQ(p.prot[8], Prot::RWX);
  EXPECT_EQ(p.prot[10], Prot::RWX);
}

}  // namespace
}  // namespace rmapcheck::props
