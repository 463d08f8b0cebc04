// invariant_structure.cpp - the shape of chains and trees:
// I-NULL, I-ACTIVE-IN-CHAIN, I-DISTINCT, I-BIDIR, I-KEY, I-CLOSE, I-SAMECHAIN.
#include <algorithm>

#include "invariant_index.h"

namespace rmapcheck::detail {

namespace {
void add(Violations& out, InvariantId id, std::string objects, std::string why) {
  out.push_back({id, std::move(objects), std::move(why)});
}
}  // namespace

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
      std::set<SnapId> seen, reported;
      for (SnapId c : v.chain) {
        if (!seen.insert(c).second && reported.insert(c).second) {
          const auto n = std::count(v.chain.begin(), v.chain.end(), c);
          add(out, InvariantId::Distinct, vma_name(p.name, v) + " " + av_name(c),
              fmt::format("the chain links this anon_vma {} times", n));
        }
      }
    }
  }
}

// I-BIDIR: avc in vma.chain <=> node (proc, vma) in anon_vma.tree. A VMA is
// identified by (proc, start), so overlapping or duplicate VMAs and duplicate
// tree nodes also break it.
void check_bidir(const SnapIndex& ix, Violations& out) {
  std::set<std::string> names;
  for (const SnapProc& p : ix.snap.procs) {
    if (!names.insert(p.name).second) {
      add(out, InvariantId::Bidir, "process " + p.name, "the process is listed twice");
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
      std::set<SnapId> done;
      for (SnapId c : v.chain) {
        if (!done.insert(c).second) continue;  // I-DISTINCT's business
        const SnapAnonVma* a = ix.anon_vma(c);
        const std::string state = av_state(ix, c);
        if (!state.empty()) {
          add(out, InvariantId::Bidir, vma_name(p.name, v) + " " + av_name(c),
              "the chain links an anon_vma that is " + state);
          continue;
        }
        const SnapTreeNode node{p.name, v.start};
        if (std::find(a->tree.begin(), a->tree.end(), node) == a->tree.end()) {
          add(out, InvariantId::Bidir, vma_name(p.name, v) + " " + av_name(c),
              fmt::format("the chain links the anon_vma but its tree has no node {}@{}", p.name,
                          v.start));
        }
      }
    }
  }
  for (const SnapAnonVma& a : ix.snap.anon_vmas) {
    if (ix.anon_vma(a.id) != &a) continue;  // duplicate entry: I-REF reports it
    std::set<SnapTreeNode> seen;
    for (const SnapTreeNode& n : a.tree) {
      if (!seen.insert(n).second) {
        add(out, InvariantId::Bidir, av_name(a.id),
            fmt::format("the tree holds node {}@{} twice", n.proc, n.vma_start));
        continue;
      }
      const VmaRef r = ix.vma_at_start(n.proc, n.vma_start);
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
    for (const SnapTreeNode& n : a.tree) {
      const VmaRef r = ix.vma_at_start(n.proc, n.vma_start);
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
  for (const SnapProc& p : ix.snap.procs) {
    for (const SnapVma& v : p.vmas) {
      const std::set<SnapId> cs = chainset(v);
      for (SnapId c : cs) {
        const SnapAnonVma* a = ix.anon_vma(c);
        if (a == nullptr) continue;  // dangling: I-BIDIR
        if (cs.count(a->parent) == 0) {
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
  for (const SnapProc& p : ix.snap.procs) {
    std::map<SnapId, const SnapVma*> first;
    for (const SnapVma& v : p.vmas) {
      if (v.anon_vma == 0) continue;
      auto [it, fresh] = first.emplace(v.anon_vma, &v);
      if (fresh) continue;
      const SnapVma& w = *it->second;
      if (chainset(w) != chainset(v)) {
        std::string why = fmt::format("both have anon_vma #{} but the chains differ: ", v.anon_vma);
        why += "{";
        for (SnapId c : chainset(w)) why += fmt::format("#{} ", c);
        if (why.back() == ' ') why.pop_back();
        why += "} vs {";
        for (SnapId c : chainset(v)) why += fmt::format("#{} ", c);
        if (why.back() == ' ') why.pop_back();
        why += "}";
        add(out, InvariantId::SameChain, vma_name(p.name, w) + " " + vma_name(p.name, v), why);
      }
    }
  }
}

}  // namespace rmapcheck::detail
