// checker_test.cpp - the one checker's order of checks, on scripted lanes.
//
// A Scripted lane is a real engine (the model) with one thing made wrong on
// request: a result, the state, a leak, a fault, an op it cannot run, or
// what it shows. Each test states which check must catch it, and that the
// checks before it passed.
#include "rmapcheck/checker.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "rmapcheck/trace.h"

namespace rmapcheck {
namespace {

struct Script {
  std::function<void(const Op&, Result&)> result;  // rewrite the result
  std::function<void(Snapshot&)> state;            // rewrite the state
  std::vector<std::string> leaks;
  bool fault = false;
  bool unsupported_failalloc = false;
  EngineKind kind = EngineKind::Impl;
};

class Scripted final : public Engine {
 public:
  explicit Scripted(Script s) : inner_(make_engine(EngineKind::Model)), s_(std::move(s)) {}
  EngineKind kind() const override { return s_.kind; }
  const Coverage& coverage() const override { return inner_->coverage(); }
  Result apply(const Op& op) override {
    if (s_.unsupported_failalloc && op.kind == OpKind::FailAlloc)
      throw LaneUnsupported("cannot fail one allocation");
    if (s_.fault) throw EngineFault("pool: use after free of anon_vma");
    Result r = inner_->apply(op);
    if (s_.result) s_.result(op, r);
    return r;
  }
  Snapshot snapshot() const override {
    Snapshot s = inner_->snapshot();
    if (s_.state) s_.state(s);
    return s;
  }
  std::vector<std::string> leaks() const override { return s_.leaks; }
  Script& script() { return s_; }

 private:
  std::unique_ptr<Engine> inner_;
  Script s_;
};

std::vector<std::unique_ptr<Engine>> lanes(Script other) {
  std::vector<std::unique_ptr<Engine>> v;
  v.push_back(make_engine(EngineKind::Model));
  v.push_back(std::make_unique<Scripted>(std::move(other)));
  return v;
}

const Op kMmap = op_mmap("p0", 0, 2, Prot::RW);
const Op kWrite = op_write("p0", 0, 7);

TEST(Checker, AgreeingLanesPassEveryCheckAndTheEpilogue) {
  Checker c(lanes({}));
  EXPECT_FALSE(c.step(kMmap));
  EXPECT_FALSE(c.step(kWrite, Result::ok()));
  std::vector<Op> exits;
  EXPECT_FALSE(c.finish(exits));
  EXPECT_EQ(exits, std::vector<Op>{op_exit("p0")});
  EXPECT_TRUE(c.state(0).procs.empty());
  EXPECT_EQ(c.stats().ops, 3u);
}

TEST(Checker, ADifferentResultIsCaughtFirst) {
  Script s;
  s.result = [](const Op& op, Result& r) {
    if (op.kind == OpKind::Write) r = Result::error(ENOMEM);
  };
  s.state = [](Snapshot& st) { st.procs.clear(); };  // also wrong, but later in the order
  Checker c(lanes(s));
  auto f = c.step(kMmap);
  ASSERT_TRUE(f);  // the state is wrong from the first op
  EXPECT_EQ(f->kind, CheckFailure::Kind::SnapshotMismatch);
  Checker d(lanes([] {
    Script t;
    t.result = [](const Op& op, Result& r) {
      if (op.kind == OpKind::Write) r = Result::error(ENOMEM);
    };
    return t;
  }()));
  EXPECT_FALSE(d.step(kMmap));
  f = d.step(kWrite);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, CheckFailure::Kind::ResultMismatch);
  EXPECT_EQ(f->engine, "model and impl");
  EXPECT_EQ(f->results, (std::vector<Result>{Result::ok(), Result::error(ENOMEM)}));
  EXPECT_NE(f->headline().find("model 0, impl ENOMEM"), std::string::npos) << f->headline();
}

TEST(Checker, TheLinesExpectationIsCheckedWhenTheLanesAgree) {
  Checker c(lanes({}));
  EXPECT_FALSE(c.step(kMmap));
  auto f = c.step(kWrite, Result::error(EFAULT));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, CheckFailure::Kind::UnexpectedResult);
  EXPECT_EQ(*f->expected, Result::error(EFAULT));
}

TEST(Checker, ADifferentStateGivesADiff) {
  Script s;
  s.state = [](Snapshot& st) {
    for (SnapProc& p : st.procs)
      for (SnapVma& v : p.vmas) v.pgoff += 1;
  };
  Checker c(lanes(s));
  auto f = c.step(kMmap);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, CheckFailure::Kind::SnapshotMismatch);
  EXPECT_NE(f->diff.find("--- model"), std::string::npos) << f->diff;
  EXPECT_NE(f->diff.find("+++ impl"), std::string::npos) << f->diff;
}

