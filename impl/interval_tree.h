// impl/interval_tree.h - an augmented red-black interval tree, generic over its node.
//
// What it is for: each anon_vma keeps the anon_vma_chains of every VMA that
// may map its folios in an interval tree keyed by the VMA's page-offset range,
// so rmap_walk_anon finds the VMAs that may map page offset `pgoff` in
// O(log n + k). This is our own rewrite of include/linux/interval_tree_generic.h
// (INTERVAL_TREE_DEFINE): written once, instantiated per node type; the thin
// typed wrappers (anon_vma_interval_tree_insert, ...) live in
// impl/interval_tree.cpp like mm/interval_tree.c.
//
// Keys are cached in the node. start(node) and last(node) belong to the
// owner (for an avc: [vm_pgoff, vm_pgoff + vma_pages - 1], closed, the
// kernel's avc_start_pgoff/avc_last_pgoff); insert() reads them ONCE and keeps
// them in the hook, and every search, ordering decision and summary uses the
// cached pair. The kernel computes the key from the VMA on every visit and
// keeps the same pair (avc->cached_vma_start / cached_vma_last) only under
// CONFIG_DEBUG_VM_RB, to check it; we use those fields as the cache, so a
// query reads one node's 48 hook bytes and never the owner (for an avc: no
// avc->vma dereference, a second cache line, per visited node). The
// contract is the kernel's: whenever an owner's key changes the caller must
// remove() before the change and insert() after it
// (anon_vma_interval_tree_pre/post_update_vma); verify() keeps the
// DEBUG_VM_RB check and reports a linked node whose owner's key differs from
// its cached one.
//
// Synopsis
//   interval_tree_node<Key, Tag>     the hook a node type derives from
//   IntervalTree<Traits>             rb_root_cached + size
//     insert(n)                      equal starts go right: ties keep insertion order
//     begin_insert(n), link_inserted(n, parent, link, leftmost)
//                                    insert() in two halves, for a caller's own descent
//     remove(n)
//     iter_first(first, last)        first node overlapping [first,last], or nullptr
//     iter_next(n, first, last)      next overlapping node in start order, or nullptr
//     empty(), size(), leftmost()    O(1)
//     contains_node(n)               O(log n) walk up to the root (debug helper)
//     for_each(f)                    in order
//     verify() -> std::string        "" when sound, else what is wrong and where,
//                                    including "key changed while linked: ..."
//     start_of(n), last_of(n)        the cached key (what the tree files n under)
//     owner_start(n), owner_last(n)  the owner's key now (Traits::start/last)
//
// Traits (a struct with static members):
//   using node_type = ...;   derives from interval_tree_node<key_type, tag>
//   using key_type  = ...;   an unsigned integer type
//   using tag       = ...;   optional; lets one node type sit in several trees
//   static key_type start(const node_type&);
//   static key_type last(const node_type&);
//   static std::string describe(const node_type&);   optional, for verify()
//
// Contract
//   - insert(n) requires n in no tree; remove(n) requires n in this tree. Both
//     throw EngineFault if n is / is not linked at all (an O(1) check); a node
//     linked in ANOTHER tree is not detected (contains_node() does, O(log n)).
//   - The keys of a linked node must not change (remove, change, insert). If
//     they do, queries keep answering for the key cached at insert and
//     verify() reports the node with both keys.
//   - A query returns exactly the nodes n with start(n) <= last and
//     first <= last(n) (cached keys), in start order, equal starts in
//     insertion order.
//
// Cost (x86-64, key_type = unsigned long)
//   bytes per node: the hook, rb_node (parent|colour, right, left) +
//   rb_subtree_last + the cached key (impl/footprint.h has the figure); the
//   cached key buys one cache line per visited node instead of two.
//   per tree: rb_root_cached (root, leftmost) + size.
//   insert O(log n) (one descent + <= 2 rotations); remove O(log n) (<= 3
//   rotations + one summary walk to the root); iter_first O(log n);
//   a full query O(log n + k) for k results; verify() O(n).
//   Measured (bench/interval_tree_bench, -O2, g++ 12, shared 2-core box at
//   load 5-6, median CPU time, run of 2026-11-22 on d69a560 with the key
//   cache; n disjoint intervals, one hit per query, scrambled order):
//     n            10      100     1000    10000   100000
//     query k=1    3.3 ns  4.8 ns  8.4 ns  49 ns   113 ns   (beyond 1000: cache misses)
//     remove+insert 13 ns  12 ns   16 ns   68 ns   89 ns
//     verify()     0.06us  0.56us  5.3us   62us    4.8ms
//   In the anon_vma tree the cache took the warm rmap walk at n = 100000
//   from 21.1 to 18.4 ns and the cold one from 863 to 677 ns
//   (docs/performance.md: the per-node VMA read is gone).
//
// Caveats
//   - verify() reads every owner (Traits::start/last) for the key check: it
//     must not run while an owner is freed but its node still linked (the
//     pools report that as a use after free).
#pragma once

#include <concepts>
#include <cstddef>
#include <string>

