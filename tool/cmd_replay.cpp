// cmd_replay.cpp - `rmapcheck replay FILE...`: run traces and check everything.
//
// For every operation of every trace, on one engine (model or impl) or on
// both side by side:
//   1. apply the op (an EngineFault is a failure of that line);
//   2. with --engine both: the results and the canonical snapshots must be
//      equal; if not, print a line diff labelled model/impl;
//   3. the result must equal the line's `=> RESULT`, if it states one;
//   4. every state invariant holds on the new snapshot (check_invariants)
//      and the transition invariants hold between the old and the new one;
//   5. the engine holds nothing no live process reaches (Engine::leaks()).
// The first line that fails stops its trace; the other traces still run.
//
// Output: each line with its result ("  12  write p1 3 7  => 0"), failures
// as "file:line: ...", then one summary line. --step adds the full state
// after each op, --maps prints only the final VMAs, --quiet only failures
// and the summary. Exit: 0 all passed, 1 a check failed, 2 usage or input
// error (bad trace, unreadable file, engine not built).
#include <fmt/core.h>

#include <memory>
#include <string>
#include <vector>

#include "command.h"
#include "rmapcheck/engine.h"
#include "rmapcheck/invariants.h"
#include "rmapcheck/trace.h"

namespace rmapcheck::tool {
namespace {

struct ReplayOptions {
  std::vector<std::string> files;
  std::string engine = "model";
  bool step = false;
  bool maps = false;
  bool quiet = false;
  std::vector<std::string> mutants;  // impl only
  EngineConfig impl_config;          // built from `mutants`
};

// One engine running the trace, with the snapshot before the current op.
struct Lane {
  EngineKind kind;
  std::unique_ptr<Engine> engine;
  Snapshot before;
  Result result;
};

std::vector<EngineKind> engine_kinds(const std::string& name) {
  if (name == "model") return {EngineKind::Model};
  if (name == "impl") return {EngineKind::Impl};
  return {EngineKind::Model, EngineKind::Impl};
}

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

class Replayer {
 public:
  explicit Replayer(const ReplayOptions& o) : opt_(o) {}

  std::size_t ops_run() const { return ops_; }

  // 0 passed, 1 a check failed. Engines are made fresh for every trace.
  int run(const Trace& t) {
    if (!opt_.quiet && !opt_.maps && opt_.files.size() > 1) fmt::print("==> {} <==\n", t.file);
    std::vector<Lane> lanes;
    for (EngineKind k : engine_kinds(opt_.engine)) {
      Lane lane{
          k, make_engine(k, k == EngineKind::Impl ? opt_.impl_config : EngineConfig{}), {}, {}};
      lane.before = lane.engine->snapshot();
      lanes.push_back(std::move(lane));
    }
    for (const TraceLine& tl : t.lines) {
      ++ops_;
      std::vector<std::string> failures = step(t, tl, lanes);
      if (!failures.empty()) {
        for (const std::string& f : failures) fmt::print("{}", f);
        return 1;
      }
    }
    if (opt_.maps) {
      if (opt_.files.size() > 1) fmt::print("==> {} <==\n", t.file);
      fmt::print("{}", format_maps(lanes.front().before));
    }
    return 0;
  }

