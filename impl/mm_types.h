// impl/mm_types.h - vm_area_struct, mm_struct, anon_vma_chain, folio and the page table.
//
// What it is for: the objects of include/linux/mm_types.h and rmap.h that anon
// rmap is made of, with the kernel's field names, so a kernel reader finds
// vma->anon_vma_chain, avc->same_vma, folio->mapping where they expect them.
// struct anon_vma itself is declared in impl/rmap.h beside its primitives.
//
// Units: every address here is a PAGE NUMBER (the trace language's unit), so
// PAGE_SHIFT disappears: linear_page_index(vma, addr) = addr - vm_start + vm_pgoff.
//
// Synopsis
//   anon_vma_chain      the avc: hooked into vma->anon_vma_chain (list) and
//                       anon_vma->rb_root (interval tree) at once
//   vm_area_struct      vm_start/vm_end/vm_pgoff/vm_flags/anon_vma/anon_vma_chain,
//                       hooked into mm->mm_mt (the maple tree's stand-in)
//   folio               mapping (anon_vma | FOLIO_MAPPING_ANON), index, mapcount,
//                       refcount, anon_exclusive (PageAnonExclusive), swap
//                       (folio->swap: its slot while in the swap cache), value
//   swp_entry_t         a swap slot (offset on the one device; 0 = none)
//   pte_t, pte_table    the per-mm two-level page table (pmd -> 512 ptes, with a
//                       bitmap of the non-none ones: present or swap)
//   mm_struct           name, VMA index, page table
//
// Cost: bytes per object are in impl/footprint.h (static_assert-checked):
// one anon_vma_chain per (VMA, anon_vma of its chain), one pte_table per
// touched 2 MiB. The model's costs, for contrast, are in docs/performance.md.
//
// Contract: every vm_area_struct, anon_vma, anon_vma_chain and folio lives in
// a Pool of the kernel_state (impl/rmap.h); hooks are normal_link (no
// auto-unlink), unlinking is always explicit, as in the kernel.
#pragma once

#include <array>
#include <boost/intrusive/list.hpp>
#include <boost/intrusive/set.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "impl/interval_tree.h"
#include "rmapcheck/op.h"
#include "rmapcheck/vm_flags.h"

