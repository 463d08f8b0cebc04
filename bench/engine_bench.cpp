// Whole-engine throughput, impl against model, on identical op streams.
//
//   BM_MixedTrace/<engine>/<ops>   the campaign generator's mix (seed 1): a
//       fresh engine per iteration, every op applied, the engine destroyed;
//       items/s = ops/s (construction and teardown are inside the time).
//   BM_Fork/<engine>/<vmas>/<pages>  one fork of a process with <vmas> VMAs
//       (alternating rw / r, one anon_vma) over <pages> faulted pages; the
//       child's exit is outside the time.
// The ratio impl/model is the point; absolute numbers move with the box.
#include <benchmark/benchmark.h>

#include <string>

#include "bench/bench_states.h"

namespace {

using namespace rmapcheck;

EngineKind kind_of(const benchmark::State& state) {
  return state.range(0) == 0 ? EngineKind::Impl : EngineKind::Model;
}

void BM_MixedTrace(benchmark::State& state) {
  const EngineKind kind = kind_of(state);
  const auto nops = static_cast<std::size_t>(state.range(1));
  const std::vector<Op> ops = bench::mixed_trace_ops(1, nops);
  std::size_t ok = 0;
  for (auto _ : state) {
    auto engine = make_engine(kind);
    for (const Op& op : ops) {
      const Result r = engine->apply(op);
      ok += r.kind != Result::Kind::Errno ? 1 : 0;
    }
    benchmark::DoNotOptimize(engine.get());
  }
  state.SetLabel(std::string(engine_kind_name(kind)));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(nops));
  state.counters["ops_not_errno"] =
      static_cast<double>(ok) / static_cast<double>(state.iterations()) / static_cast<double>(nops);
}
BENCHMARK(BM_MixedTrace)->ArgNames({"impl0_model1", "ops"})->ArgsProduct({{0, 1}, {1000, 10000}});

void BM_Fork(benchmark::State& state) {
  const EngineKind kind = kind_of(state);
  const auto vmas = static_cast<Page>(state.range(1));
  const auto pages = static_cast<Page>(state.range(2));
  auto engine = make_engine(kind);
  bench::apply_all(*engine, bench::split_vma_ops(pages, pages / vmas));
  const Op fork = op_fork("p0", "c");
  const Op exit = op_exit("c");
  for (auto _ : state) {
    const Result r = engine->apply(fork);
    benchmark::DoNotOptimize(r.kind);
    state.PauseTiming();
    engine->apply(exit);
    state.ResumeTiming();
  }
  state.SetLabel(std::string(engine_kind_name(kind)));
  state.counters["vmas"] = static_cast<double>(vmas);
  state.counters["pages"] = static_cast<double>(pages);
}
BENCHMARK(BM_Fork)
    ->ArgNames({"impl0_model1", "vmas", "pages"})
    ->ArgsProduct({{0, 1}, {1000}, {10000}})
    ->Args({0, 100, 1000})
    ->Args({1, 100, 1000})
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
