// draw.h - pictures of the state a trace reaches: `rmapcheck draw` and the
// campaign's counterexample pictures share this.
//
// draw_trace() replays a trace up to an op and draws the canonical Snapshot
// (snapshot_dot.h). On one engine it only applies the ops (it is no
// checker: `rmapcheck replay` is); on both it steps a DualRunner
// (harness.h), so it stops at the first op the campaign would call a
// failure (results or states differ, an invariant, a leak, an engine fault)
// and draws the model above the impl there, what differs in red.
//
// Synopsis
//   DrawEngines, DrawRequest, DrawOutcome
//   draw_trace(req)                  replays in this process and draws
//   find_dot()                       Graphviz's `dot` on PATH, or ""
//   render_svg(dot_exe, dot, svg, error)   runs `dot -Tsvg`
//   save_counterexample_picture(opts, cx, log)
//                                    the campaign's: COUNTEREXAMPLE.dot (and
//                                    .svg with Graphviz) next to its .trace
#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "properties/campaign.h"
#include "properties/harness.h"
#include "rmapcheck/engine.h"
#include "rmapcheck/trace.h"

namespace rmapcheck::props {

enum class DrawEngines : std::uint8_t { Model, Impl, Both };

struct DrawRequest {
  const Trace* trace = nullptr;
  std::optional<std::size_t> step;  // draw after op `step` (0: the initial state); default: last
  DrawEngines engines = DrawEngines::Model;
  EngineConfig impl;                 // the impl's (mutants)
  std::vector<std::string> mutants;  // their names, for the labels
  std::string name;                  // the trace as the title names it (its file)
  EngineFactory factory = default_engine_factory();
};

struct DrawOutcome {
  std::string dot;
  std::size_t stopped_after = 0;  // ops applied (the op drawn after)
  // What stopped the replay before `step`, or "": the failure's headline
  // (both engines) or the engine fault (one engine).
  std::string failure;
};

DrawOutcome draw_trace(const DrawRequest& req);

// The path of `dot` on PATH, or "" when Graphviz is not installed.
std::string find_dot();
// Runs `dot_exe -Tsvg` on `dot`; false with `error` set when it fails.
bool render_svg(const std::string& dot_exe, const std::string& dot, std::string& svg,
                std::string& error);

// For run_campaign: after cx's trace was written to cx.file (NAME.trace),
// writes the picture of the failing op, NAME.dot and, when Graphviz is
// installed, NAME.svg, atomically; logs what it wrote or why not. The
// engines run in a child process, as every engine of a campaign does.
void save_counterexample_picture(const CampaignOptions& opts, const Counterexample& cx,
                                 std::ostream& log);

}  // namespace rmapcheck::props
