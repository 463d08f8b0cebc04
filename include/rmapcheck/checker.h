// checker.h - the one lock-step checker: N lanes, one op at a time, every check.
//
// Every driver (replay, the campaign, the oracle, the scenario, impl and
// corpus tests) runs traces through a Checker, so a trace is checked the
// same way wherever it runs: a counterexample a campaign found and a corpus
// trace replayed later meet exactly the same checks.
//
// A lane is one Engine: the model, the impl, or the live kernel (oracle/,
// an Engine whose snapshots show less: Snapshot::visible). Lane 0 is the
// reference (the model when there is one).
//
// step(op) applies op on every lane, then checks, in this order, stopping at
// the first that fails:
//   1. no lane faulted (EngineFault or any exception from apply/snapshot);
//   2. equal results on every lane, and the line's `=> RESULT`, if given;
//   3. equal canonical snapshots: each lane against lane 0, both restricted
//      to what the two show (restrict_to); a readable diff on mismatch;
//   4. every named state invariant (check_invariants) on every lane that
//      shows everything, once per distinct snapshot (a lane whose state the
//      op left as it was, when they passed on it at the last step, passes
//      again: they are a function of the state alone);
//   5. the transition invariants (check_transition) on the same lanes;
//   6. no leak: Engine::leaks() empty on every lane, and once no process is
//      left, no anon_vma and no folio either ("nothing left").
// finish() is the end-of-case epilogue: it exits every live process, in
// name order, each exit a checked step; after the last exit (6) means
// nothing at all is left.
//
// A lane that cannot perform an op (the live kernel and `failalloc`) throws
// LaneUnsupported from apply(): that lane stops being compared from there on
// (stopped() says where and why) and the other lanes go on.
//
// Synopsis
//   CheckFailure                what failed, at which op, with the detail
//   LaneUnsupported             thrown by a lane that cannot run an op
//   Checker(lanes)              lanes in order (owned or borrowed), lane 0 the reference
//   step(op, expect) -> failure or nullopt
//   finish(ran) -> failure or nullopt   the epilogue; `ran` gets its exits
//   state(i), result(i)         lane i's canonical state / result after the last step
//   live_procs(), steps(), stats(), stopped(i)
//
// Contract: deterministic; a Checker that returned a failure must not be
// stepped again (its states are those after the failing op).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "rmapcheck/engine.h"
#include "rmapcheck/invariants.h"

namespace rmapcheck {

class LaneUnsupported : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CheckFailure {
  enum class Kind : std::uint8_t {
    ResultMismatch,    // two lanes returned different results
    UnexpectedResult,  // the lanes agree, but not with the line's `=> RESULT`
    SnapshotMismatch,  // two lanes are in different states
    Invariant,         // a named invariant does not hold
    EngineFault,       // a lane faulted
    Leak,              // a lane holds what no live process reaches
  };
  Kind kind = Kind::ResultMismatch;
  std::size_t index = 0;  // 0-based op index in what was stepped
  Op op;
  std::string engine;                 // the lane(s) at fault: "impl", "model and impl", ...
  std::vector<std::string> lanes;     // every lane's name, in order
  std::vector<Result> results;        // every lane's result (empty for an EngineFault)
  std::optional<Result> expected;     // UnexpectedResult: the line's `=> RESULT`
  std::string diff;                   // SnapshotMismatch: diff_snapshots(lane 0, other)
  std::string other;                  // SnapshotMismatch / ResultMismatch: the other lane
  std::vector<Violation> violations;  // Invariant (and a SnapshotMismatch's, when known)
  std::string message;                // EngineFault: what()
  std::vector<std::string> leaks;     // Leak

  // "result-mismatch", "unexpected-result", "snapshot-mismatch", "invariant",
  // "engine-fault", "leak"
  std::string kind_name() const;
  std::string headline() const;  // one line: "op 7 `fork p2 p3`: ..."
  std::string describe() const;  // headline + the diff or the violations, multi-line
};

struct CheckStats {
  std::size_t ops = 0;
  std::array<std::uint64_t, kOpKindCount> by_kind{};
};

class Checker {
 public:
  // Lane 0 is the reference. The checker starts from the engines' current
  // states (fresh engines: one process, p0, nothing mapped).
  explicit Checker(std::vector<std::unique_ptr<Engine>> lanes);
  // The same over engines the caller owns and keeps alive (tests that look
  // inside an engine between steps).
  explicit Checker(const std::vector<Engine*>& borrowed);
  // The same, with each engine's canonical state already known (the
  // explorer steps many copies of one state and snapshots it once).
  Checker(const std::vector<Engine*>& borrowed, std::vector<Snapshot> states);
  ~Checker();
  Checker(const Checker&) = delete;
  Checker& operator=(const Checker&) = delete;

  std::optional<CheckFailure> step(const Op& op, const std::optional<Result>& expect = {});
  std::optional<CheckFailure> finish(std::vector<Op>& ran);

  std::size_t lanes() const { return lanes_.size(); }
  const Engine& engine(std::size_t i) const { return *lanes_[i].engine; }
  Engine& engine(std::size_t i) { return *lanes_[i].engine; }
  const std::string& name(std::size_t i) const { return lanes_[i].name; }
  const Snapshot& state(std::size_t i) const { return lanes_[i].state; }
  const Result& result(std::size_t i) const { return lanes_[i].result; }
  // Where lane i stopped being compared (LaneUnsupported), or nullopt.
  const std::optional<std::string>& stopped(std::size_t i) const { return lanes_[i].stopped; }
  std::size_t stopped_at(std::size_t i) const { return lanes_[i].stopped_at; }
  bool any_stopped() const;

  // The processes live after the last step, by name (lane 0's state).
  std::vector<std::string> live_procs() const;
  std::size_t steps() const { return index_; }
  const CheckStats& stats() const { return stats_; }
  // Where step() is (0 applying on lane 0, 1 on lane 1, ..., 100 checking),
  // for a caller that must blame a crash on a lane (run_dual_isolated).
  void set_phase_sink(volatile std::uint32_t* p) { phase_ = p; }
  static constexpr std::uint32_t kCheckingPhase = 100;

 private:
  struct Lane {
    std::unique_ptr<Engine> owned;  // null for a borrowed engine
    Engine* engine = nullptr;
    std::string name;
    Snapshot state;              // canonical, after the last step
    Snapshot scratch;            // what step() fills; the state before that, for its buffers
    bool state_checked = false;  // check_invariants passed on `state` (at the last step)
    Result result;
    std::optional<std::string> stopped;
    std::size_t stopped_at = 0;
  };
  bool active(const Lane& l) const { return !l.stopped; }
  // `state`: the lane's canonical state when the caller knows it, else null.
  void add_lane(Engine* e, std::unique_ptr<Engine> owned, Snapshot* state);

  std::vector<Lane> lanes_;
  std::vector<std::size_t> on_;    // step()'s scratch: the lanes compared
  std::vector<char> same_as_ref_;  // step()'s scratch: lane i's state equals lane 0's
  std::size_t index_ = 0;
  CheckStats stats_;
  volatile std::uint32_t* phase_ = nullptr;
};

// Lanes named by a comma-separated list of model, impl (and, through the
// oracle, kernel), e.g. "model,impl"; "both" means "model,impl". Returns the
// kinds in the order given, or nullopt (with `error` set) for a bad list.
std::optional<std::vector<EngineKind>> parse_lane_list(std::string_view list, std::string& error);

}  // namespace rmapcheck
