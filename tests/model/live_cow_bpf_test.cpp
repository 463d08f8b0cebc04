// live_cow_bpf_test.cpp - the COW sequence measured with pagemap /
// kpagecount / kpageflags (docs/kernel/observing-the-kernel.md#cow-through-pagemap) and the
// anon_vma structures the BPF iterator dumped
// (docs/kernel/observing-the-kernel.md#the-anon_vma-forest-through-bpf), replayed on every engine.
// The traces are tests/scenarios/live-cow-*.trace and live-bpf-*.trace (the
// oracle replays them on the kernel); the state at each `# check:` mark is
// asserted here.
#include "scenario.h"

namespace rmapcheck::testing {
namespace {

using LiveCow = Scenario;

// The COW sequence: pages 0,1 written, 2,3 read, 4,5 untouched; fork; writes.
TEST_P(LiveCow, PagemapSequence) {
  load("live-cow-pagemap-sequence");
  run_to("before-fork");
  EXPECT_TRUE(folio_of("p0", 0)->exclusive);
  EXPECT_EQ(pte("p0", 2)->kind, SnapPte::Kind::Zero);
  EXPECT_FALSE(pte("p0", 4).has_value());

  // Right after fork: the same folio in both, mapcount 2, exclusive cleared.
  run_to("after-fork");
  {
    const Snapshot s = snap();
    EXPECT_EQ(pte("p0", 0)->folio, pte("c", 0)->folio);
    EXPECT_EQ(folio_of("p0", 0)->mapcount, 2);
    EXPECT_FALSE(folio_of("p0", 0)->exclusive);
    EXPECT_FALSE(pte("p0", 0)->writable);
    EXPECT_FALSE(pte("c", 0)->writable);
    EXPECT_EQ(pte("c", 2)->kind, SnapPte::Kind::Zero);  // a faulted VMA copies zero PTEs
  }

  // Child writes page 0: a new folio for the child; the parent's page is
  // mapped once but not yet exclusive.
  const auto copies = count(Branch::CowCopy);
  run_to("child-wrote-0");
  EXPECT_NE(pte("p0", 0)->folio, pte("c", 0)->folio);
  EXPECT_EQ(folio_of("p0", 0)->mapcount, 1);
  EXPECT_FALSE(folio_of("p0", 0)->exclusive);
  EXPECT_TRUE(folio_of("c", 0)->exclusive);
  EXPECT_EQ(folio_of("c", 0)->anon_vma, vma("c", 0).anon_vma);  // under the child's anon_vma
  if (is_model()) {
    EXPECT_EQ(count(Branch::CowCopy), copies + 1);
  }

  // Parent writes page 1 (still shared): the parent gets the new folio.
  run_to("parent-wrote-1");  // read c 1 => 11
  EXPECT_EQ(folio_of("c", 1)->mapcount, 1);
  EXPECT_FALSE(folio_of("c", 1)->exclusive);

  // Child then writes page 1: reused, no copy; exclusive again and moved
  // to the child's anon_vma (folio_move_anon_rmap), index unchanged.
  const auto reuses = count(Branch::CowReuseSoleMapper);
  run_to("child-wrote-1");
  EXPECT_TRUE(folio_of("c", 1)->exclusive);
  EXPECT_EQ(folio_of("c", 1)->anon_vma, vma("c", 0).anon_vma);
  EXPECT_EQ(folio_of("c", 1)->index, 1u);
  if (is_model()) {
    EXPECT_EQ(count(Branch::CowReuseSoleMapper), reuses + 1);
  }

  // Child writes the zero page: a fresh exclusive folio.
  run_to("child-wrote-zero");
  EXPECT_TRUE(folio_of("c", 2)->exclusive);
  EXPECT_EQ(folio_of("c", 2)->mapcount, 1);

  // Parent writes page 0 (its copy is the only mapping by now): reused.
  const auto reuses2 = count(Branch::CowReuseSoleMapper);
  run_to("parent-wrote-0");  // read c 0 => 20, read p0 0 => 40
  if (is_model()) {
    EXPECT_EQ(count(Branch::CowReuseSoleMapper), reuses2 + 1);
  }
  EXPECT_TRUE(folio_of("p0", 0)->exclusive);

  // MADV_DONTNEED: not present any more.
  run_rest();  // read c 0 => 20
  EXPECT_FALSE(pte("p0", 0).has_value());
}

using LiveBpf = Scenario;

// A: RW [0,4) next to RWX [4,8), both touched; [10,12) and [13,15) apart.
TEST_P(LiveBpf, StructureANeighbourReuse) {
  load("live-bpf-a-neighbour-reuse");
  run_rest();
  const Snapshot s = snap();
  const SnapVma a = vma("p0", 0), b = vma("p0", 4), c = vma("p0", 10), d = vma("p0", 13);
  EXPECT_EQ(a.anon_vma, b.anon_vma);
  EXPECT_EQ(b.chain, std::vector<SnapId>{a.anon_vma});
  EXPECT_EQ(anon_vma(s, a.anon_vma).num_children, 1);
  EXPECT_EQ(anon_vma(s, a.anon_vma).num_active_vmas, 2);
  EXPECT_NE(c.anon_vma, a.anon_vma);
  EXPECT_NE(d.anon_vma, c.anon_vma);
  EXPECT_NE(d.anon_vma, a.anon_vma);
}

// B: [0,8) split by mprotect, then fork: one new anon_vma per child half.
TEST_P(LiveBpf, StructureBForkOfASplitVma) {
  load("live-bpf-b-fork-of-a-split-vma");
  run_rest();
  const Snapshot s = snap();
  const SnapVma p_lo = vma("p0", 0), p_hi = vma("p0", 4);
  const SnapVma c_lo = vma("c", 0), c_hi = vma("c", 4), c_unf = vma("c", 8);
  const SnapId av1 = p_lo.anon_vma;
  EXPECT_EQ(p_hi.anon_vma, av1);
  EXPECT_EQ(p_lo.chain, std::vector<SnapId>{av1});
  EXPECT_EQ(anon_vma(s, av1).num_children, 3);
  EXPECT_EQ(anon_vma(s, av1).num_active_vmas, 2);
  EXPECT_EQ(c_lo.chain, (std::vector<SnapId>{c_lo.anon_vma, av1}));
  EXPECT_EQ(c_hi.chain, (std::vector<SnapId>{c_hi.anon_vma, av1}));
  EXPECT_NE(c_lo.anon_vma, c_hi.anon_vma);
  for (SnapId id : {c_lo.anon_vma, c_hi.anon_vma}) {
    EXPECT_EQ(anon_vma(s, id).root, av1);
    EXPECT_EQ(anon_vma(s, id).parent, av1);
    EXPECT_EQ(anon_vma(s, id).num_children, 0);
    EXPECT_EQ(anon_vma(s, id).num_active_vmas, 1);
  }
  EXPECT_EQ(c_unf.anon_vma, 0u);
  EXPECT_TRUE(c_unf.chain.empty());
}

// C: P -> C -> G, C exits (its anon_vma is orphaned: no VMA, one child);
// exp12: G forks GG, whose VMA REUSES the orphaned anon_vma.
TEST_P(LiveBpf, StructureCAndExp12ReuseOfAnOrphan) {
  load("live-bpf-c-exp12-orphan-reuse");
  run_to("c-exited");
  {
    const Snapshot s = snap();
    const SnapVma g = vma("g", 0);
    ASSERT_EQ(g.chain.size(), 3u);
    const SnapId av3 = g.chain[0], av2 = g.chain[1], av1 = g.chain[2];
    EXPECT_EQ(g.anon_vma, av3);
    EXPECT_EQ(anon_vma(s, av3).parent, av2);
    EXPECT_EQ(anon_vma(s, av3).num_children, 0);
    EXPECT_EQ(anon_vma(s, av3).num_active_vmas, 1);
    EXPECT_EQ(anon_vma(s, av2).num_children, 1);
    EXPECT_EQ(anon_vma(s, av2).num_active_vmas, 0);
    EXPECT_EQ(anon_vma(s, av1).num_children, 2);
    EXPECT_EQ(anon_vma(s, av1).num_active_vmas, 1);
    EXPECT_EQ(vma("p0", 0).anon_vma, av1);
  }
  if (is_model()) {
    EXPECT_EQ(count(Branch::CloneReuse), 0u);
  }
  run_rest();
  const Snapshot s = snap();
  const SnapVma g = vma("g", 0), gg = vma("gg", 0);
  const SnapId av2 = g.chain[1];
  EXPECT_EQ(gg.anon_vma, av2);
  EXPECT_EQ(gg.chain, g.chain);  // {AV3, AV2, AV1}: no new anon_vma
  EXPECT_EQ(anon_vma(s, av2).num_children, 1);
  EXPECT_EQ(anon_vma(s, av2).num_active_vmas, 1);
  if (is_model()) {
    EXPECT_EQ(count(Branch::CloneReuse), 1u);
  }
}

RMAPCHECK_INSTANTIATE(LiveCow);
RMAPCHECK_INSTANTIATE(LiveBpf);

}  // namespace
}  // namespace rmapcheck::testing
