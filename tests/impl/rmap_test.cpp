// tests/impl/rmap_test.cpp - anon_vma_fork / anon_vma_clone reuse, unlink order and counters,
// the rmap walk (impl/rmap.cpp), on the kernel's own objects.
#include <gtest/gtest.h>

#include "machine.h"

namespace rmapcheck::impl::test {
namespace {

long chain_length(const vm_area_struct* v) {
  return static_cast<long>(std::distance(v->anon_vma_chain.begin(), v->anon_vma_chain.end()));
}

//   01
//   AA     <- p0 faulted at page 0: root R
// fork p0 -> a: a's VMA gets a new anon_vma A (parent R), chain {A, R}.
TEST(AnonVmaFork, ChildGetsANewAnonVmaUnderTheParents) {
  Machine m;
  m.run("mmap p0 0 2 rw\nwrite p0 0\nfork p0 a");
  anon_vma* r = m.vma("p0", 0)->anon_vma;
  anon_vma* a = m.vma("a", 0)->anon_vma;
  ASSERT_NE(a, r);
  EXPECT_EQ(a->parent, r);
  EXPECT_EQ(a->root, r);
  EXPECT_EQ(r->num_children, 2);  // itself + A
  EXPECT_EQ(r->refcount, 2);      // live + A's pin
  EXPECT_EQ(chain_length(m.vma("a", 0)), 2);
  EXPECT_EQ(&m.vma("a", 0)->anon_vma_chain.front(), &*m.vma("a", 0)->anon_vma_chain.begin());
  EXPECT_EQ(m.vma("a", 0)->anon_vma_chain.front().anon_vma, a);  // newest at the head
  EXPECT_EQ(m.vma("a", 0)->anon_vma_chain.back().anon_vma, r);   // root at the tail
  EXPECT_EQ(m.k.cov.count(Branch::CloneNoReuse), 1u);
  EXPECT_EQ(m.check(), "");
}

// p0 -> a -> b, a exits: A has no VMA and one live child (B). b forks c:
// anon_vma_clone walks root first, R is not reusable (2 children), A is.
TEST(AnonVmaClone, ForkReusesAnAbandonedIntermediate) {
  Machine m;
  m.run("mmap p0 0 2 rw\nwrite p0 0\nfork p0 a\nfork a b");
  anon_vma* a = m.vma("a", 0)->anon_vma;
  m.run("exit a");
  EXPECT_EQ(a->num_active_vmas, 0);
  EXPECT_EQ(a->num_children, 1);
  m.run("fork b c");
  EXPECT_EQ(m.vma("c", 0)->anon_vma, a);
  EXPECT_EQ(a->num_active_vmas, 1);
  EXPECT_EQ(chain_length(m.vma("c", 0)), 3);  // {B, A, R}: nothing new allocated
  EXPECT_EQ(m.k.cov.count(Branch::CloneReuse), 1u);
  EXPECT_EQ(m.check(), "");
}

// A split is an exact copy of the chain: both halves share anon_vma and set.
TEST(AnonVmaClone, SplitCopiesTheChainExactly) {
  Machine m;
  m.run("mmap p0 0 4 rw\nwrite p0 0\nfork p0 a\nmprotect a 2 2 r => 0");
  vm_area_struct* lo = m.vma("a", 0);
  vm_area_struct* hi = m.vma("a", 2);
  ASSERT_NE(lo, hi);
  EXPECT_EQ(lo->anon_vma, hi->anon_vma);
  EXPECT_EQ(lo->anon_vma->num_active_vmas, 2);
  auto il = lo->anon_vma_chain.begin();
  for (const anon_vma_chain& avc : hi->anon_vma_chain) EXPECT_EQ((il++)->anon_vma, avc.anon_vma);
  EXPECT_EQ(m.check(), "");
}

// exit of a fork child: its anon_vma's tree empties, the parent's child
// count drops, the anon_vma is freed and its pin on the root goes.
TEST(UnlinkAnonVmas, ExitFreesTheChildAndDropsTheRootPin) {
  Machine m;
  m.run("mmap p0 0 2 rw\nwrite p0 0\nfork p0 a");
  anon_vma* r = m.vma("p0", 0)->anon_vma;
  EXPECT_EQ(m.k.anon_vma_cachep.live_count(), 2u);
  m.run("exit a");
  EXPECT_EQ(m.k.anon_vma_cachep.live_count(), 1u);
  EXPECT_EQ(r->refcount, 1);
  EXPECT_EQ(r->num_children, 1);
  EXPECT_EQ(m.k.cov.count(Branch::UnlinkFreedAnonVma), 1u);
  EXPECT_EQ(m.check(), "");
}

// The root outlives its tree while a descendant is allocated: p0 exits
// first, R's tree empties but A still pins it; a's exit frees both.
TEST(UnlinkAnonVmas, RootStaysPinnedByADescendant) {
  Machine m;
  m.run("mmap p0 0 2 rw\nwrite p0 0\nfork p0 a\nexit p0");
  EXPECT_EQ(m.k.anon_vma_cachep.live_count(), 2u);  // R is in a's chain still
  m.run("exit a");
  EXPECT_EQ(m.k.anon_vma_cachep.live_count(), 0u);
  EXPECT_EQ(m.k.anon_vma_chain_cachep.live_count(), 0u);
  EXPECT_EQ(m.k.folio_cachep.live_count(), 0u);
}

// The walk finds the parent and the child of a shared folio, and a folio
// moved by mremap at its new address (same index, same anon_vma).
TEST(RmapWalkAnon, FindsForkedAndMovedMappings) {
  Machine m;
  m.run("mmap p0 0 4 rw\nwrite p0 1 7\nfork p0 a\nrmap p0 1 => {a:1 p0:1}");
  m.run("mremap a 0 4 20 4 => 0\nrmap p0 1 => {a:21 p0:1}");
  folio* f = m.folio_at("a", 21);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->index, 1u);
  EXPECT_EQ(m.vma("a", 21)->vm_pgoff, 0u);  // a faulted VMA keeps its linear pgoff
  // try_to_unmap walks the same tree: reclaim swaps out both mappings.
  m.run("reclaim");
  EXPECT_TRUE(is_swap_pte(*m.pte("p0", 1)));
  EXPECT_TRUE(is_swap_pte(*m.pte("a", 21)));
  EXPECT_EQ(m.pte("p0", 1)->swp, m.pte("a", 21)->swp);
}

// COW: the child's write copies into its own anon_vma; the parent then is
// the sole mapper and reuses (folio_move_anon_rmap to its anon_vma).
TEST(DoWpPage, CopyThenSoleMapperReuse) {
  Machine m;
  m.run("mmap p0 0 1 rw\nwrite p0 0 5\nfork p0 a\nwrite a 0 6");
  folio* mine = m.folio_at("a", 0);
  folio* old = m.folio_at("p0", 0);
  EXPECT_EQ(folio_anon_vma(mine), m.vma("a", 0)->anon_vma);
  EXPECT_FALSE(old->anon_exclusive);
  EXPECT_EQ(old->mapcount, 1);
  m.run("write p0 0 8\nread p0 0 => 8\nread a 0 => 6");
  EXPECT_EQ(m.folio_at("p0", 0), old);  // reused, not copied
  EXPECT_TRUE(old->anon_exclusive);
  EXPECT_EQ(m.k.cov.count(Branch::CowReuseSoleMapper), 1u);
}

}  // namespace
}  // namespace rmapcheck::impl::test

