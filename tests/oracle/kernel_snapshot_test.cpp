// kernel_snapshot_test.cpp - the kernel lane's snapshots: canonical names and
// the comparison restricted to what the kernel shows (no kernel needed).
#include <gtest/gtest.h>

#include "oracle/kernel_observe.h"
#include "rmapcheck/snapshot.h"

namespace rmapcheck::oracle {
namespace {

SnapVma vma(Page start, Page end, VmFlags flags) {
  SnapVma v;
  v.start = start;
  v.end = end;
  v.flags = flags;
  return v;
}

SnapPte anon(Page page, SnapId frame) {
  return SnapPte{page, SnapPte::Kind::Folio, frame, false};
}

SnapFolio frame(SnapId pfn, long mapcount) {
  SnapFolio f;
  f.id = pfn;
  f.mapcount = mapcount;
  f.value = 1;
  return f;
}

// Two processes share one frame after fork:
//   01
//   AA    <- p0 and p1, page 0 shared (frame 0x5000), page 1 p0's own (0x9000)
// Raw PFNs differ between two observations of the same state (compaction may
// move pages), the canonical names must not.
TEST(KernelSnapshot, FramesAreRenamedByFirstAppearance) {
  Snapshot a;
  a.visible = kKernelVisibility;
  a.procs = {{"p1", {vma(0, 2, VM_READ | VM_WRITE)}, {anon(0, 0x5000)}},
             {"p0", {vma(0, 2, VM_READ | VM_WRITE)}, {anon(0, 0x5000), anon(1, 0x9000)}}};
  a.folios = {frame(0x5000, 2), frame(0x9000, 1)};
  Snapshot b = a;
  b.procs[0].ptes[0].folio = 0x7777;
  b.procs[1].ptes[0].folio = 0x7777;
  b.folios[0].id = 0x7777;
  canonicalize(a);
  canonicalize(b);
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.procs[0].name, "p0");
  EXPECT_EQ(a.procs[0].ptes[0].folio, 1u);  // p0 page 0 is met first
  EXPECT_EQ(a.procs[0].ptes[1].folio, 2u);
  EXPECT_EQ(a.procs[1].ptes[0].folio, 1u);  // p1 shares it
}

// The kernel cannot show folio->mapping, so an anon_vma that only a folio
// names (the model lists it; the BPF forest, walking VMAs, cannot) is not
// compared; what VMAs reach is, in canonicalize's order.
TEST(KernelSnapshot, ForestIsComparedOnWhatVmasReach) {
  Snapshot m;
  m.procs = {{"p0", {SnapVma{0, 4, 0, VM_READ, 0xb0, {0xb0, 0xa0}}}, {anon(0, 3)}}};
  m.anon_vmas = {{0xa0, false, 0xa0, 0xa0, 2, 2, 0, {}, ""},
                 {0xb0, false, 0xa0, 0xa0, 1, 0, 1, {{"p0", 0}}, ""},
                 {0xc0, false, 0xc0, 0xc0, 1, 1, 0, {}, ""}};
  m.folios = {frame(3, 1)};
  m.folios[0].anon_vma = 0xc0;  // a folio under an anon_vma no VMA reaches
  m.folios[0].index = 9;
  m.folios[0].walk = std::vector<RmapHit>{};
  canonicalize(m);
  restrict_to(m, kKernelVisibility);
  ASSERT_EQ(m.anon_vmas.size(), 2u);
  EXPECT_EQ(m.procs[0].vmas[0].anon_vma, 1u);
  EXPECT_EQ(m.procs[0].vmas[0].chain, (std::vector<SnapId>{1, 2}));
  EXPECT_EQ(m.anon_vmas[0].root, 2u);
  EXPECT_TRUE(m.anon_vmas[0].tree.empty());  // trees are not shown
  EXPECT_EQ(m.folios[0].anon_vma, 0u);
  EXPECT_EQ(m.folios[0].index, 0u);
  EXPECT_FALSE(m.folios[0].walk.has_value());
  EXPECT_EQ(m.visible, kKernelVisibility);
}

// Without smaps and without the forest, the comparison is on r/w/x and the
// pages only; a PROT_NONE page's value is never read, so it is not compared.
TEST(KernelSnapshot, RestrictDropsWhatOneSideLacks) {
  Snapshot k;
  k.visible = Visibility{0};
  k.procs = {{"p0", {vma(0, 1, VM_READ), vma(1, 2, 0)}, {anon(1, 0x9000)}}};
  k.folios = {frame(0x9000, 1)};
  k.folios[0].value = 0;  // not read: its only VMA is PROT_NONE
  Snapshot m;
  m.procs = {
      {"p0",
       {SnapVma{0, 1, 0, VM_READ | VM_ACCOUNT, 7, {7}}, SnapVma{1, 2, 1, VM_ACCOUNT, 7, {7}}},
       {SnapPte{1, SnapPte::Kind::Folio, 4, true}}}};
  m.anon_vmas = {{7, false, 7, 7, 1, 1, 2, {{"p0", 0}, {"p1", 1}}, ""}};
  m.folios = {frame(4, 1)};
  m.folios[0].value = 42;
  canonicalize(k);
  canonicalize(m);
  EXPECT_NE(k, m);
  restrict_to(k, m.visible);
  restrict_to(m, k.visible);
  EXPECT_EQ(k, m) << diff_snapshots(k, m, "kernel", "model");
}

// A state that differs in what the kernel does show still differs, and the
// diff names it.
TEST(KernelSnapshot, RestrictKeepsVisibleDifferences) {
  Snapshot k;
  k.visible = kKernelVisibility;
  k.procs = {{"p0", {vma(0, 2, VM_READ | VM_WRITE), vma(2, 3, VM_READ)}, {}}};
  Snapshot m;
  m.procs = {{"p0", {vma(0, 3, VM_READ | VM_WRITE)}, {}}};
  canonicalize(k);
  canonicalize(m);
  restrict_to(k, m.visible);
  restrict_to(m, k.visible);
  const std::string d = diff_snapshots(m, k, "model", "kernel");
  EXPECT_NE(d.find("[0,3)"), std::string::npos) << d;
  EXPECT_NE(d.find("[0,2)"), std::string::npos) << d;
}

// Swap, as the kernel shows it: slot identity and the count of swap PTEs,
// never the exclusive bit or the swap cache. After fork and the child's
// cache-miss swap-in, then the parent's cache hit:
//   0
//   $ / F     <- p0's swap PTE names $1 (count 1), which caches c's folio
//   F / F     <- the hit: count 0, the slot lives only through the cache
// The model lists the cache-only slot; the kernel cannot see it (no swap
// PTE names it), so it is not compared.
TEST(KernelSnapshot, SwapIsComparedOnSlotsAndCounts) {
  Snapshot m;
  m.procs = {{"c", {vma(0, 1, VM_READ | VM_WRITE)}, {anon(0, 5)}},
             {"p0", {vma(0, 1, VM_READ | VM_WRITE)}, {}}};
  SnapPte swp;
  swp.page = 0;
  swp.kind = SnapPte::Kind::Swap;
  swp.slot = 40;
  swp.swp_exclusive = false;
  m.procs[1].ptes.push_back(swp);
  m.folios = {frame(5, 1)};
  m.folios[0].swap = 40;
  m.slots = {SnapSlot{40, 1, 5, 1}};
  Snapshot k;
  k.visible = kKernelVisibility;
  k.procs = m.procs;
  k.procs[0].ptes[0].folio = 0x9000;
  k.procs[1].ptes[0].slot = 0x21;  // type 0, offset 1, + 1
  k.folios = {frame(0x9000, 1)};
  k.slots = {SnapSlot{0x21, 1, 0, 0}};
  canonicalize(m);
  canonicalize(k);
  restrict_to(m, k.visible);
  restrict_to(k, m.visible);
  EXPECT_EQ(k, m) << diff_snapshots(m, k, "model", "kernel");

  // The hit: p0 maps the folio too; the slot has count 0, only cached.
  m.procs[1].ptes[0] = anon(0, 1);
  m.folios[0].mapcount = 2;
  m.slots = {SnapSlot{1, 0, 1, 1}};
  m.folios[0].swap = 1;
  m.visible = Visibility::all();
  k.procs[1].ptes[0] = anon(0, 1);
  k.folios[0].mapcount = 2;
  k.slots.clear();
  canonicalize(m);
  restrict_to(m, k.visible);
  EXPECT_TRUE(m.slots.empty());
  EXPECT_EQ(k, m) << diff_snapshots(m, k, "model", "kernel");
}

}  // namespace
}  // namespace rmapcheck::oracle
