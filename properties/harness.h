// harness.h - runs the model and the impl side by side and checks every step.
//
// After EVERY operation: the two Results are equal, the two canonical
// Snapshots are equal, every state invariant holds (check_invariants) and
// the transition invariant holds (check_transition), on both engines. When
// the snapshots are equal the invariants are checked once: they are a pure
// function of the snapshot. An EngineFault (or any exception) from apply()
// is a failure too, and so is a leak: after every op both engines' leaks()
// must be empty (objects that no live process reaches). At the end of a
// trace, finish() exits every live process, one `exit` step at a time
// (checked like any op), and after the last exit neither engine may hold an
// anon_vma or a folio. The `rmap` op needs nothing special: the impl answers it
// with its interval-tree walk and the model with its brute-force scan, so
// Result equality is the comparison.
//
// Synopsis
//   EngineFactory        makes an engine (tests inject fakes; make_engine otherwise)
//   StepFailure          what went wrong at which op, with the readable detail
//   DualRunner(cfg)      two engines; step(op) -> failure or nullopt;
//                        finish(ran) exits every live process, checking
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

#include "rmapcheck/engine.h"
#include "rmapcheck/invariants.h"
#include "rmapcheck/trace.h"

namespace rmapcheck::props {

using EngineFactory = std::function<std::unique_ptr<Engine>(EngineKind, const EngineConfig&)>;
EngineFactory default_engine_factory();  // make_engine

struct StepFailure {
  enum class Kind : std::uint8_t { ResultMismatch, SnapshotMismatch, Invariant, EngineFault, Leak };
  Kind kind = Kind::ResultMismatch;
  std::size_t index = 0;  // 0-based op index in the trace
  Op op;
  std::string engine;  // Invariant / EngineFault: "model" | "impl" | "both"
  Result model_result, impl_result;
  std::string diff;  // SnapshotMismatch: diff_snapshots(model, impl)
  std::vector<Violation> violations;
  std::string message;             // EngineFault: what()
  std::vector<std::string> leaks;  // Leak: what the engine(s) hold that nothing reaches

  // "result-mismatch", "snapshot-mismatch", "invariant", "engine-fault", "leak"
  std::string kind_name() const;
  std::string headline() const;  // one line: "op 7 `fork p2 p3`: ..."
  std::string describe() const;  // headline + the diff or the violations, multi-line
};

struct RunStats {
  std::size_t ops = 0;
  std::array<std::uint64_t, kOpKindCount> by_kind{};
};

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

  const Engine& model() const { return *model_; }
  const Engine& impl() const { return *impl_; }
  const RunStats& stats() const { return stats_; }
  std::size_t steps() const { return index_; }
  // Where step() records what it is doing (0 model apply, 1 impl apply,
  // 2 checks), so that a crash can be blamed (run_dual_isolated).
  void set_phase_sink(volatile std::uint32_t* p) { phase_ = p; }

 private:
  std::unique_ptr<Engine> model_, impl_;
  Snapshot model_before_, impl_before_;
  std::size_t index_ = 0;
  RunStats stats_;
  volatile std::uint32_t* phase_ = nullptr;
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
