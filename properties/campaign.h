// campaign.h - many property cases, across worker processes and shards,
// summed into one report.
//
// The unit of work is a case (case_runner.h). Case i of a campaign runs with
// seed mix_seed(seed, i), so the cases are a fixed, numbered sequence:
//   shard I of N owns the cases i with i % N == I;
//   worker w of J (--jobs, one forked PROCESS each) owns every J-th case
//   of its shard, starting at its w-th.
// A worker (the campaign process itself when J is 1) runs its cases in
// batch processes, many cases each; a case that fails or crashes its batch
// is re-run alone in its own process and shrunk there, and a fresh batch
// goes on with the next case (campaign_run.cpp run_worker).
// Totals are sums over cases, so with --cases the report does not depend on
// --jobs, and the merge of shards 0..N-1 equals the unsharded report.
// With --time the number of cases depends on the machine, by nature.
//
// Report (JSON, nlohmann::ordered_json, written atomically to --out):
//   the deterministic part: config, result, cases, operations, ops per kind,
//   branches (the model's Engine::coverage(), summed), alloc failures, the
//   counterexample; and "timing" (seconds, ops per second, jobs), the only
//   wall-clock part, which --deterministic-report leaves out. The same seed
//   and options then give a byte-identical report.
//
// Synopsis
//   ShardSpec, shard_from_env     --shard I/N, else the CI/cluster variables
//   CampaignOptions, CampaignResult, Counterexample
//   run_campaign(opts, log)       runs it; prints progress and the failure to `log`
//   campaign_report(...)          the JSON report
//   merge_reports(reports, error) one report from shard reports
//   print_summary(...)            the text summary (throughput, ops, branches)
//   (files are written with rmapcheck/file_io.h: write_file_atomic)
//   install_stop_handlers()       SIGINT/SIGTERM set stop_requested(); the
//                                 second one kills as usual
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "properties/case_runner.h"
#include "rmapcheck/file_io.h"

namespace rmapcheck::props {

struct ShardSpec {
  std::uint64_t index = 0, count = 1;
  std::string source = "default";  // "--shard", "GTEST_*", "SLURM_*", "JOB_COMPLETION_INDEX"
};

// Parses "I/N" (0 <= I < N).
std::optional<ShardSpec> parse_shard(const std::string& text, std::string& error);
// GTEST_SHARD_INDEX + GTEST_TOTAL_SHARDS; SLURM_ARRAY_TASK_ID (minus
// SLURM_ARRAY_TASK_MIN) + SLURM_ARRAY_TASK_COUNT; JOB_COMPLETION_INDEX +
// RMAPCHECK_SHARD_COUNT (Kubernetes does not export the completion count:
// set it from spec.completions). nullopt with error empty when none is set.
std::optional<ShardSpec> shard_from_env(std::string& error);

struct CampaignOptions {
  std::uint64_t seed = 1;
  std::optional<std::uint64_t> cases;  // total cases over all shards
  double seconds = 60;                 // time limit when `cases` is not set
  PropertyConfig prop;
  std::optional<Mutant> mutant;
  int jobs = 1;
  ShardSpec shard;
  std::string out_dir;  // "" writes no file
  bool deterministic_report = false;
  bool progress_bar = false;  // \r bar (a terminal); else plain lines (rmapcheck/progress.h)
  bool quiet = false;         // no progress display of its own (mutants shows its own)
  // Called with the cases and ops done so far, as often as the display is
  // updated (mutants feeds its own progress from it).
  std::function<void(std::uint64_t cases, std::uint64_t ops)> on_progress;
  bool stop_at_first_failure = true;
  std::string command_line;  // the options that reproduce the campaign's cases
};

struct Counterexample {
  std::uint64_t case_index = 0;
  std::uint64_t case_seed = 0;
  std::string trace;  // print_trace of the shrunk trace
  std::size_t length = 0, original_length = 0;
  std::string failure_kind;       // StepFailure::kind_name(), or "rapidcheck"
  std::size_t failure_op = 0;     // 1-based
  std::string headline, details;  // StepFailure::headline() / describe()
  std::string reproduce;          // the minimal trace's ops, "; "-separated (case_runner.h)
  double seconds_to_failure = 0;  // wall clock, not in the deterministic report
  std::string file;               // where the trace was written ("" if nowhere)
};

struct CampaignTotals {
  std::uint64_t cases = 0, ops = 0;
  std::array<std::uint64_t, kOpKindCount> by_kind{};
  Coverage coverage;
  void add(const CaseOutcome& c);
  CampaignTotals& operator+=(const CampaignTotals& o);
};

struct CampaignResult {
  CampaignTotals totals;
  std::optional<Counterexample> counterexample;
  bool interrupted = false;
  double seconds = 0;
  int exit_code() const { return counterexample ? 1 : interrupted ? 130 : 0; }
};

CampaignResult run_campaign(const CampaignOptions& opts, std::ostream& log);

nlohmann::ordered_json campaign_report(const CampaignOptions& opts, const CampaignResult& r,
                                       bool with_timing);
// The one JSON codec of a Counterexample: the report's form, plus
// seconds_to_failure when `with_seconds` (a worker's result line; the report
// keeps wall-clock figures in its "timing" part).
nlohmann::ordered_json counterexample_json(const Counterexample& c, bool with_seconds);
Counterexample counterexample_from_json(const nlohmann::ordered_json& j);
std::optional<nlohmann::ordered_json> merge_reports(
    const std::vector<nlohmann::ordered_json>& reports, std::string& error);
void print_summary(std::ostream& os, const CampaignTotals& t, double seconds);
// Counts per op kind / branch / alloc site from a report (for merged reports).
CampaignTotals totals_from_report(const nlohmann::ordered_json& report);

// The file name of the report in --out: report.json, or
// report-shard-I-of-N.json when sharded (so shards can share a directory).
std::string report_file_name(const ShardSpec& s);
std::string counterexample_text(const CampaignOptions& opts, const Counterexample& cx);

void install_stop_handlers();
// Worker and batch processes: SIGINT and SIGTERM only ever request the stop
// (never kill), however many arrive, so that each reports what it did.
void install_worker_stop_handlers();
bool stop_requested();
void request_stop();

}  // namespace rmapcheck::props
