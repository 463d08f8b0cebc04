// What an explored state and a checked transition cost (rmapcheck explore),
// against a checked campaign op, in one run.
//
//   BM_Explore/W/D   explore() over W pages, P <= 2, depth D, every op but
//                    failalloc, one thread, 64-bit fingerprints: items are
//                    transitions; counters: distinct states/s,
//                    transitions/s, bytes per state (store + trail)
//   BM_CheckedOps    the campaign's per-op work: generated traces (the
//                    campaign's generator, 60 ops each) stepped through the
//                    one checker on the model and the impl, every check on:
//                    items are checked ops
// The summary prints the ratio of transitions/s to checked ops/s: how much
// of a campaign op a transition costs (a transition is one checked step too,
// plus the replay of its path on a fresh impl and the state's key).
// CPU time of this process (one thread), so rates are per core.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <sstream>

#include "properties/explore.h"
#include "properties/generator.h"
#include "rmapcheck/checker.h"
#include "rmapcheck/engine.h"

namespace {

using namespace rmapcheck;

props::ExploreConfig bench_config(Page pages, int depth) {
  props::ExploreConfig c;
  c.bounds.pages = pages;
  c.bounds.procs = 2;
  c.bounds.depth = depth;
  c.bounds.all_ops = false;
  for (int k = 0; k < kOpKindCount; ++k)
    if (static_cast<OpKind>(k) != OpKind::FailAlloc) c.bounds.ops.push_back(static_cast<OpKind>(k));
  c.bounds.prots = {Prot::None, Prot::R, Prot::RW, Prot::RX, Prot::RWX};
  c.max_memory = std::uint64_t{1} << 30;
  return c;
}

double g_transitions_per_s = 0, g_checked_per_s = 0;

void BM_Explore(benchmark::State& state) {
  const auto cfg =
      bench_config(static_cast<Page>(state.range(0)), static_cast<int>(state.range(1)));
  std::uint64_t transitions = 0, states = 0, memory = 0;
  for (auto _ : state) {
    std::ostringstream log;
    props::ExploreResult r = props::explore(cfg, log);
    if (r.verdict != props::ExploreResult::Verdict::Complete) state.SkipWithError("not COMPLETE");
    transitions += r.transitions;
    states += r.states;
    memory = r.levels.empty() ? 0 : r.levels.back().memory;
    benchmark::DoNotOptimize(r.states);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(transitions));
  state.counters["states/s"] =
      benchmark::Counter(static_cast<double>(states), benchmark::Counter::kIsRate);
  state.counters["transitions/s"] =
      benchmark::Counter(static_cast<double>(transitions), benchmark::Counter::kIsRate);
  state.counters["bytes/state"] = static_cast<double>(memory) / static_cast<double>(states) /
                                  static_cast<double>(state.iterations());
}
BENCHMARK(BM_Explore)
    ->Args({2, 3})
    ->Args({2, 4})
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime();

void BM_CheckedOps(benchmark::State& state) {
  std::uint64_t ops = 0, seed = 1;
  for (auto _ : state) {
    Trace t = props::generate_trace(seed++, 60);
    std::vector<std::unique_ptr<Engine>> lanes;
    lanes.push_back(make_engine(EngineKind::Model));
    lanes.push_back(make_engine(EngineKind::Impl));
    Checker c(std::move(lanes));
    for (const TraceLine& l : t.lines) {
      if (c.step(l.op)) state.SkipWithError("a generated trace failed a check");
      ++ops;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(ops));
}
BENCHMARK(BM_CheckedOps)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime();

// Prints the ratio after the table, from the runs' own rates.
class Summary : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration) continue;
      const double rate =
          r.counters.count("items_per_second") ? r.counters.at("items_per_second").value : 0;
      if (r.benchmark_name().rfind("BM_Explore/2/4", 0) == 0) g_transitions_per_s = rate;
      if (r.benchmark_name().rfind("BM_CheckedOps", 0) == 0) g_checked_per_s = rate;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    if (g_transitions_per_s > 0 && g_checked_per_s > 0)
      std::printf(
          "explore W=2 depth 4: %.0f transitions/s; campaign checker: %.0f checked ops/s; ratio "
          "%.2f\n",
          g_transitions_per_s, g_checked_per_s, g_transitions_per_s / g_checked_per_s);
  }
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  Summary summary;
  benchmark::RunSpecifiedBenchmarks(&summary);
  benchmark::Shutdown();
  return 0;
}
