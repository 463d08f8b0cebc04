// snapshot_test.cpp - canonicalize, format_snapshot, format_maps, diff_snapshots
// on hand-built snapshots, with golden printouts.
#include <gtest/gtest.h>

#include "fixture.h"
#include "rmapcheck/snapshot_dot.h"

namespace rmapcheck::testing {
namespace {

TEST(VmFlags, CodesAndPerms) {
  EXPECT_EQ(vm_flags_codes(kRw), "rd wr ac");
  EXPECT_EQ(vm_flags_codes(VM_READ | VM_EXEC | VM_DONTCOPY | VM_WIPEONFORK | VM_NORESERVE),
            "rd ex dc nr wf");
  EXPECT_EQ(vm_flags_codes(0), "");
  EXPECT_EQ(vma_perms(kRw), "rw-p");
  EXPECT_EQ(vma_perms(VM_READ | VM_EXEC), "r-xp");
  EXPECT_EQ(vma_perms(0), "---p");
}

TEST(Snapshot, FindLooksUpById) {
  const Snapshot s = fork_snapshot();
  EXPECT_EQ(s.find_proc("p1"), &s.procs[1]);
  EXPECT_EQ(s.find_proc("p9"), nullptr);
  EXPECT_EQ(s.find_anon_vma(2), &s.anon_vmas[1]);
  EXPECT_EQ(s.find_anon_vma(0), nullptr);
  EXPECT_EQ(s.find_folio(2), &s.folios[1]);
  EXPECT_EQ(s.find_folio(3), nullptr);
}

// An engine that numbers differently (the impl's pool slots) and lists in
// another order: canonicalize gives the fixture's ids back.
//   engine ids: anon_vma #1 -> 40, #2 -> 17; folio #1 -> 9, #2 -> 3
TEST(Canonicalize, RenamesByFirstAppearance) {
  Snapshot s = fork_snapshot();
  auto av = [](SnapId id) -> SnapId { return id == 1 ? 40 : id == 2 ? 17 : id; };
  auto fo = [](SnapId id) -> SnapId { return id == 1 ? 9 : id == 2 ? 3 : id; };
  for (SnapProc& p : s.procs) {
    for (SnapVma& v : p.vmas) {
      v.anon_vma = av(v.anon_vma);
      for (SnapId& c : v.chain) c = av(c);
    }
    for (SnapPte& pte : p.ptes) pte.folio = fo(pte.folio);
    std::reverse(p.ptes.begin(), p.ptes.end());
  }
  for (SnapAnonVma& a : s.anon_vmas) {
    a.id = av(a.id);
    a.root = av(a.root);
    a.parent = av(a.parent);
    std::reverse(a.tree.begin(), a.tree.end());
  }
  for (SnapFolio& f : s.folios) {
    f.id = fo(f.id);
    f.anon_vma = av(f.anon_vma);
  }
  std::reverse(s.procs.begin(), s.procs.end());
  canonicalize(s);
  EXPECT_EQ(s, fork_snapshot());
}

// Leaked objects come last, in engine-id order; ancestors named by no chain
// come right after the chains.
TEST(Canonicalize, LeftoversLastAndAncestorsClosed) {
  Snapshot s;
  s.procs.push_back(SnapProc{"p0", {SnapVma{0, 1, 0, kRw, 50, {50}}}, {}});
  s.anon_vmas.push_back({50, false, 70, 60, 1, 0, 1, {{"p0", 0}}, ""});  // chain lacks 60, 70
  s.anon_vmas.push_back({60, false, 70, 70, 1, 1, 0, {}, ""});
  s.anon_vmas.push_back({70, false, 70, 70, 3, 1, 0, {}, ""});
  s.anon_vmas.push_back({5, false, 5, 5, 1, 0, 0, {}, ""});  // leaked
  s.folios.push_back({8, 50, 0, 0, false, 0, {}});           // leaked
  canonicalize(s);
  ASSERT_EQ(s.anon_vmas.size(), 4u);
  EXPECT_EQ(s.procs[0].vmas[0].anon_vma, 1u);
  EXPECT_EQ(s.anon_vmas[0].root, 2u);     // 70: the root is named before the parent
  EXPECT_EQ(s.anon_vmas[0].parent, 3u);   // 60
  EXPECT_EQ(s.anon_vmas[3].refcount, 1);  // 5, leaked, last
  EXPECT_EQ(s.folios[0].id, 1u);
  EXPECT_EQ(s.folios[0].anon_vma, 1u);
}

TEST(Canonicalize, Idempotent) {
  Snapshot s = fork_snapshot();
  s.anon_vmas.push_back({9, true, 9, 9, 0, 0, 0, {}, ""});
  canonicalize(s);
  Snapshot t = s;
  canonicalize(t);
  EXPECT_EQ(s, t);
}

TEST(Format, ForkSnapshotGolden) {
  EXPECT_EQ(format_snapshot(fork_snapshot()),
            "process p0\n"
            "  vma [0,4) rw-p pgoff=0 flags=rd,wr,ac anon_vma=#1 chain=[#1]\n"
            "    pte 0 folio #1 ro\n"
            "    pte 1 folio #2 rw\n"
            "process p1\n"
            "  vma [0,4) rw-p pgoff=0 flags=rd,wr,ac anon_vma=#2 chain=[#2 #1]\n"
            "    pte 0 folio #1 ro\n"
            "    pte 2 zero\n"
            "anon_vmas\n"
            "  #1 root refcount=2 num_children=2 num_active_vmas=1 tree=[p0@0 p1@0]\n"
            "    #2 parent=#1 root=#1 refcount=1 num_children=0 num_active_vmas=1 tree=[p1@0]\n"
            "folios\n"
            "  #1 anon_vma=#1 index=0 mapcount=2 shared value=7\n"
            "  #2 anon_vma=#1 index=1 mapcount=1 exclusive value=8\n");
}

// Runs of zero pages print as one range; PTEs outside every VMA, freed
// anon_vmas and parent cycles are marked.
TEST(Format, MarksBrokenState) {
  Snapshot s;
  SnapProc p{"p0", {SnapVma{0, 8, 0, VM_READ, 0, {}}}, {}};
  for (Page pg = 2; pg < 6; ++pg) p.ptes.push_back({pg, SnapPte::Kind::Zero, 0, false});
  p.ptes.push_back({9, SnapPte::Kind::Folio, 1, true});
  s.procs.push_back(p);
  s.anon_vmas.push_back({1, true, 1, 1, 0, 0, 0, {}, ""});
  s.anon_vmas.push_back({2, false, 2, 3, 1, 0, 0, {}, "bad colour"});
  s.anon_vmas.push_back({3, false, 2, 2, 1, 0, 0, {}, ""});
  s.folios.push_back({1, 1, 9, 1, true, 0, {}});
  EXPECT_EQ(format_snapshot(s),
            "process p0\n"
            "  vma [0,8) r--p pgoff=0 flags=rd anon_vma=none chain=[]\n"
            "    pte [2,6) zero\n"
            "  OUTSIDE ANY VMA:\n"
            "    pte 9 folio #1 rw\n"
            "anon_vmas\n"
            "  #1 FREED root refcount=0 num_children=0 num_active_vmas=0 tree=[]\n"
            "  PARENT CYCLE (reached from no root):\n"
            "    #2 parent=#3 root=#2 refcount=1 num_children=0 num_active_vmas=0 tree=[] "
            "TREE ERROR: bad colour\n"
            "      #3 parent=#2 root=#2 refcount=1 num_children=0 num_active_vmas=0 tree=[]\n"
            "folios\n"
            "  #1 anon_vma=#1 (FREED) index=9 mapcount=1 exclusive value=0\n");
}

TEST(Format, MapsOneLinePerVma) {
  Snapshot s = fork_snapshot();
  proc(s, "p1").vmas.push_back(SnapVma{6, 9, 6, VM_READ | VM_DONTCOPY, 0, {}});
  EXPECT_EQ(format_maps(s),
            "p0 0-4 rw-p pgoff=0 flags=rd,wr,ac av=#1\n"
            "p1 0-4 rw-p pgoff=0 flags=rd,wr,ac av=#2\n"
            "p1 6-9 r--p pgoff=6 flags=rd,dc av=none\n");
}

TEST(Diff, EmptyIffEqual) {
  const Snapshot a = fork_snapshot();
  EXPECT_EQ(diff_snapshots(a, a, "model", "impl"), "");
  Snapshot b = a;
  anon_vma(b, 1).refcount = 1;
  EXPECT_EQ(diff_snapshots(a, b, "model", "impl"),
            "--- model\n"
            "+++ impl\n"
            "@@ line 8 @@\n"
            "     pte 2 zero\n"
            " anon_vmas\n"
            "-  #1 root refcount=2 num_children=2 num_active_vmas=1 tree=[p0@0 p1@0]\n"
            "+  #1 root refcount=1 num_children=2 num_active_vmas=1 tree=[p0@0 p1@0]\n"
            "     #2 parent=#1 root=#1 refcount=1 num_children=0 num_active_vmas=1 tree=[p1@0]\n"
            " folios\n");
}

// snapshot_difference keys what diff_snapshots prints: here one anon_vma's
// refcount, one VMA's chain, one PTE, a process only in b, a folio only in a.
TEST(Difference, KeysTheObjectsThatDiffer) {
  const Snapshot a = fork_snapshot();
  EXPECT_TRUE(snapshot_difference(a, a).empty());
  Snapshot b = a;
  anon_vma(b, 1).refcount = 1;
  vma(b, "p1", 0).chain = {2};
  pte(b, "p0", 1).writable = false;
  b.procs.push_back(SnapProc{"p2", {}, {}});
  b.folios.pop_back();
  const SnapshotDifference d = snapshot_difference(a, b);
  EXPECT_FALSE(d.empty());
  EXPECT_EQ(d.procs, (std::set<std::string>{"p2"}));
  EXPECT_EQ(d.vmas, (std::set<std::pair<std::string, Page>>{{"p1", 0}}));
  EXPECT_EQ(d.ptes, (std::set<std::pair<std::string, Page>>{{"p0", 1}}));
  EXPECT_EQ(d.anon_vmas, (std::set<SnapId>{1}));
  EXPECT_EQ(d.folios, (std::set<SnapId>{2}));
  EXPECT_FALSE(d.order_only);
}

// The same records in another list order: no key differs, yet unequal.
TEST(Difference, OrderOnly) {
  const Snapshot a = fork_snapshot();
  Snapshot b = a;
  std::swap(b.folios[0], b.folios[1]);
  const SnapshotDifference d = snapshot_difference(a, b);
  EXPECT_TRUE(d.order_only);
  EXPECT_TRUE(d.anon_vmas.empty() && d.folios.empty() && d.vmas.empty());
}

// The picture of one state: every object once, every pointer an edge.
TEST(Dot, OneStateNamesEveryObject) {
  const Snapshot s = fork_snapshot();
  const std::string dot = snapshot_dot(DotSide{"model", &s, {}}, {"fork"});
  EXPECT_EQ(dot.rfind("digraph rmap {\n", 0), 0u);
  EXPECT_EQ(dot.back(), '\n');
  for (const char* node : {"\"vma:p0:0\" [", "\"vma:p1:0\" [", "\"av:1\" [", "\"av:2\" [",
                           "\"folio:1\" [", "\"folio:2\" ["}) {
    EXPECT_NE(dot.find(node), std::string::npos) << node;
  }
  EXPECT_NE(dot.find("\"vma:p1:0\":a:e -> \"av:2\""), std::string::npos);   // vma->anon_vma
  EXPECT_NE(dot.find("\"vma:p1:0\":c1:e -> \"av:1\""), std::string::npos);  // an avc
  EXPECT_NE(dot.find("\"av:2\" -> \"av:1\""), std::string::npos);           // parent
  EXPECT_NE(dot.find("\"folio:2\":m:e -> \"av:1\""), std::string::npos);    // mapping
  EXPECT_NE(dot.find("\"vma:p0:0\":t1:e -> \"folio:2\""), std::string::npos);
  EXPECT_EQ(dot.find("#d62728\"><B>"), std::string::npos);  // nothing is marked red
  EXPECT_EQ(dot, snapshot_dot(DotSide{"model", &s, {}}, {"fork"}));
}

// Two states: the objects that differ are red on both sides, the others not.
TEST(Dot, PairMarksWhatDiffers) {
  const Snapshot a = fork_snapshot();
  Snapshot b = a;
  anon_vma(b, 1).refcount = 1;
  const std::string same = snapshot_pair_dot({"model", &a, {}}, {"impl", &a, {}}, {"t"});
  EXPECT_EQ(same.find("><B>refcount"), std::string::npos);
  EXPECT_EQ(same.find("#d62728\"><B>"), std::string::npos);
  const std::string dot = snapshot_pair_dot({"model", &a, {}}, {"impl", &b, {}}, {"t"});
  EXPECT_NE(dot.find("<B>refcount=2</B>"), std::string::npos);
  EXPECT_NE(dot.find("<B>refcount=1</B>"), std::string::npos);
  EXPECT_EQ(dot.find("<B>num_children=2</B>"), std::string::npos);
  EXPECT_NE(dot.find("\"a:av:1\" ["), std::string::npos);
  EXPECT_NE(dot.find("\"b:av:1\" ["), std::string::npos);
}

}  // namespace
}  // namespace rmapcheck::testing
