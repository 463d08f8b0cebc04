// observation_test.cpp - renaming and diffing Observations (no kernel needed).
#include "oracle/observation.h"

#include <gtest/gtest.h>

namespace rmapcheck::oracle {
namespace {

ObsVma vma(Page start, Page end, VmFlags flags) {
  ObsVma v;
  v.start = start;
  v.end = end;
  v.flags = flags;
  return v;
}

ObsPage anon(Page page, std::uint64_t frame, long mapcount) {
  ObsPage p;
  p.page = page;
  p.kind = ObsPage::Kind::Anon;
  p.frame = frame;
  p.mapcount = mapcount;
  p.value = 1;
  return p;
}

// Two processes share one frame after fork:
//   01
//   AA    <- p0 and p1, page 0 shared (frame 0x5000), page 1 p0's own (0x9000)
// Raw PFNs differ between two observations of the same state (compaction may
// move pages), the canonical names must not.
TEST(OracleObservation, FramesAreRenamedByFirstAppearance) {
  Observation a;
  a.procs = {{"p1", {vma(0, 2, VM_READ | VM_WRITE)}, {anon(0, 0x5000, 2)}},
             {"p0", {vma(0, 2, VM_READ | VM_WRITE)}, {anon(1, 0x9000, 1), anon(0, 0x5000, 2)}}};
  Observation b = a;
  b.procs[0].pages[0].frame = 0x7777;
  b.procs[1].pages[1].frame = 0x7777;
  canonicalize_observation(a);
  canonicalize_observation(b);
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.procs[0].name, "p0");
  EXPECT_EQ(a.procs[0].pages[0].page, 0u);
  EXPECT_EQ(a.procs[0].pages[0].frame, 1u);  // p0 page 0 is met first
  EXPECT_EQ(a.procs[0].pages[1].frame, 2u);
  EXPECT_EQ(a.procs[1].pages[0].frame, 1u);  // p1 shares it
}

// A chain [child, root]; the parent of the child is reached by the closure.
TEST(OracleObservation, AnonVmasFollowCanonicalizeOrder) {
  Observation o;
  o.has_forest = true;
  ObsVma v{0, 4, VM_READ, 0, 0xb0, {0xb0, 0xa0}};
  o.procs = {{"p0", {v}, {}}};
  o.anon_vmas = {
      {0xa0, 0xa0, 0xa0, 2, 2, 0}, {0xb0, 0xa0, 0xa0, 1, 0, 1}, {0xc0, 0xc0, 0xc0, 1, 1, 0}};
  canonicalize_observation(o);
  ASSERT_EQ(o.anon_vmas.size(), 2u);  // 0xc0 is reachable from no VMA: not observable, dropped
  EXPECT_EQ(o.procs[0].vmas[0].anon_vma, 1u);
  EXPECT_EQ(o.procs[0].vmas[0].chain, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(o.anon_vmas[0].root, 2u);
  EXPECT_EQ(o.anon_vmas[1].parent, 2u);
}

TEST(OracleObservation, DiffNamesOnlyDifferingLines) {
  Observation k;
  k.procs = {{"p0", {vma(0, 2, VM_READ | VM_WRITE), vma(2, 3, VM_READ)}, {}}};
  Observation m;
  m.procs = {{"p0", {vma(0, 3, VM_READ | VM_WRITE)}, {}}};
  canonicalize_observation(k);
  canonicalize_observation(m);
  std::string d = diff_observations(k, m, "kernel", "model");
  EXPECT_NE(d.find("kernel p0 vma [0,2)"), std::string::npos) << d;
  EXPECT_NE(d.find("model  p0 vma [0,3)"), std::string::npos) << d;
  EXPECT_EQ(d.find("p0 process"), std::string::npos) << d;
  EXPECT_TRUE(diff_observations(k, k, "kernel", "model").empty());
}

// One side without VmFlags (or without the forest): both are compared on
// what both can show.
TEST(OracleObservation, RestrictToCommonDropsWhatOneSideLacks) {
  Observation k;
  k.has_flags = false;
  k.procs = {{"p0", {vma(0, 1, VM_READ)}, {}}};
  Observation m;
  m.has_forest = true;
  m.procs = {{"p0", {{0, 1, VM_READ | VM_ACCOUNT, 0, 7, {7}}}, {}}};
  m.anon_vmas = {{7, 7, 7, 1, 1, 1}};
  canonicalize_observation(k);
  canonicalize_observation(m);
  restrict_to_common(k, m);
  EXPECT_EQ(k, m);
}

}  // namespace
}  // namespace rmapcheck::oracle
