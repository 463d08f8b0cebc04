// oracle.h - replaying traces on the live kernel and on the model, compared.
//
// The entry point for `rmapcheck oracle` and the ctest label `oracle`. An
// Oracle holds what outlives one trace (the /proc files, the BPF probe, the
// agent CPU) and makes kernel lanes (kernel_engine.h). run() is a thin
// driver over the checker (rmapcheck/checker.h): one trace on a fresh model
// and a fresh kernel lane in lock-step, with every check the campaign makes
// (results, the trace's own `=> RESULT`, states compared on what the kernel
// shows, the model's invariants and leaks, the exit epilogue).
//
// Synopsis
//   check_environment()          why this machine cannot run the oracle, or ""
//   kernel_banner()              "kernel 6.18.44-... (x86_64)" + warnings
//   Oracle oracle(options);      throws OracleSetupError
//   oracle.run(trace)            TraceVerdict
//   oracle.kernel_lane()         a fresh kernel lane, for a Checker of one's own
//   oracle.limits()              what this machine cannot show, one line each
//
// The Oracle owns the machine setup for swap (swap_setup.h): made in the
// constructor, restored in the destructor (and by its guardian process when
// the oracle dies any other way).
//
// Contract
//   - Agree only when every op of the trace was compared and agreed. With
//     OracleOptions::model off nothing is compared; the tool reports such a
//     trace as shown on the kernel, never as an agreement.
//   - A trace the kernel cannot replay to the end (failalloc) is Partial:
//     the ops before it were compared, the rest not; never Agree.
//   - Same trace, same verdict (the kernel is deterministic here when the
//     agents are pinned to one CPU;
//     docs/kernel/observing-the-kernel.md#determinism-and-cost).
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "rmapcheck/checker.h"
#include "rmapcheck/engine.h"
#include "rmapcheck/trace.h"

namespace rmapcheck::oracle {

class OracleSetupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OracleOptions {
  bool vm_flags = true;  // read smaps VmFlags (ac, nr, dc, wf, lo)
  bool forest = true;    // compare the anon_vma forest when BPF works here
  bool model = true;     // false: kernel only (--show), nothing compared
  bool show = false;     // print the kernel's observation after every op
  // Set up zram swap and a memcg for pageout and reclaim (swap_setup.h);
  // without it (or where the machine cannot) those ops are not compared.
  bool swap = true;
};

struct TraceVerdict {
  enum class Status { Agree, Diverge, Partial, Error };
  Status status = Status::Agree;
  std::size_t ops_compared = 0;
  // Of those, the ops after which the anon_vma forest (BPF) was compared too.
  std::size_t forest_ops = 0;
  // Of those, the ops after which folio->mapping and ->index were compared.
  std::size_t folio_mapping_ops = 0;
  int line = 0;        // the diverging / stopping line (source line, or 1-based index)
  std::string report;  // readable: file:line, op, kernel vs model
  std::vector<Result> kernel_results;  // the kernel's answer to each op replayed
  CheckStats stats;                    // ops stepped (the epilogue included), by kind
  Coverage model_coverage;             // the model lane's branches
  std::string shown;                   // with OracleOptions::show: the observations
};

std::string_view verdict_name(TraceVerdict::Status s);

// "" when the oracle can run here; otherwise why not (not Linux, not root,
// no PROCMAP_QUERY).
std::string check_environment();
// The running kernel (uname) and, for anything but 6.18, a warning line.
std::string kernel_banner();

class Oracle {
 public:
  explicit Oracle(const OracleOptions& options);
  ~Oracle();
  Oracle(const Oracle&) = delete;
  Oracle& operator=(const Oracle&) = delete;

  TraceVerdict run(const Trace& trace);
  std::unique_ptr<Engine> kernel_lane() const;
  // Whether the anon_vma forest is compared, and if not, why.
  bool forest_compared() const;
  const std::string& forest_unavailable_reason() const;
  // Whether pageout and reclaim run here, and if not, why.
  bool swap_available() const;
  const std::string& swap_unavailable_reason() const;
  // What this machine cannot show; printed once by the tool.
  std::vector<std::string> limits() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace rmapcheck::oracle
