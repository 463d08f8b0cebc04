// impl/interval_tree.hpp - template bodies of impl/interval_tree.h (included at its bottom).
#pragma once

#include <algorithm>
#include <string>

namespace rmapcheck::impl {

template <class Traits>
typename IntervalTree<Traits>::Key IntervalTree<Traits>::Augment::compute(rb_node* rb) {
  Key max = last_of(node_of(rb));
  if (rb->rb_left != nullptr) max = std::max(max, subtree_last(node_of(rb->rb_left)));
  if (rb->rb_right != nullptr) max = std::max(max, subtree_last(node_of(rb->rb_right)));
  return max;
}

template <class Traits>
void IntervalTree<Traits>::Augment::rotate(rb_node* old_top, rb_node* new_top) {
  // new_top now covers exactly the nodes old_top covered.
  subtree_last(node_of(new_top)) = subtree_last(node_of(old_top));
  subtree_last(node_of(old_top)) = compute(old_top);
}

template <class Traits>
void IntervalTree<Traits>::Augment::copy(rb_node* from, rb_node* to) {
  subtree_last(node_of(to)) = subtree_last(node_of(from));
}

template <class Traits>
void IntervalTree<Traits>::Augment::propagate(rb_node* from, rb_node* stop) {
  for (rb_node* rb = from; rb != stop; rb = rb->parent()) {
    const Key want = compute(rb);
    Key& have = subtree_last(node_of(rb));
    if (have == want) break;  // unchanged here: unchanged above
    have = want;
  }
}

// Mirrors ITPREFIX_insert: take the owner's key once and cache it in the
// node (under CONFIG_DEBUG_VM_RB the kernel's anon_vma_interval_tree_insert
// stores the same pair), descend by start (ties to the right), raising each
// ancestor's rb_subtree_last to the new node's last on the way, then link and
// rebalance. From here on the tree reads only cached keys.
template <class Traits>
void IntervalTree<Traits>::insert(Node* node) {
  begin_insert(node);
  const Key start = start_of(*node);
  const Key last = last_of(*node);
  rb_node** link = &root_.root;
  rb_node* parent = nullptr;
  bool leftmost = true;
  while (*link != nullptr) {
    parent = *link;
    Node* p = &node_of(parent);
    if (subtree_last(*p) < last) subtree_last(*p) = last;
    if (start < start_of(*p)) {
      link = &parent->rb_left;
    } else {
      link = &parent->rb_right;
      leftmost = false;
    }
  }
  link_inserted(node, parent, link, leftmost);
}

template <class Traits>
void IntervalTree<Traits>::begin_insert(Node* node) {
  if (!to_rb(node)->empty_node()) {
    throw EngineFault("interval tree: insert of " + describe(*node) +
                      " which is already linked in a tree");
  }
  cached_start(*node) = owner_start(*node);
  cached_last(*node) = owner_last(*node);
}

template <class Traits>
void IntervalTree<Traits>::link_inserted(Node* node, rb_node* parent, rb_node** link,
                                         bool leftmost) {
  rb_node* rb = to_rb(node);
  subtree_last(*node) = last_of(*node);
  rb_link_node(rb, parent, link);
  rb_insert_augmented_cached<Augment>(rb, root_, leftmost);
  ++size_;
}

template <class Traits>
void IntervalTree<Traits>::remove(Node* node) {
  rb_node* rb = to_rb(node);
  if (rb->empty_node()) {
    throw EngineFault("interval tree: remove of " + describe(*node) + " which is in no tree");
  }
  rb_erase_augmented_cached<Augment>(rb, root_);
  --size_;
}

template <class Traits>
bool IntervalTree<Traits>::contains_node(const Node* node) const noexcept {
  const rb_node* rb = to_rb(node);
  if (rb->empty_node()) return false;
  while (rb->parent() != nullptr) rb = rb->parent();
  return rb == root_.root;
}

// Mirrors ITPREFIX_subtree_search. A node overlaps [first,last] iff
//   (A) start(n) <= last  and  (B) first <= last(n).
// Precondition: first <= subtree_last(node), i.e. some node below has (B).
// Returns the leftmost overlapping node of the subtree, or nullptr.
template <class Traits>
typename IntervalTree<Traits>::Node* IntervalTree<Traits>::subtree_search(Node* node, Key first,
                                                                          Key last) {
  for (;;) {
    rb_node* rb = to_rb(node);
    // Prefer the left subtree if anything there satisfies (B): its leftmost
    // such node is the answer if it satisfies (A); if it does not, nothing to
    // its right can, since starts only grow.
    if (rb->rb_left != nullptr && first <= subtree_last(node_of(rb->rb_left))) {
      node = &node_of(rb->rb_left);
      continue;
    }
    if (last < start_of(*node)) return nullptr;  // (A) fails here and to the right
    if (first <= last_of(*node)) return node;    // (A) and (B)
    if (rb->rb_right == nullptr) return nullptr;
    node = &node_of(rb->rb_right);
    if (subtree_last(*node) < first) return nullptr;
  }
}

template <class Traits>
typename IntervalTree<Traits>::Node* IntervalTree<Traits>::iter_first(Key first, Key last) const {
  if (root_.root == nullptr) return nullptr;
  Node* top = &node_of(root_.root);
  // Fast exits: nothing ends at or after `first`, or everything starts after `last`.
  if (subtree_last(*top) < first) return nullptr;
  if (last < start_of(node_of(root_.leftmost))) return nullptr;
  return subtree_search(top, first, last);
}

// Mirrors ITPREFIX_iter_next: from a match, look in its right subtree, else
// climb to the first ancestor entered from the left and test it.
template <class Traits>
typename IntervalTree<Traits>::Node* IntervalTree<Traits>::iter_next(Node* node, Key first,
                                                                     Key last) {
  rb_node* rb = to_rb(node);
  for (;;) {
    // Invariant: start(node) <= last, and everything before node is done.
    rb_node* right = rb->rb_right;
    if (right != nullptr && first <= subtree_last(node_of(right))) {
      return subtree_search(&node_of(right), first, last);
    }
    rb_node* from;
    do {
      from = rb;
      rb = rb->parent();
      if (rb == nullptr) return nullptr;
    } while (rb->rb_right == from);
    node = &node_of(rb);
    if (last < start_of(*node)) return nullptr;
    if (first <= last_of(*node)) return node;
  }
}

// The key shown is the one the tree holds the node under while it is linked,
// the owner's current one when it is not (before an insert, after a remove).
template <class Traits>
std::string IntervalTree<Traits>::describe(const Node& n) {
  const bool linked = !to_rb(&n)->empty_node();
  const Key s = linked ? start_of(n) : owner_start(n);
  const Key l = linked ? last_of(n) : owner_last(n);
  std::string key = "[" + std::to_string(s) + "," + std::to_string(l) + "]";
  if constexpr (requires {
                  { Traits::describe(n) } -> std::convertible_to<std::string>;
                }) {
    return std::string(Traits::describe(n)) + " " + key;
  } else {
    return "node " + key;
  }
}

// CONFIG_DEBUG_VM_RB's job: check every structural invariant, report the
// first violation with the node it is at. Bounded even on a cyclic tree.
template <class Traits>
std::string IntervalTree<Traits>::verify() const {
  std::string err;
  std::size_t visited = 0;
  const Node* prev = nullptr;  // in-order predecessor, for the order check

  // Returns the black height of the subtree at rb (nulls count 1), or -1.
  auto walk = [&](auto&& self, const rb_node* rb, const rb_node* parent) -> int {
    if (rb == nullptr) return 1;
    const Node& n = node_of(rb);
    if (++visited > size_) {
      err = "more nodes reachable than size() = " + std::to_string(size_) + " (at " + describe(n) +
            "; a cycle or a stale size)";
      return -1;
    }
    if (rb->parent() != parent) {
      err = "parent link of " + describe(n) + " does not point to the node above it";
      return -1;
    }
    // The DEBUG_VM_RB check (anon_vma_interval_tree_verify's cached_vma_start
    // / cached_vma_last comparison): a key that moved under a linked node
    // leaves the node filed under the old key, invisible to queries for the
    // new one. Checked before anything below it: it is the root cause.
    if (owner_start(n) != start_of(n) || owner_last(n) != last_of(n)) {
      err = "key changed while linked: " + describe(n) +
            " is linked under that key but its owner's key is now [" +
            std::to_string(owner_start(n)) + "," + std::to_string(owner_last(n)) +
            "]: missing remove/re-insert";
      return -1;
    }
    if (rb->is_red() && (rb_is_red(rb->rb_left) || rb_is_red(rb->rb_right))) {
      err = "colour: red " + describe(n) + " has a red child";
      return -1;
    }
    const int lh = self(self, rb->rb_left, rb);
    if (lh < 0) return -1;
    if (prev != nullptr && start_of(n) < start_of(*prev)) {
      err = "order: " + describe(n) + " comes in order after " + describe(*prev) +
            " but starts before it";
      return -1;
    }
    prev = &n;
    const int rh = self(self, rb->rb_right, rb);
    if (rh < 0) return -1;
    if (lh != rh) {
      err = "black height: below " + describe(n) + " left is " + std::to_string(lh) +
            ", right is " + std::to_string(rh);
      return -1;
    }
    const Key want = Augment::compute(const_cast<rb_node*>(rb));
    if (subtree_last(n) != want) {
      err = "rb_subtree_last of " + describe(n) + " is " + std::to_string(subtree_last(n)) +
            ", the largest last in its subtree is " + std::to_string(want);
      return -1;
    }
    return lh + (rb->is_black() ? 1 : 0);
  };

  if (root_.root != nullptr && root_.root->is_red()) {
    return "colour: the root " + describe(node_of(root_.root)) + " is red";
  }
  if (walk(walk, root_.root, nullptr) < 0) return err;
  if (visited != size_) {
    return "size() is " + std::to_string(size_) + " but " + std::to_string(visited) +
           " nodes are reachable";
  }
  if (root_.leftmost != rb_first(root_.root)) {
    return "the cached leftmost is not the first node in order";
  }
  return "";
}

}  // namespace rmapcheck::impl
