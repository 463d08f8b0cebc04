// cmd_draw.cpp - `rmapcheck draw TRACE`: the state after an op, as a Graphviz picture.
//
//   rmapcheck draw TRACE [--step N] [--engine model|impl|both] [--mutant NAME]... [-o FILE]
//
// Draws the canonical state after op N (default: the last op; 0 is the
// initial state) as DOT (snapshot_dot.h), on stdout or into FILE.dot; into
// FILE.svg it runs Graphviz's `dot -Tsvg`. `--engine both` draws the model
// above the impl and stops at the first failing op when there is one
// (properties/draw.h), with what differs in red: with `--mutant NAME` that
// is a counterexample's picture.
//
// Exit: 0 drawn; 1 drawn, at the failing op (both engines) or an engine
// fault (one engine), which stderr names "file:line: ..."; 2 usage or input
// error (bad trace, --step out of range, an -o that cannot be written, no
// `dot` for an .svg), reported before anything runs; a failing `dot` too.
#include <fmt/core.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "command.h"
#include "options.h"
#include "properties/draw.h"
#include "rmapcheck/file_io.h"
#include "rmapcheck/trace.h"

namespace rmapcheck::tool {
namespace draw_cmd {
namespace {

struct DrawOptions {
  std::string file;
  std::optional<long long> step;  // signed: CLI11 would wrap "-1" into a size_t
  std::string engine = "model";
  std::vector<std::string> mutants;
  std::string output;  // "" stdout
};

int usage(const std::string& msg) {
  fmt::print(stderr, "rmapcheck draw: {}\n", msg);
  return 2;
}

bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

int run_draw(const DrawOptions& o) {
  props::DrawRequest req;
  req.engines = o.engine == "model"  ? props::DrawEngines::Model
                : o.engine == "impl" ? props::DrawEngines::Impl
                                     : props::DrawEngines::Both;
  for (const std::string& name : o.mutants) {
    auto m = mutant_from_name(name);
    if (!m) return usage(fmt::format("unknown mutant '{}' (see `rmapcheck mutants --list`)", name));
    req.impl.mutants.set(*m);
    req.mutants.push_back(name);
  }
  if (!o.mutants.empty() && req.engines == props::DrawEngines::Model)
    return usage("--mutant applies to the impl: use --engine impl or both");
  // The output before any work: its kind, its directory, Graphviz.
  const bool svg = ends_with(o.output, ".svg");
  std::string dot_exe;
  if (!o.output.empty()) {
    if (!svg && !ends_with(o.output, ".dot"))
      return usage(fmt::format("-o {}: the file must end in .dot or .svg", o.output));
    if (auto why = probe_out_file(o.output); !why.empty())
      return usage(fmt::format("cannot write -o {}: {}", o.output, why));
    if (svg) {
      dot_exe = props::find_dot();
      if (dot_exe.empty()) {
        return usage(fmt::format(
            "-o {} needs Graphviz's `dot`, which is not on PATH (the Debian package graphviz, "
            "which scripts/deps.sh installs), or write a .dot file",
            o.output));
      }
    }
  }
  ParseOutcome p = load_trace_file(o.file);
  for (const Diagnostic& d : p.diagnostics) fmt::print(stderr, "{}\n", d.to_string());
  if (!p.trace) return 2;
  const std::size_t n = p.trace->lines.size();
  if (o.step && (*o.step < 0 || static_cast<unsigned long long>(*o.step) > n)) {
    return usage(fmt::format("--step {} is out of range: {} has {} op{} (valid: 0..{})", *o.step,
                             o.file, n, n == 1 ? "" : "s", n));
  }
  req.trace = &*p.trace;
  if (o.step) req.step = static_cast<std::size_t>(*o.step);
  req.name = o.file;
  props::DrawOutcome out = props::draw_trace(req);
  int rc = 0;
  if (!out.failure.empty()) {
    const int line = out.stopped_after == 0 ? 0 : p.trace->lines[out.stopped_after - 1].line;
    fmt::print(stderr, "{}:{}: drawn at the first failure: {}\n", o.file, line, out.failure);
    rc = 1;
  }
  if (o.output.empty()) {
    std::fwrite(out.dot.data(), 1, out.dot.size(), stdout);
    return rc;
  }
  std::string text = out.dot, error;
  if (svg && !props::render_svg(dot_exe, out.dot, text, error))
    return usage("cannot render -o " + o.output + ": " + error);
  if (!write_file_atomic(o.output, text, error)) return usage("cannot write -o " + error);
  return rc;
}

CommandRun setup_draw(CLI::App& sub) {
  auto opt = std::make_shared<DrawOptions>();
  sub.add_option("trace", opt->file, "trace file (the trace language: docs/trace-language.md)")
      ->required();
  sub.add_option("--step", opt->step,
                 "draw the state after op N (1-based; 0: the initial state; default: the last op)");
  sub.add_option("--engine", opt->engine,
                 "model, impl, or both: the model above the impl, stopping at the first failing op "
                 "(default model)")
      ->check(CLI::IsMember({"model", "impl", "both"}));
  sub.add_option("--mutant", opt->mutants,
                 "switch a historical bug on in the impl (repeatable; see docs/mutants.md)")
      ->allow_extra_args(false);
  sub.add_option("-o,--output", opt->output,
                 "write FILE.dot, or FILE.svg rendered by Graphviz's dot (default: DOT on stdout)");
  return [opt]() {
    std::fflush(stdout);
    int rc = run_draw(*opt);
    std::fflush(stdout);
    return rc;
  };
}

const CommandRegistrar reg{"draw", "Draw the state after an op of a trace as a Graphviz picture",
                           &setup_draw};

}  // namespace
}  // namespace draw_cmd
}  // namespace rmapcheck::tool
