// munmap_exit.cpp - munmap and exit: do_vmi_munmap, zap, unlink_anon_vmas,
// exit_mmap (docs/kernel/munmap-exit.md, docs/kernel/anon-vma.md#liveness-and-freeing).
#include <vector>

#include "model/ops.h"

namespace rmapcheck::model {

// unmap_vmas / zap_page_range_single: PTEs go, folio mappings drop; swap
// PTEs go too (zap_nonpresent_ptes -> free_swap_and_cache_nr: the slot's
// count drops); the anon state of the VMAs is untouched. What is left
// unused is freed (free_unmapped_folios, reclaim.cpp).
void zap_range(State& s, Proc& p, Page start, Page end) {
  std::vector<Page> present;
  for (auto it = p.ptes.lower_bound(start); it != p.ptes.end() && it->first < end; ++it) {
    present.push_back(it->first);
    if (it->second.is_swap()) s.hit(Branch::ZapSwapPte);
  }
  for (Page page : present) pte_clear(p, page);
  free_unmapped_folios(s);
}

// do_vmi_munmap: split the VMAs straddling start and end, zap the range,
// then free_pgtables -> unlink_anon_vmas for each VMA removed.
// Failure: a split that cannot allocate makes it ENOMEM before anything is
// unmapped; a split done before (at start) stays.
int do_munmap(State& s, Proc& p, Page start, Page end) {
  if (Vma* first = first_vma_ending_after(p, start, end); first && first->start < start)
    if (int err = split_vma(s, p, first->id, start)) return err;
  if (Vma* last = vma_containing(p, end - 1); last && last->end > end)
    if (int err = split_vma(s, p, last->id, end)) return err;
  std::vector<Id> doomed;
  for (const auto& [id, v] : p.vmas)
    if (v.start >= start && v.end <= end) doomed.push_back(id);
  zap_range(s, p, start, end);
  for (Id id : doomed) {
    unlink_anon_vmas(s, vma_by_id(p, id));
    p.vmas.erase(id);
  }
  return 0;
}

// exit_mmap: unmap everything, unlink every VMA, and the mm is gone.
void exit_mmap(State& s, const std::string& name) {
  Proc& p = s.procs.at(name);
  zap_range(s, p, 0, kWindowPages);
  for (Id id : vmas_in_order(p)) unlink_anon_vmas(s, vma_by_id(p, id));
  s.procs.erase(name);
  free_unmapped_folios(s);
}

}  // namespace rmapcheck::model
