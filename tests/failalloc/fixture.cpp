// fixture.cpp - the FailScenario fixture (see fixture.h).
#include "fixture.h"

#include "rmapcheck/invariants.h"
#include "rmapcheck/trace.h"

namespace rmapcheck::failalloc_testing {

std::string engine_param_name(const ::testing::TestParamInfo<EngineKind>& info) {
  return std::string(engine_kind_name(info.param));
}

// Every op goes through the one checker (tests/support/checked.h).
// A test that swaps in a fresh engine gets a fresh checker.
testing::CheckedRun& FailScenario::checked() {
  if (!run_ || run_engine_ != engine_.get()) {
    run_ = std::make_unique<testing::CheckedRun>(std::vector<Engine*>{engine_.get()});
    run_engine_ = engine_.get();
  }
  return *run_;
}

Result FailScenario::apply_checked(const Op& op, const std::optional<Result>& expect) {
  return checked().apply(op, expect);
}

void FailScenario::run(std::string_view text) {
  const std::string whole = history_ + std::string(text) + "\n";
  const std::size_t already =
      history_.empty() ? 0 : parse_trace(history_, "<history>").trace->lines.size();
  ParseOutcome parsed = parse_trace(whole, "<scenario>");
  if (!parsed.trace) {
    for (const Diagnostic& d : parsed.diagnostics) ADD_FAILURE() << d.to_string();
    return;
  }
  history_ = whole;
  for (std::size_t i = already; i < parsed.trace->lines.size(); ++i) {
    const TraceLine& line = parsed.trace->lines[i];
    SCOPED_TRACE("line " + std::to_string(line.line));
    apply_checked(line.op, line.expect);
  }
}

std::optional<SnapPte> FailScenario::pte(std::string_view proc, Page page) const {
  const Snapshot s = engine_->snapshot();
  if (const SnapProc* p = s.find_proc(proc))
    for (const SnapPte& t : p->ptes)
      if (t.page == page) return t;
  return std::nullopt;
}

std::optional<SnapFolio> FailScenario::folio_of(std::string_view proc, Page page) const {
  const std::optional<SnapPte> t = pte(proc, page);
  if (!t || t->kind != SnapPte::Kind::Folio) return std::nullopt;
  const Snapshot s = engine_->snapshot();
  if (const SnapFolio* f = s.find_folio(t->folio)) return *f;
  return std::nullopt;
}

void FailScenario::same_as_without_failures() const {
  ParseOutcome parsed = parse_trace(history_, "<history>");
  ASSERT_TRUE(parsed.trace.has_value());
  auto fresh = make_engine(GetParam());
  for (const TraceLine& line : parsed.trace->lines)
    if (line.op.kind != OpKind::FailAlloc) fresh->apply(line.op);
  const Snapshot want = fresh->snapshot();
  const Snapshot got = engine_->snapshot();
  EXPECT_EQ(got, want) << diff_snapshots(got, want, "with failures", "without");
}

// The checker's exit epilogue: every process exits, checked, and nothing
// may be left.
void FailScenario::exit_all() {
  for (const SnapProc& p : engine_->snapshot().procs) history_ += "exit " + p.name + "\n";
  checked().finish();
  EXPECT_TRUE(engine_->snapshot().procs.empty());
}

void FailScenario::TearDown() {
  if (::testing::Test::HasFatalFailure()) return;
  exit_all();
}

}  // namespace rmapcheck::failalloc_testing
