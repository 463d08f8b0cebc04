// tests/impl_tree/test_node.h - a stand-in for anon_vma_chain in the interval tree tests.
//
// Like an avc, the node's key belongs to an "owner" (here a plain struct
// standing for the VMA); the tree caches it at insert. A test that changes the
// owner's range must remove/re-insert around the change, exactly as
// anon_vma_interval_tree_pre/post_update_vma do, or verify() reports it.
#pragma once

#include <string>

#include "impl/interval_tree.h"

namespace rmapcheck::impl::test {

struct FakeVma {
  unsigned long vm_pgoff = 0;
  unsigned long pages = 1;  // >= 1
};

struct TestNode : interval_tree_node<unsigned long> {
  FakeVma vma;
  int id = 0;  // insertion identity, for messages and tie order
};

struct TestTraits {
  using node_type = TestNode;
  using key_type = unsigned long;
  static unsigned long start(const TestNode& n) { return n.vma.vm_pgoff; }
  static unsigned long last(const TestNode& n) { return n.vma.vm_pgoff + n.vma.pages - 1; }
  static std::string describe(const TestNode& n) { return "node#" + std::to_string(n.id); }
};

using TestTree = IntervalTree<TestTraits>;

}  // namespace rmapcheck::impl::test
