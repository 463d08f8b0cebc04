// export_c.h - a trace as a standalone C program that replays it on a real kernel.
//
// `rmapcheck export-c TRACE` writes one C file (libc only; `cc -O2 -Wall
// -Wextra` compiles it without a warning). Run as root, the program replays
// the trace the way `rmapcheck oracle` does: every trace process is a real
// process (fork), the parent steps them in trace order over pipes, the window
// is at the oracle's address (oracle/agent_protocol.h) with free guard gaps
// around it. After every op it checks what the MODEL predicted when the
// program was exported: the op's result, each live process's VMAs in the
// window (/proc/PID/maps: start, end, perms) and its present pages
// (/proc/PID/pagemap: the zero page, or a frame; frames numbered by first
// appearance, so sharing is compared up to renaming). `rmap P PAGE` has no
// syscall: as in the oracle, the kernel's answer is every (process, page)
// mapping the same anon frame. Exit status of the program: 0 matched at every
// op it replayed, 1 the first mismatch (printed as
// `op N "OP": expected ..., kernel ...`), 3 its own machinery failed, 77 it
// cannot run here (not root, the window is not free).
//
// A `failalloc` cannot be done on a live kernel (no fault injection): it and
// every op after it become comments, and the program stops there and says
// that the rest is NOT checked. A fork beyond the model's 64 live processes
// stops it the same way.
//
// Synopsis
//   OpPrediction, predict_op(model, op)   the model's answer to one op and the
//                                         state lines the kernel can show
//   observable_state(snapshot)            those state lines
//   ExportOptions, ExportResult, export_c(trace, options)
//
// Contract: export_c() is deterministic (same trace and options, same bytes)
// and never throws for a trace the parser accepts.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "rmapcheck/checker.h"
#include "rmapcheck/engine.h"
#include "rmapcheck/trace.h"

namespace rmapcheck::exporter {

struct OpPrediction {
  Result result;
  // "p0 process", "p0 vma [0,4) rw-p", "p0 page 0 frame#1", "p0 page 2 zero":
  // processes by name, each one's VMAs by start, then its present pages.
  std::vector<std::string> state;
};

// The one place the model is asked: one step of the checker (the model as
// its only lane, so the prediction comes from a state whose invariants all
// held), projected. `failure` gets the checker's complaint, if any.
OpPrediction predict_op(Checker& model, const Op& op, std::optional<CheckFailure>& failure);
std::vector<std::string> observable_state(const Snapshot& s);

struct ExportOptions {
  // How the program names the trace in its comments and messages.
  std::string source_name;
  // Tests only: corrupt the prediction of op `mispredict_op` (1-based), its
  // result or its state, so that a correct kernel must be reported as a
  // mismatch there.
  std::size_t mispredict_op = 0;
  bool mispredict_state = false;
};

struct ExportResult {
  std::string program;                // the C source
  std::size_t replayed_ops = 0;       // ops the program replays and checks
  std::optional<std::string> stop;    // why it stops before the end, if it does
  std::vector<std::string> warnings;  // "file:line: ..." (a `=> RESULT` the model contradicts)
};

ExportResult export_c(const Trace& trace, const ExportOptions& options);

}  // namespace rmapcheck::exporter
