// observation.cpp - renaming, printing and diffing Observations.
#include "observation.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>

namespace rmapcheck::oracle {
namespace {

// Raw id -> 1, 2, ... in order of first naming; 0 stays 0.
class Renamer {
 public:
  void name(std::uint64_t raw) {
    if (raw == 0 || map_.count(raw) != 0) return;
    map_.emplace(raw, order_.size() + 1);
    order_.push_back(raw);
  }
  std::uint64_t operator()(std::uint64_t raw) const {
    if (raw == 0) return 0;
    auto it = map_.find(raw);
    return it == map_.end() ? 0 : it->second;
  }
  const std::vector<std::uint64_t>& order() const { return order_; }

 private:
  std::map<std::uint64_t, std::uint64_t> map_;
  std::vector<std::uint64_t> order_;
};

std::string id_ref(std::uint64_t id) {
  return id == 0 ? "none" : fmt::format("#{}", id);
}

std::string flags_text(VmFlags f, bool all) {
  std::string codes = vm_flags_codes(f & (all ? kComparedFlags : kRwxFlags));
  std::replace(codes.begin(), codes.end(), ' ', ',');
  return codes.empty() ? "-" : codes;
}

// One printed line with the key that orders it and pairs it with the other side's.
struct KeyedLine {
  std::string key;
  std::string text;
};

std::string pad(std::uint64_t n) {
  return fmt::format("{:020}", n);
}

std::vector<KeyedLine> keyed_lines(const Observation& o) {
  std::vector<KeyedLine> out;
  for (const ObsProc& p : o.procs) {
    out.push_back({p.name + " 0", fmt::format("{} process", p.name)});
    for (const ObsVma& v : p.vmas) {
      std::string text = fmt::format("{} vma [{},{}) {} {}", p.name, v.start, v.end,
                                     vma_perms(v.flags), flags_text(v.flags, o.has_flags));
      if (o.has_forest) {
        std::string chain;
        for (std::uint64_t c : v.chain) chain += (chain.empty() ? "" : " ") + id_ref(c);
        text += fmt::format(" pgoff={} anon_vma={} chain=[{}]", v.pgoff, id_ref(v.anon_vma), chain);
      }
      out.push_back({p.name + " 1 " + pad(v.start), std::move(text)});
    }
    for (const ObsPage& pg : p.pages) {
      std::string text = fmt::format("{} page {} ", p.name, pg.page);
      switch (pg.kind) {
        case ObsPage::Kind::Zero:
          text += "zero";
          break;
        case ObsPage::Kind::Anon:
          text += fmt::format("frame{} mapcount={} {}", id_ref(pg.frame), pg.mapcount,
                              pg.exclusive ? "exclusive" : "shared");
          break;
        case ObsPage::Kind::Other:
          text += fmt::format("NOT-AN-ANON-PAGE frame{} kpageflags={:#x}", id_ref(pg.frame),
                              pg.raw_flags);
          break;
      }
      if (pg.value) text += fmt::format(" value={:#x}", *pg.value);
      out.push_back({p.name + " 2 " + pad(pg.page), std::move(text)});
    }
  }
  for (const ObsAnonVma& a : o.anon_vmas) {
    out.push_back({"~anon_vma " + pad(a.id),
                   fmt::format("anon_vma {} root={} parent={} refcount={} num_children={} "
                               "num_active_vmas={}",
                               id_ref(a.id), id_ref(a.root), id_ref(a.parent), a.refcount,
                               a.num_children, a.num_active_vmas)});
  }
  return out;
}

}  // namespace

void canonicalize_observation(Observation& o) {
  std::sort(o.procs.begin(), o.procs.end(),
            [](const ObsProc& a, const ObsProc& b) { return a.name < b.name; });
  Renamer frames;
  for (ObsProc& p : o.procs) {
    std::sort(p.vmas.begin(), p.vmas.end(),
              [](const ObsVma& a, const ObsVma& b) { return a.start < b.start; });
    std::sort(p.pages.begin(), p.pages.end(),
              [](const ObsPage& a, const ObsPage& b) { return a.page < b.page; });
    for (const ObsPage& pg : p.pages)
      if (pg.kind != ObsPage::Kind::Zero) frames.name(pg.frame);
  }
  for (ObsProc& p : o.procs)
    for (ObsPage& pg : p.pages) pg.frame = pg.kind == ObsPage::Kind::Zero ? 0 : frames(pg.frame);

  if (!o.has_forest) {
    o.anon_vmas.clear();
    for (ObsProc& p : o.procs)
      for (ObsVma& v : p.vmas) {
        v.pgoff = 0;
        v.anon_vma = 0;
        v.chain.clear();
      }
    return;
  }
  std::map<std::uint64_t, ObsAnonVma> by_raw;
  for (const ObsAnonVma& a : o.anon_vmas) by_raw.emplace(a.id, a);
  Renamer avs;
  for (const ObsProc& p : o.procs)
    for (const ObsVma& v : p.vmas) {
      avs.name(v.anon_vma);
      for (std::uint64_t c : v.chain) avs.name(c);
    }
  // Closure over root and parent; order() grows while we walk it.
  for (std::size_t i = 0; i < avs.order().size(); ++i) {
    auto it = by_raw.find(avs.order()[i]);
    if (it == by_raw.end()) continue;
    std::uint64_t root = it->second.root, parent = it->second.parent;
    avs.name(root);
    avs.name(parent);
  }
  std::vector<ObsAnonVma> renamed;
  for (std::uint64_t raw : avs.order()) {
    auto it = by_raw.find(raw);
    ObsAnonVma a;
    if (it != by_raw.end()) a = it->second;
    // An id named but never described stays, with zero fields: a visible
    // dangling reference rather than a silent drop.
    a.id = avs(raw);
    a.root = avs(a.root);
    a.parent = avs(a.parent);
    renamed.push_back(a);
  }
  o.anon_vmas = std::move(renamed);
  for (ObsProc& p : o.procs)
    for (ObsVma& v : p.vmas) {
      v.anon_vma = avs(v.anon_vma);
      for (std::uint64_t& c : v.chain) c = avs(c);
    }
}

void restrict_to_common(Observation& a, Observation& b) {
  bool flags = a.has_flags && b.has_flags;
  bool forest = a.has_forest && b.has_forest;
  for (Observation* o : {&a, &b}) {
    o->has_flags = flags;
    if (!flags)
      for (ObsProc& p : o->procs)
        for (ObsVma& v : p.vmas) v.flags &= kRwxFlags;
    if (!forest && o->has_forest) {
      o->has_forest = false;
      canonicalize_observation(*o);  // drops the forest parts
    }
  }
}

std::vector<std::string> observation_lines(const Observation& o) {
  std::vector<std::string> out;
  for (KeyedLine& l : keyed_lines(o)) out.push_back(std::move(l.text));
  return out;
}

std::string format_observation(const Observation& o) {
  std::string out;
  for (const std::string& l : observation_lines(o)) out += l + "\n";
  return out;
}

std::string diff_observations(const Observation& a, const Observation& b, std::string_view label_a,
                              std::string_view label_b) {
  std::map<std::string, std::pair<std::string, std::string>> rows;
  for (KeyedLine& l : keyed_lines(a)) rows[l.key].first = std::move(l.text);
  for (KeyedLine& l : keyed_lines(b)) rows[l.key].second = std::move(l.text);
  std::string out;
  std::size_t shown = 0, total = 0;
  constexpr std::size_t kMaxShown = 40;
  for (const auto& [key, row] : rows) {
    if (row.first == row.second) continue;
    ++total;
    if (shown >= kMaxShown) continue;
    ++shown;
    out += fmt::format("  {:<6} {}\n", label_a, row.first.empty() ? "(nothing)" : row.first);
    out += fmt::format("  {:<6} {}\n", label_b, row.second.empty() ? "(nothing)" : row.second);
  }
  if (total > shown) out += fmt::format("  ... and {} more differing lines\n", total - shown);
  return out;
}

}  // namespace rmapcheck::oracle
