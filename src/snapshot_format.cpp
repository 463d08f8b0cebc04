// snapshot_format.cpp - format_snapshot() and format_maps().
//
// format_snapshot() is what `replay --step` and counterexample reports show,
// so it is laid out the way a kernel reader thinks:
//
//   process p0
//     vma [0,4) rw-p pgoff=0 flags=rd,wr,ac anon_vma=#1 chain=[#2 #1]
//       pte 0 folio #1 ro
//       pte [1,3) zero
//   anon_vmas
//     #1 root refcount=2 num_children=2 num_active_vmas=1 tree=[p0@0 p1@0]
//       #2 parent=#1 root=#1 refcount=1 ...     <- children indented under parents
//   folios
//     #1 anon_vma=#1 index=0 mapcount=2 shared value=7
//
// Pages are decimal, ranges half-open. Every field of the Snapshot is shown
// (so equal printouts mean equal snapshots), and anything broken is marked
// in capitals: FREED, DANGLING, PARENT CYCLE, TREE ERROR, OUTSIDE ANY VMA.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "rmapcheck/invariants.h"
#include "rmapcheck/snapshot.h"

namespace rmapcheck {

std::string id_ref(SnapId id) {
  return id == 0 ? "none" : fmt::format("#{}", id);
}

std::string slot_ref(SnapId id) {
  return id == 0 ? "none" : fmt::format("${}", id);
}

std::string flags_field(VmFlags f) {
  std::string codes = vm_flags_codes(f);
  std::replace(codes.begin(), codes.end(), ' ', ',');
  return codes.empty() ? "-" : codes;
}

namespace {

std::string chain_field(const std::vector<SnapId>& chain) {
  std::string out = "[";
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (i != 0) out += ' ';
    out += id_ref(chain[i]);
  }
  return out + "]";
}

std::string vma_line(const SnapVma& v) {
  return fmt::format("[{},{}) {} pgoff={} flags={} anon_vma={} chain={}", v.start, v.end,
                     vma_perms(v.flags), v.pgoff, flags_field(v.flags), id_ref(v.anon_vma),
                     chain_field(v.chain));
}

// A PTE line, or a run of zero-page PTEs of equal attributes as one range.
void format_ptes(std::string& out, const std::vector<const SnapPte*>& ptes,
                 std::string_view indent) {
  for (std::size_t i = 0; i < ptes.size();) {
    const SnapPte& p = *ptes[i];
    const char* w = p.writable ? "rw" : "ro";
    if (p.kind == SnapPte::Kind::Folio) {
      out += fmt::format("{}pte {} folio {} {}\n", indent, p.page, id_ref(p.folio), w);
      ++i;
      continue;
    }
    if (p.kind == SnapPte::Kind::Swap) {
      // A writable swap PTE or a folio id on one is nonsense: show both.
      std::string extra = p.writable ? " WRITABLE" : "";
      if (p.folio != 0) extra += fmt::format(" folio={}", id_ref(p.folio));
      out += fmt::format("{}pte {} swap {}{}{}\n", indent, p.page, slot_ref(p.slot),
                         p.swp_exclusive ? " exclusive" : "", extra);
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    while (j < ptes.size() && ptes[j]->kind == SnapPte::Kind::Zero &&
           ptes[j]->page == ptes[j - 1]->page + 1 && ptes[j]->writable == p.writable &&
           ptes[j]->folio == 0 && p.folio == 0 && ptes[j]->slot == 0 && p.slot == 0 &&
           !ptes[j]->swp_exclusive && !p.swp_exclusive) {
      ++j;
    }
    // A writable zero page is a bug (I-EXCL), a folio id on it nonsense: show both.
    std::string extra = p.writable ? " WRITABLE" : "";
    if (p.folio != 0) extra += fmt::format(" folio={}", id_ref(p.folio));
    if (p.slot != 0 || p.swp_exclusive) extra += fmt::format(" slot={}", slot_ref(p.slot));
    if (j == i + 1) {
      out += fmt::format("{}pte {} zero{}\n", indent, p.page, extra);
    } else {
      out += fmt::format("{}pte [{},{}) zero{}\n", indent, p.page, ptes[j - 1]->page + 1, extra);
    }
    i = j;
  }
}

void format_proc(std::string& out, const SnapProc& p) {
  out += fmt::format("process {}\n", p.name);
  if (p.vmas.empty()) out += "  (no vmas)\n";
  std::vector<bool> shown(p.ptes.size(), false);
  for (const SnapVma& v : p.vmas) {
    out += "  vma " + vma_line(v) + "\n";
    std::vector<const SnapPte*> inside;
    for (std::size_t i = 0; i < p.ptes.size(); ++i) {
      if (!shown[i] && p.ptes[i].page >= v.start && p.ptes[i].page < v.end) {
        inside.push_back(&p.ptes[i]);
        shown[i] = true;
      }
    }
    format_ptes(out, inside, "    ");
  }
  std::vector<const SnapPte*> stray;
  for (std::size_t i = 0; i < p.ptes.size(); ++i) {
    if (!shown[i]) stray.push_back(&p.ptes[i]);
  }
  if (!stray.empty()) {
    out += "  OUTSIDE ANY VMA:\n";
    format_ptes(out, stray, "    ");
  }
}

std::string anon_vma_line(const SnapAnonVma& a, const Snapshot& s) {
  std::string out = id_ref(a.id);
  if (a.freed) out += " FREED";
  if (a.root == a.id && a.parent == a.id) {
    out += " root";
  } else {
    out += fmt::format(" parent={} root={}", id_ref(a.parent), id_ref(a.root));
    if (a.parent != 0 && s.find_anon_vma(a.parent) == nullptr) out += " (parent DANGLING)";
    if (a.root != 0 && s.find_anon_vma(a.root) == nullptr) out += " (root DANGLING)";
  }
  out += fmt::format(" refcount={} num_children={} num_active_vmas={} tree=[", a.refcount,
                     a.num_children, a.num_active_vmas);
  for (std::size_t i = 0; i < a.tree.size(); ++i) {
    if (i != 0) out += ' ';
    out += fmt::format("{}@{}", a.tree[i].proc, a.tree[i].vma_start);
  }
  out += "]";
  if (!a.tree_error.empty()) out += " TREE ERROR: " + a.tree_error;
  return out;
}

// The forest: every anon_vma under its parent, roots (and anything whose
// parent is missing) at the top. Anon_vmas caught in a parent cycle are
// reached from no top: they are drawn last, under a PARENT CYCLE heading.
void format_anon_vmas(std::string& out, const Snapshot& s) {
  out += "anon_vmas\n";
  if (s.anon_vmas.empty()) {
    out += "  (none)\n";
    return;
  }
  std::map<SnapId, std::vector<std::size_t>> children;
  std::vector<std::size_t> tops;
  for (std::size_t i = 0; i < s.anon_vmas.size(); ++i) {
    const SnapAnonVma& a = s.anon_vmas[i];
    if (a.parent == a.id || s.find_anon_vma(a.parent) == nullptr) {
      tops.push_back(i);
    } else {
      children[a.parent].push_back(i);
    }
  }
  std::vector<bool> shown(s.anon_vmas.size(), false);
  std::set<SnapId> expanded;  // a duplicated id expands its children once
  auto draw = [&](auto&& self, std::size_t i, int depth) -> void {
    shown[i] = true;
    const SnapAnonVma& a = s.anon_vmas[i];
    out += std::string(static_cast<std::size_t>(2 + 2 * depth), ' ') + anon_vma_line(a, s) + "\n";
    if (!expanded.insert(a.id).second) return;
    auto it = children.find(a.id);
    if (it == children.end()) return;
    for (std::size_t c : it->second) {
      if (!shown[c]) self(self, c, depth + 1);
    }
  };
  for (std::size_t t : tops) draw(draw, t, 0);
  bool header = false;
  for (std::size_t i = 0; i < s.anon_vmas.size(); ++i) {
    if (shown[i]) continue;
    if (!header) out += "  PARENT CYCLE (reached from no root):\n";
    header = true;
    draw(draw, i, 1);
  }
}

void format_folios(std::string& out, const Snapshot& s) {
  out += "folios\n";
  if (s.folios.empty()) out += "  (none)\n";
  for (const SnapFolio& f : s.folios) {
    std::string av = id_ref(f.anon_vma);
    const SnapAnonVma* a = s.find_anon_vma(f.anon_vma);
    if (f.anon_vma != 0 && a == nullptr) av += " (DANGLING)";
    if (a != nullptr && a->freed) av += " (FREED)";
    out += fmt::format("  {} anon_vma={} index={} mapcount={} {} value={}", id_ref(f.id), av,
                       f.index, f.mapcount, f.exclusive ? "exclusive" : "shared", f.value);
    if (f.swap != 0) {
      out += " swapcache=" + slot_ref(f.swap);
      if (s.find_slot(f.swap) == nullptr) out += " (DANGLING)";
    }
    // The engine's walk is shown only where it is news: where it does not
    // find exactly the PTEs that map the folio (I-REACH).
    if (f.walk && *f.walk != brute_force_mappers(s, f.id)) {
      std::string hits;
      for (const RmapHit& h : *f.walk)
        hits += (hits.empty() ? "" : " ") + h.proc + ":" + std::to_string(h.page);
      out += " walk={" + hits + "}";
    }
    out += "\n";
  }
}

// Shown only when a slot is in use, so that snapshots of traces without
// swap print as they always did (an empty section would say nothing).
void format_slots(std::string& out, const Snapshot& s) {
  if (s.slots.empty()) return;
  out += "swap slots\n";
  for (const SnapSlot& x : s.slots) {
    std::string cache = id_ref(x.cached);
    if (x.cached != 0 && s.find_folio(x.cached) == nullptr) cache += " (DANGLING)";
    out +=
        fmt::format("  {} count={} cache={} value={}\n", slot_ref(x.id), x.count, cache, x.value);
  }
}

}  // namespace

std::string format_snapshot(const Snapshot& s) {
  std::string out;
  if (s.visible != Visibility::all()) out += "(not shown: " + hidden_parts(s.visible) + ")\n";
  if (s.procs.empty()) out += "(no processes)\n";
  for (const SnapProc& p : s.procs) format_proc(out, p);
  format_anon_vmas(out, s);
  format_folios(out, s);
  format_slots(out, s);
  return out;
}

std::string format_pages(const Snapshot& s) {
  std::string out;
  for (const SnapProc& p : s.procs) {
    for (const SnapPte& pte : p.ptes) {
      switch (pte.kind) {
        case SnapPte::Kind::Zero:
          out += fmt::format("{} {} zero\n", p.name, pte.page);
          break;
        case SnapPte::Kind::Folio: {
          const SnapFolio* f = s.find_folio(pte.folio);
          out += fmt::format("{} {} folio {} {} {}\n", p.name, pte.page, id_ref(pte.folio),
                             pte.writable ? "writable" : "ro",
                             f != nullptr && f->exclusive ? "exclusive" : "shared");
          break;
        }
        case SnapPte::Kind::Swap:
          out += fmt::format("{} {} swap {} {}\n", p.name, pte.page, slot_ref(pte.slot),
                             pte.swp_exclusive ? "exclusive" : "shared");
          break;
      }
    }
  }
  return out;
}

std::string format_maps(const Snapshot& s) {
  std::string out;
  for (const SnapProc& p : s.procs) {
    for (const SnapVma& v : p.vmas) {
      out += fmt::format("{} {}-{} {} pgoff={} flags={} av={}\n", p.name, v.start, v.end,
                         vma_perms(v.flags), v.pgoff, flags_field(v.flags), id_ref(v.anon_vma));
    }
  }
  return out;
}

}  // namespace rmapcheck
