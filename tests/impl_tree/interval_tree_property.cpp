// The interval tree against a naive list of intervals.
//
// Random sequences of: insert a new node, erase a present node, change a
// node's key the way the kernel does (remove, change the owner, re-insert),
// and overlap queries. After every step the tree must verify() clean, hold
// the same nodes in the same order as the list, and every query must return
// exactly the list's filter, in start order with equal starts in insertion
// order (the order of their latest insert).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <vector>

#include "test_node.h"

namespace rmapcheck::impl::test {
namespace {

struct Present {
  std::unique_ptr<TestNode> node;
  unsigned long seq;  // when it was (re)inserted last: the tie order
};

class Naive {
 public:
  TestTree tree;
  std::vector<Present> present;
  unsigned long next_seq = 0;
  int next_id = 0;

  void insert(unsigned long pgoff, unsigned long pages) {
    auto n = std::make_unique<TestNode>();
    n->vma = {pgoff, pages};
    n->id = next_id++;
    tree.insert(n.get());
    present.push_back({std::move(n), next_seq++});
  }
  void erase(std::size_t i) {
    tree.remove(present[i].node.get());
    present.erase(present.begin() + static_cast<std::ptrdiff_t>(i));
  }
  void rekey(std::size_t i, unsigned long pgoff, unsigned long pages) {
    TestNode* n = present[i].node.get();
    tree.remove(n);  // anon_vma_interval_tree_pre_update_vma
    n->vma = {pgoff, pages};
    tree.insert(n);  // anon_vma_interval_tree_post_update_vma
    present[i].seq = next_seq++;
  }

  // The spec: every present node overlapping [first,last], by (start, seq).
  std::vector<const TestNode*> expect(unsigned long first, unsigned long last) const {
    std::vector<const Present*> hits;
    for (const auto& p : present) {
      if (TestTraits::start(*p.node) <= last && first <= TestTraits::last(*p.node)) {
        hits.push_back(&p);
      }
    }
    std::sort(hits.begin(), hits.end(), [](const Present* a, const Present* b) {
      const auto sa = TestTraits::start(*a->node), sb = TestTraits::start(*b->node);
      return sa != sb ? sa < sb : a->seq < b->seq;
    });
    std::vector<const TestNode*> out;
    for (const auto* p : hits) out.push_back(p->node.get());
    return out;
  }

  std::vector<const TestNode*> query(unsigned long first, unsigned long last) const {
    std::vector<const TestNode*> out;
    for (TestNode* n = tree.iter_first(first, last); n != nullptr;
         n = TestTree::iter_next(n, first, last)) {
      out.push_back(n);
      if (out.size() > present.size()) break;  // a broken iterator must not loop forever
    }
    return out;
  }

