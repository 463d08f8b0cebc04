// What a checked campaign op costs, and where the time goes.
//
// The workload is a fixed set of cases like the campaign's (kCases cases;
// case i: seed mix_seed(1, i), 1..60 ops from the plain generator, then an
// exit per live process), run in cumulative stages, each a benchmark whose
// items are the workload's ops (the epilogue's exits included), so that
// every figure is a time per op and stage k minus stage k-1 is what stage k
// adds:
//   BM_Stage/0  generation: the ops drawn (generate_op + GenState::apply)
//   BM_Stage/1  + both engines apply every op (fresh engines per case):
//               the UNCHECKED campaign
//   BM_Stage/2  + the snapshots: both engines' snapshot_into() (canonical,
//               refilling an earlier snapshot as the checker does), the
//               comparison
//   BM_Stage/3  + the invariants: check_invariants and check_transition
//   BM_Stage/4  generation + the checked step itself (DualRunner::step on
//               every op: the above, the leak check on both engines, the
//               result compare)
//   BM_Campaign the campaign as `rmapcheck campaign --seed 1 --cases N
//               --jobs 1` runs it (run_campaign, quiet): its own generator,
//               isolation, shrinking of nothing (no case fails); its items
//               are the campaign's own op count
// The summary after the table gives checked ops/s (BM_Campaign), unchecked
// ops/s (stage 1), their ratio, and the cost split: generation, engines,
// snapshots, invariants, leaks (stage 4 - stage 3) and isolation
// (BM_Campaign - stage 4: the per-case or per-batch child processes and
// whatever else the campaign driver does per op).
//
// Time is CPU time, this process's and its children's (getrusage SELF +
// CHILDREN, user + system), set as manual time: the campaign's work
// happens in child processes, which the process CPU clock does not see,
// and on a shared machine wall-clock time mostly measures the neighbours.
// So items/s are ops per CPU-second: per core. Engine::snapshot_into is
// from 8e64c0a on; for an older build, write snapshot() there.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdio>
#include <map>
#include <sstream>
#include <string>

#include "properties/campaign.h"
#include "properties/generator.h"
#include "properties/harness.h"
#include "rmapcheck/engine.h"
#include "rmapcheck/invariants.h"

