// rmap walk time against n VMAs linked into one anon_vma, one hit (k = 1).
//
//   one process, n one-page VMAs that alternate rw / r over n faulted pages,
//   all in ONE anon_vma (split_vma_ops(n, 1), bench_states.h):
//       0123456789...
//       ABABABABAB...        n VMAs, n avcs, keys [i, i] in one interval tree
//
//   BM_RmapWalkAnon/n        THE rmap walk: impl's rmap_walk_anon for the folio
//                            of VMA n/2 with an rmap_one that does what every
//                            kernel rmap_one (try_to_unmap_one,
//                            folio_referenced_one, ...) does first: the
//                            page_vma_mapped_walk check that the PTE maps the
//                            folio. The same folio every time (path hot in cache)
//   BM_RmapWalkAnonNoop/n    the same walk with an rmap_one that only counts:
//                            the interval query + vma_address + the calls
//   BM_RmapWalkAnonSample/n  BM_RmapWalkAnon over 16 folios spread evenly over
//                            the tree, in turn (all paths stay in cache, but each
//                            walk takes a different path: branch prediction)
//   BM_RmapWalkAnonSpread/n  the folio of a different VMA each time, scattered
//                            over the tree (the path is mostly cold in cache)
//   BM_TreeQuerySpread/n     the Spread order, interval-tree query only
//   BM_RmapOp/<engine>/n     the `rmap p0 PAGE` op through Engine::apply: the
//                            walk + page_vma_mapped check + the Result, on the
//                            impl and on the model's brute-force scan (the model
//                            is capped at n = 10000: its state costs O(n^2) to
//                            build through mprotect, and its walk is O(n))
// Counters: depth = nodes from the root to the hit (what iter_first descends);
// avc_reads = avc hook reads by the whole query (iter_first + iter_next),
// avcs_touched = distinct avcs among them, from a counting replica of its
// algorithm. The key is cached in the avc (impl/interval_tree.h), so the
// query reads no VMA: avcs_touched is the number of nodes (lines) it needs.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "bench/bench_states.h"
#include "impl/internal.h"
#include "impl/vma.h"

namespace {

using namespace rmapcheck;
using namespace rmapcheck::impl;

// The impl's objects built directly (not through an Engine), so the walk can
// be called on a folio pointer.
struct ImplState {
  kernel_state k{MutantSet{}};
  mm_struct mm;
  explicit ImplState(Page n) {
    mm.name = "p0";
    mm.k = &k;
    for (const Op& op : bench::split_vma_ops(n, 1)) {
      int err = 0;
      switch (op.kind) {
        case OpKind::Mmap:
          err = mmap_region(&mm, op.start, op.npages, mprotect_prot_flags(op.prot));
          break;
        case OpKind::Write:
          err = user_write(&mm, op.start, op.value) == Fault::Ok ? 0 : -EFAULT;
          break;
        case OpKind::Mprotect:
          err = do_mprotect_pkey(&mm, op.start, op.npages, op.prot);
          break;
        default:
          err = -EINVAL;
      }
      if (err != 0) throw std::runtime_error("impl state: `" + format_op(op) + "` failed");
    }
    if (static_cast<Page>(mm.map_count) != n)
      throw std::runtime_error("impl state: VMAs did not split");
  }
  ~ImplState() { exit_mmap(&mm); }
  ImplState(const ImplState&) = delete;
  ImplState& operator=(const ImplState&) = delete;

