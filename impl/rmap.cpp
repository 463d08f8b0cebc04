// impl/rmap.cpp - anon_vma / anon_vma_chain primitives and the folio rmap (mirrors mm/rmap.c).
//
// Written from the kernel's behaviour (v6.18.8 semantics, docs/kernel/anon-vma.md),
// not copied: each function carries the name of the kernel function it
// mirrors and keeps its order of steps, which decides the counters.
#include "impl/rmap.h"

#include <cerrno>

#include "impl/footprint.h"  // its static_asserts hold the cost figures
#include "impl/internal.h"

namespace rmapcheck::impl {

kernel_state::kernel_state(const MutantSet& m) : mutants(m) {}

void kernel_state::arm_failalloc(AllocSite site, std::uint32_t nth) {
  fail_armed_ = nth > 0;
  fail_site_ = site;
  fail_nth_ = nth;
  fail_seen_ = 0;
}

bool kernel_state::should_fail_alloc(AllocSite site) {
  if (!fail_armed_) [[likely]]
    return false;
  if (fail_site_ != AllocSite::Any && fail_site_ != site) return false;
  if (++fail_seen_ != fail_nth_) return false;
  fail_armed_ = false;
  cov.hit(Branch::AllocFailed);
  cov.failed(site);
  return true;
}

// anon_vma_alloc: refcount 1, self root and parent, empty tree.
anon_vma* anon_vma_alloc(kernel_state& k) {
  if (k.should_fail_alloc(AllocSite::AnonVma)) return nullptr;
  anon_vma* av = k.anon_vma_cachep.alloc();
  av->id = k.next_id++;
  return av;
}

void anon_vma_free(kernel_state& k, anon_vma* av) {
  k.anon_vma_cachep.free(av, "anon_vma_free");
}

anon_vma_chain* anon_vma_chain_alloc(kernel_state& k) {
  if (k.should_fail_alloc(AllocSite::AnonVmaChain)) return nullptr;
  return k.anon_vma_chain_cachep.alloc();
}

void anon_vma_chain_free(kernel_state& k, anon_vma_chain* avc) {
  k.anon_vma_chain_cachep.free(avc, "anon_vma_chain_free");
}

anon_vma* anon_vma_check(kernel_state& k, anon_vma* av, std::string_view op) {
  k.anon_vma_cachep.check(av, op);
  return av;
}

void get_anon_vma(anon_vma* av) {
  ++av->refcount;
}

// __put_anon_vma: free it, then drop the pin a non-root holds on its root.
static void __put_anon_vma(kernel_state& k, anon_vma* av) {
  anon_vma* root = av->root;
  anon_vma_free(k, av);
  if (root != av) {
    anon_vma_check(k, root, "__put_anon_vma");
    if (--root->refcount == 0) anon_vma_free(k, root);
  }
}

// put_anon_vma
void put_anon_vma(kernel_state& k, anon_vma* av) {
  anon_vma_check(k, av, "put_anon_vma");
  if (--av->refcount == 0) __put_anon_vma(k, av);
}

// anon_vma_chain_link: list_add at the head of the VMA's list, insert in the tree.
static void anon_vma_chain_link(kernel_state& k, vm_area_struct* vma, anon_vma_chain* avc,
                                anon_vma* av) {
  avc->vma = vma;
  avc->anon_vma = av;
  vma->anon_vma_chain.push_front(*avc);
  anon_vma_interval_tree_insert(k, avc, av->rb_root);
}

// vma_had_uncowed_parents (v6.19: vma_is_fork_child): a faulted VMA whose
// chain is not singular was made by fork.
bool vma_had_uncowed_parents(const vm_area_struct* vma) {
  if (vma == nullptr || vma->anon_vma == nullptr) return false;
  auto it = vma->anon_vma_chain.begin();
  if (it == vma->anon_vma_chain.end()) return false;
  return ++it != vma->anon_vma_chain.end();
}

// __anon_vma_prepare: avc first, then a neighbour's anon_vma or a new root.
int __anon_vma_prepare(vm_area_struct* vma) {
  kernel_state& k = *vma->vm_mm->k;
  anon_vma_chain* avc = anon_vma_chain_alloc(k);
  if (avc == nullptr) return -ENOMEM;

  anon_vma* av = find_mergeable_anon_vma(vma);
  anon_vma* allocated = nullptr;
  if (av == nullptr) {
    av = anon_vma_alloc(k);
    if (av == nullptr) {
      anon_vma_chain_free(k, avc);
      return -ENOMEM;
    }
    av->num_children++;  // the self-parent link of a new root
    allocated = av;
    k.hit(Branch::PrepareNewAnonVma);
  } else {
    k.hit(Branch::PrepareNeighbourReuse);
  }

  // anon_vma_lock_write(anon_vma); page_table_lock
  if (vma->anon_vma == nullptr) [[likely]] {
    vma->anon_vma = av;
    anon_vma_chain_link(k, vma, avc, av);
    av->num_active_vmas++;
    allocated = nullptr;
    avc = nullptr;
  }
  if (allocated != nullptr) put_anon_vma(k, allocated);
  if (avc != nullptr) anon_vma_chain_free(k, avc);
  return 0;
}

// The fork-only reuse test of anon_vma_clone, with the historical variants.
static bool anon_vma_reusable(const kernel_state& k, const vm_area_struct* src,
                              const anon_vma* av) {
  if (k.has(Mutant::Cve2022_42703)) {
    // Before 2555283eb40d: one `degree` (= num_children + num_active_vmas), < 2.
    return av != src->anon_vma && av->num_children + av->num_active_vmas < 2;
  }
  if (k.has(Mutant::Cve2022_42703_ChildrenOnly)) return av->num_children < 2;
  return av->num_children < 2 && av->num_active_vmas == 0;
}

// anon_vma_clone: link dst to every anon_vma of src, walking src's list from
// the tail (root first). Only fork (dst->anon_vma == NULL) may reuse one.
int anon_vma_clone(vm_area_struct* dst, vm_area_struct* src) {
  kernel_state& k = *dst->vm_mm->k;
  bool reused = false;
  for (auto it = src->anon_vma_chain.rbegin(); it != src->anon_vma_chain.rend(); ++it) {
    anon_vma_chain* avc = anon_vma_chain_alloc(k);
    if (avc == nullptr) {
      // enomem_failure: dst->anon_vma must be cleared first (3fe89b3e2a7b),
      // or unlink_anon_vmas drops a num_active_vmas it never took.
      if (!k.has(Mutant::CloneEnomemKeepsAnonVma)) dst->anon_vma = nullptr;
      unlink_anon_vmas(dst);
      return -ENOMEM;
    }
    anon_vma* av = anon_vma_check(k, it->anon_vma, "anon_vma_clone");
    anon_vma_chain_link(k, dst, avc, av);

    // Reuse an existing anon_vma with no VMA and at most one child
    // (7a3ef208e662). A root is never reused: it counts itself and, in a
    // chain whose active anon_vma is below it, also that live child.
    if (dst->anon_vma == nullptr && src->anon_vma != nullptr && anon_vma_reusable(k, src, av)) {
      dst->anon_vma = av;
      reused = true;
    }
  }
  if (reused) k.hit(Branch::CloneReuse);
  if (dst->anon_vma != nullptr) {
    if (!(reused && k.has(Mutant::Cve2022_42703_NoActiveInc))) dst->anon_vma->num_active_vmas++;
  }
  return 0;
}

// anon_vma_fork: child VMA gets the parent's chain plus (unless a member was
// reused) a new anon_vma whose parent is pvma->anon_vma.
int anon_vma_fork(vm_area_struct* vma, vm_area_struct* pvma) {
  kernel_state& k = *vma->vm_mm->k;
  if (pvma->anon_vma == nullptr) {
    k.hit(Branch::ForkUnfaultedVma);
    return 0;
  }
  vma->anon_vma = nullptr;  // forces the reuse branch of anon_vma_clone
  int error = anon_vma_clone(vma, pvma);
  if (error != 0) return error;
  if (vma->anon_vma != nullptr) return 0;  // reused

  anon_vma* av = anon_vma_alloc(k);
  if (av == nullptr) {
    unlink_anon_vmas(vma);
    return -ENOMEM;
  }
  av->num_active_vmas++;
  anon_vma_chain* avc = anon_vma_chain_alloc(k);
  if (avc == nullptr) {
    put_anon_vma(k, av);
    unlink_anon_vmas(vma);
    return -ENOMEM;
  }
  k.hit(Branch::CloneNoReuse);
  av->root = pvma->anon_vma->root;
  av->parent = pvma->anon_vma;
  get_anon_vma(av->root);  // the pin dropped in __put_anon_vma
  vma->anon_vma = av;
  anon_vma_chain_link(k, vma, avc, av);
  av->parent->num_children++;
  return 0;
}

// unlink_anon_vmas: take every avc out of its tree; an anon_vma whose tree
// empties stops counting as its parent's child and keeps its avc on the list
// until the second pass, which drops the anon_vmas (the root last, since it
// is at the tail) outside the lock.
void unlink_anon_vmas(vm_area_struct* vma) {
  kernel_state& k = *vma->vm_mm->k;
  for (auto it = vma->anon_vma_chain.begin(); it != vma->anon_vma_chain.end();) {
    anon_vma_chain* avc = &*it;
    anon_vma* av = anon_vma_check(k, avc->anon_vma, "unlink_anon_vmas");
    anon_vma_interval_tree_remove(avc, av->rb_root);
    if (av->rb_root.empty()) {
      anon_vma_check(k, av->parent, "unlink_anon_vmas")->num_children--;
      ++it;
      continue;
    }
    it = vma->anon_vma_chain.erase(it);
    anon_vma_chain_free(k, avc);
  }
  if (vma->anon_vma != nullptr) {
    anon_vma_check(k, vma->anon_vma, "unlink_anon_vmas")->num_active_vmas--;
    vma->anon_vma = nullptr;
  }
  // Second pass, outside the root lock: the emptied anon_vmas go.
  for (auto it = vma->anon_vma_chain.begin(); it != vma->anon_vma_chain.end();) {
    anon_vma_chain* avc = &*it;
    k.hit(Branch::UnlinkFreedAnonVma);
    put_anon_vma(k, avc->anon_vma);
    it = vma->anon_vma_chain.erase(it);
    anon_vma_chain_free(k, avc);
  }
}

// anon_vma_merge (v6.18 rmap.h): `next` goes away inside `vma`; relies on
// I-SAMECHAIN (VM_BUG_ON(vma->anon_vma != next->anon_vma) is debug-only).
void anon_vma_merge(vm_area_struct* /*vma*/, vm_area_struct* next) {
  unlink_anon_vmas(next);
}

// __folio_set_anon via folio_add_new_anon_rmap: a fresh folio goes under
// vma->anon_vma, index = linear page index. A folio that is not exclusive
// (only a swap-in of a slot others still hold) goes under the ROOT: other
// processes of the fork tree may map it later, and the root is in every
// chain of the tree ("the anon_vma for a page that might be shared").
void folio_add_new_anon_rmap(folio* f, vm_area_struct* vma, Page address, bool exclusive) {
  anon_vma* av = vma->anon_vma;
  if (av == nullptr) throw EngineFault("__folio_set_anon: VMA without anon_vma");
  if (!exclusive && !vma->vm_mm->k->has(Mutant::SwapinSharedUnderVmaAnonVma)) av = av->root;
  f->mapping = reinterpret_cast<std::uintptr_t>(av) | FOLIO_MAPPING_ANON;
  f->index = linear_page_index(vma, address);
  f->mapcount = 1;  // _mapcount = 0
  f->anon_exclusive = exclusive;
}

// folio_add_anon_rmap_pte (__folio_add_anon_rmap): one more mapping of a
// folio that is anon already (a swap-cache hit); mapping and index are kept.
void folio_add_anon_rmap_pte(folio* f, vm_area_struct* /*vma*/, Page /*address*/, bool exclusive) {
  f->mapcount++;
  if (exclusive) f->anon_exclusive = true;  // SetPageAnonExclusive
}

// folio_try_dup_anon_rmap_pte: fork shares the page, so it is no longer
// exclusive (no GUP pins here, so never -EBUSY).
void folio_try_dup_anon_rmap_pte(folio* f) {
  f->anon_exclusive = false;
  f->mapcount++;
}

// folio_move_anon_rmap: the sole mapper takes the folio over; index unchanged.
void folio_move_anon_rmap(folio* f, vm_area_struct* vma) {
  f->mapping = reinterpret_cast<std::uintptr_t>(vma->anon_vma) | FOLIO_MAPPING_ANON;
}

void folio_remove_rmap_pte(folio* f) {
  f->mapcount--;
}

// vma_address (mm/internal.h)
std::optional<Page> vma_address(const vm_area_struct* vma, pgoff_t pgoff, unsigned long nr) {
  if (pgoff >= vma->vm_pgoff) {
    Page address = vma->vm_start + (pgoff - vma->vm_pgoff);
    if (address < vma->vm_start || address >= vma->vm_end) return std::nullopt;
    return address;
  }
  if (pgoff + nr - 1 >= vma->vm_pgoff) return vma->vm_start;
  return std::nullopt;
}

// rmap_walk_anon: the folio's own anon_vma (not the root), the interval
// query on [index, index + nr - 1], vma_address for each hit.
void rmap_walk_anon(kernel_state& k, folio* f,
                    const std::function<bool(vm_area_struct*, Page)>& rmap_one) {
  anon_vma* av = folio_anon_vma(f);
  if (av == nullptr) return;
  anon_vma_check(k, av, "rmap_walk_anon");
  const pgoff_t first = f->index;
  const pgoff_t last = first;  // order-0
  for (anon_vma_chain* avc = anon_vma_interval_tree_iter_first(av->rb_root, first, last);
       avc != nullptr; avc = anon_vma_interval_tree_iter_next(avc, first, last)) {
    vm_area_struct* vma = avc->vma;
    std::optional<Page> address = vma_address(vma, first, 1);
    if (!address) continue;  // VM_BUG_ON_VMA in the kernel
    if (!rmap_one(vma, *address)) break;
  }
}

// page_vma_mapped_walk's question: does the PTE at address map this folio?
pte_t* page_vma_mapped_walk(vm_area_struct* vma, Page address, const folio* f) {
  pte_t* pte = pte_offset_map(vma->vm_mm, address);
  if (pte == nullptr || !pte->present || pte->page != f) return nullptr;
  return pte;
}

void folio_rmap_hits(kernel_state& k, folio* f, const std::function<void(const rmap_hit&)>& hit) {
  rmap_walk_anon(k, f, [&](vm_area_struct* vma, Page address) {
    if (page_vma_mapped_walk(vma, address, f) != nullptr) hit({vma->vm_mm, address});
    return true;
  });
}

std::vector<rmap_hit> folio_rmap_hits(kernel_state& k, folio* f) {
  std::vector<rmap_hit> hits;
  folio_rmap_hits(k, f, [&](const rmap_hit& h) { hits.push_back(h); });
  return hits;
}

// try_to_unmap_one (mm/rmap.c) for an anon, swap-backed, order-0 folio in
// the swap cache: the PTE becomes a swap PTE of folio->swap (one more
// count on the slot), carrying PageAnonExclusive, which the page loses
// (folio_try_share_anon_rmap_pte; no GUP pins, so it never fails); the
// mapping and its reference go. Returns false to abort the walk.
static bool try_to_unmap_one(kernel_state& k, folio* f, vm_area_struct* vma, Page address) {
  pte_t* pte = page_vma_mapped_walk(vma, address, f);
  if (pte == nullptr) return true;
  mm_struct* mm = vma->vm_mm;
  const bool anon_exclusive = f->anon_exclusive;
  const swp_entry_t entry = f->swap;  // page_swap_entry
  swap_duplicate(k, entry);
  if (anon_exclusive) f->anon_exclusive = false;
  set_pte_at(mm, address, pte, swp_entry_to_pte(entry, anon_exclusive));
  k.hit(Branch::SwapOut);
  if (anon_exclusive) k.hit(Branch::SwapOutExclusive);
  folio_remove_rmap_pte(f);
  folio_put(k, f);  // the caller's reference keeps f alive
  // reclaim-frees-mapped-folio: the walk ends after the first PTE.
  return !k.has(Mutant::ReclaimFreesMappedFolio);
}

void try_to_unmap(kernel_state& k, folio* f) {
  // rwc->done = folio_not_mapped: the walk stops once nothing maps f.
  rmap_walk_anon(k, f, [&](vm_area_struct* vma, Page address) {
    return try_to_unmap_one(k, f, vma, address) && f->mapcount > 0;
  });
}

}  // namespace rmapcheck::impl
