// harness.h - the model and the impl in lock-step, for the campaign.
//
// DualRunner is the campaign's view of the one checker (rmapcheck/checker.h)
// with two lanes, the model (lane 0, the spec: never mutated) and the impl
// (with the campaign's mutants): after EVERY op the results and the
// canonical snapshots are equal, every invariant and the transition
// invariants hold and nothing leaks; finish() is the checker's exit
// epilogue. The `rmap` op needs nothing special: the impl answers it with
// its interval-tree walk and the model with its chain walk, so Result
// equality is the comparison (and I-REACH holds both walks to the page
// tables after every op).
//
// Synopsis
//   EngineFactory        makes an engine (tests inject fakes; make_engine otherwise)
//   StepFailure          = CheckFailure: what went wrong at which op
//   DualRunner(cfg)      the two lanes; step(op) -> failure or nullopt;
//                        finish(ran) exits every live process, checked
//   run_dual(trace, ...) replays a whole trace, stops at the first failure,
//                        then finish() (exit_all) unless it failed
//
// Contract: deterministic; a DualRunner that returned a failure must not be
// stepped again.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rmapcheck/checker.h"
#include "rmapcheck/engine.h"
#include "rmapcheck/invariants.h"
#include "rmapcheck/trace.h"

namespace rmapcheck::props {

using EngineFactory = std::function<std::unique_ptr<Engine>(EngineKind, const EngineConfig&)>;
EngineFactory default_engine_factory();  // make_engine

using StepFailure = CheckFailure;
using RunStats = CheckStats;

class DualRunner {
 public:
  explicit DualRunner(const EngineConfig& impl_config,
                      const EngineFactory& factory = default_engine_factory());
  std::optional<StepFailure> step(const Op& op);
  // Exits every live process in name order through step(); `ran` gets each
  // exit it ran (the failing one included). The last exit also requires
  // that nothing is left allocated in either engine.
  std::optional<StepFailure> finish(std::vector<Op>& ran);
  // The processes live after the last checked step, by name.
  std::vector<std::string> live_procs() const;

  const Engine& model() const { return checker_.engine(0); }
  const Engine& impl() const { return checker_.engine(1); }
  const RunStats& stats() const { return checker_.stats(); }
  std::size_t steps() const { return checker_.steps(); }
  // Where step() records what it is doing (0 model apply, 1 impl apply,
  // Checker::kCheckingPhase checks), so that a crash can be blamed
  // (run_dual_isolated).
  void set_phase_sink(volatile std::uint32_t* p) { checker_.set_phase_sink(p); }

 private:
  Checker checker_;
};

struct DualOutcome {
  std::optional<StepFailure> failure;
  RunStats stats;            // the epilogue's exits included
  Coverage model_coverage;   // before the epilogue
  std::vector<Op> epilogue;  // the exits finish() ran (up to a failing one)
};

DualOutcome run_dual(const Trace& trace, const EngineConfig& impl_config,
                     const EngineFactory& factory = default_engine_factory(), bool exit_all = true);

// The same in a forked child process, so that an engine that crashes
// (SIGSEGV, abort) or hangs (no answer in `timeout_s` seconds) becomes an
// EngineFault at the op it was running instead of killing the campaign, and
// can be shrunk like any other failure. The child sends back its whole
// outcome, StepFailure included: no engine ever runs in the calling process,
// so a mutated impl that corrupts memory cannot take the campaign with it.
DualOutcome run_dual_isolated(const std::vector<Op>& ops, const EngineConfig& impl_config,
                              const EngineFactory& factory = default_engine_factory(),
                              unsigned timeout_s = 60, bool exit_all = true);

}  // namespace rmapcheck::props
