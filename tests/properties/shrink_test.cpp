// shrink_test.cpp - the harness and the RapidCheck shrinker, against a fake
// engine pair with one planted bug (fake_engine.h), so these run before (and
// independently of) the model and the impl.
#include <gtest/gtest.h>

#include "fake_engine.h"
#include "properties/case_runner.h"

namespace rmapcheck::props {
namespace {

PropertyConfig fake_config(bool bug) {
  PropertyConfig pc;
  pc.factory = testing::fake_factory(bug);
  pc.search_budget = 0;  // the search runs the real engines, which have no fake bug
  pc.max_ops = 60;
  return pc;
}

TEST(Harness, StopsAtTheFirstOpWhereTheEnginesDiffer) {
  // p0 -> a -> b -> c: the fake impl answers rmap wrongly in c only.
  auto t =
      parse_trace("fork p0 a\nrmap a 1\nfork a b\nfork b c\nrmap b 1\nrmap c 1\nrmap c 2\n", "t");
  ASSERT_TRUE(t.trace);
  auto out = run_dual(*t.trace, {}, testing::fake_factory(true));
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->index, 5u);
  EXPECT_EQ(out.failure->kind, StepFailure::Kind::ResultMismatch);
  EXPECT_EQ(out.failure->headline(), "op 6 `rmap c 1`: results differ: model {}, impl EINVAL");
  EXPECT_EQ(out.stats.ops, 6u);
  EXPECT_FALSE(run_dual(*t.trace, {}, testing::fake_factory(false)).failure);
}

TEST(Shrinking, ACleanEnginePairPassesAndCountsItsOps) {
  auto out = run_case(fake_config(false), 7);
  EXPECT_FALSE(out.failed) << out.rc_message;
  EXPECT_GT(out.stats.ops, 0u);
  EXPECT_LE(out.stats.ops, 60u + 6u);  // + the epilogue: an exit per live process (max_live 6)
}

// Random cases find the planted bug, and shrinking leaves exactly the four
// ops that reach it:  fork p0 A; fork A B; fork B C; rmap C PAGE.
TEST(Shrinking, ShrinksToTheMinimalTraceAndReproducesFromTheString) {
  PropertyConfig pc = fake_config(true);
  std::optional<CaseOutcome> found;
  for (std::uint64_t i = 0; i < 200 && !found; ++i) {
    auto out = run_case(pc, mix_seed(1, i));
    if (out.failed) found = out;
  }
  ASSERT_TRUE(found) << "200 cases missed a depth-3 rmap";
  ASSERT_TRUE(found->failure) << found->rc_message;
  ASSERT_EQ(found->shrunk.lines.size(), 4u) << print_trace(found->shrunk);
  EXPECT_EQ(found->shrunk.lines[0].op.kind, OpKind::Fork);
  EXPECT_EQ(found->shrunk.lines[3].op.kind, OpKind::Rmap);
  EXPECT_EQ(found->failure->index, 3u);
  EXPECT_GE(found->original_length, 4u);
  EXPECT_FALSE(found->reproduce.empty());

  // The printed trace replays to the same failure without RapidCheck.
  auto reparsed = parse_trace(print_trace(found->shrunk), "shrunk");
  ASSERT_TRUE(reparsed.trace);
  auto replay = run_dual(*reparsed.trace, {}, pc.factory);
  ASSERT_TRUE(replay.failure);
  EXPECT_EQ(replay.failure->headline(), found->failure->headline());

  // The reproduce string yields the same minimal case.
  std::string error;
  auto again = reproduce_case(pc, found->reproduce, error);
  ASSERT_TRUE(again) << error;
  EXPECT_EQ(print_trace(again->shrunk), print_trace(found->shrunk));
  EXPECT_FALSE(reproduce_case(pc, "not-a-reproduce-string", error));
  EXPECT_FALSE(error.empty());
}

TEST(Shrinking, SameSeedSameCase) {
  PropertyConfig pc = fake_config(true);
  for (std::uint64_t i = 0; i < 6; ++i) {
    auto a = run_case(pc, mix_seed(9, i)), b = run_case(pc, mix_seed(9, i));
    EXPECT_EQ(a.failed, b.failed);
    EXPECT_EQ(a.stats.ops, b.stats.ops);
    EXPECT_EQ(a.stats.by_kind, b.stats.by_kind);
    EXPECT_EQ(print_trace(a.shrunk), print_trace(b.shrunk));
  }
}

}  // namespace
}  // namespace rmapcheck::props
