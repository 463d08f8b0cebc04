// ops.h - the kernel steps of the reference model, one function per kernel function.
//
// Every function here names, in the .cpp that defines it, the kernel function
// it mirrors (v6.18.8+). They are separate functions on purpose: a later
// issue injects allocation failures at each kernel allocation site, and each
// site sits in exactly one of these steps (see alloc_fails()).
//
// Synopsis (by file)
//   anon_vma.cpp          anon_vma_alloc, anon_vma_prepare, find_mergeable_anon_vma,
//                         anon_vma_clone, anon_vma_fork, dup_anon_vma,
//                         unlink_anon_vmas, put_anon_vma
//   merge.cpp             MergeRequest (vma_merge_struct), vma_merge_new_range,
//                         vma_merge_existing_range, split_vma, vma_modify_flags
//   fault.cpp             handle_read, handle_write (do_anonymous_page, do_wp_page,
//                         do_swap_page)
//   fork.cpp              dup_mmap
//   mmap.cpp              mmap_region
//   munmap_exit.cpp       do_munmap, zap_range, exit_mmap
//   reclaim.cpp           shrink_folio, madvise_pageout, reclaim_all, free_unmapped_folios
//   mprotect_madvise.cpp  do_mprotect, do_madvise
//   mremap.cpp            do_mremap
//   rmap_walk.cpp         rmap_walk_anon
//   snapshot.cpp          build_snapshot
#pragma once

#include <cerrno>
#include <functional>
#include <string>
#include <vector>

#include "model/state.h"
#include "rmapcheck/result.h"
#include "rmapcheck/snapshot.h"

namespace rmapcheck::model {

// Allocation failures (docs/failure.md). Every allocation the kernel makes
// in the modelled paths asks alloc_fails(site) first, in the kernel's order;
// the K-th one matching the armed `failalloc SITE K` answers true (once per
// op), and the caller takes the kernel's error path for that allocation.
// The steps that can fail return 0 or -ENOMEM (like the kernel) so each
// error path is written where it happens, next to the allocation.
//
// Which allocations each kernel step makes, in order:
//   __anon_vma_prepare   avc, then anon_vma (unless a neighbour's is reused)
//   anon_vma_clone       one avc per anon_vma of the source chain, root first
//   anon_vma_fork        anon_vma_clone's avcs, then (no reuse) anon_vma, avc
//   __split_vma          vma (vm_area_dup), prealloc, anon_vma_clone's avcs
//   vma_expand           dup_anon_vma's avcs, then prealloc (commit_merge)
//   vma_merge_existing   dup_anon_vma's avcs, then prealloc (commit_merge)
//   mmap new VMA         vma, prealloc
//   copy_vma (no merge)  vma, anon_vma_clone's avcs, prealloc (vma_link)
//   dup_mmap, per VMA    vma, anon_vma_fork's, then one pgtable per page table
//                        of the parent the child does not have yet
//   move_page_tables     one pgtable per destination page table missing
//   fault                pgtable (if missing), then for a write
//                        __anon_vma_prepare's and the folio; a swap-in the
//                        folio it reads into (none on a swap-cache hit)
//   shrink_folio         swap (folio_alloc_swap), unless already in the swap cache
bool alloc_fails(State& s, AllocSite site);

// ---- anon_vma.cpp ----
Id anon_vma_alloc(State& s);  // 0 when the allocation fails
int anon_vma_prepare(State& s, Proc& p, Vma& v);
Id find_mergeable_anon_vma(Proc& p, const Vma& v);
int anon_vma_clone(State& s, Vma& dst, const Vma& src);
int anon_vma_fork(State& s, Vma& child, const Vma& parent);
// *dup is set to dst's id when the dup happened (the merge's undo record).
int dup_anon_vma(State& s, Vma& dst, const Vma& src, Id* dup);
void unlink_anon_vmas(State& s, Vma& v);
void put_anon_vma(State& s, Id av);

// ---- merge.cpp ----
// struct vma_merge_struct: the proposed range and what it would carry.
struct MergeRequest {
  Id prev = 0, middle = 0, next = 0;  // VMA ids; 0 = none
  Page start = 0, end = 0, pgoff = 0;
  VmFlags flags = 0;
  Id anon_vma = 0;     // vmg->anon_vma
  Id copied_from = 0;  // vmg->copied_from (mremap's copy_vma, v6.18.8+)
  bool just_expand = false;
  bool nomem = false;  // vmg_nomem(): a merge was possible but an allocation failed
};
Id vma_merge_new_range(State& s, Proc& p, MergeRequest& m);
Id vma_merge_existing_range(State& s, Proc& p, MergeRequest& m);
// __split_vma: after it, one VMA ends at addr and another starts there.
int split_vma(State& s, Proc& p, Id vma, Page addr);
// vma_modify_flags: merge or split so that [start,end) is one VMA with
// newflags; returns its id, or 0 with *err = -ENOMEM.
Id vma_modify_flags(State& s, Proc& p, Id vma, Page start, Page end, VmFlags newflags, int* err);

// ---- fault.cpp ----
Result handle_read(State& s, Proc& p, Page page);
Result handle_write(State& s, Proc& p, Page page, std::uint64_t value);

// ---- fork.cpp ----
Result dup_mmap(State& s, const std::string& parent, const std::string& child);

// ---- mmap.cpp ----
Result mmap_region(State& s, Proc& p, Page start, Page npages, Prot prot, bool noreserve);

// ---- munmap_exit.cpp ----
void zap_range(State& s, Proc& p, Page start, Page end);
int do_munmap(State& s, Proc& p, Page start, Page end);
void exit_mmap(State& s, const std::string& proc);

// ---- reclaim.cpp ----
bool shrink_folio(State& s, Id folio);  // true when the folio was reclaimed
Result madvise_pageout(State& s, Proc& p, Page start, Page npages);
Result reclaim_all(State& s);
// Frees what nothing holds: unmapped folios (unless a swap PTE still needs
// them in the swap cache) and slots with no count and no cache.
void free_unmapped_folios(State& s);

// ---- mprotect_madvise.cpp ----
VmFlags prot_to_flags(Prot prot);
Result do_mprotect(State& s, Proc& p, Page start, Page npages, Prot prot);
Result do_madvise(State& s, Proc& p, Page start, Page npages, Advice advice);
// madvise_walk_vmas: visit(vma, from, to) for each VMA piece of the range;
// 0 or -errno. Holes: ENOMEM at the end; a visit's error: at once.
Result madvise_walk_vmas(Proc& p, Page start, Page npages,
                         const std::function<int(Vma&, Page, Page)>& visit);

// ---- mremap.cpp ----
Result do_mremap(State& s, Proc& p, const Op& op);

// ---- rmap_walk.cpp ----
std::vector<RmapHit> rmap_walk_anon(const State& s, Id folio);
// The same hits, appended to `hits`.
void rmap_walk_anon(const State& s, Id folio, std::vector<RmapHit>& hits);

// ---- snapshot.cpp ----
// `reach_complete` (optional): set to whether every allocated anon_vma and
// folio is reached from a live process (the snapshot's walk finds that on
// the side), i.e. whether leaks() would find nothing. `out` is refilled in
// place (rmapcheck/snapshot_refill.h): any earlier snapshot will do.
void build_snapshot(const State& s, Snapshot& out, bool* reach_complete = nullptr);

}  // namespace rmapcheck::model
