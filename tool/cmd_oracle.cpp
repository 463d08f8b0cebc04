// cmd_oracle.cpp - `rmapcheck oracle`: replay traces on the live kernel and
// compare with the model after every op.
//
//   rmapcheck oracle FILE...                 every trace; exit 1 on a divergence
//   rmapcheck oracle --show FILE             the kernel's view after each op (no model)
//   rmapcheck oracle --random N [--seed S] [--ops M] [--out DIR] [--weights op=N,...]
//
// Exit status (docs/conformance.md): 0 every trace compared to its end and
// agreeing (--show: replayed to its end), 1 a divergence, 2 usage or input
// error, 3 the oracle's machinery failed (or a random divergence did not
// repeat), 4 a trace was compared only partly (a failalloc, which the kernel
// cannot do, or a pageout/reclaim it did not reproduce or cannot do without
// swap) and none diverged, 77 this machine cannot run the oracle (not
// Linux, not root). With several outcomes the first of 1, 3, 4 wins.
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <vector>

#include "command.h"
#include "options.h"
#include "oracle/oracle.h"
#include "oracle/random_run.h"
#include "properties/weights.h"
#include "rmapcheck/trace.h"

namespace rmapcheck::tool {
namespace oracle_cmd {
namespace {

constexpr std::uint64_t kMaxRandomTraces = 1000000000;
constexpr int kExitMachinery = 3;
constexpr int kExitPartial = 4;
constexpr int kExitCannotRun = 77;

struct OracleArgs {
  std::vector<std::string> files;
  bool show = false;
  bool no_flags = false;
  bool no_forest = false;
  bool no_swap = false;
  std::uint64_t random = 0;
  std::uint64_t seed = 1;
  std::size_t ops = 40;
  std::string out = "rmapcheck-out/oracle";
  std::size_t max_shrunk = 20;
  std::string weights;
};

int run_files(const OracleArgs& args, oracle::Oracle& o) {
  std::vector<Trace> traces;
  bool input_error = false;
  for (const std::string& f : args.files) {
    ParseOutcome p = load_trace_file(f);
    if (!p.trace) {
      for (const Diagnostic& d : p.diagnostics) std::fprintf(stderr, "%s\n", d.to_string().c_str());
      input_error = true;
      continue;
    }
    traces.push_back(std::move(*p.trace));
  }
  if (input_error) return 2;
  int agree = 0, diverge = 0, partial = 0, errors = 0;
  for (const Trace& t : traces) {
    oracle::TraceVerdict v = o.run(t);
    if (!v.shown.empty()) std::fputs(v.shown.c_str(), stdout);
    switch (v.status) {
      case oracle::TraceVerdict::Status::Agree:
        // --show compares nothing with the model: replayed, never "agree".
        ++agree;
        std::printf("%s: %s (%zu ops)\n", t.file.c_str(),
                    args.show ? "replayed on the kernel" : "agree", v.ops_compared);
        break;
      case oracle::TraceVerdict::Status::Partial:
        ++partial;
        std::printf("%s: partial, NOT an agreement\n%s", t.file.c_str(), v.report.c_str());
        break;
      case oracle::TraceVerdict::Status::Diverge:
        ++diverge;
        std::printf("%s: DIVERGENCE\n%s", t.file.c_str(), v.report.c_str());
        break;
      case oracle::TraceVerdict::Status::Error:
        ++errors;
        std::printf("%s: ERROR\n%s", t.file.c_str(), v.report.c_str());
        break;
    }
    std::fflush(stdout);
  }
  if (args.show) {
    std::printf(
        "oracle --show: %d replayed on the kernel (nothing compared with the model), %d differ "
        "from the trace's => results, %d partial (not replayed to the end), %d errors, of %zu "
        "traces\n",
        agree, diverge, partial, errors, traces.size());
  } else {
    std::printf(
        "oracle: %d agree, %d diverge, %d partial (not compared to the end), %d errors, of %zu "
        "traces\n",
        agree, diverge, partial, errors, traces.size());
  }
  if (diverge > 0) return 1;
  if (errors > 0) return kExitMachinery;
  if (partial > 0) {
    std::printf("oracle: exit %d: %d trace(s) NOT compared to the end\n", kExitPartial, partial);
    return kExitPartial;
  }
  return 0;
}

CommandRun setup(CLI::App& sub) {
  auto args = std::make_shared<OracleArgs>();
  sub.add_option("files", args->files, "trace files to replay");
  sub.add_flag("--show", args->show, "print the kernel's observation after every op; no model");
  sub.add_flag("--no-flags", args->no_flags, "do not read smaps VmFlags (compare r/w/x only)");
  sub.add_flag("--no-forest", args->no_forest, "do not compare the anon_vma forest (BPF)");
  sub.add_flag("--no-swap", args->no_swap,
               "do not set up zram swap and a memcg (pageout and reclaim are not compared)");
  sub.add_option("--random", args->random, "replay N random traces instead of files")
      ->check(integer_in(1, kMaxRandomTraces));
  sub.add_option("--seed", args->seed, "seed of the random traces (default 1)")
      ->check(integer_in(0, kMaxU64));
  sub.add_option("--ops", args->ops, "ops per random trace (default 40)")
      ->check(integer_in(1, kMaxOps));
  sub.add_option("--out", args->out,
                 "where shrunk diverging traces go (default ./rmapcheck-out/oracle)");
  sub.add_option("--weights", args->weights,
                 "op mix of the random traces, op=N,... over the defaults (failalloc stays 0)");
  sub.add_option("--max-shrunk", args->max_shrunk,
                 "shrink and save at most this many divergences (default 20)")
      ->check(integer_in(0, kMaxRandomTraces));
  return [args]() -> int {
    // Usage errors first, before any output: they do not depend on the machine.
    if (args->files.empty() == (args->random == 0)) {
      std::fprintf(stderr, "rmapcheck oracle: give trace files or --random N (not both)\n");
      return 2;
    }
    if (args->show && args->random) {
      std::fprintf(stderr, "rmapcheck oracle: --show replays files only\n");
      return 2;
    }
    props::Weights weights = props::Weights::defaults();
    if (!args->weights.empty()) {
      if (!args->random) {
        std::fprintf(stderr, "rmapcheck oracle: --weights needs --random\n");
        return 2;
      }
      if (auto e = props::parse_weights(args->weights, weights)) {
        std::fprintf(stderr, "rmapcheck oracle: --weights: %s\n", e->c_str());
        return 2;
      }
    }
    if (args->random) {
      // Before any work: a divergence found must be saved.
      if (auto e = probe_out_dir("--out", args->out); !e.empty()) {
        std::fprintf(stderr, "rmapcheck oracle: %s\n", e.c_str());
        return 2;
      }
    }
    std::fputs(oracle::kernel_banner().c_str(), stdout);
    std::string env = oracle::check_environment();
    if (!env.empty()) {
      std::fprintf(stderr, "rmapcheck oracle: cannot run here: %s\n", env.c_str());
      return kExitCannotRun;
    }
    oracle::OracleOptions opt;
    opt.vm_flags = !args->no_flags;
    opt.forest = !args->no_forest;
    opt.swap = !args->no_swap;
    opt.show = args->show;
    opt.model = !args->show;
    oracle::Oracle o(opt);
    for (const std::string& l : o.limits()) std::printf("not compared here: %s\n", l.c_str());
    std::fflush(stdout);
    if (args->random) {
      oracle::RandomRunOptions r;
      r.count = args->random;
      r.seed = args->seed;
      r.nops = args->ops;
      r.out_dir = args->out;
      r.max_shrunk = args->max_shrunk;
      r.weights = weights;
      r.progress = progress_style_for_stderr();
      oracle::RandomRunSummary sum = oracle::run_random(o, r, stdout);
      if (sum.diverge > 0) return 1;
      if (sum.errors > 0 || sum.flaky > 0) return kExitMachinery;
      if (sum.partial > 0) return kExitPartial;
      return 0;
    }
    return run_files(*args, o);
  };
}

const CommandRegistrar reg{"oracle", "Replay traces on the live kernel and compare with the model",
                           &setup};

}  // namespace
}  // namespace oracle_cmd
}  // namespace rmapcheck::tool
