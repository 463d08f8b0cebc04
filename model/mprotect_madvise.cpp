// mprotect_madvise.cpp - mprotect (do_mprotect_pkey, mprotect_fixup,
// change_protection) and madvise (madvise_walk_vmas, madvise_update_vma,
// MADV_DONTNEED) (docs/kernel/merge.md#mprotect-and-vm_account,
// docs/kernel/munmap-exit.md#madvise).
#include <algorithm>
#include <functional>

#include "model/ops.h"

namespace rmapcheck::model {

VmFlags prot_to_flags(Prot prot) {
  VmFlags f = 0;
  if (prot_read(prot)) f |= VM_READ;
  if (prot_write(prot)) f |= VM_WRITE | VM_READ;  // x86: write implies read
  if (prot_exec(prot)) f |= VM_EXEC;
  return f;
}

namespace {

constexpr VmFlags kAccess = VM_READ | VM_WRITE | VM_EXEC;

// change_protection over [start, end): losing VM_WRITE write-protects every
// PTE; with VM_WRITE (MM_CP_TRY_CHANGE_WRITABLE, can_change_pte_writable)
// PTEs of PageAnonExclusive folios become writable, nothing else does.
// Swap PTEs keep what they are (change_pte_range leaves genuine swap
// entries alone): writability is decided again at swap-in.
void change_protection(State& s, Proc& p, VmFlags newflags, Page start, Page end) {
  for (auto it = p.ptes.lower_bound(start); it != p.ptes.end() && it->first < end; ++it) {
    Pte& pte = it->second;
    if (!(newflags & VM_WRITE))
      pte.writable = false;
    else if (pte.maps_folio() && s.folios.at(pte.folio).exclusive)
      pte.writable = true;
  }
}

// mprotect_fixup for [start, end) inside one VMA. A failed merge or split
// (vma_modify_flags) is ENOMEM with this VMA's flags and PTEs unchanged.
int mprotect_fixup(State& s, Proc& p, Id id, Page start, Page end, Prot prot) {
  const Vma& v = vma_by_id(p, id);
  const VmFlags oldflags = v.flags;
  VmFlags newflags = prot_to_flags(prot) | (oldflags & ~kAccess);
  if (newflags == oldflags) return 0;  // nothing to do, and no merge attempt
  if (newflags & VM_WRITE) {
    // Becoming writable charges commit unless something already did.
    if (!(oldflags & (VM_ACCOUNT | VM_WRITE | VM_NORESERVE))) newflags |= VM_ACCOUNT;
  } else if ((oldflags & VM_ACCOUNT) && v.anon_vma == 0) {
    newflags &= ~VM_ACCOUNT;  // v6.7+: an unfaulted anon VMA gives it back
  }
  int err = 0;
  const Id piece = vma_modify_flags(s, p, id, start, end, newflags, &err);
  if (piece == 0) return err;
  vma_by_id(p, piece).flags = newflags;
  change_protection(s, p, newflags, start, end);
  return 0;
}

// madvise_update_vma for the flag-changing advices; ENOMEM when the merge
// or split cannot allocate.
int madvise_update_vma(State& s, Proc& p, Id id, Page start, Page end, Advice a) {
  VmFlags f = vma_by_id(p, id).flags;
  switch (a) {
    case Advice::DontFork:
      f |= VM_DONTCOPY;
      break;
    case Advice::DoFork:
      f &= ~VM_DONTCOPY;
      break;
    case Advice::WipeOnFork:
      f |= VM_WIPEONFORK;
      break;
    case Advice::KeepOnFork:
      f &= ~VM_WIPEONFORK;
      break;
    case Advice::DontNeed:
      return 0;
  }
  if (f == vma_by_id(p, id).flags) return 0;
  int err = 0;
  const Id piece = vma_modify_flags(s, p, id, start, end, f, &err);
  if (piece == 0) return err;
  vma_by_id(p, piece).flags = f;
  return 0;
}

}  // namespace

// do_mprotect_pkey: a hole at the start is ENOMEM with no effect; the VMAs
// are changed one by one and a later hole stops the walk with ENOMEM,
// leaving the VMAs before it changed. A VMA whose merge or split fails for
// want of memory stops the walk the same way: ENOMEM, the VMAs before it
// keep their new protection (a split done at the start of the failing VMA
// stays too).
Result do_mprotect(State& s, Proc& p, Page start, Page npages, Prot prot) {
  if (npages == 0) return Result::ok();
  const Page end = start + npages;
  Vma* first = first_vma_ending_after(p, start, end);
  if (!first || first->start > start) return Result::error(ENOMEM);
  Page pos = start;
  while (pos < end) {
    Vma* v = first_vma_ending_after(p, pos, end);
    if (!v || v->start > pos) return Result::error(ENOMEM);  // a hole
    const Page piece_end = std::min(end, v->end);
    if (int err = mprotect_fixup(s, p, v->id, pos, piece_end, prot)) return Result::error(-err);
    pos = piece_end;
  }
  return Result::ok();
}

// madvise_walk_vmas: every VMA piece in the range is visited; holes make
// the result ENOMEM at the end (the VMAs are still changed). A visit that
// fails (a merge or split that cannot allocate, EINVAL) returns its error
// at once; the VMAs before it stay changed.
Result madvise_walk_vmas(Proc& p, Page start, Page npages,
                         const std::function<int(Vma&, Page, Page)>& visit) {
  if (npages == 0) return Result::ok();
  const Page end = start + npages;
  bool hole = false;
  Page pos = start;
  while (pos < end) {
    Vma* v = first_vma_ending_after(p, pos, end);
    if (!v) return Result::error(ENOMEM);
    if (v->start > pos) {
      hole = true;
      pos = v->start;
    }
    const Page piece_end = std::min(end, v->end);
    if (int err = visit(*v, pos, piece_end)) return Result::error(-err);
    pos = piece_end;
  }
  return hole ? Result::error(ENOMEM) : Result::ok();
}

Result do_madvise(State& s, Proc& p, Page start, Page npages, Advice advice) {
  return madvise_walk_vmas(p, start, npages, [&](Vma& v, Page from, Page to) {
    if (advice != Advice::DontNeed) return madvise_update_vma(s, p, v.id, from, to, advice);
    // madvise_dontneed_free: EINVAL on VM_LOCKED; zap, anon state kept.
    if (v.flags & VM_LOCKED) return -EINVAL;
    zap_range(s, p, from, to);
    s.hit(Branch::MadviseDontNeed);
    return 0;
  });
}

}  // namespace rmapcheck::model