#include "impl/rbtree.h"
#include "rmapcheck/engine_fault.h"

namespace rmapcheck::impl {

// The hook: rb_node, the maximum `last` of the subtree, and the node's own
// key as it was when it was inserted (CONFIG_DEBUG_VM_RB's
// avc->cached_vma_start / cached_vma_last, here always present and used as
// the key). All 48 bytes a query reads of a node are here, together.
template <class Key, class Tag = void>
struct interval_tree_node : rb_node {
  Key rb_subtree_last{};
  Key cached_start{};  // Traits::start(node) at insert; what the tree orders by
  Key cached_last{};   // Traits::last(node) at insert
};

namespace it_detail {
template <class T>
struct tag_of {
  using type = void;
};
template <class T>
requires requires {
  typename T::tag;
}
struct tag_of<T> {
  using type = typename T::tag;
};
}  // namespace it_detail

template <class Traits>
class IntervalTree {
 public:
  using Node = typename Traits::node_type;
  using Key = typename Traits::key_type;
  using Hook = interval_tree_node<Key, typename it_detail::tag_of<Traits>::type>;
  static_assert(std::derived_from<Node, Hook>,
                "node_type must derive from interval_tree_node<key_type, tag>");
  static_assert(std::unsigned_integral<Key>, "key_type must be an unsigned integer");

  IntervalTree() = default;
  IntervalTree(const IntervalTree&) = delete;
  IntervalTree& operator=(const IntervalTree&) = delete;

  void insert(Node* node);
  // The two halves of insert(), for a caller that descends by itself (the
  // kernel's ITPREFIX_insert is an open-coded descent followed by
  // rb_link_node and rb_insert_augmented_cached). begin_insert() checks that
  // the node is unlinked and caches its key; link_inserted() links it where
  // the descent ended (parent, link: the child slot; leftmost: the descent
  // never went right), sets its summary and rebalances. A descent must raise
  // rb_subtree_last of every node it passes to the new node's last.
  void begin_insert(Node* node);
  void link_inserted(Node* node, rb_node* parent, rb_node** link, bool leftmost);
  void remove(Node* node);
  Node* iter_first(Key first, Key last) const;
  static Node* iter_next(Node* node, Key first, Key last);

  bool empty() const noexcept { return root_.root == nullptr; }
  std::size_t size() const noexcept { return size_; }
  Node* leftmost() const noexcept { return to_node(root_.leftmost); }
  Node* root() const noexcept { return to_node(root_.root); }
  bool contains_node(const Node* node) const noexcept;

  template <class F>
  void for_each(F&& f) const {
    for (rb_node* rb = root_.leftmost; rb != nullptr; rb = rb_next(rb)) f(*to_node(rb));
  }

  std::string verify() const;

  // Raw access for tests that break a tree by hand.
  rb_root_cached& raw_root() noexcept { return root_; }

  // The key the tree holds the node under (cached at insert) and the key its
  // owner has now; they differ only if the owner changed while linked.
  static Key start_of(const Node& n) noexcept { return static_cast<const Hook&>(n).cached_start; }
  static Key last_of(const Node& n) noexcept { return static_cast<const Hook&>(n).cached_last; }
  static Key owner_start(const Node& n) { return Traits::start(n); }
  static Key owner_last(const Node& n) { return Traits::last(n); }
  static Key& cached_start(Node& n) noexcept { return static_cast<Hook&>(n).cached_start; }
  static Key& cached_last(Node& n) noexcept { return static_cast<Hook&>(n).cached_last; }
  static Key& subtree_last(Node& n) noexcept { return static_cast<Hook&>(n).rb_subtree_last; }
  static Key subtree_last(const Node& n) noexcept {
    return static_cast<const Hook&>(n).rb_subtree_last;
  }
  static Node* to_node(rb_node* rb) noexcept {
    return rb == nullptr ? nullptr : static_cast<Node*>(static_cast<Hook*>(rb));
  }
  // Non-null conversions go through references: no null check for the
  // compiler to doubt (a node type with several hooks needs a pointer adjust).
  static Node& node_of(rb_node* rb) noexcept { return static_cast<Node&>(static_cast<Hook&>(*rb)); }
  static const Node& node_of(const rb_node* rb) noexcept {
    return static_cast<const Node&>(static_cast<const Hook&>(*rb));
  }
  static rb_node* to_rb(Node* n) noexcept { return &static_cast<Hook&>(*n); }
  static const rb_node* to_rb(const Node* n) noexcept { return &static_cast<const Hook&>(*n); }
  static std::string describe(const Node& n);

 private:
  // The augmentation policy for rb_*_augmented_cached.
  struct Augment {
    static Key compute(rb_node* rb);
    static void rotate(rb_node* old_top, rb_node* new_top);
    static void copy(rb_node* from, rb_node* to);
    static void propagate(rb_node* from, rb_node* stop);
  };
  static Node* subtree_search(Node* node, Key first, Key last);

  rb_root_cached root_;
  std::size_t size_ = 0;
};

}  // namespace rmapcheck::impl

#include "impl/interval_tree.hpp"