namespace rmapcheck::impl {

namespace bi = boost::intrusive;

struct anon_vma;
struct vm_area_struct;
struct mm_struct;
struct kernel_state;

using pgoff_t = std::uint64_t;
using vm_flags_t = VmFlags;

// VM_ACCESS_FLAGS and VM_SPECIAL (no op produces a special VMA; kept for the
// merge predicates' shape).
inline constexpr vm_flags_t VM_ACCESS_FLAGS = VM_READ | VM_WRITE | VM_EXEC;
inline constexpr vm_flags_t VM_SPECIAL = 0;
inline constexpr vm_flags_t VM_LOCKED_MASK = VM_LOCKED;

// struct anon_vma_chain (include/linux/rmap.h): "this VMA is linked to this
// anon_vma". The interval_tree_node base is `rb` + `rb_subtree_last` + the
// cached key (the kernel's DEBUG_VM_RB cached_vma_start/cached_vma_last).
struct anon_vma_chain : interval_tree_node<pgoff_t> {
  vm_area_struct* vma = nullptr;
  struct anon_vma* anon_vma = nullptr;
  bi::list_member_hook<bi::link_mode<bi::normal_link>> same_vma;  // vma->anon_vma_chain
};

using avc_list =
    bi::list<anon_vma_chain,
             bi::member_hook<anon_vma_chain, bi::list_member_hook<bi::link_mode<bi::normal_link>>,
                             &anon_vma_chain::same_vma>,
             bi::constant_time_size<false>>;

// struct vm_area_struct: only what anon rmap reads and writes.
struct vm_area_struct {
  Page vm_start = 0;  // first page
  Page vm_end = 0;    // first page after
  pgoff_t vm_pgoff = 0;
  vm_flags_t vm_flags = 0;
  mm_struct* vm_mm = nullptr;
  struct anon_vma* anon_vma = nullptr;  // where new exclusive folios go; NULL: unfaulted
  avc_list anon_vma_chain;              // newest anon_vma at the head, root at the tail
  bi::set_member_hook<bi::link_mode<bi::normal_link>> vm_rb;  // mm->mm_mt
};

inline Page vma_pages(const vm_area_struct* vma) {
  return vma->vm_end - vma->vm_start;
}
inline pgoff_t linear_page_index(const vm_area_struct* vma, Page addr) {
  return addr - vma->vm_start + vma->vm_pgoff;
}

struct vma_start_key {
  using type = Page;
  Page operator()(const vm_area_struct& v) const { return v.vm_start; }
};

// The maple tree's stand-in: VMAs ordered by vm_start (they never overlap).
using vma_tree =
    bi::set<vm_area_struct,
            bi::member_hook<vm_area_struct, bi::set_member_hook<bi::link_mode<bi::normal_link>>,
                            &vm_area_struct::vm_rb>,
            bi::key_of_value<vma_start_key>, bi::constant_time_size<true>>;

// FOLIO_MAPPING_ANON: the low bit of folio->mapping says "this is an anon_vma".
inline constexpr std::uintptr_t FOLIO_MAPPING_ANON = 0x1;
inline constexpr std::uintptr_t FOLIO_MAPPING_FLAGS = 0x3;

// swp_entry_t (include/linux/mm_types.h): the offset of a slot on the one
// swap device (type 0 is implied). Offset 0 is the swap header, never a
// slot, so val == 0 means "no entry".
struct swp_entry_t {
  std::uint32_t val = 0;
  bool operator==(const swp_entry_t&) const = default;
};

// An order-0 anon folio. refcount == mapcount + (in the swap cache ? 1 : 0)
// between operations (no GUP or LRU batches); both are kept because the
// kernel decides reuse and swap-cache freeing on refcount.
struct folio {
  std::uintptr_t mapping = 0;  // anon_vma | FOLIO_MAPPING_ANON
  pgoff_t index = 0;           // linear_page_index when the anon rmap was set up
  long mapcount = 0;           // _mapcount + 1
  long refcount = 0;
  bool anon_exclusive = false;  // PageAnonExclusive
  swp_entry_t swap;             // folio->swap; val != 0 <=> PG_swapcache (swap_state.h)
  std::uint64_t value = 0;      // the page's contents
  std::uint64_t id = 0;         // creation number, for snapshots
};

inline struct anon_vma* folio_anon_vma(const folio* f) {
  if ((f->mapping & FOLIO_MAPPING_FLAGS) != FOLIO_MAPPING_ANON) return nullptr;
  return reinterpret_cast<struct anon_vma*>(f->mapping & ~FOLIO_MAPPING_FLAGS);
}
inline bool folio_test_anon(const folio* f) {
  return (f->mapping & FOLIO_MAPPING_ANON) != 0;
}

// A PTE is none, present (a folio, or the shared zero page when page ==
// nullptr) or a swap PTE (!present, swp names the slot; pte_swp_exclusive
// carries PageAnonExclusive of the page that was unmapped). 16 bytes, as
// before the swap form: swp and the exclusive bit fill the padding.
struct pte_t {
  folio* page = nullptr;  // present
  swp_entry_t swp;        // !present: the slot; 0 = pte_none
  bool present = false;
  bool write = false;          // present: writable
  bool swp_exclusive = false;  // swap: pte_swp_exclusive
};

inline bool pte_none(const pte_t& pte) {
  return !pte.present && pte.swp.val == 0;
}
inline bool is_swap_pte(const pte_t& pte) {
  return !pte.present && pte.swp.val != 0;
}
inline pte_t pfn_pte(folio* page, bool write) {  // mk_pte
  return pte_t{page, {}, true, write, false};
}
inline pte_t swp_entry_to_pte(swp_entry_t entry, bool exclusive) {  // + pte_swp_mkexclusive
  return pte_t{nullptr, entry, false, false, exclusive};
}

inline constexpr Page PTRS_PER_PTE = 512;
inline constexpr Page PTRS_PER_PMD = (kWindowPages + PTRS_PER_PTE - 1) / PTRS_PER_PTE;

// `used` has bit i set iff !pte_none(pte[i]) (present or swap): snapshot()
// and leaks() visit those only, and a table whose last non-none PTE went is
// all-zero words and is freed (a swap PTE occupies its table as a present
// one does).
struct pte_table {
  std::array<pte_t, PTRS_PER_PTE> pte{};
  std::array<std::uint64_t, PTRS_PER_PTE / 64> used{};
  bool empty() const {
    for (std::uint64_t w : used)
      if (w != 0) return false;
    return true;
  }
  // f(index, pte) for every non-none PTE, in index order.
  template <class F>
  void for_each_used(F&& f) const {
    for (std::size_t w = 0; w < used.size(); ++w) {
      for (std::uint64_t bits = used[w]; bits != 0; bits &= bits - 1) {
        const auto i = w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits));
        f(static_cast<Page>(i), pte[i]);
      }
    }
  }
};

struct mm_struct;
// The pte_table of slot `t`, or nullptr (pmd_none).
pte_table* pmd_table(const mm_struct* mm, Page t);

struct mm_struct {
  std::string name;
  kernel_state* k = nullptr;
  vma_tree mm_mt;
  int map_count = 0;
  // Up to PTRS_PER_PMD slots; the vector grows to the highest table touched
  // (pte_alloc_map), so a process that uses the first 2 MiB has one slot.
  std::vector<std::unique_ptr<pte_table>> pmd;

  mm_struct() = default;
  mm_struct(const mm_struct&) = delete;
  mm_struct& operator=(const mm_struct&) = delete;
};

inline pte_table* pmd_table(const mm_struct* mm, Page t) {
  return t < mm->pmd.size() ? mm->pmd[t].get() : nullptr;
}

}  // namespace rmapcheck::impl