 private:
  // Runs one line on every lane; returns the failure messages (each ends in '\n').
  std::vector<std::string> step(const Trace& t, const TraceLine& tl, std::vector<Lane>& lanes) {
    const std::string where = fmt::format("{}:{}", t.file, tl.line);
    const std::string op_text = format_op(tl.op);
    std::vector<std::string> fail;
    std::vector<Snapshot> after;
    for (Lane& lane : lanes) {
      try {
        lane.result = lane.engine->apply(tl.op);
        after.push_back(lane.engine->snapshot());
      } catch (const EngineFault& e) {
        print_line(tl, op_text, "(engine fault)");
        fail.push_back(fmt::format("{}: {} engine fault after '{}': {}\n", where,
                                   engine_kind_name(lane.kind), op_text, e.what()));
        return fail;
      }
    }
    const Lane& first = lanes.front();
    // 2. model and impl side by side.
    if (lanes.size() == 2) {
      const Lane& second = lanes[1];
      if (first.result != second.result) {
        print_line(tl, op_text,
                   fmt::format("model {}, impl {}", format_result(first.result),
                               format_result(second.result)));
        fail.push_back(
            fmt::format("{}: model and impl return different results for '{}': model {}, impl {}\n",
                        where, op_text, format_result(first.result), format_result(second.result)));
      }
      if (after[0] != after[1]) {
        if (fail.empty()) print_line(tl, op_text, format_result(first.result));
        fail.push_back(
            fmt::format("{}: model and impl states differ after '{}':\n{}", where, op_text,
                        indent(diff_snapshots(after[0], after[1], "model", "impl"), "    ")));
      }
      if (!fail.empty()) return fail;
    }
    print_line(tl, op_text, format_result(first.result));
    // 3. the expected result.
    if (tl.expect && *tl.expect != first.result)
      fail.push_back(fmt::format("{}: unexpected result of '{}': got {}, expected {}\n", where,
                                 op_text, format_result(first.result), format_result(*tl.expect)));
    // 4. invariants on every lane. (--step shows the state even when they fail.)
    for (std::size_t i = 0; i < lanes.size(); ++i) {
      std::vector<Violation> vs = check_invariants(after[i]);
      for (Violation& v : check_transition(lanes[i].before, tl.op, after[i]))
        vs.push_back(std::move(v));
      for (const Violation& v : vs)
        fail.push_back(fmt::format("{}: {} after '{}': {}\n", where,
                                   engine_kind_name(lanes[i].kind), op_text, v.to_string()));
      // 5. nothing the engine holds is out of every live process's reach.
      for (const std::string& leak : lanes[i].engine->leaks())
        fail.push_back(fmt::format("{}: {} after '{}': leak: {}\n", where,
                                   engine_kind_name(lanes[i].kind), op_text, leak));
      lanes[i].before = std::move(after[i]);
    }
    if (opt_.step) fmt::print("{}\n", indent(format_snapshot(lanes.front().before), "      "));
    return fail;
  }

  void print_line(const TraceLine& tl, const std::string& op_text, const std::string& result) {
    if (opt_.quiet || opt_.maps) return;
    fmt::print("{:>4}  {}  => {}\n", tl.line, op_text, result);
  }

  const ReplayOptions& opt_;
  std::size_t ops_ = 0;
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
  if (!opt.mutants.empty() && opt.engine == "model") {
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
  Replayer replayer(opt);
  int failed = 0;
  for (const Trace& t : traces) failed += replayer.run(t);
  const auto total = traces.size();
  if (!opt.maps || failed) {
    std::string summary =
        fmt::format("replay ({}): {} trace{}, {} operation{}: ", opt.engine, total,
                    total == 1 ? "" : "s", replayer.ops_run(), replayer.ops_run() == 1 ? "" : "s");
    if (failed == 0)
      summary += "all checks passed";
    else
      summary +=
          fmt::format("{} passed, {} failed", total - static_cast<std::size_t>(failed), failed);
    fmt::print("{}\n", summary);
  }
  return failed ? 1 : 0;
}

CommandRun setup_replay(CLI::App& sub) {
  auto opt = std::make_shared<ReplayOptions>();
  sub.add_option("files", opt->files, "trace files (the trace language: docs/trace-language.md)")
      ->required();
  sub.add_option("--engine", opt->engine, "model, impl, or both side by side (default model)")
      ->check(CLI::IsMember({"model", "impl", "both"}));
  auto* step = sub.add_flag("--step", opt->step, "print the full state after each operation");
  auto* maps =
      sub.add_flag("--maps", opt->maps, "print only the final VMAs (PROC START-END PERMS ...)");
  auto* quiet = sub.add_flag("--quiet", opt->quiet, "print only failures and a summary line");
  sub.add_option("--mutant", opt->mutants,
                 "switch a historical bug on in the impl (repeatable; see docs/mutants.md)");
  maps->excludes(step);
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
}  // namespace rmapcheck::tool
