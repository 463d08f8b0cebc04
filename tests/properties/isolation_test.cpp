// isolation_test.cpp - run_dual_isolated runs the engines in a child process
// ONLY. Regression: `rmapcheck campaign --mutant ...` segfaulted in the
// report's JSON copy after saving the counterexample, because the failing
// prefix was re-run in the campaign process to rebuild its StepFailure, and
// a mutated impl that frees an anon_vma still in use corrupted the
// campaign's own heap (ASan: heap-use-after-free in the impl, later a crash
// in nlohmann::json). Now the child sends the StepFailure back whole.
#include <gtest/gtest.h>
#include <unistd.h>

#include "fake_engine.h"
#include "properties/harness.h"

namespace rmapcheck::props {
namespace {

// Engines built in THIS process (a forked child has its own copy).
int g_engines_built_here = 0;
pid_t g_test_pid = 0;

EngineFactory counting_factory(bool bug) {
  auto inner = testing::fake_factory(bug);
  return [inner](EngineKind k, const EngineConfig& c) {
    if (getpid() == g_test_pid) ++g_engines_built_here;
    return inner(k, c);
  };
}

std::vector<Op> deep_rmap_ops() {
  // p0 -> a -> b -> c; the fake impl answers rmap wrongly in c (depth 3).
  return {op_fork("p0", "a"), op_fork("a", "b"), op_write("b", 2, 7), op_fork("b", "c"),
          op_rmap("c", 1)};
}

TEST(Isolation, AFailureComesBackWholeWithoutRunningAnEngineHere) {
  g_test_pid = getpid();
  g_engines_built_here = 0;
  DualOutcome out = run_dual_isolated(deep_rmap_ops(), {}, counting_factory(true));
  EXPECT_EQ(g_engines_built_here, 0) << "the calling process ran an engine";
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->kind, StepFailure::Kind::ResultMismatch);
  EXPECT_EQ(out.failure->index, 4u);
  EXPECT_EQ(out.failure->op, op_rmap("c", 1));
  EXPECT_EQ(out.failure->headline(), "op 5 `rmap c 1`: results differ: model {}, impl EINVAL");
  EXPECT_EQ(out.stats.ops, 5u);
  EXPECT_EQ(out.stats.by_kind[static_cast<std::size_t>(OpKind::Fork)], 3u);

  // The same outcome as running the engines in-process (what replay does).
  Trace t;
  for (const auto& op : deep_rmap_ops()) t.lines.push_back({op, {}, 0});
  DualOutcome here = run_dual(t, {}, testing::fake_factory(true));
  ASSERT_TRUE(here.failure);
  EXPECT_EQ(here.failure->describe(), out.failure->describe());
  EXPECT_EQ(here.stats.by_kind, out.stats.by_kind);
}

TEST(Isolation, APassingRunReportsItsStats) {
  g_test_pid = getpid();
  g_engines_built_here = 0;
  DualOutcome out = run_dual_isolated(deep_rmap_ops(), {}, counting_factory(false));
  EXPECT_EQ(g_engines_built_here, 0);
  EXPECT_FALSE(out.failure);
  // The epilogue: every live process exits, in name order.
  EXPECT_EQ(out.epilogue,
            (std::vector<Op>{op_exit("a"), op_exit("b"), op_exit("c"), op_exit("p0")}));
  EXPECT_EQ(out.stats.ops, 9u);
}

// A fake engine that leaks: it reports `leaked` from leaks() once `after`
// ops have run, and keeps a "folio" after its last process exited when
// `keep_after_exit` is set.
class Leaky final : public Engine {
 public:
  Leaky(std::unique_ptr<Engine> inner, std::size_t after, bool keep_after_exit)
      : inner_(std::move(inner)), after_(after), keep_(keep_after_exit) {}
  EngineKind kind() const override { return inner_->kind(); }
  Result apply(const Op& op) override {
    ++n_;
    return inner_->apply(op);
  }
  Snapshot snapshot() const override {
    Snapshot s = inner_->snapshot();
    if (keep_ && s.procs.empty()) s.folios.push_back(SnapFolio{1, 0, 0, 0, false, 0, {}});
    return s;
  }
  const Coverage& coverage() const override { return inner_->coverage(); }
  std::vector<std::string> leaks() const override {
    if (after_ == 0 || n_ < after_) return {};
    return {"impl: anon_vma 0x1 reached by no process"};
  }

