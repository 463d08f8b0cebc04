// invariant_structure.cpp - the shape of chains and trees:
// I-NULL, I-ACTIVE-IN-CHAIN, I-DISTINCT, I-BIDIR, I-KEY, I-CLOSE, I-SAMECHAIN.
#include <algorithm>

#include "invariant_index.h"

namespace rmapcheck::detail {

// I-NULL: vma.anon_vma == NULL <=> chain empty; an unfaulted VMA maps no
// anon folio (zero-page PTEs are fine). Broken by the 2015 clone ENOMEM bug
// (anon_vma kept, chain unlinked) and by the v6.16 mremap merge (PTEs moved
// into an unfaulted VMA).
void check_null(const SnapIndex& ix, Violations& out) {
  for (const SnapProc& p : ix.snap.procs) {
    for (const SnapVma& v : p.vmas) {
      if (v.anon_vma == 0 && !v.chain.empty()) {
        add(out, InvariantId::Null, vma_name(p.name, v),
            fmt::format("anon_vma is NULL but the chain has {} entries", v.chain.size()));
      }
      if (v.anon_vma != 0 && v.chain.empty()) {
        add(out, InvariantId::Null, vma_name(p.name, v) + " " + av_name(v.anon_vma),
            "anon_vma is set but the chain is empty");
      }
      if (v.anon_vma != 0) continue;
      for (const SnapPte& pte : p.ptes) {
        if (pte.kind == SnapPte::Kind::Folio && pte.page >= v.start && pte.page < v.end) {
          add(out, InvariantId::Null,
              fmt::format("{} page {} {}", vma_name(p.name, v), pte.page, folio_name(pte.folio)),
              "an unfaulted VMA (anon_vma NULL) maps an anon folio");
        }
      }
    }
  }
}

// I-ACTIVE-IN-CHAIN: vma.anon_vma != NULL => vma.anon_vma in chainset(vma).
void check_active_in_chain(const SnapIndex& ix, Violations& out) {
  for (const SnapProc& p : ix.snap.procs) {
    for (const SnapVma& v : p.vmas) {
      if (v.anon_vma != 0 && !v.chain.empty() && !chain_has(v, v.anon_vma)) {
        add(out, InvariantId::ActiveInChain, vma_name(p.name, v) + " " + av_name(v.anon_vma),
            "the VMA's anon_vma is not in its own chain");
      }
    }
  }
}

// I-DISTINCT: no anon_vma twice in one chain (each link is one avc).
void check_distinct(const SnapIndex& ix, Violations& out) {
  for (const SnapProc& p : ix.snap.procs) {
    for (const SnapVma& v : p.vmas) {
      for (std::size_t i = 0; i < v.chain.size(); ++i) {
        const SnapId c = v.chain[i];
        // Reported once, at its second link.
        const auto before =
            std::count(v.chain.begin(), v.chain.begin() + static_cast<std::ptrdiff_t>(i), c);
        if (before != 1) continue;
        const auto n = std::count(v.chain.begin(), v.chain.end(), c);
        add(out, InvariantId::Distinct, vma_name(p.name, v) + " " + av_name(c),
            fmt::format("the chain links this anon_vma {} times", n));
      }
    }
  }
}

// I-BIDIR: avc in vma.chain <=> node (proc, vma) in anon_vma.tree. A VMA is
// identified by (proc, start), so overlapping or duplicate VMAs and duplicate
// tree nodes also break it.
void check_bidir(const SnapIndex& ix, Violations& out) {
  const auto& procs = ix.snap.procs;
  for (std::size_t pi = 0; pi < procs.size(); ++pi) {
    const SnapProc& p = procs[pi];
    for (std::size_t q = 0; q < pi; ++q) {
      if (procs[q].name == p.name) {
        add(out, InvariantId::Bidir, "process " + p.name, "the process is listed twice");
        break;
      }
    }
    for (std::size_t i = 0; i + 1 < p.vmas.size(); ++i) {
      const SnapVma& a = p.vmas[i];
      const SnapVma& b = p.vmas[i + 1];
      if (a.end > b.start) {
        add(out, InvariantId::Bidir, vma_name(p.name, a) + " " + vma_name(p.name, b),
            "the VMAs overlap (or are not sorted by start)");
      }
    }
    for (const SnapVma& v : p.vmas) {
      for (std::size_t i = 0; i < v.chain.size(); ++i) {
        const SnapId c = v.chain[i];
        if (std::find(v.chain.begin(), v.chain.begin() + static_cast<std::ptrdiff_t>(i), c) !=
            v.chain.begin() + static_cast<std::ptrdiff_t>(i))
          continue;  // I-DISTINCT's business
        const SnapAnonVma* a = ix.anon_vma(c);
        if (a == nullptr || a->freed || c == 0) {
          add(out, InvariantId::Bidir, vma_name(p.name, v) + " " + av_name(c),
              "the chain links an anon_vma that is " + av_state(ix, c));
          continue;
        }
        // A node that resolved to this very VMA is the node (p, v.start);
        // only when none did are the nodes compared by name.
        bool found = false;
        for (std::size_t j = 0; j < a->tree.size() && !found; ++j)
          found = ix.node_vma(*a, j).vma == &v;
        found = found || std::any_of(a->tree.begin(), a->tree.end(), [&](const SnapTreeNode& n) {
                  return n.vma_start == v.start && n.proc == p.name;
                });
        if (!found) {
          add(out, InvariantId::Bidir, vma_name(p.name, v) + " " + av_name(c),
              fmt::format("the chain links the anon_vma but its tree has no node {}@{}", p.name,
                          v.start));
        }
      }
    }
  }
  for (const SnapAnonVma& a : ix.snap.anon_vmas) {
    if (ix.anon_vma(a.id) != &a) continue;  // duplicate entry: I-REF reports it
    for (std::size_t j = 0; j < a.tree.size(); ++j) {
      const SnapTreeNode& n = a.tree[j];
      if (std::find(a.tree.begin(), a.tree.begin() + static_cast<std::ptrdiff_t>(j), n) !=
          a.tree.begin() + static_cast<std::ptrdiff_t>(j)) {
        add(out, InvariantId::Bidir, av_name(a.id),
            fmt::format("the tree holds node {}@{} twice", n.proc, n.vma_start));
        continue;
      }
      const VmaRef r = ix.node_vma(a, j);
      if (r.vma == nullptr) {
        add(out, InvariantId::Bidir, av_name(a.id),
            fmt::format("tree node {}@{} names no VMA of process {}", n.proc, n.vma_start, n.proc));
      } else if (!chain_has(*r.vma, a.id)) {
        add(out, InvariantId::Bidir, av_name(a.id) + " " + vma_name(n.proc, *r.vma),
            "the tree has a node for the VMA but the VMA's chain does not link the anon_vma");
      }
    }
  }
}

// I-KEY: every tree node is keyed by its VMA's current [pgoff, pgoff+pages-1]
// and the tree is sound. The snapshot names nodes by VMA, so the key is the
// VMA's own range when the VMA exists and is non-empty; a stale key, a bad
// colour or a stale rb_subtree_last shows in the impl's tree_error.
void check_key(const SnapIndex& ix, Violations& out) {
  for (const SnapAnonVma& a : ix.snap.anon_vmas) {
    if (ix.anon_vma(a.id) != &a) continue;
    if (!a.tree_error.empty()) {
      add(out, InvariantId::Key, av_name(a.id), "interval tree unsound: " + a.tree_error);
    }
    for (std::size_t j = 0; j < a.tree.size(); ++j) {
      const SnapTreeNode& n = a.tree[j];
      const VmaRef r = ix.node_vma(a, j);
      if (r.vma == nullptr) {
        add(out, InvariantId::Key, av_name(a.id),
            fmt::format("tree node {}@{} has no current VMA to take its key from (stale node "
                        "after a range change?)",
                        n.proc, n.vma_start));
      } else if (r.vma->end <= r.vma->start) {
        add(out, InvariantId::Key, av_name(a.id) + " " + vma_name(n.proc, *r.vma),
            "the VMA is empty, so its key [pgoff, pgoff+pages-1] is not an interval");
      }
    }
  }
}

// I-CLOSE: a in chainset(V) => a.parent in chainset(V). So every chain holds
// its root and a live child keeps its parent live.
void check_close(const SnapIndex& ix, Violations& out) {
  thread_local std::vector<SnapId> cs;  // kept by the thread (see check_root)
  for (const SnapProc& p : ix.snap.procs) {
    for (const SnapVma& v : p.vmas) {
      chainset(v, cs);
      for (SnapId c : cs) {
        const SnapAnonVma* a = ix.anon_vma(c);
        if (a == nullptr) continue;  // dangling: I-BIDIR
        if (!std::binary_search(cs.begin(), cs.end(), a->parent)) {
          add(out, InvariantId::Close, vma_name(p.name, v) + " " + av_name(c),
              fmt::format("the chain links {} but not its parent #{}", av_name(c), a->parent));
        }
      }
    }
  }
}

// I-SAMECHAIN: two VMAs of one mm with the same non-NULL anon_vma have the
// same chainset. anon_vma_merge and merge Case 3 drop one VMA's chain on the
// strength of this. Broken by CVE-2022-42703 and the 2010 neighbour reuse.
void check_samechain(const SnapIndex& ix, Violations& out) {
  thread_local std::vector<const SnapVma*> first;  // the first VMA with each anon_vma
  thread_local std::vector<SnapId> cw, cv;         // kept by the thread (see check_root)
  for (const SnapProc& p : ix.snap.procs) {
    first.clear();
    for (const SnapVma& v : p.vmas) {
      if (v.anon_vma == 0) continue;
      const auto it = std::find_if(first.begin(), first.end(),
                                   [&](const SnapVma* w) { return w->anon_vma == v.anon_vma; });
      if (it == first.end()) {
        first.push_back(&v);
        continue;
      }
      const SnapVma& w = **it;
      chainset(w, cw);
      chainset(v, cv);
      if (cw != cv) {
        std::string why = fmt::format("both have anon_vma #{} but the chains differ: ", v.anon_vma);
        why += "{";
        for (SnapId c : cw) why += fmt::format("#{} ", c);
        if (why.back() == ' ') why.pop_back();
        why += "} vs {";
        for (SnapId c : cv) why += fmt::format("#{} ", c);
        if (why.back() == ' ') why.pop_back();
        why += "}";
        add(out, InvariantId::SameChain, vma_name(p.name, w) + " " + vma_name(p.name, v), why);
      }
    }
  }
}

}  // namespace rmapcheck::detail
