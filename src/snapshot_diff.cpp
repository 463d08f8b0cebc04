// snapshot_diff.cpp - diff_snapshots(): a unified-style line diff of two printouts.
//
// Snapshots print to a few dozen lines, so a plain LCS table (quadratic) is
// fast enough and gives the minimal diff. Output:
//
//   --- model
//   +++ impl
//   @@ line 7 @@
//    anon_vmas
//   -  #1 root refcount=2 ...
//   +  #1 root refcount=1 ...
//
// with kContext unchanged lines around each change; empty iff a == b.
//
// snapshot_difference() compares the same records key by key, for pictures
// (snapshot_dot.h) that mark the objects the diff would show.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "rmapcheck/snapshot.h"

namespace rmapcheck {

namespace {

constexpr std::size_t kContext = 2;

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

struct Edit {
  char tag;            // ' ', '-', '+'
  std::size_t line_a;  // 0-based position in a (for the hunk header)
  const std::string* text;
};

std::vector<Edit> lcs_edits(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  const std::size_t n = a.size(), m = b.size();
  // len[i][j] = LCS length of a[i..] and b[j..]
  std::vector<std::vector<std::size_t>> len(n + 1, std::vector<std::size_t>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      len[i][j] = a[i] == b[j] ? len[i + 1][j + 1] + 1 : std::max(len[i + 1][j], len[i][j + 1]);
    }
  }
  std::vector<Edit> edits;
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      edits.push_back({' ', i, &a[i]});
      ++i, ++j;
    } else if (i < n && (j == m || len[i + 1][j] >= len[i][j + 1])) {
      edits.push_back({'-', i, &a[i]});  // deletions first, as diff -u prints them
      ++i;
    } else {
      edits.push_back({'+', i, &b[j]});
      ++j;
    }
  }
  return edits;
}

// The records of `list` grouped by key, each group in list order.
template <typename Key, typename T, typename KeyOf>
std::map<Key, std::vector<const T*>> group_by(const std::vector<T>& list, KeyOf key_of) {
  std::map<Key, std::vector<const T*>> groups;
  for (const T& x : list) groups[key_of(x)].push_back(&x);
  return groups;
}

template <typename T>
bool same_records(const std::vector<const T*>& a, const std::vector<const T*>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const T* x, const T* y) { return *x == *y; });
}

// Inserts into `out` every key whose groups differ between a and b.
template <typename Key, typename T, typename KeyOf>
void differing_keys(const std::vector<T>& a, const std::vector<T>& b, KeyOf key_of,
                    std::set<Key>& out) {
  auto ga = group_by<Key>(a, key_of);
  auto gb = group_by<Key>(b, key_of);
  for (const auto& [key, records] : ga) {
    auto it = gb.find(key);
    if (it == gb.end() || !same_records(records, it->second)) out.insert(key);
  }
  for (const auto& [key, records] : gb) {
    if (ga.find(key) == ga.end()) out.insert(key);
  }
}

}  // namespace

SnapshotDifference snapshot_difference(const Snapshot& a, const Snapshot& b) {
  SnapshotDifference d;
  if (a == b) return d;
  using ProcKey = std::pair<std::string, Page>;
  auto pa = group_by<std::string>(a.procs, [](const SnapProc& p) { return p.name; });
  auto pb = group_by<std::string>(b.procs, [](const SnapProc& p) { return p.name; });
  for (const auto& [name, records] : pa) {
    if (pb.find(name) == pb.end()) d.procs.insert(name);
  }
  for (const auto& [name, records] : pb) {
    auto it = pa.find(name);
    if (it == pa.end()) {
      d.procs.insert(name);
      continue;
    }
    if (same_records(it->second, records)) continue;
    // Live in both: the VMAs and PTEs of every record of that name.
    std::vector<SnapVma> va, vb;
    std::vector<SnapPte> ta, tb;
    for (const SnapProc* p : it->second) {
      va.insert(va.end(), p->vmas.begin(), p->vmas.end());
      ta.insert(ta.end(), p->ptes.begin(), p->ptes.end());
    }
    for (const SnapProc* p : records) {
      vb.insert(vb.end(), p->vmas.begin(), p->vmas.end());
      tb.insert(tb.end(), p->ptes.begin(), p->ptes.end());
    }
    std::set<Page> vma_starts, pte_pages;
    differing_keys<Page>(
        va, vb, [](const SnapVma& v) { return v.start; }, vma_starts);
    differing_keys<Page>(
        ta, tb, [](const SnapPte& t) { return t.page; }, pte_pages);
    for (Page s : vma_starts) d.vmas.insert(ProcKey{name, s});
    for (Page s : pte_pages) d.ptes.insert(ProcKey{name, s});
    if (vma_starts.empty() && pte_pages.empty()) d.procs.insert(name);
  }
  differing_keys<SnapId>(
      a.anon_vmas, b.anon_vmas, [](const SnapAnonVma& x) { return x.id; }, d.anon_vmas);
  differing_keys<SnapId>(
      a.folios, b.folios, [](const SnapFolio& x) { return x.id; }, d.folios);
  differing_keys<SnapId>(
      a.slots, b.slots, [](const SnapSlot& x) { return x.id; }, d.slots);
  d.visibility = a.visible != b.visible;
  if (d.empty()) d.order_only = true;
  return d;
}

std::string diff_snapshots(const Snapshot& a, const Snapshot& b, std::string_view label_a,
                           std::string_view label_b) {
  if (a == b) return {};
  const std::vector<std::string> la = split_lines(format_snapshot(a));
  const std::vector<std::string> lb = split_lines(format_snapshot(b));
  const std::vector<Edit> edits = lcs_edits(la, lb);

  std::string out = fmt::format("--- {}\n+++ {}\n", label_a, label_b);
  // Keep an edit when a change lies within kContext edits of it.
  std::vector<bool> keep(edits.size(), false);
  bool any_change = false;
  for (std::size_t k = 0; k < edits.size(); ++k) {
    if (edits[k].tag == ' ') continue;
    any_change = true;
    const std::size_t lo = k >= kContext ? k - kContext : 0;
    const std::size_t hi = std::min(edits.size() - 1, k + kContext);
    for (std::size_t x = lo; x <= hi; ++x) keep[x] = true;
  }
  if (!any_change) {
    // Unequal snapshots whose printouts agree: format_snapshot shows every
    // field, so this means a difference in list order of duplicated entries.
    return out + "(the snapshots differ, but print identically: duplicate or unsorted entries)\n";
  }
  for (std::size_t k = 0; k < edits.size(); ++k) {
    if (!keep[k]) continue;
    if (k == 0 || !keep[k - 1]) out += fmt::format("@@ line {} @@\n", edits[k].line_a + 1);
    out += edits[k].tag;
    out += *edits[k].text;
    out += '\n';
  }
  return out;
}

}  // namespace rmapcheck
