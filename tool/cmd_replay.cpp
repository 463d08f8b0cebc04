// cmd_replay.cpp - `rmapcheck replay FILE...`: run traces and check everything.
//
// Every trace runs through the one checker (rmapcheck/checker.h) on the
// lanes --engine names: model, impl, kernel (the live kernel, through the
// oracle), any subset in any order, or `both` for model,impl. After every
// op the checker compares results (and the line's `=> RESULT`) and states,
// checks every invariant and leaks; after the last line it runs the exit
// epilogue (every live process exits, checked, and nothing may be left),
// exactly as a campaign checks the case that found a counterexample. The
// first failure stops its trace; the other traces still run.
//
// Output: each line with its result ("  12  write p1 3 7  => 0"), failures
// as "file:line: ...", then one summary line. --step adds the full state
// after each op, --maps prints only the final VMAs (before the epilogue),
// --pages only the final PTEs (zero page, folio or swap entry, per page),
// --quiet only failures and the summary. Exit (README.md#exit-codes, the
// same codes and precedence as `oracle`): 0 all passed, 1 a check failed,
// 2 usage or input error, 4 every check passed but a lane (the kernel at a
// `failalloc`) was not compared to the end of some trace, 77 the kernel
// lane cannot run here (not root, not Linux).
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "command.h"
#include "oracle/oracle.h"
#include "rmapcheck/checker.h"
#include "rmapcheck/engine.h"
#include "rmapcheck/invariants.h"
#include "rmapcheck/progress.h"
#include "rmapcheck/trace.h"

namespace rmapcheck::tool {
namespace replay_cmd {
namespace {

// Not compared to the end: as `oracle` says it (cmd_oracle.cpp).
constexpr int kExitPartial = 4;

struct ReplayOptions {
  std::vector<std::string> files;
  std::string engine = "model";
  bool step = false;
  bool maps = false;
  bool pages = false;
  bool quiet = false;
  std::vector<std::string> mutants;  // impl only
  EngineConfig impl_config;          // built from `mutants`
  std::vector<EngineKind> lanes;     // from `engine`

  // --maps or --pages: only the final state's lines are printed.
  bool final_only() const { return maps || pages; }
};

std::string indent(const std::string& text, std::string_view prefix) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::size_t end = nl == std::string::npos ? text.size() : nl;
    out += prefix;
    out.append(text, pos, end - pos);
    out += '\n';
    pos = end + 1;
  }
  return out;
}

// The failure as replay prints it: "file:line: ..." lines, each ending in '\n'.
std::string describe_failure(const CheckFailure& f, const std::string& where) {
  const std::string op = format_op(f.op);
  switch (f.kind) {
    case CheckFailure::Kind::EngineFault:
      return fmt::format("{}: {} engine fault after '{}': {}\n", where, f.engine, op, f.message);
    case CheckFailure::Kind::ResultMismatch: {
      std::string results;
      for (std::size_t i = 0; i < f.results.size(); ++i)
        results += fmt::format("{}{} {}", i ? ", " : "", f.lanes[i], format_result(f.results[i]));
      return fmt::format("{}: {} return different results for '{}': {}\n", where, f.engine, op,
                         results);
    }
    case CheckFailure::Kind::UnexpectedResult:
      return fmt::format("{}: unexpected result of '{}': got {}, expected {}\n", where, op,
                         format_result(f.results.front()), format_result(*f.expected));
    case CheckFailure::Kind::SnapshotMismatch: {
      std::string out = fmt::format("{}: {} states differ after '{}':\n{}", where, f.engine, op,
                                    indent(f.diff, "    "));
      for (const Violation& v : f.violations)
        out += fmt::format("{}: {} after '{}': {}\n", where, f.other, op, v.to_string());
      return out;
    }
    case CheckFailure::Kind::Invariant: {
      std::string out;
      for (const Violation& v : f.violations)
        out += fmt::format("{}: {} after '{}': {}\n", where, f.engine, op, v.to_string());
      return out;
    }
    case CheckFailure::Kind::Leak: {
      std::string out;
      for (const std::string& leak : f.leaks)
        out += fmt::format("{}: {} after '{}': leak: {}\n", where, f.engine, op, leak);
      return out;
    }
  }
  return where + ": " + f.headline() + "\n";
}

class Replayer {
 public:
  Replayer(const ReplayOptions& o, const oracle::Oracle* kernel, Progress& progress)
      : opt_(o), kernel_(kernel), progress_(progress) {}