namespace {

using namespace rmapcheck;
using namespace rmapcheck::props;

constexpr std::uint64_t kCases = 200;
constexpr std::uint32_t kMaxOps = 60;

// CPU seconds used so far by this process and its waited-for children.
double cpu_seconds() {
  rusage self{}, kids{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &kids);
  auto sec = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  return sec(self.ru_utime) + sec(self.ru_stime) + sec(kids.ru_utime) + sec(kids.ru_stime);
}

// The ops of case i: a length, then the ops, from one seeded chooser.
std::vector<Op> case_ops(std::uint64_t i, const GenConfig& cfg) {
  SeededChooser ch(mix_seed(1, i));
  GenState s = GenState::initial(cfg);
  const std::uint32_t n = 1 + ch.below(kMaxOps);
  std::vector<Op> ops;
  for (std::uint32_t k = 0; k < n; ++k) {
    ops.push_back(generate_op(s, cfg, ch));
    s.apply(ops.back());
  }
  return ops;
}

struct Workload {
  std::vector<std::vector<Op>> cases;  // each with its epilogue's exits
  std::size_t ops = 0;
};

const Workload& workload() {
  static const Workload built = [] {
    Workload w;
    GenConfig cfg;
    for (std::uint64_t i = 0; i < kCases; ++i) {
      std::vector<Op> ops = case_ops(i, cfg);
      DualRunner r(EngineConfig{});
      for (const Op& op : ops) r.step(op);
      for (const auto& name : r.live_procs()) ops.push_back(op_exit(name));
      w.ops += ops.size();
      w.cases.push_back(std::move(ops));
    }
    return w;
  }();
  return built;
}

void BM_Stage(benchmark::State& state) {
  const int stage = static_cast<int>(state.range(0));
  const Workload& w = workload();
  const GenConfig cfg;
  std::size_t sink = 0;
  for (auto _ : state) {
    const double t0 = cpu_seconds();
    for (std::uint64_t i = 0; i < w.cases.size(); ++i) {
      const std::vector<Op>& ops = w.cases[i];
      if (stage == 0) {
        sink += case_ops(i, cfg).size();
        continue;
      }
      if (stage == 4) {
        sink += case_ops(i, cfg).size();  // drawn, as in stages 1-3
        DualRunner r(EngineConfig{});
        for (const Op& op : ops) sink += r.step(op) ? 1U : 0U;
        continue;
      }
      // Stages 1-3 draw the ops as the campaign does (stage 0's cost) and
      // then apply the pre-drawn ones, epilogue included.
      sink += case_ops(i, cfg).size();
      auto model = make_engine(EngineKind::Model);
      auto impl = make_engine(EngineKind::Impl);
      // As the checker does: each engine refills the snapshot of the op
      // before last (Engine::snapshot_into), already canonical.
      Snapshot before, ms, is, impl_before;
      if (stage >= 2) model->snapshot_into(before);
      for (const Op& op : ops) {
        const Result a = model->apply(op), b = impl->apply(op);
        sink += a == b ? 1U : 0U;
        if (stage < 2) continue;
        model->snapshot_into(ms);
        impl->snapshot_into(is);
        sink += ms == is ? 1U : 0U;
        if (stage >= 3)
          sink += check_invariants(ms).size() + check_transition(before, op, ms).size();
        std::swap(before, ms);
        std::swap(impl_before, is);
      }
    }
    state.SetIterationTime(cpu_seconds() - t0);
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(w.ops));
}
BENCHMARK(BM_Stage)->DenseRange(0, 4)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_Campaign(benchmark::State& state) {
  CampaignOptions o;
  o.seed = 1;
  o.cases = kCases;
  o.jobs = 1;
  o.quiet = true;
  std::uint64_t ops = 0;
  for (auto _ : state) {
    const double t0 = cpu_seconds();
    std::ostringstream log;
    CampaignResult r = run_campaign(o, log);
    state.SetIterationTime(cpu_seconds() - t0);
    if (r.counterexample) state.SkipWithError("the campaign found a counterexample");
    ops += r.totals.ops;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(ops));
}
BENCHMARK(BM_Campaign)->UseManualTime()->Unit(benchmark::kMillisecond);

// Collects ns per op (the median when repeated) for the summary.
class Summary : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      const bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      if (r.run_type == Run::RT_Aggregate && !median) continue;
      if (r.run_type == Run::RT_Iteration && r.repetitions > 1) continue;
      auto it = r.counters.find("items_per_second");
      if (it == r.counters.end() || it->second.value <= 0) continue;
      ns_[r.run_name.str()] = 1e9 / it->second.value;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    auto get = [&](const char* name) {
      auto it = ns_.find(name);
      return it == ns_.end() ? 0.0 : it->second;
    };
    const double s0 = get("BM_Stage/0/manual_time"), s1 = get("BM_Stage/1/manual_time"),
                 s2 = get("BM_Stage/2/manual_time"), s3 = get("BM_Stage/3/manual_time"),
                 s4 = get("BM_Stage/4/manual_time"), c = get("BM_Campaign/manual_time");
    if (s0 <= 0 || s1 <= 0 || s4 <= 0 || c <= 0) return;
    std::printf("\ncampaign_bench summary (CPU ns per op; %zu ops in %llu cases)\n", workload().ops,
                static_cast<unsigned long long>(kCases));
    std::printf("  checked ops/s (the campaign)        %10.0f\n", 1e9 / c);
    std::printf("  checked ops/s (in-process step)     %10.0f\n", 1e9 / s4);
    std::printf("  unchecked ops/s (gen + engines)     %10.0f\n", 1e9 / s1);
    std::printf("  checked / unchecked time            %10.2fx\n", c / s1);
    std::printf(
        "  split: generation %.0f, engines %.0f, snapshots %.0f, invariants %.0f, "
        "leaks %.0f, isolation %.0f (total %.0f)\n",
        s0, s1 - s0, s2 - s1, s3 - s2, s4 - s3, c - s4, c);
    std::fflush(stdout);
  }

 private:
  std::map<std::string, double> ns_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  workload();  // built before any timing (and outside BM_Stage, for callgrind --toggle-collect)
  Summary summary;
  benchmark::RunSpecifiedBenchmarks(&summary);
  benchmark::Shutdown();
  return 0;
}
