// case_runner.h - runs one property case through RapidCheck, with shrinking.
//
// A campaign is many independent cases; case i runs with the RapidCheck seed
// mix_seed(campaign seed, i), so any worker, shard or machine can run any
// case and get the same result. The stats of a case are those of its first
// (unshrunk) execution; a failing case is then shrunk by RapidCheck and the
// minimal case is run once more to capture its trace and failure.
//
// Synopsis
//   CaseOutcome                     stats of the case; for a failure: the shrunk
//                                   trace, the first bad step, the reproduce string
//   run_case(pc, seed, shrink)      one case
//   reproduce_case(pc, reproduce)   the minimal case named by a reproduce string
//   reproduce_line(...)             the command line that reproduces it
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
  std::string reproduce;                             // RapidCheck's reproduce string ("" if none)
  std::string rc_message;                            // RapidCheck's failure description / error
  std::size_t shrink_steps = 0;                      // accepted shrinks
  std::chrono::steady_clock::time_point found_at{};  // end of the first execution
};

CaseOutcome run_case(const PropertyConfig& pc, std::uint64_t seed, bool shrink = true);

// Returns nullopt with `error` set when the string does not decode or the
// case no longer fails.
std::optional<CaseOutcome> reproduce_case(const PropertyConfig& pc, const std::string& reproduce,
                                          std::string& error);

}  // namespace rmapcheck::props
