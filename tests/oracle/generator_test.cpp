// generator_test.cpp - the oracle's random traces and the shrinker (no kernel needed).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "oracle/random_run.h"
#include "properties/shrink.h"

namespace rmapcheck::oracle {
namespace {
using props::shrink_lines;
using props::well_formed;

// The traces come from the campaign's generator (failalloc off).
TEST(OracleGenerator, SameSeedSameTrace) {
  EXPECT_EQ(print_trace(oracle_random_trace(7, 3, 60)), print_trace(oracle_random_trace(7, 3, 60)));
  EXPECT_NE(print_trace(oracle_random_trace(7, 3, 60)), print_trace(oracle_random_trace(7, 4, 60)));
  EXPECT_NE(print_trace(oracle_random_trace(7, 3, 60)), print_trace(oracle_random_trace(8, 3, 60)));
}

// Every generated op is valid, inside the small window, names a live
// process, and the generated text parses back to the same trace.
TEST(OracleGenerator, TracesAreWellFormedAndParse) {
  for (std::uint64_t k = 0; k < 50; ++k) {
    Trace t = oracle_random_trace(1, k, 80);
    ASSERT_EQ(t.lines.size(), 80u);
    EXPECT_EQ(well_formed(t.lines), t.lines) << print_trace(t);
    for (const TraceLine& l : t.lines) {
      EXPECT_FALSE(op_invalid_reason(l.op)) << format_op(l.op);
      EXPECT_NE(l.op.kind, OpKind::FailAlloc);
      EXPECT_LE(l.op.start + l.op.npages, 16u) << format_op(l.op);
    }
    ParseOutcome p = parse_trace(print_trace(t), "gen");
    ASSERT_TRUE(p.trace) << print_trace(t);
    EXPECT_EQ(*p.trace, t);
  }
}

// Does the trace build a fork chain three deep (a -> b -> c) and exit the
// middle process b while c lives on? The state behind several historical
// bugs (docs/kernel/historical-bugs.md#2015-clone-bookkeeping), which the
// oracle's own stop-gap generator (40-op traces) did not build.
bool exits_a_middle_of_three(const Trace& t) {
  std::map<std::string, std::string> parent;
  std::set<std::string> live{"p0"};
  for (const TraceLine& l : t.lines) {
    if (l.op.kind == OpKind::Fork) {
      parent[l.op.child] = l.op.proc;
      live.insert(l.op.child);
    } else if (l.op.kind == OpKind::Exit) {
      const std::string& b = l.op.proc;
      const bool has_parent = parent.count(b) != 0;
      bool has_live_child = false;
      for (const auto& [c, pc] : parent)
        has_live_child = has_live_child || (pc == b && live.count(c));
      if (has_parent && has_live_child) return true;
      live.erase(b);
    }
  }
  return false;
}

TEST(OracleGenerator, ReachesForkChainsWhoseMiddleExited) {
  int found = 0;
  for (std::uint64_t k = 0; k < 1000; ++k)
    found += exits_a_middle_of_three(oracle_random_trace(1, k, 40));
  EXPECT_GT(found, 10) << "traces of 1000 that exit the middle of a three-deep fork chain";
}

// Removing a fork removes every line of the child it created.
TEST(OracleGenerator, WellFormedDropsLinesOfProcessesThatNeverExisted) {
  std::vector<TraceLine> lines = {{op_mmap("p0", 0, 2, Prot::RW), {}, 0},
                                  {op_write("p1", 0), {}, 0},
                                  {op_exit("p1"), {}, 0},
                                  {op_fork("p0", "p1"), {}, 0},
                                  {op_fork("p0", "p1"), {}, 0}};
  std::vector<TraceLine> out = well_formed(lines);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].op, op_fork("p0", "p1"));
}

// The "bug" needs a write by x1 to page 3 after p0 forked x1: ddmin keeps
// exactly the fork and that write out of 60 lines.
TEST(OracleShrink, FindsTheMinimalWellFormedCore) {
  Trace t = oracle_random_trace(5, 0, 60);
  std::vector<TraceLine> lines = {{op_fork("p0", "x1"), {}, 0}};
  lines.insert(lines.end(), t.lines.begin(), t.lines.end());
  lines.push_back({op_write("x1", 3, 99), {}, 0});
  lines = well_formed(lines);
  auto fails = [](const std::vector<TraceLine>& c) {
    for (const TraceLine& l : c)
      if (l.op == op_write("x1", 3, 99)) return true;
    return false;
  };
  ASSERT_TRUE(fails(lines));
  std::vector<TraceLine> small = shrink_lines(lines, fails);
  ASSERT_EQ(small.size(), 2u) << print_trace(Trace{"", small});
  EXPECT_EQ(small[0].op, op_fork("p0", "x1"));
  EXPECT_EQ(small[1].op, op_write("x1", 3, 99));
}

}  // namespace
}  // namespace rmapcheck::oracle
