// cmd_campaign.cpp - `rmapcheck campaign`: random traces, model vs impl after
// every op, shrinking of the first counterexample, a throughput/coverage
// summary and a JSON report (docs/campaigns.md).
//
// Exit status: 0 no counterexample, 1 counterexample found (or reproduced),
// 2 usage error, 130 interrupted (SIGINT/SIGTERM) without a counterexample.
#include <iostream>
#include <random>

#include "campaign_cli.h"
#include "command.h"
#include "options.h"
#include "properties/campaign_export.h"
#include "rmapcheck/progress.h"

namespace rmapcheck::tool {
namespace campaign_cmd {
namespace {

struct Opts {
  std::optional<std::uint64_t> seed;
  std::optional<std::uint64_t> cases;
  std::optional<double> seconds;
  int jobs = 1;
  std::string shard;
  std::string mutant;
  std::string out = "rmapcheck-out";
  bool deterministic = false;
  bool keep_going = false;
  std::optional<std::string> reproduce;
  std::vector<std::string> merge;
  bool out_given = false;  // --out on the command line (--merge then writes there)
  GeneratorFlags gen;
};

int fail_usage(const std::string& msg) {
  std::cerr << "rmapcheck campaign: " << msg << "\n";
  return 2;
}

int reproduce(const props::CampaignOptions& opts, const std::string& str) {
  std::string error;
  auto out = props::reproduce_case(opts.prop, str, error);
  if (!out) {
    std::cerr << "rmapcheck campaign: cannot reproduce: " << error << "\n";
    return error == "the case does not fail" ? 0 : 2;
  }
  props::Counterexample cx;
  cx.trace = print_trace(out->shrunk);
  cx.length = cx.original_length = out->shrunk.lines.size();
  cx.reproduce = str;
  cx.headline = out->failure ? out->failure->headline() : out->rc_message;
  std::cout << "reproduced (" << cx.length << " ops):\n" << cx.trace;
  std::cout << "first failure: "
            << (out->failure ? out->failure->describe() : out->rc_message + "\n");
  if (!opts.out_dir.empty()) {
    std::string path = opts.out_dir + "/reproduced.trace";
    if (write_file_atomic(path, props::counterexample_text(opts, cx), error)) {
      std::cout << "trace written to " << path << "\n";
      props::write_counterexample_c(path, std::cout);
    }
  }
  return 1;
}

int run(const Opts& o) {
  // The same run as `campaign-merge` (one implementation), --out included.
  if (!o.merge.empty())
    return merge_reports_main(o.merge, o.out_given ? o.out : "", o.deterministic);
  props::CampaignOptions opts;
  if (o.cases && o.seconds) return fail_usage("--cases and --time exclude each other");
  opts.cases = o.cases;
  if (o.seconds) opts.seconds = *o.seconds;
  opts.jobs = o.jobs;
  opts.stop_at_first_failure = !o.keep_going;
  opts.deterministic_report = o.deterministic;
  if (!o.mutant.empty()) {
    opts.mutant = mutant_from_name(o.mutant);
    if (!opts.mutant)
      return fail_usage("unknown mutant '" + o.mutant + "' (see `rmapcheck mutants --list`)");
    opts.prop.impl.mutants = MutantSet::of(*opts.mutant);
  }
  if (auto e = finish_generator_options(o.gen, opts); !e.empty()) return fail_usage(e);
  std::string error;
  if (!o.shard.empty()) {
    auto s = props::parse_shard(o.shard, error);
    if (!s) return fail_usage(error);
    opts.shard = *s;
  } else if (auto s = props::shard_from_env(error)) {
    opts.shard = *s;
  } else if (!error.empty()) {
    return fail_usage(error);
  }
  if (o.seed) {
    opts.seed = *o.seed;
  } else {
    // A fresh seed explores new ground; it is printed so the run can be repeated.
    std::random_device rd;
    opts.seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    if (opts.shard.count > 1) {
      return fail_usage(
          "a sharded campaign needs an explicit --seed (every shard must draw from the same "
          "cases)");
    }
  }
  opts.out_dir = o.out;
  if (!opts.out_dir.empty()) {
    // Before any work: a report or a counterexample that cannot be written is lost.
    if (auto e = probe_out_dir("--out", opts.out_dir); !e.empty()) return fail_usage(e);
    if (auto e = ensure_dir(opts.out_dir); !e.empty()) return fail_usage("--out " + e);
  }
  opts.progress_bar = progress_style_for_stderr() == ProgressStyle::Bar;
  props::install_stop_handlers();
  if (o.reproduce) return reproduce(opts, *o.reproduce);

  std::cout << "campaign: seed " << opts.seed << ", "
            << (opts.cases ? std::to_string(*opts.cases) + " cases"
                           : std::to_string(opts.seconds) + " s")
            << ", max " << opts.prop.max_ops << " ops per case, shard " << opts.shard.index << "/"
            << opts.shard.count << " (" << opts.shard.source << "), " << opts.jobs << " job(s)"
            << (opts.mutant ? ", impl mutant " + std::string(mutant_info(*opts.mutant).name) : "")
            << "\n"
            << std::flush;
  props::CampaignResult r = props::run_campaign(opts, std::cout);
  props::print_summary(std::cout, r.totals, r.seconds);
  if (!opts.out_dir.empty()) {
    auto rep = props::campaign_report(opts, r, !opts.deterministic_report);
    std::string path = opts.out_dir + "/" + props::report_file_name(opts.shard);
    if (write_file_atomic(path, rep.dump(2) + "\n", error)) {
      std::cout << "report written to " << path << "\n";
    } else {
      std::cerr << "rmapcheck campaign: " << error << "\n";
    }
  }
  std::cout << (r.counterexample ? "FAILED: counterexample found"
                : r.interrupted  ? "INTERRUPTED"
                                 : "PASSED")
            << " (seed " << opts.seed << ")\n";
  return r.exit_code();
}

CommandRun setup(CLI::App& sub) {
  auto o = std::make_shared<Opts>();
  std::vector<CLI::Option*> run_only;  // the options of a run, which --merge excludes
  run_only.push_back(
      sub.add_option("--seed", o->seed, "campaign seed (default: a fresh one, printed)")
          ->check(integer_in(0, kMaxU64)));
  auto* cases =
      sub.add_option("--cases", o->cases, "number of cases over all shards (deterministic)")
          ->check(integer_in(1, kMaxCases));
  run_only.push_back(cases);
  run_only.push_back(
      sub.add_option("--time", o->seconds, "run for SECONDS (default 60 when --cases is not given)")
          ->check(seconds_in(kMinSeconds, kMaxSeconds))
          ->excludes(cases));
  run_only.push_back(sub.add_option("--jobs", o->jobs, "worker processes (default 1)")
                         ->check(integer_in(1, kMaxJobs)));
  run_only.push_back(sub.add_option(
      "--shard", o->shard,
      "run shard I of N (I/N); default from GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS, "
      "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, JOB_COMPLETION_INDEX/RMAPCHECK_SHARD_COUNT"));
  run_only.push_back(sub.add_option("--mutant", o->mutant,
                                    "switch on one impl mutant (rmapcheck mutants --list)"));
  auto* out = sub.add_option(
      "--out", o->out,
      "directory for the report and counterexample traces (default rmapcheck-out; with --merge: "
      "write DIR/report.json instead of printing the merged JSON)");
  sub.add_flag(
      "--deterministic-report", o->deterministic,
      "leave the wall-clock \"timing\" section out of the report (byte-identical per seed)");
  run_only.push_back(
      sub.add_flag("--keep-going", o->keep_going, "do not stop at the first counterexample"));
  run_only.push_back(
      sub.add_option(
             "--reproduce", o->reproduce,
             "re-run the minimal case of a reproduce string (same --max-ops/--weights/--mutant)")
          ->check(non_empty()));
  for (CLI::Option* g : add_generator_options(sub, o->gen)) run_only.push_back(g);
  auto* merge = sub.add_option("--merge", o->merge,
                               "merge these shard reports instead of running (= campaign-merge)");
  for (CLI::Option* r : run_only) merge->excludes(r);
  return [o, out] {
    o->out_given = out->count() > 0;
    return run(*o);
  };
}

CommandRegistrar reg{"campaign",
                     "Random model-vs-impl property campaign with shrinking and a report", &setup};

}  // namespace
}  // namespace campaign_cmd
}  // namespace rmapcheck::tool