  std::vector<const TestNode*> in_order() const {
    std::vector<const TestNode*> out;
    tree.for_each([&](const TestNode& n) { out.push_back(&n); });
    return out;
  }
};

constexpr unsigned long kMax = std::numeric_limits<unsigned long>::max();

// Mostly small, colliding offsets (many ties and overlaps); sometimes offsets
// near the top of the key space, to catch signed/overflow slips.
unsigned long draw_pgoff() {
  if (*rc::gen::inRange(0, 8) == 0) return kMax - 64 + *rc::gen::inRange(0ul, 32ul);
  return *rc::gen::inRange(0ul, 64ul);
}
unsigned long draw_pages() {
  return *rc::gen::inRange(1ul, 17ul);
}

RC_GTEST_PROP(IntervalTreeProperty, AgreesWithNaiveListAfterEveryStep, ()) {
  Naive s;
  const int steps = *rc::gen::inRange(1, 300);
  for (int step = 0; step < steps; ++step) {
    const int kind = *rc::gen::inRange(0, 4);
    if (kind == 0 || s.present.empty()) {
      const auto pgoff = draw_pgoff();
      s.insert(pgoff, draw_pages());
    } else if (kind == 1) {
      s.erase(*rc::gen::inRange<std::size_t>(0, s.present.size()));
    } else if (kind == 2) {
      const auto i = *rc::gen::inRange<std::size_t>(0, s.present.size());
      const auto pgoff = draw_pgoff();
      s.rekey(i, pgoff, draw_pages());
    } else {
      const auto first = draw_pgoff();
      const auto last = first + *rc::gen::inRange(0ul, std::min(40ul, kMax - first) + 1);
      RC_ASSERT(s.query(first, last) == s.expect(first, last));
    }
    RC_ASSERT(s.tree.verify() == std::string());
    RC_ASSERT(s.tree.size() == s.present.size());
    RC_ASSERT(s.tree.empty() == s.present.empty());
    RC_ASSERT(s.in_order() == s.expect(0, kMax));
  }
  // Every single point and the whole key space, at the end.
  for (unsigned long p = 0; p < 90; ++p) RC_ASSERT(s.query(p, p) == s.expect(p, p));
  RC_ASSERT(s.query(0, kMax) == s.expect(0, kMax));
  RC_ASSERT(s.query(kMax, kMax) == s.expect(kMax, kMax));
}

// Any key change made behind the tree's back (no remove/re-insert) is
// reported by verify(), naming that node, whatever the tree looks like; the
// queries keep answering for the key the node was inserted under.
RC_GTEST_PROP(IntervalTreeProperty, KeyChangedWhileLinkedIsReported, ()) {
  Naive s;
  const int count = *rc::gen::inRange(1, 120);
  for (int i = 0; i < count; ++i) {
    const auto pgoff = draw_pgoff();
    s.insert(pgoff, draw_pages());
  }
  const auto i = *rc::gen::inRange<std::size_t>(0, s.present.size());
  TestNode* n = s.present[i].node.get();
  const FakeVma old = n->vma;
  const auto before = s.expect(0, kMax);
  const auto pgoff = draw_pgoff();
  const auto pages = draw_pages();
  RC_PRE(pgoff != old.vm_pgoff || pages != old.pages);
  n->vma = {pgoff, pages};
  const std::string msg = s.tree.verify();
  RC_ASSERT(msg.find("key changed while linked: node#" + std::to_string(n->id) + " [") == 0);
  n->vma = old;  // the queries still see the tree as it was filed
  RC_ASSERT(s.tree.verify() == std::string());
  RC_ASSERT(s.in_order() == before);
}

// Many nodes with the same start: the tree must keep them in insertion order
// through every rebalancing, and a re-insert moves a node to the end.
//
//   pgoff 5: A B C D ... (all [5,5])   remove B, insert B   ->  A C D ... B
TEST(IntervalTree, EqualStartsKeepInsertionOrder) {
  Naive s;
  for (int i = 0; i < 100; ++i) s.insert(5, 1);
  EXPECT_EQ(s.tree.verify(), "");
  EXPECT_EQ(s.query(5, 5), s.expect(5, 5));
  s.rekey(1, 5, 1);
  EXPECT_EQ(s.tree.verify(), "");
  const auto got = s.query(0, 10);
  ASSERT_EQ(got.size(), 100u);
  EXPECT_EQ(got.back()->id, 1);
  EXPECT_EQ(got.front()->id, 0);
  EXPECT_EQ(got[1]->id, 2);
}

// The cached leftmost follows inserts and removals of the first node.
TEST(IntervalTree, LeftmostIsCached) {
  Naive s;
  EXPECT_EQ(s.tree.leftmost(), nullptr);
  s.insert(10, 1);
  s.insert(3, 1);
  EXPECT_EQ(s.tree.leftmost(), s.present[1].node.get());
  s.erase(1);
  EXPECT_EQ(s.tree.leftmost(), s.present[0].node.get());
  s.erase(0);
  EXPECT_EQ(s.tree.leftmost(), nullptr);
  EXPECT_TRUE(s.tree.empty());
  EXPECT_EQ(s.tree.verify(), "");
}

// Sequential inserts then removals in both directions: the rebalancing cases
// a random sequence hits least often.
TEST(IntervalTree, AscendingAndDescendingRuns) {
  for (const bool ascending : {true, false}) {
    Naive s;
    for (unsigned long i = 0; i < 512; ++i) {
      s.insert(ascending ? i : 1000 - i, 1 + i % 7);
      ASSERT_EQ(s.tree.verify(), "") << "after insert " << i;
    }
    while (!s.present.empty()) {
      s.erase(ascending ? 0 : s.present.size() - 1);
      ASSERT_EQ(s.tree.verify(), "") << "with " << s.present.size() << " left";
    }
  }
}

}  // namespace
}  // namespace rmapcheck::impl::test