  std::size_t ops_run() const { return ops_; }
  std::size_t partial() const { return partial_; }

  // 0 passed, 1 a check failed. Lanes are made fresh for every trace.
  int run(const Trace& t) {
    if (!opt_.quiet && !opt_.final_only() && opt_.files.size() > 1)
      fmt::print("==> {} <==\n", t.file);
    std::vector<std::unique_ptr<Engine>> engines;
    for (EngineKind k : opt_.lanes) {
      if (k == EngineKind::Kernel) {
        engines.push_back(kernel_->kernel_lane());
      } else {
        engines.push_back(
            make_engine(k, k == EngineKind::Impl ? opt_.impl_config : EngineConfig{}));
      }
    }
    Checker checker(std::move(engines));
    for (const TraceLine& tl : t.lines) {
      ++ops_;
      progress_.update(ops_);
      const std::string op_text = format_op(tl.op);
      std::optional<CheckFailure> f = checker.step(tl.op, tl.expect);
      print_line(tl.line, op_text, checker, f);
      if (f) {
        progress_.clear();
        fmt::print("{}", describe_failure(*f, fmt::format("{}:{}", t.file, tl.line)));
        if (opt_.step) print_state(checker.engine(0).snapshot());
        return 1;
      }
      if (opt_.step) print_state(checker.state(0));
    }
    if (opt_.final_only()) {
      if (opt_.files.size() > 1) fmt::print("==> {} <==\n", t.file);
      const Snapshot& last = checker.state(0);
      fmt::print("{}", opt_.maps ? format_maps(last) : format_pages(last));
    }
    // The epilogue: every live process exits, checked; nothing may be left.
    std::vector<Op> exits;
    std::optional<CheckFailure> f = checker.finish(exits);
    ops_ += exits.size();
    if (!opt_.quiet && !opt_.final_only()) {
      for (const Op& e : exits) fmt::print("   -  {}  (exit epilogue)\n", format_op(e));
    }
    if (f) {
      fmt::print("{}", describe_failure(*f, fmt::format("{}: end of trace", t.file)));
      return 1;
    }
    for (std::size_t i = 0; i < checker.lanes(); ++i) {
      if (!checker.stopped(i)) continue;
      ++partial_;
      fmt::print("{}: {} not compared from op {} on: {}\n", t.file, checker.name(i),
                 checker.stopped_at(i) + 1, *checker.stopped(i));
    }
    return 0;
  }

 private:
  void print_line(int line, const std::string& op_text, const Checker& c,
                  const std::optional<CheckFailure>& f) const {
    if (opt_.quiet || opt_.final_only()) return;
    std::string result;
    if (f && f->kind == CheckFailure::Kind::EngineFault) {
      result = "(engine fault)";
    } else if (f && f->kind == CheckFailure::Kind::ResultMismatch) {
      for (std::size_t i = 0; i < f->results.size(); ++i)
        result += fmt::format("{}{} {}", i ? ", " : "", f->lanes[i], format_result(f->results[i]));
    } else {
      result = format_result(c.result(0));
    }
    fmt::print("{:>4}  {}  => {}\n", line, op_text, result);
  }

  void print_state(const Snapshot& s) const {
    fmt::print("{}\n", indent(format_snapshot(s), "      "));
  }

