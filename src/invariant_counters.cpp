// invariant_counters.cpp - the anon_vma forest and its counters:
// I-ROOT, I-CHILDREN, I-ACTIVE, I-REF, I-LIVE-IN-CHAIN.
//
// The counters are checked against the relations they stand for, so an impl
// that stores a counter and forgets one update is caught at the op that
// forgot, not at the later op that trusts it.
#include <algorithm>
#include <vector>

#include "invariant_index.h"

namespace rmapcheck::detail {

namespace {
// The allocated anon_vmas, first entry per id, in id order.
template <typename F>
void for_each_allocated(const SnapIndex& ix, F&& f) {
  for (const auto& [id, a] : ix.anon_vmas) {
    if (!a->freed) f(*a);
  }
}
// The same with each one's position in ix.anon_vmas.
template <typename F>
void for_each_allocated_at(const SnapIndex& ix, F&& f) {
  for (std::size_t i = 0; i < ix.anon_vmas.size(); ++i) {
    if (!ix.anon_vmas[i].second->freed) f(i, *ix.anon_vmas[i].second);
  }
}
}  // namespace

// I-ROOT: root.root == root; root == self <=> parent == self; the parent
// chain reaches the root without a cycle; one root per chain. Locking takes
// root->rwsem, so two roots in one chain would mean two locks for one walk.
void check_root(const SnapIndex& ix, Violations& out) {
  // Scratch buffers here are the thread's (thread_local), kept from call to
  // call: the checks run after every op, and they are all a passing check
  // would allocate.
  thread_local std::vector<SnapId> visited;
  for_each_allocated(ix, [&](const SnapAnonVma& x) {
    const auto who = [&] { return av_name(x.id); };
    const SnapAnonVma* r = ix.anon_vma(x.root);
    if (r == nullptr) {
      add(out, InvariantId::Root, who(), fmt::format("its root #{} does not exist", x.root));
    } else if (r->freed) {
      add(out, InvariantId::Root, who(), fmt::format("its root #{} is freed", x.root));
    } else if (r->root != r->id) {
      add(out, InvariantId::Root, who(),
          fmt::format("its root #{} is not a root (root #{}'s root is #{})", r->id, r->id,
                      r->root));
    }
    if ((x.root == x.id) != (x.parent == x.id)) {
      add(out, InvariantId::Root, who(),
          fmt::format("root is #{} but parent is #{}: exactly one of them is itself", x.root,
                      x.parent));
      return;
    }
    // Follow parent links; the visited set makes a cycle a violation, not a hang.
    visited.assign(1, x.id);
    const SnapAnonVma* cur = &x;
    while (cur->id != x.root) {
      if (cur->parent == cur->id) {
        add(out, InvariantId::Root, who(),
            fmt::format("the parent chain ends at #{}, which is not its root #{}", cur->id,
                        x.root));
        return;
      }
      const SnapAnonVma* next = ix.anon_vma(cur->parent);
      if (next == nullptr) {
        add(out, InvariantId::Root, who(),
            fmt::format("the parent chain reaches #{}, which does not exist", cur->parent));
        return;
      }
      if (std::find(visited.begin(), visited.end(), next->id) != visited.end()) {
        add(out, InvariantId::Root, who(),
            fmt::format("the parent chain has a cycle through #{}", next->id));
        return;
      }
      visited.push_back(next->id);
      cur = next;
    }
  });
  thread_local std::vector<SnapId> cs;
  for (const SnapProc& p : ix.snap.procs) {
    for (const SnapVma& v : p.vmas) {
      const SnapAnonVma* active = ix.anon_vma(v.anon_vma);
      if (active == nullptr) continue;
      chainset(v, cs);
      for (SnapId c : cs) {
        const SnapAnonVma* a = ix.anon_vma(c);
        if (a != nullptr && a->root != active->root) {
          add(out, InvariantId::Root, vma_name(p.name, v) + " " + av_name(c),
              fmt::format("the chain mixes roots: #{} has root #{}, the VMA's anon_vma #{} has "
                          "root #{}",
                          c, a->root, active->id, active->root));
        }
      }
    }
  }
}

// I-CHILDREN: num_children == #{live Y : Y.parent == X}, a live root counting
// itself. Fork reuse (anon_vma_clone) trusts it: "num_children < 2".
void check_children(const SnapIndex& ix, Violations& out) {
  // live_children[i]: live anon_vmas whose parent is anon_vmas[i], one pass.
  thread_local std::vector<long> live_children;
  live_children.assign(ix.anon_vmas.size(), 0);
  for (const auto& [id, y] : ix.anon_vmas) {
    if (!ix.live(id)) continue;
    const std::size_t i = ix.av_pos(y->parent);
    if (i != SnapIndex::npos) ++live_children[i];
  }
  for_each_allocated_at(ix, [&](std::size_t i, const SnapAnonVma& x) {
    const long n = live_children[i];
    if (x.num_children != n) {
      add(out, InvariantId::Children, av_name(x.id),
          fmt::format("num_children is {} but {} live anon_vma(s) have it as parent{}",
                      x.num_children, n,
                      x.root == x.id && ix.live(x.id) ? " (itself included)" : ""));
    }
  });
}

// I-ACTIVE: num_active_vmas == #{V : V.anon_vma == X}. Fork reuse trusts it:
// "num_active_vmas == 0". A VMA whose anon_vma is freed or missing breaks
// it too: nothing counts that VMA.
void check_active(const SnapIndex& ix, Violations& out) {
  thread_local std::vector<long> active;
  active.assign(ix.anon_vmas.size(), 0);  // by position in ix.anon_vmas
  for (const SnapProc& p : ix.snap.procs) {
    for (const SnapVma& v : p.vmas) {
      if (v.anon_vma == 0) continue;
      const std::size_t i = ix.av_pos(v.anon_vma);
      if (i != SnapIndex::npos) ++active[i];
      if (!ix.allocated(v.anon_vma)) {
        add(out, InvariantId::Active, vma_name(p.name, v) + " " + av_name(v.anon_vma),
            "the VMA's anon_vma is " + av_state(ix, v.anon_vma));
      }
    }
  }
  for_each_allocated_at(ix, [&](std::size_t i, const SnapAnonVma& x) {
    const long n = active[i];
    if (x.num_active_vmas != n) {
      add(out, InvariantId::Active, av_name(x.id),
          fmt::format("num_active_vmas is {} but {} VMA(s) point to it", x.num_active_vmas, n));
    }
  });
}

// I-REF: refcount == [live] + (root ? #{allocated Y != X : Y.root == X} : 0)
// and nothing allocated is unreferenced (a leak). Also: an id listed twice is
// one object allocated twice, and a freed anon_vma must not be in use.
void check_ref(const SnapIndex& ix, Violations& out) {
  for (const SnapAnonVma& a : ix.snap.anon_vmas) {
    if (ix.anon_vma(a.id) != &a) {  // an earlier entry has this id
      add(out, InvariantId::Ref, av_name(a.id), "the anon_vma is listed twice");
    }
  }
  for (const auto& [id, a] : ix.anon_vmas) {
    if (a->freed && !a->tree.empty()) {
      add(out, InvariantId::Ref, av_name(id),
          fmt::format("freed while its tree still holds {} node(s)", a->tree.size()));
    }
  }
  // descendants[i]: allocated anon_vmas other than anon_vmas[i] whose root it is.
  thread_local std::vector<long> descendants;
  descendants.assign(ix.anon_vmas.size(), 0);
  for (const auto& [id, y] : ix.anon_vmas) {
    if (y->freed || y->root == id) continue;
    const std::size_t i = ix.av_pos(y->root);
    if (i != SnapIndex::npos) ++descendants[i];
  }
  for_each_allocated_at(ix, [&](std::size_t i, const SnapAnonVma& x) {
    const long live = ix.live(x.id) ? 1 : 0;
    const long d = x.root == x.id ? descendants[i] : 0;
    const long expected = live + d;
    if (expected == 0) {
      add(out, InvariantId::Ref, av_name(x.id),
          fmt::format("allocated but unreferenced (tree empty, no allocated descendants): "
                      "leaked, refcount {}",
                      x.refcount));
    } else if (x.refcount != expected) {
      add(out, InvariantId::Ref, av_name(x.id),
          fmt::format("refcount is {} but should be {} ({} for the tree + {} descendant(s) "
                      "pinning the root)",
                      x.refcount, expected, live, d));
    }
  });
}

// I-LIVE-IN-CHAIN: X live (tree non-empty) <=> X appears in some chain.
void check_live_in_chain(const SnapIndex& ix, Violations& out) {
  // The first VMA linking each anon_vma (by position in ix.anon_vmas).
  thread_local std::vector<VmaRef> linked_by;
  linked_by.assign(ix.anon_vmas.size(), VmaRef{});
  for (const SnapProc& p : ix.snap.procs) {
    for (const SnapVma& v : p.vmas) {
      for (SnapId c : v.chain) {
        const std::size_t i = ix.av_pos(c);
        if (i != SnapIndex::npos && linked_by[i].vma == nullptr) linked_by[i] = VmaRef{&p, &v};
      }
    }
  }
  for_each_allocated_at(ix, [&](std::size_t i, const SnapAnonVma& x) {
    const VmaRef& by = linked_by[i];
    const bool in_chain = by.vma != nullptr;
    if (ix.live(x.id) && !in_chain) {
      add(out, InvariantId::LiveInChain, av_name(x.id),
          fmt::format("live (tree has {} node(s)) but no VMA's chain links it", x.tree.size()));
    } else if (!ix.live(x.id) && in_chain) {
      add(out, InvariantId::LiveInChain, av_name(x.id) + " " + vma_name(by.proc->name, *by.vma),
          "linked by a chain but its tree is empty");
    }
  });
}

}  // namespace rmapcheck::detail
