// invariant_folios.cpp - folios, PTEs and the rmap walk:
// I-MAPPING, I-REACH, I-MAPCOUNT, I-EXCL; rmap_walk(), brute_force_mappers().
#include <algorithm>

#include "invariant_index.h"

namespace rmapcheck {

// rmap_walk_anon (mm/rmap.c) over the snapshot, for an order-0 folio:
// query folio_anon_vma(folio)'s tree for [index, index], compute
// vma_address() for each node's VMA, keep it when the PTE there maps the
// folio (what page_vma_mapped_walk confirms). The tree's keys are the VMAs'
// current ranges (I-KEY), so the query is a filter over the nodes.
namespace detail {
std::vector<RmapHit> rmap_walk(const SnapIndex& ix, SnapId folio) {
  std::vector<RmapHit> hits;
  const SnapFolio* f = ix.folio(folio);
  if (f == nullptr) return hits;
  const SnapAnonVma* a = ix.anon_vma(f->anon_vma);  // a freed one: walked as it lies
  if (a == nullptr) return hits;
  const Page pgoff = f->index;  // pgoff_start == pgoff_end for nr_pages == 1
  for (std::size_t j = 0; j < a->tree.size(); ++j) {
    const SnapTreeNode& n = a->tree[j];
    const VmaRef r = ix.node_vma(*a, j);
    if (r.vma == nullptr || r.vma->end <= r.vma->start) continue;
    const SnapVma& v = *r.vma;
    const Page last = v.pgoff + (v.end - v.start) - 1;
    if (pgoff < v.pgoff || pgoff > last) continue;  // interval query miss
    // vma_address(): pgoff >= vm_pgoff here, so the address is inside the VMA;
    // the "folio overlaps vm_start" case needs nr_pages > 1.
    const Page page = v.start + (pgoff - v.pgoff);
    for (const SnapPte& pte : r.proc->ptes) {
      if (pte.page == page && pte.kind == SnapPte::Kind::Folio && pte.folio == folio) {
        hits.push_back({n.proc, page});
        break;
      }
    }
  }
  std::sort(hits.begin(), hits.end());
  hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
  return hits;
}
}  // namespace detail

std::vector<RmapHit> rmap_walk(const Snapshot& s, SnapId folio) {
  return detail::rmap_walk(detail::SnapIndex(s), folio);
}

// Every (proc, page) whose PTE maps the folio: a scan of all page tables.
std::vector<RmapHit> brute_force_mappers(const Snapshot& s, SnapId folio) {
  std::vector<RmapHit> hits;
  for (const SnapProc& p : s.procs) {
    for (const SnapPte& pte : p.ptes) {
      if (pte.kind == SnapPte::Kind::Folio && pte.folio == folio)
        hits.push_back({p.name, pte.page});
    }
  }
  std::sort(hits.begin(), hits.end());
  hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
  return hits;
}

namespace detail {

namespace {
std::string hits_text(const std::vector<RmapHit>& hits) {
  std::string out = "{";
  for (std::size_t i = 0; i < hits.size(); ++i) {
    if (i != 0) out += ' ';
    out += fmt::format("{}:{}", hits[i].proc, hits[i].page);
  }
  return out + "}";
}

// The walk and the brute-force scan of folio `id`, as sorted, distinct
// (process, page) pairs, without building a name: `walk` from the tree
// nodes' VMAs (resolved in the index), `brute` from every PTE.
void fast_sets(const SnapIndex& ix, SnapId id, std::vector<std::pair<const SnapProc*, Page>>& walk,
               std::vector<std::pair<const SnapProc*, Page>>& brute) {
  walk.clear();
  brute.clear();
  const SnapFolio* f = ix.folio(id);
  const SnapAnonVma* a = f == nullptr ? nullptr : ix.anon_vma(f->anon_vma);
  if (a != nullptr) {
    for (std::size_t j = 0; j < a->tree.size(); ++j) {
      const VmaRef r = ix.node_vma(*a, j);
      if (r.vma == nullptr || r.vma->end <= r.vma->start) continue;
      const SnapVma& v = *r.vma;
      if (f->index < v.pgoff || f->index > v.pgoff + (v.end - v.start) - 1) continue;
      const Page page = v.start + (f->index - v.pgoff);
      for (const SnapPte& pte : r.proc->ptes) {
        if (pte.page == page && pte.kind == SnapPte::Kind::Folio && pte.folio == id) {
          walk.emplace_back(r.proc, page);
          break;
        }
      }
    }
  }
  for (const SnapProc& p : ix.snap.procs) {
    for (const SnapPte& pte : p.ptes) {
      if (pte.kind == SnapPte::Kind::Folio && pte.folio == id) brute.emplace_back(&p, pte.page);
    }
  }
  for (auto* v : {&walk, &brute}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
}
}  // namespace

// I-MAPPING: a PTE mapping folio F in VMA V needs F.anon_vma allocated and
// live, in chainset(V), F.index == linear_page_index(V, page), and the same
// root as V.anon_vma. The core rmap property: without it the walk cannot
// find the mapping, and once the anon_vma dies folio->mapping dangles.
void check_mapping(const SnapIndex& ix, Violations& out) {
  for (const SnapProc& p : ix.snap.procs) {
    for (const SnapPte& pte : p.ptes) {
      if (pte.kind == SnapPte::Kind::Swap) continue;  // I-SWAPPTE-CHAIN
      const SnapVma* v = vma_containing(p, pte.page);
      if (pte.kind == SnapPte::Kind::Zero) {
        if (v == nullptr) {
          add(out, InvariantId::Mapping, page_name(p.name, pte.page),
              "a zero-page PTE outside any VMA");
        }
        continue;
      }
      const auto where = [&] { return page_name(p.name, pte.page) + " " + folio_name(pte.folio); };
      if (v == nullptr) {
        add(out, InvariantId::Mapping, where(), "the PTE lies outside any VMA");
        continue;
      }
      const SnapFolio* f = ix.folio(pte.folio);
      const auto objects = [&] { return where() + " " + vma_name(p.name, *v); };
      if (f == nullptr) {
        add(out, InvariantId::Mapping, objects(), "the PTE maps a folio that is not allocated");
        continue;
      }
      const SnapAnonVma* va = ix.anon_vma(v->anon_vma);
      const SnapAnonVma* fa = ix.anon_vma(f->anon_vma);
      const Page lin = linear_index(*v, pte.page);
      const bool bad_state = f->anon_vma == 0 || !ix.live(f->anon_vma);
      const bool bad_chain = !chain_has(*v, f->anon_vma);
      const bool bad_index = f->index != lin;
      const bool bad_root = va != nullptr && fa != nullptr && va->root != fa->root;
      if (!bad_state && !bad_chain && !bad_index && !bad_root) continue;
      const std::string obj = objects();
      if (bad_state) {
        const std::string state = av_state(ix, f->anon_vma);
        if (!state.empty()) {
          add(out, InvariantId::Mapping, obj,
              fmt::format("the folio's anon_vma #{} is {}", f->anon_vma, state));
        } else {
          add(out, InvariantId::Mapping, obj,
              fmt::format("the folio's anon_vma #{} is not live (empty tree)", f->anon_vma));
        }
      }
      if (bad_chain) {
        add(out, InvariantId::Mapping, obj,
            fmt::format("the VMA's chain does not link the folio's anon_vma #{}", f->anon_vma));
      }
      if (bad_index) {
        add(out, InvariantId::Mapping, obj,
            fmt::format("folio index is {} but the page's linear index is {} "
                        "(pgoff {} + {} - {})",
                        f->index, lin, v->pgoff, pte.page, v->start));
      }
      if (bad_root) {
        add(out, InvariantId::Mapping, obj,
            fmt::format("the folio's anon_vma has root #{}, the VMA's anon_vma #{} "
                        "has root #{}",
                        fa->root, va->id, va->root));
      }
    }
  }
}

// I-REACH: the rmap walk finds exactly the PTEs a brute-force scan finds, for
// every allocated folio that some PTE maps.
// One walk against the page tables: "" when they agree.
std::string reach_mismatch(std::string_view whose, const std::vector<RmapHit>& walk,
                           const std::vector<RmapHit>& brute) {
  if (walk == brute) return "";
  std::vector<RmapHit> missed, extra;
  std::set_difference(brute.begin(), brute.end(), walk.begin(), walk.end(),
                      std::back_inserter(missed));
  std::set_difference(walk.begin(), walk.end(), brute.begin(), brute.end(),
                      std::back_inserter(extra));
  std::string why = fmt::format("{} finds {} but the page tables map it at {}", whose,
                                hits_text(walk), hits_text(brute));
  if (!missed.empty()) why += "; missed " + hits_text(missed);
  if (!extra.empty()) why += "; spurious " + hits_text(extra);
  return why;
}

// Two walks are held to the page tables: the engine's own (SnapFolio::walk:
// the impl's interval-tree query, the model's chain walk), when it reports
// one, and the walk the snapshot's chains define (rmap_walk), which checks
// the structures themselves and is all a hand-built snapshot has.
// `walk` (named hits) equals `brute` ((process, page) pairs, sorted by
// process pointer) when both are strictly increasing and agree pair by
// pair: then the named page-table hits are exactly `walk`. False means
// "compare by name" (a real difference, or an order the pointers do not
// give, as with two processes of one name).
bool same_hits(const std::vector<RmapHit>& walk,
               const std::vector<std::pair<const SnapProc*, Page>>& brute) {
  if (walk.size() != brute.size()) return false;
  for (std::size_t k = 0; k < walk.size(); ++k) {
    if (walk[k].page != brute[k].second || walk[k].proc != brute[k].first->name) return false;
    if (k > 0 && !(walk[k - 1] < walk[k])) return false;
  }
  return true;
}

void check_reach(const SnapIndex& ix, Violations& out) {
  std::vector<std::pair<const SnapProc*, Page>> fast_walk, fast_brute;
  for (const auto& [id, n] : ix.pte_counts) {
    const SnapFolio* f = ix.folio(id);
    if (f == nullptr) continue;  // I-MAPPING / I-MAPCOUNT report it
    // Equal as (process, page) sets => equal as (name, page) sets; only a
    // difference needs the named hits (which may still be equal when two
    // processes share a name: I-BIDIR's business).
    fast_sets(ix, id, fast_walk, fast_brute);
    if ((!f->walk || same_hits(*f->walk, fast_brute)) && fast_walk == fast_brute) continue;
    const std::vector<RmapHit> brute = brute_force_mappers(ix.snap, id);
    if (f->walk) {
      std::string why = reach_mismatch("the engine's rmap walk", *f->walk, brute);
      if (!why.empty()) add(out, InvariantId::Reach, folio_name(id), why);
    }
    std::string why = reach_mismatch("the rmap walk", rmap_walk(ix, id), brute);
    if (!why.empty()) add(out, InvariantId::Reach, folio_name(id), why);
  }
}

// I-MAPCOUNT: F.mapcount == #PTEs mapping F; no allocated folio is unmapped
// (the last unmap frees it) unless the swap cache holds it; one PTE per
// page; every mapped folio exists.
void check_mapcount(const SnapIndex& ix, Violations& out) {
  for (const SnapFolio& f : ix.snap.folios) {
    if (ix.folio(f.id) != &f) {  // an earlier entry has this id
      add(out, InvariantId::Mapcount, folio_name(f.id), "the folio is listed twice");
      continue;
    }
    const long n = ix.pte_count(f.id);
    if (n == 0 && f.swap != 0) {
      // Only the swap cache holds it (I-SWAPCOUNT says whether it should).
      if (f.mapcount != 0) {
        add(out, InvariantId::Mapcount, folio_name(f.id),
            fmt::format("mapcount is {} but no PTE maps it", f.mapcount));
      }
    } else if (n == 0) {
      add(out, InvariantId::Mapcount, folio_name(f.id),
          fmt::format("allocated but no PTE maps it (mapcount {}): leaked", f.mapcount));
    } else if (f.mapcount != n) {
      add(out, InvariantId::Mapcount, folio_name(f.id),
          fmt::format("mapcount is {} but {} PTE(s) map it", f.mapcount, n));
    }
  }
  for (const auto& [id, n] : ix.pte_counts) {
    if (ix.folio(id) == nullptr) {
      add(out, InvariantId::Mapcount, folio_name(id),
          fmt::format("{} PTE(s) map a folio that is not allocated", n));
    }
  }
  for (const SnapProc& p : ix.snap.procs) {
    for (std::size_t i = 0; i + 1 < p.ptes.size(); ++i) {
      if (p.ptes[i].page == p.ptes[i + 1].page) {
        add(out, InvariantId::Mapcount, page_name(p.name, p.ptes[i].page), "two PTEs for one page");
      }
    }
  }
}

// I-EXCL: exclusive => mapped exactly once; a writable PTE => the folio is
// exclusive and the VMA has VM_WRITE; the zero page is never writable.
// A write through a shared folio would leak data between processes.
void check_excl(const SnapIndex& ix, Violations& out) {
  for (const auto& [id, f] : ix.folios) {
    const long n = ix.pte_count(id);
    if (f->exclusive && n != 1) {
      add(out, InvariantId::Excl, folio_name(id),
          fmt::format("marked exclusive (PageAnonExclusive) but {} PTE(s) map it", n));
    }
  }
  for (const SnapProc& p : ix.snap.procs) {
    for (const SnapPte& pte : p.ptes) {
      if (!pte.writable) continue;
      if (pte.kind == SnapPte::Kind::Zero) {
        add(out, InvariantId::Excl, page_name(p.name, pte.page),
            "the zero page is mapped writable");
        continue;
      }
      if (pte.kind == SnapPte::Kind::Swap) continue;  // I-EXCL-SWAP
      const auto where = [&] { return page_name(p.name, pte.page) + " " + folio_name(pte.folio); };
      const SnapFolio* f = ix.folio(pte.folio);
      if (f != nullptr && !f->exclusive) {
        add(out, InvariantId::Excl, where(),
            fmt::format("a writable PTE maps a folio that is not exclusive (mapcount {})",
                        f->mapcount));
      }
      const SnapVma* v = vma_containing(p, pte.page);
      if (v != nullptr && (v->flags & VM_WRITE) == 0) {
        add(out, InvariantId::Excl, where() + " " + vma_name(p.name, *v),
            fmt::format("a writable PTE in a VMA without VM_WRITE ({})", vma_perms(v->flags)));
      }
    }
  }
}

}  // namespace detail
}  // namespace rmapcheck
