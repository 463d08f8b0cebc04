// rmap_walk.cpp - rmap_walk_anon over the model's own structures (docs/kernel/rmap-walk.md).
#include "model/ops.h"

namespace rmapcheck::model {

// Every VMA whose chain holds folio_anon_vma(folio) (the anon_vma's
// interval tree) and whose [pgoff, pgoff+pages-1] holds folio->index is
// visited at vma_address(); the hit is kept when the PTE there really maps
// the folio (page_vma_mapped_walk), since the tree over-approximates.
void rmap_walk_anon(const State& s, Id folio, std::vector<RmapHit>& hits) {
  const Folio& f = s.folios.at(folio);
  for (const auto& [name, p] : s.procs) {
    for (const auto& [id, v] : p.vmas) {
      if (!v.chain_has(f.anon_vma)) continue;
      if (f.index < v.pgoff || f.index > v.pgoff + v.pages() - 1) continue;
      const Page addr = v.start + (f.index - v.pgoff);  // vma_address
      auto it = p.ptes.find(addr);
      if (it != p.ptes.end() && !it->second.zero && it->second.folio == folio)
        hits.push_back(RmapHit{name, addr});
    }
  }
}

std::vector<RmapHit> rmap_walk_anon(const State& s, Id folio) {
  std::vector<RmapHit> hits;
  rmap_walk_anon(s, folio, hits);
  return hits;
}

}  // namespace rmapcheck::model
