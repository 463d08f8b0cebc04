// anon_vma.cpp - the anon_vma primitives of mm/rmap.c and mm/vma.c (docs/kernel/anon-vma.md).
#include <algorithm>
#include <stdexcept>

#include "model/ops.h"

namespace rmapcheck::model {

// The K-th allocation matching the armed site fails; it fires once, and is
// counted as the coverage of an injected failure.
bool alloc_fails(State& s, AllocSite site) {
  FailPlan& f = s.fail;
  if (!f.armed) return false;
  if (f.site != AllocSite::Any && f.site != site) return false;
  if (++f.seen != f.nth) return false;
  f.armed = false;
  s.hit(Branch::AllocFailed);
  s.cov.failed(site);
  return true;
}

// anon_vma_alloc: a new root (root = parent = self), refcount 1; 0 on failure.
Id anon_vma_alloc(State& s) {
  if (alloc_fails(s, AllocSite::AnonVma)) return 0;
  AnonVma a;
  a.id = s.new_id();
  a.root = a.id;
  a.parent = a.id;
  s.anon_vmas[a.id] = a;
  return a.id;
}

// anon_vma_chain_alloc: false on failure. anon_vma_chain_link then puts the
// avc at the head of the VMA's list (list_add); being in the chain is being
// in the anon_vma's interval tree.
static bool anon_vma_chain_alloc(State& s) {
  return !alloc_fails(s, AllocSite::AnonVmaChain);
}

static void anon_vma_chain_link(Vma& v, Id av) {
  v.chain.insert(v.chain.begin(), av);
}

// anon_vma_compatible(a, b), a below b.
static bool anon_vma_compatible(const Vma& a, const Vma& b) {
  const VmFlags access = VM_READ | VM_WRITE | VM_EXEC;
  return a.end == b.start && ((a.flags ^ b.flags) & ~access) == 0 &&
         b.pgoff == a.pgoff + (b.start - a.start);
}

// reusable_anon_vma(old, a, b): old's anon_vma, if old is not a fork child
// (list_is_singular) and a, b are compatible.
static Id reusable_anon_vma(const Vma& old, const Vma& a, const Vma& b) {
  if (anon_vma_compatible(a, b) && old.anon_vma != 0 && old.chain.size() == 1) return old.anon_vma;
  return 0;
}

// find_mergeable_anon_vma: next first, then prev (immediate neighbours only).
Id find_mergeable_anon_vma(Proc& p, const Vma& v) {
  if (Vma* next = vma_next(p, v.end); next && next->start == v.end)
    if (Id av = reusable_anon_vma(*next, v, *next)) return av;
  if (Vma* prev = vma_prev(p, v.start)) return reusable_anon_vma(*prev, *prev, v);
  return 0;
}

// __anon_vma_prepare (anon_vma_prepare's slow path). The avc is allocated
// first; on failure nothing changed. Then a neighbour's anon_vma or a new
// root; if the new root cannot be allocated, the avc is freed and nothing
// changed either (out_enomem_free_avc).
int anon_vma_prepare(State& s, Proc& p, Vma& v) {
  if (v.anon_vma != 0) return 0;  // the inline fast path
  if (!anon_vma_chain_alloc(s)) return -ENOMEM;
  Id av = find_mergeable_anon_vma(p, v);
  if (av != 0) {
    s.hit(Branch::PrepareNeighbourReuse);  // num_children unchanged
  } else {
    av = anon_vma_alloc(s);  // num_children++ (self) is derived from liveness
    if (av == 0) return -ENOMEM;
    s.hit(Branch::PrepareNewAnonVma);
  }
  v.anon_vma = av;
  anon_vma_chain_link(v, av);  // num_active_vmas++ is derived
  return 0;
}

// anon_vma_clone(dst, src): link dst to every anon_vma of src, walking src's
// list from the tail (root first), so dst's list comes out in the same order.
// Fork only (dst->anon_vma NULL, src->anon_vma set): the first anon_vma in
// root->leaf order with num_children < 2 && num_active_vmas == 0 is reused.
// On a failed avc (enomem_failure): dst->anon_vma = NULL first
// (3fe89b3e2a7b), then unlink_anon_vmas(dst): dst ends with no anon state at
// all, whatever it had on entry; the anon_vmas it was linked to are still
// src's, so none is freed.
int anon_vma_clone(State& s, Vma& dst, const Vma& src) {
  const std::vector<Id> src_chain = src.chain;  // src may be dst's neighbour in one map
  const bool may_reuse = dst.anon_vma == 0 && src.anon_vma != 0;
  Id reused = 0;
  for (auto it = src_chain.rbegin(); it != src_chain.rend(); ++it) {
    if (!anon_vma_chain_alloc(s)) {
      dst.anon_vma = 0;
      unlink_anon_vmas(s, dst);
      return -ENOMEM;
    }
    anon_vma_chain_link(dst, *it);
    // The counters are read before dst points anywhere (the kernel's
    // num_active_vmas++ comes after the loop), so dst is not counted.
    if (may_reuse && reused == 0 && num_children(s, *it) < 2 && num_active_vmas(s, *it) == 0)
      reused = *it;
  }
  if (may_reuse && reused != 0) {
    dst.anon_vma = reused;
    s.hit(Branch::CloneReuse);
  }
  // dst->anon_vma->num_active_vmas++ is derived from dst.anon_vma.
  return 0;
}

// anon_vma_fork(vma, pvma). Failures: the clone cleans up itself; a failed
// anon_vma (out_error) or avc (out_error_free_anon_vma: the new anon_vma is
// put, and freed) unlinks the child VMA's chain. Either way the child VMA
// ends with no anon state and the parent's anon_vmas are as before.
int anon_vma_fork(State& s, Vma& child, const Vma& parent) {
  child.chain.clear();
  child.anon_vma = 0;
  if (parent.anon_vma == 0) {
    s.hit(Branch::ForkUnfaultedVma);
    return 0;
  }
  if (int err = anon_vma_clone(s, child, parent)) return err;
  if (child.anon_vma != 0) return 0;  // reused an anon_vma of the chain
  const Id av = anon_vma_alloc(s);
  if (av == 0) {
    unlink_anon_vmas(s, child);
    return -ENOMEM;
  }
  if (!anon_vma_chain_alloc(s)) {
    put_anon_vma(s, av);  // not yet linked anywhere: refcount 0, freed
    unlink_anon_vmas(s, child);
    return -ENOMEM;
  }
  s.hit(Branch::CloneNoReuse);
  AnonVma& a = s.anon_vmas[av];
  a.root = s.anon_vmas.at(parent.anon_vma).root;  // get_anon_vma(root): derived pin
  a.parent = parent.anon_vma;                     // parent->num_children++: derived
  child.anon_vma = av;
  anon_vma_chain_link(child, av);
  return 0;
}

// dup_anon_vma(dst, src, &dup): give an unfaulted merge target src's anon
// state. On failure the clone has already left dst unfaulted again.
int dup_anon_vma(State& s, Vma& dst, const Vma& src, Id* dup) {
  if (src.anon_vma == 0 || dst.anon_vma != 0) return 0;
  dst.anon_vma = src.anon_vma;  // assigned BEFORE the clone (b800c91a0517)
  if (int err = anon_vma_clone(s, dst, src)) return err;
  s.hit(Branch::DupAnonVma);
  *dup = dst.id;
  return 0;
}

// __put_anon_vma: free when the derived refcount is 0; a freed non-root
// drops its pin on the root, which may free the root.
void put_anon_vma(State& s, Id av) {
  auto it = s.anon_vmas.find(av);
  if (it == s.anon_vmas.end() || it->second.freed) return;
  if (refcount(s, av) != 0) return;
  it->second.freed = true;
  const Id root = it->second.root;
  if (root != av) put_anon_vma(s, root);
}

// unlink_anon_vmas(vma): drop every avc; an anon_vma whose tree empties
// loses its count in parent->num_children (derived) and is put.
void unlink_anon_vmas(State& s, Vma& v) {
  const std::vector<Id> chain = v.chain;
  v.chain.clear();
  v.anon_vma = 0;  // num_active_vmas-- is derived
  for (Id av : chain) {
    if (anon_vma_live(s, av)) continue;
    s.hit(Branch::UnlinkFreedAnonVma);
    put_anon_vma(s, av);
  }
}

}  // namespace rmapcheck::model
