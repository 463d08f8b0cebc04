// impl/rmap.h - anon_vma, the anon rmap primitives, and the state they live in.
//
// What it is for: the kernel-shaped half of rmapcheck. This header mirrors
// include/linux/rmap.h + the top of mm/rmap.c: struct anon_vma, the avc
// primitives (anon_vma_prepare/clone/fork, unlink_anon_vmas), the folio rmap
// calls (folio_add_new_anon_rmap, ...) and rmap_walk_anon. Object graph:
//
//   mm_struct
//     mm_mt (ordered set by vm_start)  ->  vm_area_struct
//       vma->anon_vma_chain (list, newest first, root last)  ->  anon_vma_chain
//         avc->anon_vma  ->  anon_vma
//           anon_vma->rb_root (interval tree keyed [vm_pgoff, vm_pgoff+pages-1])
//             holds the same avc (its rb node)  ->  avc->vma
//           anon_vma->parent  ->  the anon_vma it was forked from (self for a root)
//           anon_vma->root    ->  the oldest anon_vma of the fork tree (root->root == root)
//     pmd[] -> pte_table -> pte_t -> folio            (a present PTE)
//                                  -> swap slot        (a swap PTE: impl/swapfile.h)
//       folio->mapping  ->  anon_vma | FOLIO_MAPPING_ANON (NOT a reference)
//   kernel_state.si: swap_map (counts), contents, swap table (slot -> folio,
//     the swap cache: impl/swap_state.h); folio->swap is the way back
//
// Invariants (named as in include/rmapcheck/invariants.h):
//   vma->anon_vma == NULL  <=>  vma->anon_vma_chain empty                 I-NULL
//   avc in vma->anon_vma_chain  <=>  avc in avc->anon_vma->rb_root         I-BIDIR
//   a tree node's key is its VMA's CURRENT range: every change of
//     vm_start/vm_end/vm_pgoff of a linked VMA is bracketed by
//     anon_vma_interval_tree_pre_update_vma / post_update_vma            I-KEY
//   a in chainset(V) => a->parent in chainset(V)                           I-CLOSE
//   num_children    == live anon_vmas whose parent is this (a root counts itself)
//   num_active_vmas == VMAs whose vma->anon_vma is this
//   refcount        == [tree non-empty] + (root ? non-root anon_vmas below it : 0)
//   a mapped folio's anon_vma is live and in the chain of every VMA mapping it  I-MAPPING
// Counters are STORED and updated at exactly the kernel's sites; nothing here
// derives them (the invariants compare them with the relations).
//
// Ownership: vm_area_struct, anon_vma, anon_vma_chain and folio objects come
// from the Pools of kernel_state; a freed object is poisoned and any later
// check() throws EngineFault naming the op (a mutant's use after free).
//
// Cost: bytes per object in impl/footprint.h (checked by static_assert).
//   rmap walk O(log n + k) in the anon_vma's tree; anon_vma_clone O(chain);
//   fork O(VMAs * chain + mapped pages); unlink O(chain).
//   Measured (bench/, scripts/bench.sh, one run on a 2-core EPYC VM, median
//   CPU time of 12 interleaved repetitions; docs/performance.md has the run
//   and the caveats):
//     rmap_walk_anon, k = 1, n VMAs in one anon_vma:
//       n               10       100      1000     10000    100000
//       one folio       10.5 ns  13.3 ns  14.6 ns  17.5 ns  19.3 ns  (1.84x: log n)
//       16 in turn      11.4 ns  14.0 ns  16.5 ns  26.2 ns  35.5 ns  (paths differ)
//       spread folios   9.2 ns   12 ns    19 ns    138 ns   582 ns   (cache misses)
//     (rmap_one = page_vma_mapped_walk; counting only for the spread row)
//     the query reads 8 -> 34 avcs (6 -> 23 distinct) from n = 10 to 100000
//     and no VMA: the tree caches each avc's key (impl/interval_tree.h);
//     fork of 1000 VMAs / 10000 faulted pages: 123 us (model: 891 ms);
//     the campaign's mixed trace: 2.9-3.9 M ops/s (model: 0.33-0.42 M).
//
// Caveats
//   - Addresses are page numbers; folios are order-0; no GUP or KSM, so a
//     folio's refcount is its mapcount plus the swap cache's reference
//     (impl/swap_state.h).
//   - An emptied pte_table is freed at once (the kernel frees tables in
//     free_pgtables): only AllocSite::PageTable counting can tell.
//   - `failalloc` is armed by ImplEngine for the next op; every allocation
//     site asks kernel_state::should_fail_alloc first, in the kernel's
//     order, and takes the kernel's error path (docs/failure.md).
//
// Synopsis
//   anon_vma, kernel_state (pools, mutants, coverage, failure injection)
//   anon_vma_alloc/free, anon_vma_chain_alloc/free, get_anon_vma, put_anon_vma
//   anon_vma_prepare / __anon_vma_prepare, anon_vma_clone, anon_vma_fork,
//   unlink_anon_vmas, anon_vma_merge
//   anon_vma_interval_tree_{insert,remove,iter_first,iter_next,verify,
//                           pre_update_vma,post_update_vma}  (interval_tree.cpp)
//   folio_add_new_anon_rmap, folio_add_anon_rmap_pte, folio_try_dup_anon_rmap_pte,
//   folio_move_anon_rmap,
//   folio_remove_rmap_pte, rmap_walk_anon, try_to_unmap, vma_address
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "impl/mm_types.h"
#include "impl/pool.h"
#include "impl/swapfile.h"
#include "rmapcheck/coverage.h"
#include "rmapcheck/mutants.h"

