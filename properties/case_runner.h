// case_runner.h - one campaign case: drawn from a seed, run, and shrunk if it fails.
//
// A campaign is many independent cases; case i is drawn with the plain seeded
// generator (generator.h: SeededChooser, generate_op) from mix_seed(campaign
// seed, i), so any worker, shard or machine can run any case and get the
// same result. The draw costs the generator's own logic only: no RapidCheck
// per-draw machinery on the search path.
//
// A failing case is shrunk by delta debugging over its ops (shrink.h:
// shrink_lines, every candidate repaired with well_formed) until it is
// 1-minimal: removing any one more op makes the failure go away. Every run
// of a candidate is isolated in its own process (run_dual_isolated), so a
// crashing or hanging engine shrinks like any other failure. The stats of a
// case are those of its first (unshrunk) execution.
//
// The reproduce string of a counterexample is the minimal trace's ops in the
// trace language, separated by "; " (e.g. "fork p0 p1; rmap p1 0"); replaying
// it gives the same failure.
//
// Synopsis
//   CaseOutcome                     stats of the case; for a failure: the shrunk
//                                   trace, the first bad step, the reproduce string
//   case_ops(pc, seed)              the ops of the case drawn from `seed`
//   run_case(pc, seed, shrink)      one case, isolated (pc.isolate) or in-process
//   run_case_ops(pc, ops, shrink)   the same for given ops
//   reproduce_case(pc, reproduce)   the minimal case named by a reproduce string
//   reproduce_string(trace)         the reproduce string of a trace
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "properties/commands.h"

namespace rmapcheck::props {

struct CaseOutcome {
  std::uint64_t seed = 0;
  RunStats stats;           // first execution
  Coverage model_coverage;  // first execution
  bool failed = false;
  std::size_t original_length = 0;  // ops run before the failure, unshrunk
  Trace shrunk;                     // the minimal trace (failure is its last op)
  std::optional<StepFailure> failure;
  std::string reproduce;                             // the minimal trace's ops, "; "-separated
  std::string rc_message;                            // the failure's description / an error
  std::size_t shrink_steps = 0;                      // accepted shrinks
  std::chrono::steady_clock::time_point found_at{};  // end of the first execution
};

std::vector<Op> case_ops(const PropertyConfig& pc, std::uint64_t seed);

CaseOutcome run_case(const PropertyConfig& pc, std::uint64_t seed, bool shrink = true);
CaseOutcome run_case_ops(const PropertyConfig& pc, const std::vector<Op>& ops, bool shrink = true);

// Returns nullopt with `error` set when the string does not parse or the
// case no longer fails ("the case does not fail").
std::optional<CaseOutcome> reproduce_case(const PropertyConfig& pc, const std::string& reproduce,
                                          std::string& error);
std::string reproduce_string(const Trace& t);

}  // namespace rmapcheck::props
