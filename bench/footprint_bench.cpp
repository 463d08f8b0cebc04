// Bytes per object: what one VMA, anon_vma_chain, anon_vma and folio cost in
// the impl (sizeof + the pool's slot header), and the model's plain values for
// contrast. Printed as a table before the benchmarks and recorded in the JSON
// "context"; BM_Footprint then measures whole-state bytes per VMA on the
// rmap-walk state (n one-page VMAs in one anon_vma, bench_states.h) from the
// pools' own counts, as counters.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>

#include "bench/bench_states.h"
#include "impl/internal.h"
#include "impl/vma.h"
#include "model/state.h"

namespace {

using namespace rmapcheck;
using namespace rmapcheck::impl;

template <class T>
constexpr std::size_t slot_bytes() {
  const std::size_t raw = Pool<T>::header_bytes() + sizeof(T);
  return (raw + alignof(T) - 1) / alignof(T) * alignof(T);
}

// libstdc++'s std::map node: 32 bytes of rb-node header + the value pair.
template <class K, class V>
constexpr std::size_t map_node_bytes() {
  return 32 + sizeof(std::pair<const K, V>);
}

struct Row {
  const char* name;
  std::size_t object, header, slot;
};

void print_and_record() {
  const Row rows[] = {
      {"vm_area_struct", sizeof(vm_area_struct), Pool<vm_area_struct>::header_bytes(),
       slot_bytes<vm_area_struct>()},
      {"anon_vma_chain", sizeof(anon_vma_chain), Pool<anon_vma_chain>::header_bytes(),
       slot_bytes<anon_vma_chain>()},
      {"anon_vma", sizeof(anon_vma), Pool<anon_vma>::header_bytes(), slot_bytes<anon_vma>()},
      {"folio", sizeof(folio), Pool<folio>::header_bytes(), slot_bytes<folio>()},
      {"pte_t", sizeof(pte_t), 0, sizeof(pte_t)},
      {"pte_table", sizeof(pte_table), 0, sizeof(pte_table)},
  };
  std::printf("impl object      sizeof  pool header  slot bytes\n");
  for (const Row& r : rows) {
    std::printf("%-16s %6zu  %11zu  %10zu\n", r.name, r.object, r.header, r.slot);
    benchmark::AddCustomContext(std::string("bytes_") + r.name, std::to_string(r.slot));
  }
  // The model keeps values in std::map nodes; a chain is a vector (8 bytes per
  // anon_vma on the heap, not counted here).
  std::printf("model value      sizeof  map node\n");
  std::printf("%-16s %6zu  %8zu\n", "Vma", sizeof(model::Vma),
              map_node_bytes<model::Id, model::Vma>());
  std::printf("%-16s %6zu  %8zu\n", "AnonVma", sizeof(model::AnonVma),
              map_node_bytes<model::Id, model::AnonVma>());
  std::printf("%-16s %6zu  %8zu\n", "Folio", sizeof(model::Folio),
              map_node_bytes<model::Id, model::Folio>());
  std::printf("%-16s %6zu  %8zu\n", "Pte", sizeof(model::Pte), map_node_bytes<Page, model::Pte>());
  std::fflush(stdout);
  benchmark::AddCustomContext("model_bytes_Vma_map_node",
                              std::to_string(map_node_bytes<model::Id, model::Vma>()));
}

// Whole-state bytes per VMA on the rmap-walk state: live objects x slot size
// (chunks' unused slots excluded), divided by the number of VMAs.
void BM_Footprint(benchmark::State& state) {
  const auto n = static_cast<Page>(state.range(0));
  kernel_state k{MutantSet{}};
  mm_struct mm;
  mm.name = "p0";
  mm.k = &k;
  for (const Op& op : bench::split_vma_ops(n, 1)) {
    if (op.kind == OpKind::Mmap)
      mmap_region(&mm, op.start, op.npages, mprotect_prot_flags(op.prot));
    if (op.kind == OpKind::Write) user_write(&mm, op.start, op.value);
    if (op.kind == OpKind::Mprotect) do_mprotect_pkey(&mm, op.start, op.npages, op.prot);
  }
  for (auto _ : state) benchmark::DoNotOptimize(k.vm_area_cachep.live_count());
  const auto vmas = static_cast<double>(k.vm_area_cachep.live_count());
  const auto avcs = static_cast<double>(k.anon_vma_chain_cachep.live_count());
  const auto avs = static_cast<double>(k.anon_vma_cachep.live_count());
  state.counters["vmas"] = vmas;
  state.counters["avcs"] = avcs;
  state.counters["anon_vmas"] = avs;
  state.counters["rmap_bytes_per_vma"] =
      (vmas * slot_bytes<vm_area_struct>() + avcs * slot_bytes<anon_vma_chain>() +
       avs * slot_bytes<anon_vma>()) /
      vmas;
  exit_mmap(&mm);
}
BENCHMARK(BM_Footprint)->Arg(100000)->Iterations(1);

}  // namespace

int main(int argc, char** argv) {
  print_and_record();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