namespace rmapcheck::impl {

// The avc's interval-tree traits: the key is computed from the VMA (avc_start_pgoff).
struct avc_tree_traits {
  using node_type = anon_vma_chain;
  using key_type = pgoff_t;
  static pgoff_t start(const anon_vma_chain& avc) { return avc.vma->vm_pgoff; }
  static pgoff_t last(const anon_vma_chain& avc) {
    return avc.vma->vm_pgoff + vma_pages(avc.vma) - 1;
  }
  static std::string describe(const anon_vma_chain& avc);
};
using anon_vma_tree = IntervalTree<avc_tree_traits>;

// struct anon_vma (include/linux/rmap.h). The rwsem is not modelled: every
// operation here runs under the (implicit) mmap_lock and root lock.
struct anon_vma {
  anon_vma* root = this;     // oldest of the fork tree; every lock is on root
  anon_vma* parent = this;   // the anon_vma this one was forked from
  long refcount = 1;         // 1 while the tree is non-empty, +1 per non-root below a root
  long num_children = 0;     // live anon_vmas with parent == this (a root counts itself)
  long num_active_vmas = 0;  // VMAs with vma->anon_vma == this
  anon_vma_tree rb_root;     // the avcs of every VMA that may map our folios
  std::uint64_t id = 0;      // creation number, for snapshots

  anon_vma() = default;
  anon_vma(const anon_vma&) = delete;
  anon_vma& operator=(const anon_vma&) = delete;
};

// Everything the "machine" holds besides the mms: allocators, bug switches,
// counters and the armed allocation failure. One per engine; `current_kernel`
// points to it while the engine runs an op (like the kernel's `current`).
struct kernel_state {
  explicit kernel_state(const MutantSet& m);
  kernel_state(const kernel_state&) = delete;
  kernel_state& operator=(const kernel_state&) = delete;

  Pool<anon_vma> anon_vma_cachep{"anon_vma"};
  Pool<anon_vma_chain> anon_vma_chain_cachep{"anon_vma_chain"};
  Pool<vm_area_struct> vm_area_cachep{"vm_area_struct"};
  Pool<folio> folio_cachep{"folio"};
  swap_info_struct si;  // the one swap device and its swap cache (impl/swapfile.h)

  MutantSet mutants;
  Coverage cov;
  std::uint64_t next_id = 1;

  bool has(Mutant m) const { return mutants.has(m); }
  void hit(Branch b) { cov.hit(b); }

  // failalloc: during the next op, its `nth` allocation at `site` (Any: at
  // any site) returns NULL; disarm_failalloc() after that op.
  void arm_failalloc(AllocSite site, std::uint32_t nth);
  void disarm_failalloc() { fail_armed_ = false; }
  // True when this allocation must fail (and counts it in the coverage).
  bool should_fail_alloc(AllocSite site);