  const ReplayOptions& opt_;
  const oracle::Oracle* kernel_;  // makes kernel lanes; null without one
  Progress& progress_;
  std::size_t ops_ = 0;
  std::size_t partial_ = 0;
};

int run_replay(ReplayOptions& opt) {
  // Mutants switch historical bugs back on in the impl; the model is the spec.
  for (const std::string& name : opt.mutants) {
    auto m = mutant_from_name(name);
    if (!m) {
      std::string known;
      for (const MutantInfo& info : all_mutants()) known += fmt::format(" {}", info.name);
      fmt::print(stderr, "rmapcheck replay: unknown mutant '{}' (known:{})\n", name, known);
      return 2;
    }
    opt.impl_config.mutants.set(*m);
  }
  std::string lane_error;
  std::optional<std::vector<EngineKind>> lanes = parse_lane_list(opt.engine, lane_error);
  if (!lanes) {
    fmt::print(stderr, "rmapcheck replay: --engine {}: {}\n", opt.engine, lane_error);
    return 2;
  }
  opt.lanes = *lanes;
  const auto has = [&](EngineKind k) {
    return std::find(opt.lanes.begin(), opt.lanes.end(), k) != opt.lanes.end();
  };
  if (!opt.mutants.empty() && !has(EngineKind::Impl)) {
    fmt::print(stderr,
               "rmapcheck replay: --mutant applies to the impl: use --engine impl or both\n");
    return 2;
  }
  // Input errors first: a bad trace anywhere means nothing runs (exit 2).
  std::vector<Trace> traces;
  bool bad_input = false;
  for (const std::string& file : opt.files) {
    ParseOutcome p = load_trace_file(file);
    for (const Diagnostic& d : p.diagnostics) fmt::print(stderr, "{}\n", d.to_string());
    if (p.trace)
      traces.push_back(std::move(*p.trace));
    else
      bad_input = true;
  }
  if (bad_input) return 2;
  // The kernel lane runs the trace in real processes: root, Linux 6.11+.
  std::unique_ptr<oracle::Oracle> kernel;
  if (has(EngineKind::Kernel)) {
    try {
      kernel = std::make_unique<oracle::Oracle>(oracle::OracleOptions{});
    } catch (const oracle::OracleSetupError& e) {
      fmt::print(stderr, "rmapcheck replay: skipped: the kernel lane cannot run here: {}\n",
                 e.what());
      return 77;
    }
  }
  // Progress of a long replay, on stderr: when each op is not printed to a
  // terminal anyway, and only after the first second.
  ProgressConfig pc;
  pc.label = "replay";
  pc.unit = "ops";
  pc.total = 0;
  for (const Trace& t : traces) *pc.total += t.lines.size();
  pc.ops_unit = "";
  pc.delay = 1;
  const bool lines_on_terminal = !opt.quiet && !opt.final_only() && isatty(STDOUT_FILENO) != 0;
  pc.style = lines_on_terminal ? ProgressStyle::Off : progress_style_for_stderr();
  Progress progress(pc);
  Replayer replayer(opt, kernel.get(), progress);
  int failed = 0;
  for (const Trace& t : traces) failed += replayer.run(t);
  progress.finish();
  const auto total = traces.size();
  if (!opt.final_only() || failed) {
    std::string summary =
        fmt::format("replay ({}): {} trace{}, {} operation{}: ", opt.engine, total,
                    total == 1 ? "" : "s", replayer.ops_run(), replayer.ops_run() == 1 ? "" : "s");
    if (failed == 0 && replayer.partial() == 0)
      summary += "all checks passed";
    else if (failed == 0)
      summary +=
          fmt::format("all checks passed, but {} trace{} not compared to the end on every lane",
                      replayer.partial(), replayer.partial() == 1 ? " was" : "s were");
    else
      summary +=
          fmt::format("{} passed, {} failed", total - static_cast<std::size_t>(failed), failed);
    fmt::print("{}\n", summary);
  }
  if (failed) return 1;
  return replayer.partial() ? kExitPartial : 0;
}

CommandRun setup_replay(CLI::App& sub) {
  auto opt = std::make_shared<ReplayOptions>();
  sub.add_option("files", opt->files, "trace files (the trace language: docs/trace-language.md)")
      ->required();
  sub.add_option(
      "--engine", opt->engine,
      "lanes in lock-step: model, impl, kernel (the live kernel, root), any\n"
      "comma-separated subset (model,impl,kernel), or both = model,impl (default model)");
  auto* step = sub.add_flag("--step", opt->step, "print the full state after each operation");
  auto* maps =
      sub.add_flag("--maps", opt->maps, "print only the final VMAs (PROC START-END PERMS ...)");
  auto* pages =
      sub.add_flag("--pages", opt->pages,
                   "print only the final PTEs, one per page: PROC PAGE zero|folio|swap ...");
  auto* quiet = sub.add_flag("--quiet", opt->quiet, "print only failures and a summary line");
  sub.add_option("--mutant", opt->mutants,
                 "switch a historical bug on in the impl (repeatable; see docs/mutants.md)");
  maps->excludes(step);
  pages->excludes(step);
  pages->excludes(maps);
  quiet->excludes(step);
  return [opt]() {
    std::fflush(stdout);
    int rc = run_replay(*opt);
    std::fflush(stdout);
    return rc;
  };
}

const CommandRegistrar reg{"replay", "Run traces on an engine, checking results and invariants",
                           &setup_replay};

}  // namespace
}  // namespace replay_cmd
}  // namespace rmapcheck::tool
