// merge.cpp - VMA split and the v6.18.8+ merge rules of mm/vma.c (docs/kernel/merge.md).
#include "model/ops.h"
#include "rmapcheck/engine.h"

namespace rmapcheck::model {

namespace {

Vma* get(Proc& p, Id id) {
  return id ? &vma_by_id(p, id) : nullptr;
}

// is_mergeable_vma: every merge key must match. For private anonymous
// VMAs of one process that is vm_flags (VM_SOFTDIRTY is not modelled).
bool is_mergeable_vma(const MergeRequest& m, const Vma& tgt) {
  return tgt.flags == m.flags;
}

// is_mergeable_anon_vma(vmg, merge_next), v6.18.8+ (with copied_from).
bool is_mergeable_anon_vma(State& s, Proc& p, const MergeRequest& m, const Vma& tgt) {
  const Vma* src = get(p, m.middle);
  bool ok;
  if (tgt.anon_vma == 0 && m.anon_vma != 0) {
    // Case 1: dup_anon_vma() will copy src's state into tgt; refused when
    // the source (or the VMA mremap copies from) is a fork child.
    ok = !is_fork_child(src) && !is_fork_child(get(p, m.copied_from));
  } else if (tgt.anon_vma != 0 && m.anon_vma == 0) {
    ok = !is_fork_child(&tgt);  // Case 2: the range adopts tgt's anon_vma
  } else {
    ok = tgt.anon_vma == m.anon_vma;  // Case 3: already shared (or both NULL)
  }
  if (!ok) s.hit(Branch::MergeRefusedAnonVma);
  return ok;
}

// can_vma_merge_after: prev may grow up over the range.
bool can_vma_merge_left(State& s, Proc& p, const MergeRequest& m) {
  Vma* prev = get(p, m.prev);
  if (!prev || prev->end != m.start) return false;
  return is_mergeable_vma(m, *prev) && is_mergeable_anon_vma(s, p, m, *prev) &&
         prev->pgoff + prev->pages() == m.pgoff;
}

// can_vma_merge_right (can_vma_merge_before plus, when prev merges too,
// the check that prev and next do not carry different anon_vmas).
bool can_vma_merge_right(State& s, Proc& p, const MergeRequest& m, bool can_merge_left) {
  Vma* next = get(p, m.next);
  if (!next || m.end != next->start) return false;
  if (!(is_mergeable_vma(m, *next) && is_mergeable_anon_vma(s, p, m, *next) &&
        next->pgoff == m.pgoff + (m.end - m.start)))
    return false;
  if (!can_merge_left) return true;
  const Vma& prev = vma_by_id(p, m.prev);  // exists: prev merges too
  const bool ok = prev.anon_vma == 0 || next->anon_vma == 0 || prev.anon_vma == next->anon_vma;
  if (!ok) s.hit(Branch::MergeRefusedAnonVma);
  return ok;
}

// anon_vma_merge(keep, remove) + remove_vma: the removed VMA's chain is
// dropped (it equals the target's, I-SAMECHAIN) and the VMA freed.
void remove_merged_vma(State& s, Proc& p, Id target, Id removed) {
  Vma& r = vma_by_id(p, removed);
  if (r.anon_vma != 0 && r.anon_vma != vma_by_id(p, target).anon_vma)
    throw EngineFault("model: anon_vma_merge of two different anon_vmas: " + p.name + " vma [" +
                      std::to_string(r.start) + "," + std::to_string(r.end) +
                      ") removed by a merge");
  unlink_anon_vmas(s, r);
  p.vmas.erase(removed);
}

// vma_expand: target grows to [start, end) with pgoff; a next that is
// swallowed whole is removed after its anon state was dup'ed into target.
// Failure (-ENOMEM): a failed dup has undone itself; a failed preallocation
// undoes the dup (unlink_anon_vmas(anon_dup), the 2023 fix); either way no
// VMA changed.
int vma_expand(State& s, Proc& p, const MergeRequest& m, Id target_id) {
  Vma& target = vma_by_id(p, target_id);
  Vma* next = get(p, m.next);
  const bool remove_next = next && next->id != target_id && m.end == next->end;
  Id anon_dup = 0;
  if (remove_next) {
    if (int err = dup_anon_vma(s, target, *next, &anon_dup)) return err;
  }
  // v6.18.8+ (61f67c230a5e): a copied VMA's anon state comes along too.
  int err = 0;
  if (Vma* from = get(p, m.copied_from)) err = dup_anon_vma(s, target, *from, &anon_dup);
  if (err == 0 && alloc_fails(s, AllocSite::Prealloc)) err = -ENOMEM;  // commit_merge
  if (err != 0) {
    if (anon_dup != 0) unlink_anon_vmas(s, vma_by_id(p, anon_dup));
    return -ENOMEM;
  }
  target.start = m.start;
  target.end = m.end;
  target.pgoff = m.pgoff;
  if (remove_next) remove_merged_vma(s, p, target_id, next->id);
  return 0;
}

}  // namespace

// vma_merge_new_range: a range not yet mapped (mmap, mremap's copy_vma and
// in-place expand) joins prev and/or next. A merge that fails for want of
// memory returns 0 like no merge at all, with m.nomem set; m's range is
// then the caller's again.
Id vma_merge_new_range(State& s, Proc& p, MergeRequest& m) {
  if (!m.prev && !m.next) return 0;
  const MergeRequest asked = m;
  const bool left = can_vma_merge_left(s, p, m);
  const bool right = !m.just_expand && can_vma_merge_right(s, p, m, left);
  Id target = 0;
  if (right) {
    m.end = vma_by_id(p, m.next).end;
    target = m.next;  // next grows down; pgoff = the range's pgoff
  }
  if (left) {
    const Vma& prev = vma_by_id(p, m.prev);
    m.start = prev.start;
    m.pgoff = prev.pgoff;
    target = m.prev;
  }
  if (!target) return 0;
  if (vma_expand(s, p, m, target) != 0) {
    m = asked;
    m.nomem = true;
    return 0;
  }
  s.hit(left && right ? Branch::MergeNewBoth : left ? Branch::MergeNewLeft : Branch::MergeNewRight);
  return target;
}

// vma_merge_existing_range: [start, end) of VMA `middle` gets new flags and
// may join prev and/or next (the five cases of docs/kernel/merge.md#existing-range-merge). The
// dup_anon_vma comes first, then commit_merge's preallocation; a failure of
// either leaves every VMA as it was (the dup undone) and sets m.nomem.
Id vma_merge_existing_range(State& s, Proc& p, MergeRequest& m) {
  Vma& middle = vma_by_id(p, m.middle);
  const bool left_side = m.start == middle.start;
  const bool right_side = m.end == middle.end;
  if (!left_side && !right_side) return 0;
  const bool merge_left = left_side && can_vma_merge_left(s, p, m);
  bool merge_right = false;
  if (right_side) {
    Vma* next = vma_next(p, middle.end);
    m.next = next ? next->id : 0;
    merge_right = can_vma_merge_right(s, p, m, merge_left);
  }
  if (!merge_left && !merge_right) return 0;
  const bool remove_middle = left_side && right_side;

  // Which VMA takes whose anon state, and the branch counted (as the kernel
  // decides it, before the commit).
  Id target = 0, dup_src = 0;
  if (merge_left && merge_right) {  // prev ┃mid┃ next: prev absorbs both
    target = m.prev;
    dup_src = vma_by_id(p, m.next).anon_vma ? m.next : m.middle;
    s.hit(Branch::MergeExistingBoth);
  } else if (merge_left) {  // prev ┃mid┃ or prev ┃mi┃d: prev grows up
    target = m.prev;
    dup_src = m.middle;
    s.hit(remove_middle ? Branch::MergeExistingLeftWhole : Branch::MergeExistingLeftPart);
  } else {  // ┃mid┃ next or m┃id┃ next: next grows down
    target = m.next;
    dup_src = m.middle;
    s.hit(remove_middle ? Branch::MergeExistingRightWhole : Branch::MergeExistingRightPart);
  }
  Id anon_dup = 0;
  if (dup_anon_vma(s, vma_by_id(p, target), vma_by_id(p, dup_src), &anon_dup) != 0) {
    m.nomem = true;  // the clone undid itself
    return 0;
  }
  if (alloc_fails(s, AllocSite::Prealloc)) {                         // commit_merge
    if (anon_dup != 0) unlink_anon_vmas(s, vma_by_id(p, anon_dup));  // the 2023 undo
    m.nomem = true;
    return 0;
  }

  if (merge_left && merge_right) {
    Vma& prev = vma_by_id(p, m.prev);
    prev.end = vma_by_id(p, m.next).end;
    remove_merged_vma(s, p, m.prev, m.middle);
    remove_merged_vma(s, p, m.prev, m.next);
    return m.prev;
  }
  if (merge_left) {
    vma_by_id(p, m.prev).end = m.end;
    if (remove_middle) {
      remove_merged_vma(s, p, m.prev, m.middle);
    } else {  // __adjust_middle_start
      middle.pgoff += m.end - middle.start;
      middle.start = m.end;
    }
    return m.prev;
  }
  Vma& next = vma_by_id(p, m.next);  // its pgoff is lowered with its start
  next.pgoff -= next.start - m.start;
  next.start = m.start;
  if (remove_middle) {
    remove_merged_vma(s, p, m.next, m.middle);
  } else {  // __adjust_next_start
    middle.end = m.start;
  }
  return m.next;
}

// __split_vma: the new VMA (vm_area_dup) takes [addr, end) with the pgoff
// that keeps every page's linear index, and an exact copy of the chain.
// Allocations: the VMA, the maple-tree preallocation, the clone's avcs; a
// failure of any leaves the VMA unsplit (the clone undid itself).
int split_vma(State& s, Proc& p, Id id, Page addr) {
  if (alloc_fails(s, AllocSite::Vma)) return -ENOMEM;
  if (alloc_fails(s, AllocSite::Prealloc)) return -ENOMEM;
  Vma& v = vma_by_id(p, id);
  Vma upper;
  upper.id = s.new_id();
  upper.start = addr;
  upper.end = v.end;
  upper.pgoff = v.linear_index(addr);
  upper.flags = v.flags;
  upper.anon_vma = v.anon_vma;  // copied by vm_area_dup, so no fork reuse
  if (int err = anon_vma_clone(s, upper, v)) return err;
  v.end = addr;
  p.vmas[upper.id] = upper;
  s.hit(Branch::SplitVma);
  return 0;
}

// vma_modify_flags (vma_modify): merge if possible, else split at start
// and end; returns the VMA that now spans [start, end) with newflags.
// Failure: a merge that ran out of memory is -ENOMEM with nothing changed;
// a split that fails keeps the split done before it (the one at start).
Id vma_modify_flags(State& s, Proc& p, Id id, Page start, Page end, VmFlags newflags, int* err) {
  *err = 0;
  Vma& v = vma_by_id(p, id);
  MergeRequest m;
  if (Vma* prev = vma_prev(p, v.start)) m.prev = prev->id;
  m.middle = id;
  m.start = start;
  m.end = end;
  m.pgoff = v.linear_index(start);
  m.flags = newflags;
  m.anon_vma = v.anon_vma;
  if (Id merged = vma_merge_existing_range(s, p, m)) return merged;
  if (m.nomem) {
    *err = -ENOMEM;
    return 0;
  }
  Id piece = id;
  if (v.start < start) {
    if ((*err = split_vma(s, p, id, start)) != 0) return 0;
    piece = vma_containing(p, start)->id;
  }
  if (vma_by_id(p, piece).end > end) {
    if ((*err = split_vma(s, p, piece, end)) != 0) return 0;
  }
  vma_by_id(p, piece).flags = newflags;
  return piece;
}

}  // namespace rmapcheck::model