namespace rmapcheck::impl::test {
namespace {

// Allocation failures, driven at the sites (the engine does not arm
// `failalloc` until the model injects failures too).

//   0123
//   AAAA   faulted; mprotect [0,2) r splits; the clone's first avc fails:
//   ENOMEM, and anon_vma_clone's error path must clear dst->anon_vma
//   before unlinking (3fe89b3e2a7b), or num_active_vmas underflows.
TEST(FailAlloc, CloneEnomemLeavesTheCountersRight) {
  Machine good;
  good.run("mmap p0 0 4 rw\nwrite p0 0\nfailalloc avc 1\nmprotect p0 0 2 r => ENOMEM");
  EXPECT_EQ(good.check(), "");
  EXPECT_EQ(good.k.cov.count(Branch::AllocFailed), 1u);
  Machine bad(MutantSet::of(Mutant::CloneEnomemKeepsAnonVma));
  bad.run("mmap p0 0 4 rw\nwrite p0 0\nfailalloc avc 1\nmprotect p0 0 2 r => ENOMEM");
  EXPECT_NE(bad.check(), "");  // num_active_vmas 0 but one VMA points to it
}

//   012345
//   AAABBB   A faulted rw, B unfaulted rwx; mprotect A rwx: B would absorb A
//   after dup_anon_vma, but the commit's preallocation fails: the dup must
//   be undone (2023) or B keeps a chain for a merge that never happened.
TEST(FailAlloc, MergeFailureUndoesTheDup) {
  const char* t =
      "mmap p0 0 3 rw\nwrite p0 0\nmmap p0 3 3 rwx\nfailalloc prealloc 1\nmprotect p0 0 3 rwx => "
      "ENOMEM";
  Machine good;
  good.run(t);
  EXPECT_EQ(good.vma("p0", 3)->anon_vma, nullptr);
  EXPECT_EQ(good.vma("p0", 3)->vm_start, 3u);
  EXPECT_EQ(good.check(), "");
  Machine bad(MutantSet::of(Mutant::MergeNoDupUndo));
  bad.run(t);
  EXPECT_NE(bad.vma("p0", 3)->anon_vma, nullptr);
}

// A failed fork leaves no child and every count as it was.
TEST(FailAlloc, ForkFailureTearsTheChildDown) {
  Machine m;
  m.run("mmap p0 0 2 rw\nwrite p0 0\nfailalloc anon_vma 1\nfork p0 a => ENOMEM");
  EXPECT_FALSE(m.live("a"));
  EXPECT_EQ(m.k.anon_vma_cachep.live_count(), 1u);
  EXPECT_EQ(m.folio_at("p0", 0)->mapcount, 1);
  EXPECT_EQ(m.check(), "");
}

}  // namespace
}  // namespace rmapcheck::impl::test
