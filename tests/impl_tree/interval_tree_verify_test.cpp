// verify() must catch every kind of broken tree (CONFIG_DEBUG_VM_RB's job),
// and the StaleSubtreeLast mutant must be visible to it and to queries.
// Each test builds a sound tree, breaks one thing by hand, and checks that
// verify() names the node and the broken property.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "impl/interval_tree_stale.h"
#include "test_node.h"

namespace rmapcheck::impl::test {
namespace {

// Owns the nodes; node i is [pgoff_i, pgoff_i + pages_i - 1] with id i.
struct Built {
  TestTree tree;
  std::vector<std::unique_ptr<TestNode>> nodes;

  TestNode* add(unsigned long pgoff, unsigned long pages) {
    TestNode* n = make(pgoff, pages);
    tree.insert(n);
    return n;
  }
  // The insert of Mutant::StaleSubtreeLast (impl/interval_tree_stale.h).
  TestNode* add_stale(unsigned long pgoff, unsigned long pages) {
    TestNode* n = make(pgoff, pages);
    interval_tree_insert_stale_subtree_last(tree, n);
    return n;
  }
  TestNode* make(unsigned long pgoff, unsigned long pages) {
    auto n = std::make_unique<TestNode>();
    n->vma = {pgoff, pages};
    n->id = static_cast<int>(nodes.size());
    nodes.push_back(std::move(n));
    return nodes.back().get();
  }
  static rb_node* rb(TestNode* n) { return TestTree::to_rb(n); }
};

// pgoff 0,10,20,...; 20 pages each, so neighbours overlap.
void build_ten(Built& b) {
  for (unsigned long i = 0; i < 10; ++i) b.add(i * 10, 20);
  ASSERT_EQ(b.tree.verify(), "");
}

TEST(IntervalTreeVerify, CatchesCorruptedSubtreeLast) {
  Built b;
  build_ten(b);
  TestNode* top = b.tree.root();
  TestTree::subtree_last(*top) += 1;
  const auto msg = b.tree.verify();
  EXPECT_NE(msg.find("rb_subtree_last of node#" + std::to_string(top->id)), std::string::npos)
      << msg;
}

TEST(IntervalTreeVerify, CatchesRedRoot) {
  Built b;
  build_ten(b);
  b.tree.raw_root().root->set_red();
  EXPECT_NE(b.tree.verify().find("root"), std::string::npos) << b.tree.verify();
}

// Ascending inserts 1..4 give:      2(B)
//                                 /    \          .
//                              1(B)    3(B)
//                                         \       .
//                                         4(R)
TEST(IntervalTreeVerify, CatchesRedNodeWithRedChild) {
  Built b;
  for (unsigned long i = 1; i <= 4; ++i) b.add(i, 1);
  ASSERT_EQ(b.tree.verify(), "");
  TestNode* three = b.nodes[2].get();
  ASSERT_TRUE(Built::rb(three)->is_black());
  ASSERT_TRUE(Built::rb(b.nodes[3].get())->is_red());
  Built::rb(three)->set_red();
  const auto msg = b.tree.verify();
  EXPECT_NE(msg.find("colour: red node#2"), std::string::npos) << msg;
}

// Same tree; making the black leaf 1 red leaves the left path one black short.
TEST(IntervalTreeVerify, CatchesUnequalBlackHeights) {
  Built b;
  for (unsigned long i = 1; i <= 4; ++i) b.add(i, 1);
  Built::rb(b.nodes[0].get())->set_red();
  const auto msg = b.tree.verify();
  EXPECT_NE(msg.find("black height: below node#1"), std::string::npos) << msg;
}

// The owner's key moves without the remove/re-insert (what NoTreeUpdateOnPgoff
// does): node#3 [30,49] grows to [30,59]. The tree still files it under
// [30,49], so a query for page 55 misses it; verify() names the node and
// both keys (CONFIG_DEBUG_VM_RB's cached_vma_start/last check).
//   tree:  30.................49          owner now: 30.......................59
TEST(IntervalTreeVerify, CatchesKeyChangedWhileLinked) {
  Built b;
  build_ten(b);
  b.nodes[3]->vma = {30, 30};
  const auto msg = b.tree.verify();
  EXPECT_NE(msg.find("key changed while linked: node#3 [30,49] is linked under that key but "
                     "its owner's key is now [30,59]: missing remove/re-insert"),
            std::string::npos)
      << msg;
  // The symptom: the grown range is not found (page 55 is only in node#3's
  // new range and in node#5 [50,69]).
  std::vector<int> hits;
  for (TestNode* n = b.tree.iter_first(55, 55); n != nullptr; n = TestTree::iter_next(n, 55, 55)) {
    hits.push_back(n->id);
  }
  EXPECT_EQ(hits, (std::vector<int>{4, 5}));
  // The kernel's way to change a key leaves a sound tree that finds it.
  b.nodes[3]->vma = {30, 20};
  b.tree.remove(b.nodes[3].get());
  b.nodes[3]->vma = {30, 30};
  b.tree.insert(b.nodes[3].get());
  EXPECT_EQ(b.tree.verify(), "");
  EXPECT_EQ(b.tree.iter_first(55, 55), b.nodes[3].get());
}

// A key that moves while linked but keeps start and last: nothing to report.
// One that moves only its start is reported too (the start orders the tree).
TEST(IntervalTreeVerify, KeyChangeCheckComparesBothEnds) {
  Built b;
  build_ten(b);
  b.nodes[7]->vma = {70, 20};  // unchanged values written again
  EXPECT_EQ(b.tree.verify(), "");
  b.nodes[7]->vma = {71, 19};  // same last (89), start 70 -> 71
  const auto msg = b.tree.verify();
  EXPECT_NE(msg.find("node#7 [70,89] is linked under that key but its owner's key is now [71,89]"),
            std::string::npos)
      << msg;
}

// Order is checked on the cached keys: corrupt one (owner and cache alike, so
// only the order is wrong): node#0 [0,19] becomes [15,19], which sorts after
// node#1 [10,29] while its last - and so every rb_subtree_last - stays the same.
//   before: 0.........19            after:       15..19
//             10.........29                10.........29
TEST(IntervalTreeVerify, CatchesOrderViolation) {
  Built b;
  build_ten(b);
  b.nodes[0]->vma = {15, 5};
  TestTree::cached_start(*b.nodes[0]) = 15;
  const auto msg = b.tree.verify();
  EXPECT_NE(msg.find("order: node#1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("after node#0"), std::string::npos) << msg;
}

TEST(IntervalTreeVerify, CatchesBadParentLink) {
  Built b;
  build_ten(b);
  rb_node* top = b.tree.raw_root().root;
  rb_node* child = top->rb_left;
  child->set_parent(child->rb_left);
  EXPECT_NE(b.tree.verify().find("parent link of"), std::string::npos) << b.tree.verify();
}

// A cycle (a child pointing back at the root) must give a message, not a hang.
TEST(IntervalTreeVerify, CatchesCycleWithoutLooping) {
  Built b;
  build_ten(b);
  rb_node* top = b.tree.raw_root().root;
  rb_node* leaf = rb_last(top);
  leaf->rb_right = top;
  const auto msg = b.tree.verify();
  EXPECT_FALSE(msg.empty());
  leaf->rb_right = nullptr;  // let the nodes die in peace
}

// Mutant::StaleSubtreeLast: the insert does not raise ancestors' summaries.
//   [0,0] then [1,100]: the root keeps rb_subtree_last 0, so a query at 50
//   prunes the whole tree and misses [1,100].
TEST(IntervalTreeVerify, StaleSubtreeLastMutantIsDetected) {
  Built b;
  b.add_stale(0, 1);
  b.add_stale(1, 100);
  EXPECT_EQ(b.tree.iter_first(50, 60), nullptr);  // the visible symptom
  const auto msg = b.tree.verify();
  EXPECT_NE(
      msg.find("rb_subtree_last of node#0 [0,0] is 0, the largest last in its subtree is 100"),
      std::string::npos)
      << msg;

  Built sound;  // the same inserts with the switch off
  sound.add(0, 1);
  TestNode* found = sound.add(1, 100);
  EXPECT_EQ(sound.tree.iter_first(50, 60), found);
  EXPECT_EQ(sound.tree.verify(), "");
}

// With many nodes the mutant corrupts summaries on almost every insert.
TEST(IntervalTreeVerify, StaleSubtreeLastMutantFailsVerifyOnRandomishInput) {
  Built b;
  for (unsigned long i = 0; i < 64; ++i) b.add_stale((i * 37) % 64, 1 + (i * 11) % 23);
  EXPECT_NE(b.tree.verify(), "");
}

TEST(IntervalTreeVerify, DoubleInsertAndStrayRemoveThrow) {
  Built b;
  TestNode* n = b.add(3, 2);
  try {
    b.tree.insert(n);
    FAIL() << "double insert accepted";
  } catch (const EngineFault& e) {
    EXPECT_NE(std::string(e.what()).find("node#0 [3,4] which is already linked"), std::string::npos)
        << e.what();
  }
  b.tree.remove(n);
  EXPECT_THROW(b.tree.remove(n), EngineFault);
  EXPECT_FALSE(b.tree.contains_node(n));
  b.tree.insert(n);
  EXPECT_TRUE(b.tree.contains_node(n));
  TestTree other;
  EXPECT_FALSE(other.contains_node(n));
  EXPECT_EQ(b.tree.verify(), "");
}

// One node type in two trees at once (like a VMA in i_mmap and in a list):
// the tag picks the hook; describe() falls back to the key when the traits
// have none.
struct ByStart {};
struct ByEnd {};
struct Twice : interval_tree_node<unsigned long, ByStart>,
               interval_tree_node<unsigned long, ByEnd> {
  unsigned long a = 0, b = 0;
};
struct StartTraits {
  using node_type = Twice;
  using key_type = unsigned long;
  using tag = ByStart;
  static unsigned long start(const Twice& t) { return t.a; }
  static unsigned long last(const Twice& t) { return t.b; }
};
struct MirrorTraits {  // the same intervals, mirrored: [100-b, 100-a]
  using node_type = Twice;
  using key_type = unsigned long;
  using tag = ByEnd;
  static unsigned long start(const Twice& t) { return 100 - t.b; }
  static unsigned long last(const Twice& t) { return 100 - t.a; }
};

TEST(IntervalTree, OneNodeInTwoTreesThroughTags) {
  IntervalTree<StartTraits> by_start;
  IntervalTree<MirrorTraits> mirrored;
  std::vector<std::unique_ptr<Twice>> nodes;
  for (unsigned long i = 0; i < 20; ++i) {
    auto t = std::make_unique<Twice>();
    t->a = i * 3;
    t->b = i * 3 + 5;
    by_start.insert(t.get());
    mirrored.insert(t.get());
    nodes.push_back(std::move(t));
  }
  EXPECT_EQ(by_start.verify(), "");
  EXPECT_EQ(mirrored.verify(), "");
  by_start.remove(nodes[4].get());  // leaves it in the other tree
  EXPECT_TRUE(mirrored.contains_node(nodes[4].get()));
  EXPECT_FALSE(by_start.contains_node(nodes[4].get()));
  // Mirrored node i is [95-3i, 100-3i]: page 88 is in i=4 [83,88] and i=3 [86,91].
  Twice* hit = mirrored.iter_first(88, 88);
  EXPECT_EQ(hit, nodes[4].get());
  hit = IntervalTree<MirrorTraits>::iter_next(hit, 88, 88);
  EXPECT_EQ(hit, nodes[3].get());
  EXPECT_EQ(IntervalTree<MirrorTraits>::iter_next(hit, 88, 88), nullptr);
  EXPECT_EQ(IntervalTree<StartTraits>::describe(*nodes[1]), "node [3,8]");
  EXPECT_EQ(by_start.verify(), "");
}

}  // namespace
}  // namespace rmapcheck::impl::test