 private:
  bool fail_armed_ = false;
  AllocSite fail_site_ = AllocSite::Any;
  std::uint32_t fail_nth_ = 0;
  std::uint32_t fail_seen_ = 0;
};

// --- anon_vma and avc lifetime (mm/rmap.c) ---
anon_vma* anon_vma_alloc(kernel_state& k);
void anon_vma_free(kernel_state& k, anon_vma* av);
anon_vma_chain* anon_vma_chain_alloc(kernel_state& k);
void anon_vma_chain_free(kernel_state& k, anon_vma_chain* avc);
void get_anon_vma(anon_vma* av);
void put_anon_vma(kernel_state& k, anon_vma* av);
// Throws EngineFault when av is not a live anon_vma (a mutant's use after free).
anon_vma* anon_vma_check(kernel_state& k, anon_vma* av, std::string_view op);

// --- the interval tree, typed (impl/interval_tree.cpp, like mm/interval_tree.c) ---
void anon_vma_interval_tree_insert(kernel_state& k, anon_vma_chain* avc, anon_vma_tree& root);
void anon_vma_interval_tree_remove(anon_vma_chain* avc, anon_vma_tree& root);
anon_vma_chain* anon_vma_interval_tree_iter_first(const anon_vma_tree& root, pgoff_t first,
                                                  pgoff_t last);
anon_vma_chain* anon_vma_interval_tree_iter_next(anon_vma_chain* node, pgoff_t first, pgoff_t last);
std::string anon_vma_interval_tree_verify(const anon_vma_tree& root);
void anon_vma_interval_tree_pre_update_vma(vm_area_struct* vma);
void anon_vma_interval_tree_post_update_vma(vm_area_struct* vma);

// --- chains (mm/rmap.c) ---
bool vma_had_uncowed_parents(const vm_area_struct* vma);  // fork child: chain not singular
int __anon_vma_prepare(vm_area_struct* vma);
inline int anon_vma_prepare(vm_area_struct* vma) {
  return vma->anon_vma != nullptr ? 0 : __anon_vma_prepare(vma);
}
int anon_vma_clone(vm_area_struct* dst, vm_area_struct* src);
int anon_vma_fork(vm_area_struct* vma, vm_area_struct* pvma);
void unlink_anon_vmas(vm_area_struct* vma);
void anon_vma_merge(vm_area_struct* vma, vm_area_struct* next);
anon_vma* find_mergeable_anon_vma(vm_area_struct* vma);  // mm/vma.c

// --- folio rmap (mm/rmap.c) ---
void folio_add_new_anon_rmap(folio* f, vm_area_struct* vma, Page address, bool exclusive);
void folio_add_anon_rmap_pte(folio* f, vm_area_struct* vma, Page address, bool exclusive);
void folio_try_dup_anon_rmap_pte(folio* f);
void folio_move_anon_rmap(folio* f, vm_area_struct* vma);
void folio_remove_rmap_pte(folio* f);

// vma_address(): where page offset `pgoff` of a folio would sit in `vma`,
// nullopt for -EFAULT.
std::optional<Page> vma_address(const vm_area_struct* vma, pgoff_t pgoff, unsigned long nr);

// rmap_walk_anon: calls rmap_one(vma, address) for each VMA of the folio's
// anon_vma tree whose range holds folio->index; stops when it returns false.
void rmap_walk_anon(kernel_state& k, folio* f,
                    const std::function<bool(vm_area_struct*, Page)>& rmap_one);
// page_vma_mapped_walk for an order-0 folio: the PTE at `address` in vma's mm
// if it is present and maps f, else nullptr. What every rmap_one of the
// kernel (try_to_unmap_one, folio_referenced_one, ...) asks first, since the
// tree over-approximates: a VMA in the tree need not map the folio.
pte_t* page_vma_mapped_walk(vm_area_struct* vma, Page address, const folio* f);
// The walk + page_vma_mapped_walk's PTE check: (mm, page) of every PTE that
// maps f, as the walk finds them.
struct rmap_hit {
  mm_struct* mm;
  Page address;
};
std::vector<rmap_hit> folio_rmap_hits(kernel_state& k, folio* f);
// The same hits, each handed to `hit` as the walk finds it (no vector).
void folio_rmap_hits(kernel_state& k, folio* f, const std::function<void(const rmap_hit&)>& hit);
// try_to_unmap: rmap_walk_anon with try_to_unmap_one: every PTE the walk
// finds mapping f becomes a swap PTE of f->swap. f must be in the swap
// cache and the caller must hold a reference (shrink_folio_list); the
// caller re-checks folio_mapped after.
void try_to_unmap(kernel_state& k, folio* f);

}  // namespace rmapcheck::impl
