// impl/interval_tree_stale.h - Mutant::StaleSubtreeLast: an insert that
// forgets to raise the summaries on its way down.
//
// The bug class: ITPREFIX_insert (include/linux/interval_tree_generic.h)
// raises rb_subtree_last of every node its descent passes to the new node's
// last. Without that, the ancestors under-report their subtrees, and a query
// prunes a subtree that holds a match: rmap_walk_anon misses a VMA that maps
// the folio. The generic tree (impl/interval_tree.h) has no switch for it;
// the mutant is this caller-side descent, used by
// anon_vma_interval_tree_insert when the mutant is on and by the tree's own
// tests (tests/impl_tree).
#pragma once

#include "impl/interval_tree.h"

namespace rmapcheck::impl {

template <class Traits>
void interval_tree_insert_stale_subtree_last(IntervalTree<Traits>& tree,
                                             typename Traits::node_type* node) {
  using Tree = IntervalTree<Traits>;
  tree.begin_insert(node);
  const auto start = Tree::start_of(*node);
  rb_node** link = &tree.raw_root().root;
  rb_node* parent = nullptr;
  bool leftmost = true;
  while (*link != nullptr) {
    parent = *link;
    // The missing step: no subtree_last(parent) = max(..., last) here.
    if (start < Tree::start_of(Tree::node_of(parent))) {
      link = &parent->rb_left;
    } else {
      link = &parent->rb_right;
      leftmost = false;
    }
  }
  tree.link_inserted(node, parent, link, leftmost);
}

}  // namespace rmapcheck::impl
