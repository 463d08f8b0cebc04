// random_run.h - `oracle --random`: random traces on the kernel and the model.
//
// Each trace is replayed on both; a divergence is replayed once more (a
// divergence that does not repeat is counted as flaky, never as a finding),
// cut after the diverging op, shrunk with ddmin (shrink.h) keeping the same
// diverging op kind, and saved atomically (tmp + rename) as a trace file
// whose `=> RESULT`s are the kernel's answers and whose header comment is
// the divergence report.
//
// Synopsis
//   RandomRunOptions{count, seed, nops, out_dir, max_shrunk}
//   run_random(oracle, options, log)   -> RandomRunSummary (printed to log)
//
// Contract: same seed and options, same traces, same summary (given the same
// kernel and model).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "oracle.h"
#include "properties/campaign.h"
#include "properties/weights.h"
#include "rmapcheck/progress.h"

namespace rmapcheck::oracle {

struct RandomRunOptions {
  std::uint64_t count = 100;
  std::uint64_t seed = 1;
  std::size_t nops = 40;
  std::string out_dir = "rmapcheck-out/oracle";
  std::size_t max_shrunk = 20;                  // divergences beyond this are counted, not shrunk
  ProgressStyle progress = ProgressStyle::Off;  // traces done, on stderr (progress.h)
  // The op mix (failalloc is always 0 here: the kernel cannot fail one).
  props::Weights weights = props::Weights::defaults();
};

struct RandomRunSummary {
  std::uint64_t traces = 0, agree = 0, diverge = 0, flaky = 0, errors = 0;
  // Compared only up to an op the kernel could not reproduce (a pageout or
  // reclaim that did not do what it must, live_kernel.h): never agreeing.
  std::uint64_t partial = 0;
  // Over the agreeing traces: ops compared, and those after which the
  // anon_vma forest was compared too (equal unless BPF is unavailable).
  std::uint64_t ops_agreed = 0, forest_ops = 0, folio_mapping_ops = 0;
  std::vector<std::string> saved;  // files written
  props::CampaignTotals totals;    // ops by kind and the model's coverage, as a campaign's
};

// The index-th random trace of a seed: the campaign's generator
// (properties/generator.h) with failalloc off, case seed mix_seed(seed, index).
Trace oracle_random_trace(std::uint64_t seed, std::uint64_t index, std::size_t nops,
                          const props::Weights& weights = props::Weights::defaults());

RandomRunSummary run_random(Oracle& oracle, const RandomRunOptions& options, std::FILE* log);

}  // namespace rmapcheck::oracle