// Both lanes in the same broken state: no diff, the invariant names it once
// for both.
TEST(Checker, AnInvariantBrokenOnEveryLaneIsReportedOnce) {
  std::vector<std::unique_ptr<Engine>> v;
  Script wrong;
  wrong.state = [](Snapshot& st) {
    for (SnapAnonVma& a : st.anon_vmas) a.num_active_vmas += 1;
  };
  wrong.kind = EngineKind::Model;
  v.push_back(std::make_unique<Scripted>(wrong));
  wrong.kind = EngineKind::Impl;
  v.push_back(std::make_unique<Scripted>(wrong));
  Checker c(std::move(v));
  EXPECT_FALSE(c.step(kMmap));
  auto f = c.step(kWrite);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, CheckFailure::Kind::Invariant);
  EXPECT_EQ(f->engine, "model and impl");
  ASSERT_FALSE(f->violations.empty());
  EXPECT_EQ(f->violations[0].id, InvariantId::Active);
}

TEST(Checker, ALeakIsAFailureAfterTheOp) {
  Script s;
  s.leaks = {"impl: anon_vma #9 (refcount 1) reached by no process"};
  Checker c(lanes(s));
  auto f = c.step(kMmap);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, CheckFailure::Kind::Leak);
  EXPECT_EQ(f->engine, "impl");
}

// After the last exit nothing may be left, even what leaks() does not list:
// a folio left over is named by I-MAPCOUNT first (allocated, mapped by no
// PTE), and the leak check after it is the backstop.
TEST(Checker, NothingMayBeLeftAfterTheLastExit) {
  std::vector<std::unique_ptr<Engine>> v;
  Script s;
  s.kind = EngineKind::Model;
  s.state = [](Snapshot& st) {
    if (st.procs.empty()) st.folios.push_back(SnapFolio{1, 0, 0, 0, false, 0, {}});
  };
  v.push_back(std::make_unique<Scripted>(s));
  Checker c(std::move(v));
  EXPECT_FALSE(c.step(kMmap));
  std::vector<Op> exits;
  auto f = c.finish(exits);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, CheckFailure::Kind::Invariant);
  EXPECT_EQ(f->violations.at(0).id, InvariantId::Mapcount);
  EXPECT_EQ(exits, std::vector<Op>{op_exit("p0")});
}

TEST(Checker, AFaultNamesTheLane) {
  Script s;
  s.fault = true;
  Checker c(lanes(s));
  auto f = c.step(kMmap);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, CheckFailure::Kind::EngineFault);
  EXPECT_EQ(f->engine, "impl");
  EXPECT_EQ(f->message, "pool: use after free of anon_vma");
}

// A lane that cannot run an op stops being compared; the others go on.
TEST(Checker, AnUnsupportedOpStopsOnlyThatLane) {
  Script s;
  s.unsupported_failalloc = true;
  s.kind = EngineKind::Kernel;
  Checker c(lanes(s));
  EXPECT_FALSE(c.step(kMmap));
  EXPECT_FALSE(c.step(op_failalloc(AllocSite::Folio, 1)));
  ASSERT_TRUE(c.stopped(1));
  EXPECT_EQ(c.stopped_at(1), 1u);
  EXPECT_FALSE(c.step(kWrite));  // the model goes on alone
  EXPECT_TRUE(c.any_stopped());
}

// A lane that shows less is compared on what both show, and only there.
TEST(Checker, ALaneThatShowsLessIsComparedOnWhatItShows) {
  Script s;
  s.kind = EngineKind::Kernel;
  s.state = [](Snapshot& st) {
    st.visible = Visibility{static_cast<std::uint32_t>(Shown::Forest)};
    for (SnapProc& p : st.procs)
      for (SnapPte& pte : p.ptes) pte.writable = !pte.writable;  // not shown: not compared
  };
  Checker c(lanes(s));
  EXPECT_FALSE(c.step(kMmap));
  EXPECT_FALSE(c.step(kWrite));
  Script t = s;
  t.state = [](Snapshot& st) {
    st.visible = Visibility{static_cast<std::uint32_t>(Shown::Forest)};
    for (SnapProc& p : st.procs) p.ptes.clear();  // shown: compared
  };
  Checker d(lanes(t));
  EXPECT_FALSE(d.step(kMmap));
  auto f = d.step(kWrite);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, CheckFailure::Kind::SnapshotMismatch);
}

TEST(Checker, LaneListsParse) {
  std::string err;
  EXPECT_EQ(*parse_lane_list("both", err),
            (std::vector<EngineKind>{EngineKind::Model, EngineKind::Impl}));
  EXPECT_EQ(*parse_lane_list("kernel,model", err),
            (std::vector<EngineKind>{EngineKind::Kernel, EngineKind::Model}));
  EXPECT_FALSE(parse_lane_list("model,,impl", err));
  EXPECT_FALSE(parse_lane_list("impl,impl", err));
  EXPECT_EQ(err, "lane 'impl' named twice");
}

}  // namespace
}  // namespace rmapcheck