 private:
  std::unique_ptr<Engine> inner_;
  std::size_t after_, n_ = 0;
  bool keep_;
};

// The impl leaks after `after` ops (0: never); with keep_after_exit BOTH
// engines keep a folio after the last exit (so their snapshots agree).
EngineFactory leaky_factory(std::size_t after, bool keep_after_exit) {
  return [=](EngineKind k, const EngineConfig& c) -> std::unique_ptr<Engine> {
    auto e = testing::fake_factory(false)(k, c);
    return std::make_unique<Leaky>(std::move(e), k == EngineKind::Impl ? after : 0,
                                   keep_after_exit);
  };
}

// A leak is a failure at the op after which it shows, like a broken invariant.
TEST(Leaks, ALeakAfterAnOpFailsThatOp) {
  DualOutcome out = run_dual_isolated(deep_rmap_ops(), {}, leaky_factory(3, false));
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->kind, StepFailure::Kind::Leak);
  EXPECT_EQ(out.failure->index, 2u);
  EXPECT_EQ(out.failure->engine, "impl");
  EXPECT_EQ(out.failure->headline(),
            "op 3 `write b 2 7`: 1 leaked object(s) in impl, first impl: anon_vma 0x1 reached by "
            "no process");
  EXPECT_TRUE(out.epilogue.empty());
}

// After the last exit of the epilogue nothing may be left, even what
// leaks() does not list; the counterexample then ends with the exits.
TEST(Leaks, AnythingLeftAfterEveryProcessExitedFailsTheLastExit) {
  DualOutcome out = run_dual_isolated(deep_rmap_ops(), {}, leaky_factory(0, true));
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->index, 8u);
  EXPECT_EQ(out.failure->op, op_exit("p0"));
  EXPECT_EQ(out.epilogue.size(), 4u);
  // I-MAPCOUNT (no allocated folio unmapped) names it before the leak check.
  ASSERT_EQ(out.failure->kind, StepFailure::Kind::Invariant) << out.failure->describe();
  EXPECT_EQ(out.failure->violations.at(0).id, InvariantId::Mapcount);
  // Without the epilogue, the trace passes.
  EXPECT_FALSE(run_dual_isolated(deep_rmap_ops(), {}, leaky_factory(0, true), 60, false).failure);
}

// An engine that crashes is blamed at the op it was running.
TEST(Isolation, ACrashIsAnEngineFaultAtItsOp) {
  auto crashing = [](EngineKind k, const EngineConfig& c) -> std::unique_ptr<Engine> {
    struct Crasher final : Engine {
      std::unique_ptr<Engine> inner;
      explicit Crasher(std::unique_ptr<Engine> e) : inner(std::move(e)) {}
      EngineKind kind() const override { return inner->kind(); }
      Result apply(const Op& op) override {
        if (op.kind == OpKind::Rmap) _exit(86);  // dies without unwinding
        return inner->apply(op);
      }
      Snapshot snapshot() const override { return inner->snapshot(); }
      const Coverage& coverage() const override { return inner->coverage(); }
    };
    auto e = testing::fake_factory(false)(k, c);
    if (k == EngineKind::Impl) return std::make_unique<Crasher>(std::move(e));
    return e;
  };
  DualOutcome out = run_dual_isolated(deep_rmap_ops(), {}, crashing);
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->kind, StepFailure::Kind::EngineFault);
  EXPECT_EQ(out.failure->index, 4u);
  EXPECT_EQ(out.failure->engine, "impl");
  EXPECT_EQ(out.failure->message, "the checking process exited with status 86");
}

}  // namespace
}  // namespace rmapcheck::props
