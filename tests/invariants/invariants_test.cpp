// invariants_test.cpp - every state invariant holds on a sound snapshot, and
// each one is reported when the snapshot is broken the way a real bug breaks it.
//
// Every test starts from fork_snapshot() (fixture.h: p0 forked p1 over a
// 4-page VMA, folio #1 shared at page 0), breaks one thing by hand, and
// asserts the exact set of invariants reported (the named one plus the ones
// that necessarily follow) and that the message names the objects.
#include <gtest/gtest.h>

#include "fixture.h"

namespace rmapcheck::testing {
namespace {

using Names = std::set<std::string>;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(Invariants, ForkSnapshotSatisfiesEveryInvariant) {
  const Snapshot s = fork_snapshot();
  const std::vector<Violation> vs = check_invariants(s);
  for (const Violation& v : vs) ADD_FAILURE() << v.to_string();
  EXPECT_TRUE(vs.empty());
}

TEST(Invariants, NamesRoundTrip) {
  for (int i = 0; i < kInvariantCount; ++i) {
    const auto id = static_cast<InvariantId>(i);
    EXPECT_EQ(invariant_from_name(invariant_name(id)), id);
  }
  EXPECT_EQ(invariant_name(InvariantId::SameChain), "I-SAMECHAIN");
  EXPECT_FALSE(invariant_from_name("I-NOPE").has_value());
  const Violation v{InvariantId::Active, "anon_vma #2",
                    "num_active_vmas is 0 but 1 VMA(s) point to it"};
  EXPECT_EQ(v.to_string(), "I-ACTIVE: anon_vma #2: num_active_vmas is 0 but 1 VMA(s) point to it");
}

// v6.16 mremap merge (docs/kernel/historical-bugs.md#mremap-uaf): the moved PTE lands in an
// unfaulted VMA that never got the source's anon_vma.
//        0123456789
//   p0   AAAA    UU     U = [8,10) unfaulted, now maps folio #2 at page 8
TEST(Invariants, NullUnfaultedVmaMapsAFolio) {
  Snapshot s = fork_snapshot();
  proc(s, "p0").vmas.push_back(SnapVma{8, 10, 8, kRw, 0, {}});
  pte(s, "p0", 1).page = 8;  // folio #2 keeps index 1
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-NULL", "I-MAPPING", "I-REACH"}));
  EXPECT_TRUE(contains(messages(vs, InvariantId::Null), "I-NULL: p0 vma [8,10) page 8 folio #2"));
}

// 2015 anon_vma_clone ENOMEM path (3fe89b3e2a7b): the chain was unlinked
// but vma->anon_vma was left set.
TEST(Invariants, NullAnonVmaSetWithEmptyChain) {
  Snapshot s = fork_snapshot();
  vma(s, "p1", 0).chain.clear();
  anon_vma(s, 1).tree = {{"p0", 0}};
  anon_vma(s, 2).tree.clear();
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-NULL", "I-CHILDREN", "I-REF", "I-MAPPING", "I-REACH"}));
  EXPECT_TRUE(contains(messages(vs, InvariantId::Null),
                       "I-NULL: p1 vma [0,4) anon_vma #2: anon_vma is set but the chain is empty"));
}

// vma->anon_vma switched to another anon_vma without linking it.
TEST(Invariants, ActiveInChain) {
  Snapshot s = fork_snapshot();
  vma(s, "p0", 0).anon_vma = 2;
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-ACTIVE-IN-CHAIN", "I-ACTIVE"}));
  EXPECT_TRUE(contains(messages(vs, InvariantId::ActiveInChain), "p0 vma [0,4) anon_vma #2"));
}

// A clone that walked the source chain twice links #1 twice.
TEST(Invariants, DistinctAnonVmaLinkedTwice) {
  Snapshot s = fork_snapshot();
  vma(s, "p1", 0).chain = {2, 1, 1};
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-DISTINCT"}));
  EXPECT_TRUE(
      contains(messages(vs, InvariantId::Distinct),
               "I-DISTINCT: p1 vma [0,4) anon_vma #1: the chain links this anon_vma 2 times"));
}

// anon_vma_chain_link put the avc on the VMA's list but missed the tree
// insert: the rmap walk of the shared folio then misses p1.
TEST(Invariants, BidirChainEntryWithoutTreeNode) {
  Snapshot s = fork_snapshot();
  anon_vma(s, 1).tree = {{"p0", 0}};
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-BIDIR", "I-REACH"}));
  EXPECT_TRUE(contains(messages(vs, InvariantId::Bidir),
                       "I-BIDIR: p1 vma [0,4) anon_vma #1: the chain links the anon_vma but its "
                       "tree has no node p1@0"));
  // I-REACH names the folio and the missed mapping.
  EXPECT_TRUE(contains(messages(vs, InvariantId::Reach), "I-REACH: folio #1: "));
  EXPECT_TRUE(contains(messages(vs, InvariantId::Reach), "missed {p1:0}"));
}

// Interval tree augmentation went stale (mutant stale-subtree-last): the
// impl's verify() reports it.
TEST(Invariants, KeyTreeUnsound) {
  Snapshot s = fork_snapshot();
  anon_vma(s, 1).tree_error = "node p1@0: rb_subtree_last 3, subtree max 5";
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-KEY"}));
  EXPECT_TRUE(contains(messages(vs, InvariantId::Key),
                       "I-KEY: anon_vma #1: interval tree unsound: node p1@0: rb_subtree_last 3"));
}

// A range change without the pre/post tree update leaves a node keyed by a
// VMA start that no longer exists (mutant no-tree-update-on-pgoff).
TEST(Invariants, KeyStaleNode) {
  Snapshot s = fork_snapshot();
  anon_vma(s, 1).tree.push_back({"p0", 1});
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-BIDIR", "I-KEY"}));
  EXPECT_TRUE(
      contains(messages(vs, InvariantId::Key), "anon_vma #1: tree node p0@1 has no current VMA"));
}

// The child anon_vma believes it is a root while its parent is #1.
TEST(Invariants, RootSelfRootWithParent) {
  Snapshot s = fork_snapshot();
  anon_vma(s, 2).root = 2;
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-ROOT", "I-REF", "I-MAPPING"}));
  const std::string m = messages(vs, InvariantId::Root);
  EXPECT_TRUE(contains(m, "I-ROOT: anon_vma #2: root is #2 but parent is #1"));
  EXPECT_TRUE(contains(m, "p1 vma [0,4) anon_vma #1: the chain mixes roots"));
}

// Parent links that loop: reported, never followed forever.
TEST(Invariants, RootParentCycle) {
  Snapshot s = fork_snapshot();
  s.anon_vmas.push_back({3, false, 1, 4, 1, 0, 0, {}, ""});
  s.anon_vmas.push_back({4, false, 1, 3, 1, 0, 0, {}, ""});
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-ROOT", "I-REF"}));
  EXPECT_TRUE(
      contains(messages(vs, InvariantId::Root), "anon_vma #3: the parent chain has a cycle"));
}

// CVE-2022-42703's end state (docs/kernel/historical-bugs.md#cve-2022-42703, op 12): the merged VMA
// kept the chain without the folio's anon_vma; chains are no longer closed.
TEST(Invariants, CloseChainMissesParent) {
  Snapshot s = fork_snapshot();
  vma(s, "p1", 0).chain = {2};
  anon_vma(s, 1).tree = {{"p0", 0}};
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-CLOSE", "I-MAPPING", "I-REACH"}));
  EXPECT_TRUE(contains(messages(vs, InvariantId::Close),
                       "I-CLOSE: p1 vma [0,4) anon_vma #2: the chain links anon_vma #2 but not its "
                       "parent #1"));
}

// anon_vma_fork forgot Y->parent->num_children++.
TEST(Invariants, ChildrenCounterDrift) {
  Snapshot s = fork_snapshot();
  anon_vma(s, 1).num_children = 1;
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-CHILDREN"}));
  EXPECT_TRUE(contains(messages(vs, InvariantId::Children),
                       "I-CHILDREN: anon_vma #1: num_children is 1 but 2 live"));
}

// Mutant cve-2022-42703-no-active-inc: reuse without num_active_vmas++.
TEST(Invariants, ActiveCounterDrift) {
  Snapshot s = fork_snapshot();
  anon_vma(s, 2).num_active_vmas = 0;
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-ACTIVE"}));
  EXPECT_TRUE(contains(messages(vs, InvariantId::Active),
                       "I-ACTIVE: anon_vma #2: num_active_vmas is 0 but 1 VMA(s) point to it"));
}

// anon_vma_fork without get_anon_vma(root): the root would be freed while
// its child still uses its lock.
TEST(Invariants, RefMissingRootPin) {
  Snapshot s = fork_snapshot();
  anon_vma(s, 1).refcount = 1;
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-REF"}));
  EXPECT_TRUE(contains(messages(vs, InvariantId::Ref),
                       "I-REF: anon_vma #1: refcount is 1 but should be 2"));
}

// An anon_vma allocated and never linked (an error path that forgot to put it).
TEST(Invariants, RefLeakedAnonVma) {
  Snapshot s = fork_snapshot();
  s.anon_vmas.push_back({3, false, 3, 3, 1, 0, 0, {}, ""});
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-REF"}));
  EXPECT_TRUE(
      contains(messages(vs, InvariantId::Ref), "I-REF: anon_vma #3: allocated but unreferenced"));
}

// p1 went away without unlink_anon_vmas: its nodes stay in the trees.
TEST(Invariants, LiveInChainExitWithoutUnlink) {
  Snapshot s = fork_snapshot();
  s.procs.erase(s.procs.begin() + 1);  // p1
  folio(s, 1).mapcount = 1;
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-BIDIR", "I-KEY", "I-ACTIVE", "I-LIVE-IN-CHAIN"}));
  EXPECT_TRUE(contains(
      messages(vs, InvariantId::LiveInChain),
      "I-LIVE-IN-CHAIN: anon_vma #2: live (tree has 1 node(s)) but no VMA's chain links it"));
}

// CVE-2022-42703 at op 11 (docs/kernel/historical-bugs.md#cve-2022-42703): a second VMA of p1
// reuses #2 with a different chain.
//        0123456
//   p1   BBBB CC    both anon_vma #2; chains {#2 #1} vs {#3 #2 #1}
TEST(Invariants, SameChainViolatedByDoubleReuse) {
  Snapshot s = fork_snapshot();
  proc(s, "p1").vmas.push_back(SnapVma{5, 6, 5, kRw, 2, {3, 2, 1}});
  s.anon_vmas.push_back({3, false, 1, 2, 1, 0, 0, {{"p1", 5}}, ""});
  anon_vma(s, 1).refcount = 3;
  anon_vma(s, 1).tree.push_back({"p1", 5});
  anon_vma(s, 2).num_children = 1;
  anon_vma(s, 2).num_active_vmas = 2;
  anon_vma(s, 2).tree.push_back({"p1", 5});
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-SAMECHAIN"}));
  EXPECT_TRUE(
      contains(messages(vs, InvariantId::SameChain),
               "I-SAMECHAIN: p1 vma [0,4) p1 vma [5,6): both have anon_vma #2 but the chains "
               "differ: {#1 #2} vs {#1 #2 #3}"));
}

// Mutant merge-right-keeps-pgoff (v6.3): a VMA's pgoff is off by one, so the
// shared folio's index no longer matches and the walk cannot find it.
TEST(Invariants, MappingIndexMismatch) {
  Snapshot s = fork_snapshot();
  vma(s, "p1", 0).pgoff = 1;
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-MAPPING", "I-REACH"}));
  EXPECT_TRUE(
      contains(messages(vs, InvariantId::Mapping),
               "I-MAPPING: p1 page 0 folio #1 p1 vma [0,4): folio index is 0 but the page's "
               "linear index is 1"));
}

// The use after free of docs/kernel/historical-bugs.md (#mremap-uaf; #cve-2022-42703,
// op 13): folio->mapping names an anon_vma that has been freed while the folio is still mapped.
TEST(Invariants, MappingFreedAnonVma) {
  Snapshot s = fork_snapshot();
  s.anon_vmas.push_back({3, true, 3, 3, 0, 0, 0, {}, ""});
  folio(s, 2).anon_vma = 3;
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-MAPPING", "I-REACH"}));
  const std::string m = messages(vs, InvariantId::Mapping);
  EXPECT_TRUE(contains(m, "p0 page 1 folio #2 p0 vma [0,4): the folio's anon_vma #3 is freed"));
  EXPECT_TRUE(contains(m, "the VMA's chain does not link the folio's anon_vma #3"));
  // The printout shows the freed anon_vma next to the folio.
  EXPECT_TRUE(contains(format_snapshot(s), "#2 anon_vma=#3 (FREED)"));
}

// A PTE left behind after the VMA went away (a zap that missed a page).
TEST(Invariants, ReachPteOutsideAnyVma) {
  Snapshot s = fork_snapshot();
  proc(s, "p1").ptes.push_back({9, SnapPte::Kind::Folio, 1, false});
  folio(s, 1).mapcount = 3;
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-MAPPING", "I-REACH"}));
  EXPECT_TRUE(contains(messages(vs, InvariantId::Reach),
                       "I-REACH: folio #1: the rmap walk finds {p0:0 p1:0} but the page tables map "
                       "it at {p0:0 p1:0 p1:9}; missed {p1:9}"));
}

// A zap that dropped the PTE but not the mapcount.
TEST(Invariants, MapcountDrift) {
  Snapshot s = fork_snapshot();
  folio(s, 1).mapcount = 1;
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-MAPCOUNT"}));
  EXPECT_TRUE(contains(messages(vs, InvariantId::Mapcount),
                       "I-MAPCOUNT: folio #1: mapcount is 1 but 2 PTE(s) map it"));
}

TEST(Invariants, MapcountLeakedFolio) {
  Snapshot s = fork_snapshot();
  s.folios.push_back({3, 1, 2, 0, false, 0, {}});
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-MAPCOUNT"}));
  EXPECT_TRUE(
      contains(messages(vs, InvariantId::Mapcount), "folio #3: allocated but no PTE maps it"));
}

// Mutant cow-reuse-shared: do_wp_page reused a folio still mapped by p0.
TEST(Invariants, ExclWritableSharedFolio) {
  Snapshot s = fork_snapshot();
  pte(s, "p1", 0).writable = true;
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-EXCL"}));
  EXPECT_TRUE(
      contains(messages(vs, InvariantId::Excl),
               "I-EXCL: p1 page 0 folio #1: a writable PTE maps a folio that is not exclusive"));
}

// Fork forgot to clear PageAnonExclusive on the shared page.
TEST(Invariants, ExclExclusiveButShared) {
  Snapshot s = fork_snapshot();
  folio(s, 1).exclusive = true;
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-EXCL"}));
  EXPECT_TRUE(
      contains(messages(vs, InvariantId::Excl),
               "I-EXCL: folio #1: marked exclusive (PageAnonExclusive) but 2 PTE(s) map it"));
}

// mprotect to read-only that left a PTE writable; a writable zero page.
TEST(Invariants, ExclWritableWithoutVmWrite) {
  Snapshot s = fork_snapshot();
  vma(s, "p0", 0).flags = VM_READ | VM_ACCOUNT;
  pte(s, "p1", 2).writable = true;
  const auto vs = check_invariants(s);
  EXPECT_EQ(reported(vs), (Names{"I-EXCL"}));
  const std::string m = messages(vs, InvariantId::Excl);
  EXPECT_TRUE(contains(
      m, "p0 page 1 folio #2 p0 vma [0,4): a writable PTE in a VMA without VM_WRITE (r--p)"));
  EXPECT_TRUE(contains(m, "I-EXCL: p1 page 2: the zero page is mapped writable"));
}

// Dangling ids and duplicates are violations, not crashes.
TEST(Invariants, DanglingAndDuplicateIds) {
  Snapshot s = fork_snapshot();
  vma(s, "p1", 0).chain = {2, 1, 9};
  folio(s, 2).anon_vma = 8;
  s.anon_vmas.push_back(s.anon_vmas[0]);
  proc(s, "p0").ptes.push_back({3, SnapPte::Kind::Folio, 6, false});
  const auto vs = check_invariants(s);
  const Names names = reported(vs);
  EXPECT_TRUE(names.count("I-BIDIR"));
  EXPECT_TRUE(contains(messages(vs, InvariantId::Bidir),
                       "anon_vma #9: the chain links an anon_vma that is dangling"));
  EXPECT_TRUE(
      contains(messages(vs, InvariantId::Ref), "anon_vma #1: the anon_vma is listed twice"));
  EXPECT_TRUE(contains(messages(vs, InvariantId::Mapping),
                       "folio #2 p0 vma [0,4): the folio's anon_vma #8 is dangling"));
  EXPECT_TRUE(contains(messages(vs, InvariantId::Mapcount),
                       "folio #6: 1 PTE(s) map a folio that is not allocated"));
}

// rmap_walk follows folio->mapping (not the root) and vma_address().
TEST(RmapWalk, FindsEveryMapperOfTheSharedFolio) {
  const Snapshot s = fork_snapshot();
  const std::vector<RmapHit> want{{"p0", 0}, {"p1", 0}};
  EXPECT_EQ(rmap_walk(s, 1), want);
  EXPECT_EQ(brute_force_mappers(s, 1), want);
  EXPECT_EQ(rmap_walk(s, 2), (std::vector<RmapHit>{{"p0", 1}}));
  EXPECT_TRUE(rmap_walk(s, 42).empty());
}

// After an mremap move the VMA's pgoff is unrelated to its start; the walk
// must use pgoff, not the address.
//        0123456789
//   p0         AAAA    [6,10) pgoff 0 (moved from [0,4))
TEST(RmapWalk, UsesPgoffAfterAMove) {
  Snapshot s = fork_snapshot();
  SnapVma& v = vma(s, "p0", 0);
  v.start = 6;
  v.end = 10;
  pte(s, "p0", 0).page = 6;
  pte(s, "p0", 1).page = 7;
  anon_vma(s, 1).tree = {{"p0", 6}, {"p1", 0}};
  EXPECT_EQ(rmap_walk(s, 1), (std::vector<RmapHit>{{"p0", 6}, {"p1", 0}}));
  EXPECT_TRUE(check_invariants(s).empty());
}

}  // namespace
}  // namespace rmapcheck::testing
