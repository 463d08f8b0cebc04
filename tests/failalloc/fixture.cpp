// fixture.cpp - the FailScenario fixture (see fixture.h).
#include "fixture.h"

#include "rmapcheck/invariants.h"
#include "rmapcheck/trace.h"

namespace rmapcheck::failalloc_testing {

std::string engine_param_name(const ::testing::TestParamInfo<EngineKind>& info) {
  return std::string(engine_kind_name(info.param));
}

namespace {

// Applies one op with every check: invariants, the transition, no leak.
Result apply_checked(Engine& e, const Op& op) {
  const Snapshot before = e.snapshot();
  const Result r = e.apply(op);
  const Snapshot after = e.snapshot();
  for (const Violation& v : check_invariants(after))
    ADD_FAILURE() << "after `" << format_op(op) << "`: " << v.to_string() << "\n"
                  << format_snapshot(after);
  for (const Violation& v : check_transition(before, op, after))
    ADD_FAILURE() << "after `" << format_op(op) << "`: " << v.to_string();
  for (const std::string& leak : e.leaks())
    ADD_FAILURE() << "after `" << format_op(op) << "`: leak: " << leak;
  return r;
}

}  // namespace

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
    const Result r = apply_checked(*engine_, line.op);
    if (line.expect) {
      EXPECT_EQ(format_result(r), format_result(*line.expect))
          << "line " << line.line << ": " << format_op(line.op);
    }
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

void FailScenario::exit_all() {
  const Snapshot s = engine_->snapshot();
  for (const SnapProc& p : s.procs) {
    const Result r = apply_checked(*engine_, op_exit(p.name));
    EXPECT_EQ(r, Result::ok());
    history_ += "exit " + p.name + "\n";
  }
  EXPECT_TRUE(engine_->snapshot().procs.empty());
  // No live process: every object still held would be listed.
  EXPECT_EQ(engine_->leaks(), std::vector<std::string>{});
}

void FailScenario::TearDown() {
  if (::testing::Test::HasFatalFailure()) return;
  exit_all();
}

}  // namespace rmapcheck::failalloc_testing
