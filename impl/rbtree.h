// impl/rbtree.h - the augmented red-black tree core under impl/interval_tree.h.
//
// What it is for: the kernel keeps every anon_vma's chains in an augmented
// red-black tree (lib/rbtree.c + include/linux/rbtree_augmented.h). This file
// is our own rewrite of that core, so that impl/ has the same shape: an
// intrusive node with the colour packed into the parent pointer, a root that
// caches its leftmost node, and rebalancing that tells an augmentation policy
// about every rotation so a per-subtree summary (rb_subtree_last) stays exact.
// Written from the red-black tree literature, not copied from the kernel.
//
// Synopsis
//   rb_node                     intrusive node: parent|colour, right, left (24 bytes)
//     clear() / empty_node()    RB_CLEAR_NODE / RB_EMPTY_NODE: "not in any tree"
//   rb_root_cached              root + leftmost (rb_root_cached)
//   rb_first/rb_last/rb_next/rb_prev
//   rb_link_node(node, parent, link)
//   rb_insert_augmented_cached<Aug>(node, root, leftmost)   rebalance after link
//   rb_erase_augmented_cached<Aug>(node, root)
//
// The augmentation policy Aug (the kernel's struct rb_augment_callbacks):
//   static void rotate(rb_node* old_top, rb_node* new_top);
//       called after a rotation made new_top the parent of old_top: new_top now
//       roots the subtree old_top rooted before, so it takes old_top's summary;
//       old_top's summary is recomputed from its new children.
//   static void copy(rb_node* from, rb_node* to);
//       `to` takes `from`'s place in the tree: it takes its summary too.
//   static void propagate(rb_node* from, rb_node* stop);
//       recompute summaries from `from` upwards, stopping before `stop` or at
//       the first node whose summary does not change (the ones above it then
//       cannot change either).
//
// Contract
//   - A node must be clear() (fresh nodes are) before it is linked; erase
//     leaves it clear() again, so "is it in a tree" is O(1).
//   - rb_node is not copyable: a copy would alias another node's links.
//   - Complexity: insert and erase O(log n) with at most 3 rotations each;
//     rb_next/rb_prev O(1) amortised, O(log n) worst case.
#pragma once

#include <cstdint>

namespace rmapcheck::impl {

struct rb_node {
  // Parent pointer with the colour in bit 0 (1 = black), as the kernel packs
  // it: nodes are at least 4-byte aligned, so the low bits are free.
  std::uintptr_t rb_parent_color;
  rb_node* rb_right = nullptr;
  rb_node* rb_left = nullptr;

  rb_node() noexcept { clear(); }
  rb_node(const rb_node&) = delete;
  rb_node& operator=(const rb_node&) = delete;

  static constexpr std::uintptr_t kBlack = 1;

  rb_node* parent() const noexcept {
    return reinterpret_cast<rb_node*>(rb_parent_color & ~std::uintptr_t{3});
  }
  bool is_black() const noexcept { return (rb_parent_color & kBlack) != 0; }
  bool is_red() const noexcept { return !is_black(); }
  void set_parent(rb_node* p) noexcept {
    rb_parent_color = reinterpret_cast<std::uintptr_t>(p) | (rb_parent_color & kBlack);
  }
  void set_parent_colour(rb_node* p, bool black) noexcept {
    rb_parent_color = reinterpret_cast<std::uintptr_t>(p) | (black ? kBlack : 0);
  }
  void set_black() noexcept { rb_parent_color |= kBlack; }
  void set_red() noexcept { rb_parent_color &= ~kBlack; }
  void set_colour(bool black) noexcept { black ? set_black() : set_red(); }

