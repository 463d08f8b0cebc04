// scenario.cpp - the Scenario fixture (see scenario.h).
#include "scenario.h"

#include <cerrno>
#include <fstream>
#include <limits>

namespace rmapcheck::testing {

std::string engine_param_name(const ::testing::TestParamInfo<EngineKind>& info) {
  return std::string(engine_kind_name(info.param));
}

Result Scenario::apply(const Op& op) {
  Result r = apply_checked(op);
  if (r != Result::error(ESRCH)) {  // keep the history parseable (see run())
    history_ += format_op(op) + "\n";
    ++history_lines_;
  }
  return r;
}

// Every op goes through the one checker (tests/support/checked.h); a test
// that swaps in a fresh engine gets a fresh checker.
Result Scenario::apply_checked(const Op& op, const std::optional<Result>& expect) {
  if (!run_ || run_engine_ != engine_.get()) {
    run_ = std::make_unique<CheckedRun>(std::vector<Engine*>{engine_.get()});
    run_engine_ = engine_.get();
  }
  return run_->apply(op, expect);
}

void Scenario::TearDown() {
  // The exit epilogue, as every driver runs it: each process exits, checked,
  // and nothing may be left. A mutated engine is expected to be broken.
  if (run_ && run_engine_ == engine_.get() && !config_.mutants.any() && !HasFailure())
    run_->finish();
}

std::vector<Result> Scenario::run(std::string_view text) {
  std::vector<Result> results;
  // The parser checks process liveness from the start of a trace, so the
  // text is parsed after everything run so far and only the new lines run.
  const std::string whole = history_ + std::string(text) + "\n";
  ParseOutcome parsed = parse_trace(whole, "<scenario>");
  if (!parsed.trace) {
    for (const Diagnostic& d : parsed.diagnostics) ADD_FAILURE() << d.to_string();
    return results;
  }
  const std::size_t already = history_lines_;
  history_ = whole;
  history_lines_ = parsed.trace->lines.size();
  for (std::size_t i = already; i < parsed.trace->lines.size(); ++i)
    results.push_back(run_line(parsed.trace->lines[i], "<scenario>"));
  return results;
}

// One op of a trace: applied with every invariant checked; its `=> RESULT`,
// if any, must be what the engine returns.
Result Scenario::run_line(const TraceLine& line, std::string_view file) {
  SCOPED_TRACE(std::string(file) + ":" + std::to_string(line.line));
  return apply_checked(line.op, line.expect);
}

std::string scenario_dir() {
  return RMAPCHECK_SCENARIO_DIR;
}

void Scenario::load(std::string_view name) {
  const std::string path = scenario_dir() + "/" + std::string(name) + ".trace";
  ParseOutcome parsed = load_trace_file(path);
  if (!parsed.trace) {
    for (const Diagnostic& d : parsed.diagnostics) ADD_FAILURE() << d.to_string();
    return;
  }
  loaded_ = *parsed.trace;
  loaded_next_ = 0;
  marks_.clear();
  // The marks are comments, which the parser drops: find them in the text.
  std::ifstream in(path);
  std::string text;
  constexpr std::string_view kMark = "# check:";
  for (int n = 1; std::getline(in, text); ++n) {
    if (text.rfind(kMark, 0) != 0) continue;
    std::string label = text.substr(kMark.size());
    label.erase(0, label.find_first_not_of(' '));
    label.erase(label.find_last_not_of(' ') + 1);
    marks_.emplace_back(label, n);
  }
}

void Scenario::run_to(std::string_view label) {
  for (const auto& [name, line] : marks_)
    if (name == label) return run_loaded_below(line);
  ADD_FAILURE() << loaded_.file << ": no line `# check: " << label << "`";
}

void Scenario::run_rest() {
  run_loaded_below(std::numeric_limits<int>::max());
}

void Scenario::run_loaded_below(int source_line) {
  if (loaded_next_ > 0 && loaded_.lines[loaded_next_ - 1].line > source_line)
    ADD_FAILURE() << loaded_.file << ":" << source_line << ": this mark is behind ops already run";
  while (loaded_next_ < loaded_.lines.size() && loaded_.lines[loaded_next_].line < source_line) {
    const TraceLine& line = loaded_.lines[loaded_next_++];
    run_line(line, loaded_.file);
    // The history stays parseable text so run() can continue after a file.
    history_ += format_op(line.op) + "\n";
    ++history_lines_;
  }
}

std::string Scenario::maps(std::string_view proc) const {
  const Snapshot s = snap();
  const SnapProc* p = s.find_proc(proc);
  if (!p) return "<no process>";
  std::string out;
  for (const SnapVma& v : p->vmas) {
    if (!out.empty()) out += ' ';
    out += "[" + std::to_string(v.start) + "," + std::to_string(v.end) + ") " + vma_perms(v.flags);
  }
  return out;
}

SnapVma Scenario::vma(std::string_view proc, Page start) const {
  const Snapshot s = snap();
  if (const SnapProc* p = s.find_proc(proc))
    for (const SnapVma& v : p->vmas)
      if (v.start == start) return v;
  ADD_FAILURE() << "no VMA of " << proc << " starts at " << start;
  return {};
}

std::optional<SnapPte> Scenario::pte(std::string_view proc, Page page) const {
  const Snapshot s = snap();
  if (const SnapProc* p = s.find_proc(proc))
    for (const SnapPte& t : p->ptes)
      if (t.page == page) return t;
  return std::nullopt;
}

std::optional<SnapFolio> Scenario::folio_of(std::string_view proc, Page page) const {
  const Snapshot s = snap();
  auto t = pte(proc, page);
  if (!t || t->kind != SnapPte::Kind::Folio) return std::nullopt;
  if (const SnapFolio* f = s.find_folio(t->folio)) return *f;
  return std::nullopt;
}

const SnapAnonVma& Scenario::anon_vma(const Snapshot& s, SnapId id) const {
  static const SnapAnonVma none;
  if (const SnapAnonVma* a = s.find_anon_vma(id)) return *a;
  ADD_FAILURE() << "no anon_vma #" << id;
  return none;
}

}  // namespace rmapcheck::testing