  folio* folio_at(Page page) {
    pte_t* pte = pte_offset_map(&mm, page);
    if (pte == nullptr || pte->page == nullptr)
      throw std::runtime_error("impl state: page not faulted");
    return pte->page;
  }
  // The one anon_vma's tree (every VMA of the state links it).
  const anon_vma_tree& tree() {
    const anon_vma* av = folio_anon_vma(folio_at(0));
    if (av == nullptr) throw std::runtime_error("impl state: folio without anon_vma");
    return av->rb_root;
  }
};

// A counting replica of the query the walk runs (IntervalTree::iter_first +
// iter_next, as include/linux/interval_tree_generic.h): how many avc reads it
// makes and how many distinct avcs they touch. Every field it reads (links,
// rb_subtree_last, the cached key) is in the avc's 48-byte hook. Used for
// counters only, outside the timed loop.
struct QueryCost {
  double avcs = 0, touched = 0;
};
QueryCost query_cost(const anon_vma_tree& tree, pgoff_t p) {
  using T = anon_vma_tree;
  QueryCost c;
  std::set<const anon_vma_chain*> seen;
  auto key_start = [&](const anon_vma_chain& n) {
    seen.insert(&n);
    return T::start_of(n);
  };
  auto key_last = [&](const anon_vma_chain& n) {
    seen.insert(&n);
    return T::last_of(n);
  };
  // subtree_search: leftmost overlap of the subtree under `node`.
  auto search = [&](const anon_vma_chain* node) -> const anon_vma_chain* {
    for (;;) {
      ++c.avcs;
      seen.insert(node);
      const rb_node* rb = T::to_rb(node);
      if (rb->rb_left != nullptr) {
        ++c.avcs;  // the left child's rb_subtree_last
        seen.insert(&T::node_of(rb->rb_left));
        if (p <= T::subtree_last(T::node_of(rb->rb_left))) {
          node = &T::node_of(rb->rb_left);
          continue;
        }
      }
      if (p < key_start(*node)) return nullptr;
      if (p <= key_last(*node)) return node;
      if (rb->rb_right == nullptr) return nullptr;
      node = &T::node_of(rb->rb_right);
      seen.insert(node);
      if (T::subtree_last(*node) < p) return nullptr;
    }
  };
  const anon_vma_chain* hit = tree.root() == nullptr ? nullptr : search(tree.root());
  while (hit != nullptr) {  // iter_next from the hit
    const rb_node* rb = T::to_rb(hit);
    const anon_vma_chain* next = nullptr;
    bool done = false;
    while (!done) {
      if (rb->rb_right != nullptr) {
        ++c.avcs;
        seen.insert(&T::node_of(rb->rb_right));
        if (p <= T::subtree_last(T::node_of(rb->rb_right))) {
          next = search(&T::node_of(rb->rb_right));
          break;
        }
      }
      const rb_node* from = nullptr;
      do {
        from = rb;
        rb = rb->parent();
        if (rb != nullptr) {
          ++c.avcs;
          seen.insert(&T::node_of(rb));
        }
      } while (rb != nullptr && rb->rb_right == from);
      if (rb == nullptr) break;
      const anon_vma_chain& node = T::node_of(rb);
      if (p < key_start(node))
        done = true;
      else if (p <= key_last(node)) {
        next = &node;
        done = true;
      }
    }
    hit = next;
  }
  c.touched = static_cast<double>(seen.size());
  return c;
}

long depth_of(const anon_vma_chain* avc) {
  if (avc == nullptr) return 0;
  long d = 1;
  for (const rb_node* rb = avc; rb->parent() != nullptr; rb = rb->parent()) ++d;
  return d;
}

void BM_RmapWalkAnon(benchmark::State& state) {
  const auto n = static_cast<Page>(state.range(0));
  ImplState s(n);
  folio* f = s.folio_at(n / 2);
  long hits = 0;
  const std::function<bool(vm_area_struct*, Page)> rmap_one = [&](vm_area_struct* vma,
                                                                  Page address) {
    if (page_vma_mapped_walk(vma, address, f) != nullptr) ++hits;
    return true;
  };
  for (auto _ : state) rmap_walk_anon(s.k, f, rmap_one);
  if (hits != static_cast<long>(state.iterations()))
    state.SkipWithError("walk did not find exactly one VMA");
}
BENCHMARK(BM_RmapWalkAnon)->RangeMultiplier(10)->Range(10, 100000);

void BM_RmapWalkAnonNoop(benchmark::State& state) {
  const auto n = static_cast<Page>(state.range(0));
  ImplState s(n);
  folio* f = s.folio_at(n / 2);
  long hits = 0;
  const std::function<bool(vm_area_struct*, Page)> count = [&](vm_area_struct*, Page) {
    ++hits;
    return true;
  };
  for (auto _ : state) rmap_walk_anon(s.k, f, count);
  if (hits != static_cast<long>(state.iterations()))
    state.SkipWithError("walk did not find exactly one VMA");
  const anon_vma_tree& tree = s.tree();
  state.counters["vmas_in_tree"] = static_cast<double>(tree.size());
  state.counters["depth"] =
      static_cast<double>(depth_of(anon_vma_interval_tree_iter_first(tree, f->index, f->index)));
  const QueryCost c = query_cost(tree, f->index);
  state.counters["avc_reads"] = c.avcs;
  state.counters["avcs_touched"] = c.touched;
}
BENCHMARK(BM_RmapWalkAnonNoop)->RangeMultiplier(10)->Range(10, 100000);

// Sixteen folios at evenly spaced VMAs (every folio when n < 16), one walk each
// in turn; avg_depth is the mean depth of their hit nodes.
void BM_RmapWalkAnonSample(benchmark::State& state) {
  const auto n = static_cast<Page>(state.range(0));
  ImplState s(n);
  std::vector<folio*> folios;
  const Page m = std::min<Page>(n, 16);
  for (Page i = 0; i < m; ++i) folios.push_back(s.folio_at(i * n / m + n / (2 * m)));
  long hits = 0;
  folio* f = nullptr;
  const std::function<bool(vm_area_struct*, Page)> rmap_one = [&](vm_area_struct* vma,
                                                                  Page address) {
    if (page_vma_mapped_walk(vma, address, f) != nullptr) ++hits;
    return true;
  };
  std::size_t i = 0;
  for (auto _ : state) {
    f = folios[i];
    rmap_walk_anon(s.k, f, rmap_one);
    if (++i == folios.size()) i = 0;
  }
  if (hits != static_cast<long>(state.iterations()))
    state.SkipWithError("walk did not find exactly one VMA");
  double depth = 0;
  for (folio* g : folios)
    depth += static_cast<double>(
        depth_of(anon_vma_interval_tree_iter_first(s.tree(), g->index, g->index)));
  state.counters["avg_depth"] = depth / static_cast<double>(folios.size());
}
BENCHMARK(BM_RmapWalkAnonSample)->RangeMultiplier(10)->Range(10, 100000);

void BM_RmapWalkAnonSpread(benchmark::State& state) {
  const auto n = static_cast<Page>(state.range(0));
  ImplState s(n);
  std::vector<folio*> folios;
  for (Page i = 0; i < n; ++i) folios.push_back(s.folio_at((i * 7919) % n));
  long hits = 0;
  const std::function<bool(vm_area_struct*, Page)> count = [&](vm_area_struct*, Page) {
    ++hits;
    return true;
  };
  std::size_t i = 0;
  for (auto _ : state) {
    rmap_walk_anon(s.k, folios[i], count);
    if (++i == folios.size()) i = 0;
  }
  if (hits != static_cast<long>(state.iterations()))
    state.SkipWithError("walk did not find exactly one VMA");
}
BENCHMARK(BM_RmapWalkAnonSpread)->RangeMultiplier(10)->Range(10, 100000);

// The interval-tree query alone (iter_first + iter_next) with the Spread
// order: what the walk costs besides the folio, the anon_vma check and the
// callback. Each node visit reads the avc only (its key is cached there).
void BM_TreeQuerySpread(benchmark::State& state) {
  const auto n = static_cast<Page>(state.range(0));
  ImplState s(n);
  const anon_vma_tree& tree = s.tree();
  std::vector<pgoff_t> keys;
  for (Page i = 0; i < n; ++i) keys.push_back(s.folio_at((i * 7919) % n)->index);
  long hits = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    const pgoff_t p = keys[i];
    for (anon_vma_chain* avc = anon_vma_interval_tree_iter_first(tree, p, p); avc != nullptr;
         avc = anon_vma_interval_tree_iter_next(avc, p, p)) {
      ++hits;
    }
    if (++i == keys.size()) i = 0;
  }
  if (hits != static_cast<long>(state.iterations()))
    state.SkipWithError("query did not find exactly one avc");
  QueryCost total;
  for (pgoff_t k : keys) {
    const QueryCost c = query_cost(tree, k);
    total.avcs += c.avcs;
    total.touched += c.touched;
  }
  state.counters["avg_avc_reads"] = total.avcs / static_cast<double>(keys.size());
  state.counters["avg_avcs_touched"] = total.touched / static_cast<double>(keys.size());
}
BENCHMARK(BM_TreeQuerySpread)->RangeMultiplier(10)->Range(10, 100000);

void BM_RmapOp(benchmark::State& state) {
  const EngineKind kind = state.range(0) == 0 ? EngineKind::Impl : EngineKind::Model;
  const auto n = static_cast<Page>(state.range(1));
  auto engine = make_engine(kind);
  bench::apply_all(*engine, bench::split_vma_ops(n, 1));
  const Op op = op_rmap("p0", n / 2);
  for (auto _ : state) {
    const Result r = engine->apply(op);
    if (r.hits.size() != 1) {
      state.SkipWithError("rmap op did not find exactly one mapping");
      break;
    }
    benchmark::DoNotOptimize(r.hits.data());
  }
  state.SetLabel(std::string(engine_kind_name(kind)));
}
BENCHMARK(BM_RmapOp)
    ->ArgNames({"impl0_model1", "n"})
    ->ArgsProduct({{0}, {10, 100, 1000, 10000, 100000}})
    ->ArgsProduct({{1}, {10, 100, 1000, 10000}});

}  // namespace

BENCHMARK_MAIN();
