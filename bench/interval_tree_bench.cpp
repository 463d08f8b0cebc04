// The interval tree's cost as the tree grows: an overlap query that finds one
// node (k = 1) should grow like log n, and so should insert and remove.
//
//   tree of n disjoint intervals [10i, 10i+4]; the query is one page of one of them.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "impl/interval_tree.h"

namespace {

using rmapcheck::impl::interval_tree_node;
using rmapcheck::impl::IntervalTree;

struct Node : interval_tree_node<unsigned long> {
  unsigned long start = 0, last = 0;
};
struct Traits {
  using node_type = Node;
  using key_type = unsigned long;
  static unsigned long start(const Node& n) { return n.start; }
  static unsigned long last(const Node& n) { return n.last; }
};
using Tree = IntervalTree<Traits>;

// Inserted in a scrambled order so the tree is not built by one sorted run.
struct Filled {
  std::vector<std::unique_ptr<Node>> nodes;
  Tree tree;
  explicit Filled(unsigned long n) {
    for (unsigned long i = 0; i < n; ++i) {
      const unsigned long j = (i * 7919) % n;  // 7919 is prime: a permutation unless n % 7919 == 0
      auto node = std::make_unique<Node>();
      node->start = 10 * j;
      node->last = 10 * j + 4;
      nodes.push_back(std::move(node));
    }
    for (auto& node : nodes) tree.insert(node.get());
  }
};

void BM_QueryOneHit(benchmark::State& state) {
  const auto n = static_cast<unsigned long>(state.range(0));
  Filled f(n);
  unsigned long i = 0;
  for (auto _ : state) {
    const unsigned long page = 10 * (i++ % n) + 2;
    unsigned long hits = 0;
    for (Node* x = f.tree.iter_first(page, page); x != nullptr;
         x = Tree::iter_next(x, page, page)) {
      ++hits;
    }
    benchmark::DoNotOptimize(hits);
  }
}
BENCHMARK(BM_QueryOneHit)->RangeMultiplier(10)->Range(10, 100000);

// remove + insert of one node: what pre/post_update_vma cost per avc.
void BM_RemoveReinsert(benchmark::State& state) {
  const auto n = static_cast<unsigned long>(state.range(0));
  Filled f(n);
  unsigned long i = 0;
  for (auto _ : state) {
    Node* x = f.nodes[i++ % n].get();
    f.tree.remove(x);
    f.tree.insert(x);
  }
}
BENCHMARK(BM_RemoveReinsert)->RangeMultiplier(10)->Range(10, 100000);

void BM_Verify(benchmark::State& state) {
  const auto n = static_cast<unsigned long>(state.range(0));
  Filled f(n);
  for (auto _ : state) benchmark::DoNotOptimize(f.tree.verify().size());
}
BENCHMARK(BM_Verify)->RangeMultiplier(10)->Range(10, 100000);

}  // namespace

BENCHMARK_MAIN();
