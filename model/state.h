// state.h - the objects of the reference model, as plain values.
//
// The model is the specification a reader checks against the kernel: every
// kernel object that anon rmap depends on is kept here as data, named by an
// id instead of a pointer, in standard containers. Counters the kernel
// stores (num_children, num_active_vmas, refcount, mapcount) are NOT stored:
// they are derived from their definitions (docs/invariants.md I-CHILDREN,
// I-ACTIVE, I-REF, I-MAPCOUNT) whenever a rule needs them, so they cannot
// drift.
//
// Synopsis
//   Id                  one id space for VMAs, anon_vmas and folios (0 = none)
//   AnonVma             struct anon_vma: root, parent, freed
//   Vma                 struct vm_area_struct: range, vm_pgoff, flags, anon_vma, chain
//   Pte, Folio, Proc    page tables (present and swap PTEs), anon folios, one mm per process
//   SwapSlot            a swap slot in use: the contents it stores
//   FailPlan            the armed `failalloc`: which allocation of the op fails
//   State               everything, plus the Coverage counters
//   lookups             vma_containing, vma_prev, vma_next, vmas_in_order, ...
//   derived counters    anon_vma_live, num_children, num_active_vmas, refcount, mapcount,
//                       swap_count, cached_folio
//
// Contract: the functions of model/*.cpp mirror one kernel function each
// (named in a comment) and keep the state consistent between ops; every
// branch of coverage.h is counted where it is decided.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rmapcheck/coverage.h"
#include "rmapcheck/op.h"
#include "rmapcheck/vm_flags.h"

namespace rmapcheck::model {

using Id = std::uint64_t;  // 0 = none / NULL

// struct anon_vma. Liveness (interval tree non-empty) is derived: an
// anon_vma is live while some VMA's chain holds it.
struct AnonVma {
  Id id = 0;
  Id root = 0;    // itself for a root
  Id parent = 0;  // itself for a root; only anon_vma_fork sets another
  bool freed = false;
};

// struct vm_area_struct, the fields that matter for anon rmap.
struct Vma {
  Id id = 0;
  Page start = 0, end = 0;  // [start, end) in pages
  Page pgoff = 0;           // vm_pgoff (a virtual page index for private anon)
  VmFlags flags = 0;
  Id anon_vma = 0;        // vma->anon_vma; 0 = unfaulted
  std::vector<Id> chain;  // vma->anon_vma_chain, list order: newest first, root last

  Page pages() const { return end - start; }
  bool contains(Page p) const { return start <= p && p < end; }
  // linear_page_index(vma, addr)
  Page linear_index(Page page) const { return pgoff + (page - start); }
  bool chain_has(Id av) const;
};

// One PTE that is not none: present (the shared zero page or an anon
// folio) or a swap entry (slot != 0: the page was reclaimed to that swap
// slot; docs/model/pageout.md).
struct Pte {
  bool zero = true;
  Id folio = 0;
  bool writable = false;
  Id slot = 0;                 // a swap PTE: swp_entry_t
  bool swp_exclusive = false;  // pte_swp_exclusive

  bool is_swap() const { return slot != 0; }
  bool maps_folio() const { return !zero && slot == 0; }
  static Pte swap(Id slot, bool exclusive) { return Pte{false, 0, false, slot, exclusive}; }
};

// An anon folio (order 0). mapcount is derived from the page tables.
struct Folio {
  Id id = 0;
  Id anon_vma = 0;          // folio_anon_vma(folio)
  Page index = 0;           // folio->index
  bool exclusive = false;   // PageAnonExclusive
  std::uint64_t value = 0;  // page contents
  Id swap = 0;              // folio->swap while in the swap cache; 0 = not in it
};

// A swap slot in use. Its count (swap PTEs holding it) and its swap-cache
// folio are derived (swap_count, cached_folio): the slot is freed when both
// are gone (free_swap_slots, the model's swap_entries_free).
struct SwapSlot {
  Id id = 0;
  std::uint64_t value = 0;  // the contents swap-out wrote
};

// One page table (a pte_table) covers kPtesPerTable consecutive pages. The
// model keeps which ones exist only because allocating one is an allocation
// `failalloc pgtable` can fail: a table is allocated by the first PTE of its
// block (fault, fork copy, mremap move) and freed when its last PTE, present
// or swap, is cleared (the impl's simplification of free_pgtables;
// docs/failure.md).
inline constexpr Page kPtesPerTable = 512;
inline Page table_of(Page page) {
  return page / kPtesPerTable;
}

struct Proc {
  std::string name;
  std::map<Id, Vma> vmas;     // by id; address order through vmas_in_order()
  std::map<Page, Pte> ptes;   // present and swap PTEs by page
  std::set<Page> pte_tables;  // allocated page tables, by table_of(page)
};

// `failalloc SITE K` armed for the current op: the K-th allocation at SITE
// (any site for AllocSite::Any), counted in the kernel's order, fails. It
// fires at most once; `seen` counts the matching allocations so far.
struct FailPlan {
  bool armed = false;
  AllocSite site = AllocSite::Any;
  std::uint32_t nth = 0;
  std::uint32_t seen = 0;
};

struct State {
  std::map<std::string, Proc> procs;  // live processes
  std::map<Id, AnonVma> anon_vmas;    // allocated ones (and freed ones a folio still names)
  std::map<Id, Folio> folios;         // allocated anon folios (mapped or in the swap cache)
  std::map<Id, SwapSlot> slots;       // swap slots in use
  Id last_id = 0;
  int max_procs = 64;
  FailPlan fail;
  Coverage cov;

  Id new_id() { return ++last_id; }
  void hit(Branch b) { cov.hit(b); }
};

// ---- lookups (brute force over one process) ----
Vma& vma_by_id(Proc& p, Id id);
Vma* vma_containing(Proc& p, Page page);                    // find_vma + contains check
Vma* vma_prev(Proc& p, Page addr);                          // last VMA with start < addr
Vma* vma_next(Proc& p, Page addr);                          // first VMA with start >= addr
Vma* first_vma_ending_after(Proc& p, Page addr, Page end);  // vma_find(addr, end)
std::vector<Id> vmas_in_order(const Proc& p);
bool range_has_vma(const Proc& p, Page start, Page end);  // find_vma_intersection
// pte_clear: the PTE goes; its page table is freed when no PTE is left in it.
void pte_clear(Proc& p, Page page);

// ---- derived counters (docs/invariants.md) ----
bool anon_vma_live(const State& s, Id av);    // its tree is non-empty
long num_children(const State& s, Id av);     // I-CHILDREN
long num_active_vmas(const State& s, Id av);  // I-ACTIVE
long refcount(const State& s, Id av);         // I-REF
long mapcount(const State& s, Id folio);      // I-MAPCOUNT
long swap_count(const State& s, Id slot);     // I-SWAPCOUNT: swap PTEs holding the slot
Id cached_folio(const State& s, Id slot);     // the swap cache: the folio with swap == slot
std::vector<std::pair<std::string, Page>> anon_vma_tree(const State& s, Id av);

// fork_child(V): vma_had_uncowed_parents / vma_is_fork_child. Null is false.
bool is_fork_child(const Vma* v);

}  // namespace rmapcheck::model