  // RB_CLEAR_NODE / RB_EMPTY_NODE: a node that is in no tree points to itself.
  void clear() noexcept {
    rb_parent_color = reinterpret_cast<std::uintptr_t>(this);
    rb_left = rb_right = nullptr;
  }
  bool empty_node() const noexcept { return parent() == this; }
};

// A null child counts as black (the leaves of the textbook tree).
inline bool rb_is_black(const rb_node* n) noexcept {
  return n == nullptr || n->is_black();
}
inline bool rb_is_red(const rb_node* n) noexcept {
  return n != nullptr && n->is_red();
}

struct rb_root_cached {
  rb_node* root = nullptr;
  rb_node* leftmost = nullptr;  // first node in order, so rb_first is O(1)
};

// In-order navigation (lib/rbtree.c's rb_first/rb_last/rb_next/rb_prev).
inline rb_node* rb_first(const rb_node* n) noexcept {
  if (n == nullptr) return nullptr;
  while (n->rb_left != nullptr) n = n->rb_left;
  return const_cast<rb_node*>(n);
}

inline rb_node* rb_last(const rb_node* n) noexcept {
  if (n == nullptr) return nullptr;
  while (n->rb_right != nullptr) n = n->rb_right;
  return const_cast<rb_node*>(n);
}

// In-order successor: the leftmost of the right subtree, else the first
// ancestor reached from its left side.
inline rb_node* rb_next(const rb_node* n) noexcept {
  if (n->rb_right != nullptr) return rb_first(n->rb_right);
  rb_node* p = n->parent();
  while (p != nullptr && n == p->rb_right) {
    n = p;
    p = p->parent();
  }
  return p;
}

inline rb_node* rb_prev(const rb_node* n) noexcept {
  if (n->rb_left != nullptr) return rb_last(n->rb_left);
  rb_node* p = n->parent();
  while (p != nullptr && n == p->rb_left) {
    n = p;
    p = p->parent();
  }
  return p;
}

// Hang a fresh node (red, no children) at *link below parent.
inline void rb_link_node(rb_node* node, rb_node* parent, rb_node** link) noexcept {
  node->rb_parent_color = reinterpret_cast<std::uintptr_t>(parent);  // red
  node->rb_left = node->rb_right = nullptr;
  *link = node;
}

namespace rb_detail {

// Make `repl` take `old`'s place under old's parent (or as the root).
inline void replace_child(rb_node* parent, rb_node* old, rb_node* repl,
                          rb_root_cached& root) noexcept {
  if (parent == nullptr) {
    root.root = repl;
  } else if (parent->rb_left == old) {
    parent->rb_left = repl;
  } else {
    parent->rb_right = repl;
  }
}

// x's right child y becomes the subtree's top; colours are the caller's job.
template <class Aug>
void rotate_left(rb_node* x, rb_root_cached& root) noexcept {
  rb_node* y = x->rb_right;
  rb_node* p = x->parent();
  x->rb_right = y->rb_left;
  if (y->rb_left != nullptr) y->rb_left->set_parent(x);
  y->rb_left = x;
  y->set_parent(p);
  x->set_parent(y);
  replace_child(p, x, y, root);
  Aug::rotate(x, y);
}

// x's left child y becomes the subtree's top.
template <class Aug>
void rotate_right(rb_node* x, rb_root_cached& root) noexcept {
  rb_node* y = x->rb_left;
  rb_node* p = x->parent();
  x->rb_left = y->rb_right;
  if (y->rb_right != nullptr) y->rb_right->set_parent(x);
  y->rb_right = x;
  y->set_parent(p);
  x->set_parent(y);
  replace_child(p, x, y, root);
  Aug::rotate(x, y);
}

}  // namespace rb_detail

// Rebalance after rb_link_node (mirrors rb_insert_augmented_cached). The
// caller has already made the summaries on the path hold the new node (the
// interval tree does it while descending), so only rotations need the policy.
template <class Aug>
void rb_insert_augmented_cached(rb_node* node, rb_root_cached& root, bool leftmost) noexcept {
  using rb_detail::rotate_left;
  using rb_detail::rotate_right;
  if (leftmost) root.leftmost = node;
  // Invariant: node is red; the only possible violation is a red parent.
  for (;;) {
    rb_node* parent = node->parent();
    if (parent == nullptr) {  // node is the root: the root is black
      node->set_black();
      return;
    }
    if (parent->is_black()) return;
    rb_node* gparent = parent->parent();  // exists: a red node is never the root
    const bool parent_is_left = gparent->rb_left == parent;
    rb_node* uncle = parent_is_left ? gparent->rb_right : gparent->rb_left;
    if (rb_is_red(uncle)) {
      // Recolour and push the problem two levels up.
      parent->set_black();
      uncle->set_black();
      gparent->set_red();
      node = gparent;
      continue;
    }
    if (parent_is_left) {
      if (node == parent->rb_right) {  // inner grandchild: make it outer
        rotate_left<Aug>(parent, root);
        parent = node;
      }
      rotate_right<Aug>(gparent, root);
    } else {
      if (node == parent->rb_left) {
        rotate_right<Aug>(parent, root);
        parent = node;
      }
      rotate_left<Aug>(gparent, root);
    }
    parent->set_black();
    gparent->set_red();
    return;
  }
}

// Remove node (mirrors rb_erase_augmented_cached), then clear() it.
template <class Aug>
void rb_erase_augmented_cached(rb_node* node, rb_root_cached& root) noexcept {
  using rb_detail::replace_child;
  using rb_detail::rotate_left;
  using rb_detail::rotate_right;
  if (root.leftmost == node) root.leftmost = rb_next(node);

  // Phase 1: unlink. `child` takes the place of the node that physically
  // leaves its position; `parent` is child's new parent (child may be null).
  rb_node* child;
  rb_node* parent;
  bool removed_black;
  if (node->rb_left == nullptr || node->rb_right == nullptr) {
    child = node->rb_left != nullptr ? node->rb_left : node->rb_right;
    parent = node->parent();
    removed_black = node->is_black();
    replace_child(parent, node, child, root);
    if (child != nullptr) child->set_parent(parent);
    Aug::propagate(parent, nullptr);
  } else {
    // Two children: the in-order successor (leftmost of the right subtree)
    // takes node's place and colour; the successor's old spot loses a node.
    rb_node* succ = rb_first(node->rb_right);
    removed_black = succ->is_black();
    child = succ->rb_right;
    // succ will root what node rooted: start from node's summary, so the
    // early stop below compares against what the ancestors were built from.
    Aug::copy(node, succ);
    if (succ->parent() == node) {
      parent = succ;
    } else {
      parent = succ->parent();
      parent->rb_left = child;
      if (child != nullptr) child->set_parent(parent);
      succ->rb_right = node->rb_right;
      succ->rb_right->set_parent(succ);
      // Between succ's old spot and succ's new spot a node went missing.
      Aug::propagate(parent, succ);
    }
    succ->rb_left = node->rb_left;
    succ->rb_left->set_parent(succ);
    rb_node* np = node->parent();
    replace_child(np, node, succ, root);
    succ->set_parent_colour(np, node->is_black());
    // succ's own summary must lose node's `last`; above it, only if it changed.
    Aug::propagate(succ, nullptr);
  }
  node->clear();
  if (!removed_black) return;

  // Phase 2: a black node left the path through `child`: that path is one
  // black short. Fix it by recolouring and at most three rotations.
  while (child != root.root && rb_is_black(child)) {
    if (child == parent->rb_left) {
      rb_node* sib = parent->rb_right;  // exists: its side has black height >= 1
      if (sib->is_red()) {
        sib->set_black();
        parent->set_red();
        rotate_left<Aug>(parent, root);
        sib = parent->rb_right;
      }
      if (rb_is_black(sib->rb_left) && rb_is_black(sib->rb_right)) {
        sib->set_red();
        child = parent;
        parent = child->parent();
        continue;
      }
      if (rb_is_black(sib->rb_right)) {
        sib->rb_left->set_black();
        sib->set_red();
        rotate_right<Aug>(sib, root);
        sib = parent->rb_right;
      }
      sib->set_colour(parent->is_black());
      parent->set_black();
      sib->rb_right->set_black();
      rotate_left<Aug>(parent, root);
      child = root.root;
      break;
    } else {
      rb_node* sib = parent->rb_left;
      if (sib->is_red()) {
        sib->set_black();
        parent->set_red();
        rotate_right<Aug>(parent, root);
        sib = parent->rb_left;
      }
      if (rb_is_black(sib->rb_left) && rb_is_black(sib->rb_right)) {
        sib->set_red();
        child = parent;
        parent = child->parent();
        continue;
      }
      if (rb_is_black(sib->rb_left)) {
        sib->rb_right->set_black();
        sib->set_red();
        rotate_left<Aug>(sib, root);
        sib = parent->rb_left;
      }
      sib->set_colour(parent->is_black());
      parent->set_black();
      sib->rb_left->set_black();
      rotate_right<Aug>(parent, root);
      child = root.root;
      break;
    }
  }
  if (child != nullptr) child->set_black();
}

}  // namespace rmapcheck::impl
