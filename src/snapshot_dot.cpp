// snapshot_dot.cpp - snapshot_dot() and snapshot_pair_dot(): a Snapshot as DOT.
//
// Layout and conventions: snapshot_dot.h. How it is written:
//   - every node of a side is declared inside its cluster before any edge
//     names it (an edge that names an undeclared node would declare it
//     outside every cluster); edges come last, in the order of the records;
//   - node ids are quoted, "PREFIX" + "vma:p0:4" / "av:3" / "folio:1", with
//     PREFIX "" for one state and "a:" / "b:" (first / second) for two; a
//     record whose key repeats (a broken snapshot) gets ":dupN";
//   - labels are HTML-like tables, text escaped; red and bold marks what
//     differs from the other side, a light red fill what only this side has.
#include "rmapcheck/snapshot_dot.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "rmapcheck/invariants.h"

namespace rmapcheck {

namespace {

constexpr std::string_view kRed = "#d62728";
constexpr std::string_view kOnlyFill = "#fde2e2";
constexpr std::string_view kVmaHead = "#dbe7f6";
constexpr std::string_view kAnonVmaHead = "#e2f0d9";
constexpr std::string_view kFolioHead = "#fcefd2";
constexpr std::size_t kTreeNodesPerLine = 4;

std::string esc(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\n':
        out += ' ';
        break;
      default:
        out += c;
    }
  }
  return out;
}

// For each entry of a: true when it lies outside a longest common
// subsequence of a and b (what a line diff of the two lists would mark).
std::vector<bool> unmatched(const std::vector<SnapId>& a, const std::vector<SnapId>& b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> len(n + 1, std::vector<std::size_t>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;)
      len[i][j] = a[i] == b[j] ? len[i + 1][j + 1] + 1 : std::max(len[i + 1][j], len[i][j + 1]);
  }
  std::vector<bool> out(n, true);
  for (std::size_t i = 0, j = 0; i < n && j < m;) {
    if (a[i] == b[j]) {
      out[i] = false;
      ++i, ++j;
    } else if (len[i + 1][j] >= len[i][j + 1]) {
      ++i;
    } else {
      ++j;
    }
  }
  return out;
}

// Escaped text, red and bold when `red`.
std::string mark(const std::string& html, bool red) {
  return red ? fmt::format("<FONT COLOR=\"{}\"><B>{}</B></FONT>", kRed, html) : html;
}

// How an object of this side stands against the other side's.
enum class Mark : std::uint8_t {
  Same,     // equal, or there is no other side
  Differs,  // both have it; some field differs
  Only,     // only this side has it
};

// One HTML-like table: rows of escaped text, each optionally a port.
class Table {
 public:
  Table(std::string_view head_color, Mark m) : head_color_(head_color), mark_(m) {}
  void head(const std::string& html, const std::string& port = "") { row(html, port, true); }
  void row(const std::string& html, const std::string& port = "", bool head = false) {
    std::string attrs = " ALIGN=\"LEFT\" BALIGN=\"LEFT\"";
    if (!port.empty()) attrs += fmt::format(" PORT=\"{}\"", port);
    if (head) attrs += fmt::format(" BGCOLOR=\"{}\"", mark_ == Mark::Only ? kRed : head_color_);
    // Graphviz 2.43 rejects a text "]" that follows a tag ("x <B>y</B>]"):
    // that one is written as a character reference.
    std::string text = html;
    for (std::size_t at = text.find(">]"); at != std::string::npos; at = text.find(">]", at))
      text.replace(at + 1, 1, "&#93;");
    rows_ += fmt::format("\n  <TR><TD{}>{}</TD></TR>", attrs, text);
  }
  std::string label() const {
    std::string color = mark_ == Mark::Same ? "#606060" : std::string(kRed);
    std::string fill = mark_ == Mark::Only ? std::string(kOnlyFill) : "white";
    int border = mark_ == Mark::Same ? 1 : 3;
    return fmt::format(
        "<<TABLE BORDER=\"{}\" CELLBORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"2\" "
        "COLOR=\"{}\" BGCOLOR=\"{}\">{}\n</TABLE>>",
        border, color, fill, rows_);
  }

 private:
  std::string_view head_color_;
  Mark mark_;
  std::string rows_;
};

struct EdgeStyle {
  bool red = false;
  bool bold = false;
  bool thin = false;  // light grey and thin: the many avc->anon_vma edges
  bool dashed = false;
  bool dotted = false;
  bool constraint = true;
  std::string label;
  std::string color = "#404040";
};

std::string edge_attrs(const EdgeStyle& e) {
  std::vector<std::string> a;
  a.push_back(fmt::format("color=\"{}\"", e.red    ? std::string(kRed)
                                          : e.thin ? std::string("#a8a8a8")
                                                   : e.color));
  double width = e.bold ? 2.0 : e.thin ? 0.6 : 1.0;
  if (e.red) width += 1.5;
  if (width != 1.0) a.push_back(fmt::format("penwidth={:.1f}", width));
  if (e.dashed) a.push_back("style=dashed");
  if (e.dotted) a.push_back("style=dotted");
  if (!e.constraint) a.push_back("constraint=false");
  if (!e.label.empty()) {
    a.push_back(fmt::format("label=\"{}\"", e.label));
    if (e.red) a.push_back(fmt::format("fontcolor=\"{}\"", kRed));
  }
  std::string out;
  for (const std::string& x : a) {
    if (!out.empty()) out += ", ";
    out += x;
  }
  return out;
}

// One side of a picture: the state, the other side's state to compare with
// (nullptr for a picture of one state), and how to name its nodes.
class SideWriter {
 public:
  SideWriter(const Snapshot& s, const Snapshot* other, std::string prefix, std::string indent)
      : s_(s), other_(other), prefix_(std::move(prefix)), in_(std::move(indent)) {
    if (other_ != nullptr) diff_ = snapshot_difference(s_, *other_);
  }

  void write(std::string& out) {
    for (const SnapProc& p : s_.procs) write_proc(out, p);
    write_anon_vmas(out);
    write_folios(out);
    out += edges_;
  }

  bool order_only() const { return diff_.order_only; }
  // The nodes of the first column: VMAs (and placeholders of processes).
  const std::vector<std::string>& first_column() const { return first_column_; }
  const std::vector<std::string>& folio_nodes() const { return folio_nodes_; }

 private:
  // ---- node ids --------------------------------------------------------

  std::string quoted(const std::string& id) const { return "\"" + prefix_ + id + "\""; }

  // A fresh node id for key `base`: the first record under a key gets the
  // key itself, any duplicate ":dupN".
  std::string claim(const std::string& base) {
    int n = used_[base]++;
    return n == 0 ? quoted(base) : quoted(fmt::format("{}:dup{}", base, n));
  }

  std::string vma_id(const std::string& proc, Page start) const {
    return quoted(fmt::format("vma:{}:{}", proc, start));
  }
  std::string av_id(SnapId id) const { return quoted(fmt::format("av:{}", id)); }
  std::string folio_id(SnapId id) const { return quoted(fmt::format("folio:{}", id)); }

  // ---- comparison with the other side --------------------------------

  const SnapProc* other_proc(const std::string& name) const {
    return other_ == nullptr ? nullptr : other_->find_proc(name);
  }
  const SnapVma* other_vma(const std::string& proc, Page start) const {
    const SnapProc* p = other_proc(proc);
    if (p == nullptr) return nullptr;
    for (const SnapVma& v : p->vmas) {
      if (v.start == start) return &v;
    }
    return nullptr;
  }
  Mark proc_mark(const std::string& name) const {
    if (other_ == nullptr) return Mark::Same;
    if (other_proc(name) == nullptr) return Mark::Only;
    return diff_.procs.count(name) != 0 ? Mark::Differs : Mark::Same;
  }
  Mark vma_mark(const std::string& proc, Page start) const {
    Mark pm = proc_mark(proc);
    if (pm != Mark::Same) return pm;
    if (diff_.vmas.count({proc, start}) == 0) return Mark::Same;
    return other_vma(proc, start) == nullptr ? Mark::Only : Mark::Differs;
  }
  bool pte_differs(const std::string& proc, Page page) const {
    return proc_mark(proc) != Mark::Same || diff_.ptes.count({proc, page}) != 0;
  }
  template <typename T>
  Mark id_mark(const std::set<SnapId>& differing, SnapId id, const T* counterpart) const {
    if (other_ == nullptr || differing.count(id) == 0) return Mark::Same;
    return counterpart == nullptr ? Mark::Only : Mark::Differs;
  }

  // ---- processes and their VMAs ---------------------------------------

  void write_proc(std::string& out, const SnapProc& p) {
    const Mark pm = proc_mark(p.name);
    const std::string cluster = claim("proc:" + p.name);  // "PREFIXproc:NAME", quoted
    out +=
        fmt::format("{}subgraph \"cluster_{}\" {{\n", in_, cluster.substr(1, cluster.size() - 2));
    out += fmt::format("{}  label=<process <B>{}</B>{}>;\n", in_, esc(p.name),
                       pm == Mark::Only ? mark(" (only here)", true) : "");
    out +=
        fmt::format("{}  style=\"rounded,filled\"; fillcolor=\"{}\"; color=\"{}\"; penwidth={};\n",
                    in_, pm == Mark::Only ? kOnlyFill : "#f5f5f5",
                    pm == Mark::Same ? "#909090" : std::string(kRed), pm == Mark::Same ? 1 : 3);
    // The VMAs in address order, then any PTE outside them.
    std::vector<std::string> nodes;
    std::vector<bool> shown(p.ptes.size(), false);
    for (const SnapVma& v : p.vmas) {
      std::vector<const SnapPte*> inside;
      for (std::size_t i = 0; i < p.ptes.size(); ++i) {
        if (!shown[i] && p.ptes[i].page >= v.start && p.ptes[i].page < v.end) {
          inside.push_back(&p.ptes[i]);
          shown[i] = true;
        }
      }
      nodes.push_back(write_vma(p.name, v, inside));
    }
    std::vector<const SnapPte*> stray;
    for (std::size_t i = 0; i < p.ptes.size(); ++i) {
      if (!shown[i]) stray.push_back(&p.ptes[i]);
    }
    if (!stray.empty()) {
      const std::string node = claim(fmt::format("stray:{}", p.name));
      first_column_.push_back(node);
      Table t(kVmaHead, Mark::Same);
      t.head(mark("OUTSIDE ANY VMA", true));
      write_ptes(t, node, p.name, stray);
      nodes.push_back(fmt::format("{}  {} [label={}];\n", in_, node, t.label()));
    }
    if (nodes.empty()) {
      const std::string node = claim(fmt::format("empty:{}", p.name));
      first_column_.push_back(node);
      nodes.push_back(fmt::format("{}  {} [label=\"(no vmas)\"];\n", in_, node));
    }
    for (const std::string& n : nodes) out += n;
    out += in_ + "}\n";
  }

  // The VMA's node statement.
  std::string write_vma(const std::string& proc, const SnapVma& v,
                        const std::vector<const SnapPte*>& ptes) {
    const Mark m = vma_mark(proc, v.start);
    const SnapVma* cp = m == Mark::Differs ? other_vma(proc, v.start) : nullptr;
    const std::string node = claim(fmt::format("vma:{}:{}", proc, v.start));
    first_column_.push_back(node);
    Table t(kVmaHead, m);
    const bool av_red = cp != nullptr && cp->anon_vma != v.anon_vma;
    t.head(mark(fmt::format("<B>vma [{},{})</B> {}", v.start, v.end, vma_perms(v.flags)),
                cp != nullptr && (cp->end != v.end || vma_perms(cp->flags) != vma_perms(v.flags))) +
               " " + mark(fmt::format("anon_vma={}", id_ref(v.anon_vma)), av_red),
           "a");
    t.row(
        mark(fmt::format("pgoff={}", v.pgoff), cp != nullptr && cp->pgoff != v.pgoff) + " " +
        mark(fmt::format("flags={}", flags_field(v.flags)), cp != nullptr && cp->flags != v.flags));
    if (v.anon_vma != 0) {
      EdgeStyle e;
      e.bold = true;
      e.red = av_red;
      e.color = "#1f4e9c";
      edge(fmt::format("{}:a:e", node), av_id(v.anon_vma), e);
    }
    // Against the other side's chain: entries outside a longest common
    // subsequence are red here, and the other's are listed as missing.
    const std::vector<bool> extra =
        cp != nullptr ? unmatched(v.chain, cp->chain) : std::vector<bool>(v.chain.size(), false);
    for (std::size_t i = 0; i < v.chain.size(); ++i) {
      const SnapId av = v.chain[i];
      const bool in_tree = tree_has(av, proc, v.start);
      std::string text = fmt::format("avc &#8594; {}", id_ref(av));
      if (!in_tree) text += " " + mark("(not in its tree)", true);
      const std::string port = fmt::format("c{}", i);
      t.row(mark(text, extra[i]), port);
      if (av == 0) continue;
      EdgeStyle e;
      e.red = extra[i] || !in_tree;
      e.dashed = !in_tree;
      e.thin = true;
      edge(fmt::format("{}:{}:e", node, port), av_id(av), e);
    }
    if (cp != nullptr) {
      const std::vector<bool> missing = unmatched(cp->chain, v.chain);
      for (std::size_t i = 0; i < cp->chain.size(); ++i) {
        if (missing[i])
          t.row(mark(fmt::format("(no avc &#8594; {} here)", id_ref(cp->chain[i])), true));
      }
    }
    write_ptes(t, node, proc, ptes);
    return fmt::format("{}  {} [label={}];\n", in_, node, t.label());
  }

  // The PTE rows of one VMA (or of the stray ones), zero-page runs folded
  // as format_snapshot folds them.
  void write_ptes(Table& t, const std::string& node, const std::string& proc,
                  const std::vector<const SnapPte*>& ptes) {
    for (std::size_t i = 0; i < ptes.size();) {
      const SnapPte& p = *ptes[i];
      std::size_t j = i + 1;
      if (p.kind == SnapPte::Kind::Zero && p.folio == 0) {
        while (j < ptes.size() && ptes[j]->kind == SnapPte::Kind::Zero &&
               ptes[j]->page == ptes[j - 1]->page + 1 && ptes[j]->writable == p.writable &&
               ptes[j]->folio == 0) {
          ++j;
        }
      }
      bool red = false;
      for (std::size_t k = i; k < j; ++k) red = red || pte_differs(proc, ptes[k]->page);
      const PteRow r = pte_row(p, ptes[j - 1]->page + 1);
      const std::string port = fmt::format("t{}", p.page);
      t.row(mark(r.html, red), r.target.empty() ? "" : port);
      if (!r.target.empty()) {
        EdgeStyle e;
        e.red = red;
        e.bold = p.writable;
        e.color = "#8a5a00";
        edge(fmt::format("{}:{}:e", node, port), r.target, e);
      }
      i = j;
    }
  }

  struct PteRow {
    std::string html;    // the row's text, escaped
    std::string target;  // the node the PTE maps, "" for none
  };

  // The extension point for PTE kinds: one case per SnapPte::Kind (no
  // default, so -Wswitch names any kind added without a case).
  PteRow pte_row(const SnapPte& p, Page end) const {
    const std::string pages =
        end == p.page + 1 ? fmt::format("{}", p.page) : fmt::format("[{},{})", p.page, end);
    const char* rw = p.writable ? "rw" : "ro";
    switch (p.kind) {
      case SnapPte::Kind::Folio:
        return {fmt::format("pte {} &#8594; folio {} {}", pages, id_ref(p.folio), rw),
                p.folio == 0 ? "" : folio_id(p.folio)};
      case SnapPte::Kind::Swap: {
        // The slot is named in the row; slots have no nodes of their own yet.
        std::string html = fmt::format("pte {} swap {}{}", pages, slot_ref(p.slot),
                                       p.swp_exclusive ? " exclusive" : "");
        if (p.writable) html += mark("WRITABLE", true);
        return {html, ""};
      }
      case SnapPte::Kind::Zero: {
        // A writable zero page is a bug (I-EXCL), a folio id on it nonsense.
        std::string html = fmt::format("pte {} zero page {}", pages, p.writable ? "" : "ro");
        if (p.writable) html += mark("WRITABLE", true);
        if (p.folio != 0) html += " " + mark(fmt::format("folio={}", id_ref(p.folio)), true);
        return {html, ""};
      }
    }
    return {"pte ?", ""};
  }

  // ---- anon_vmas -------------------------------------------------------

  bool tree_has(SnapId av, const std::string& proc, Page start) const {
    const SnapAnonVma* a = s_.find_anon_vma(av);
    if (a == nullptr) return false;
    return std::find(a->tree.begin(), a->tree.end(), SnapTreeNode{proc, start}) != a->tree.end();
  }

  // Does a VMA (proc, start) of this state list `av` in its chain?
  bool chain_has(SnapId av, const SnapTreeNode& n) const {
    const SnapProc* p = s_.find_proc(n.proc);
    if (p == nullptr) return false;
    for (const SnapVma& v : p->vmas) {
      if (v.start == n.vma_start && std::find(v.chain.begin(), v.chain.end(), av) != v.chain.end())
        return true;
    }
    return false;
  }

  bool has_vma(const SnapTreeNode& n) const {
    const SnapProc* p = s_.find_proc(n.proc);
    return p != nullptr && std::any_of(p->vmas.begin(), p->vmas.end(),
                                       [&](const SnapVma& v) { return v.start == n.vma_start; });
  }

  // Ids some pointer names that no record of this state holds.
  std::set<SnapId> dangling_anon_vmas() const {
    std::set<SnapId> named;
    for (const SnapProc& p : s_.procs) {
      for (const SnapVma& v : p.vmas) {
        named.insert(v.anon_vma);
        named.insert(v.chain.begin(), v.chain.end());
      }
    }
    for (const SnapAnonVma& a : s_.anon_vmas) {
      named.insert(a.parent);
      named.insert(a.root);
    }
    for (const SnapFolio& f : s_.folios) named.insert(f.anon_vma);
    std::set<SnapId> out;
    for (SnapId id : named) {
      if (id != 0 && s_.find_anon_vma(id) == nullptr) out.insert(id);
    }
    return out;
  }

  void write_anon_vmas(std::string& out) {
    const std::set<SnapId> dangling = dangling_anon_vmas();
    if (s_.anon_vmas.empty() && dangling.empty()) return;
    out += fmt::format("{}subgraph \"cluster_{}anon_vmas\" {{\n", in_, prefix_);
    out += fmt::format("{}  label=\"anon_vmas\"; style=\"rounded\"; color=\"#909090\";\n", in_);
    for (const SnapAnonVma& a : s_.anon_vmas) write_anon_vma(out, a);
    for (SnapId id : dangling) {
      Table t(kAnonVmaHead, Mark::Same);
      t.head(fmt::format("<B>anon_vma {}</B>", id_ref(id)));
      t.row(mark("DANGLING: no such anon_vma", true));
      out += fmt::format("{}  {} [label={}];\n", in_, claim(fmt::format("av:{}", id)), t.label());
    }
    out += in_ + "}\n";
  }

  void write_anon_vma(std::string& out, const SnapAnonVma& a) {
    const SnapAnonVma* cp = other_ == nullptr ? nullptr : other_->find_anon_vma(a.id);
    const Mark m = id_mark(diff_.anon_vmas, a.id, cp);
    if (m != Mark::Differs) cp = nullptr;
    const std::string node = claim(fmt::format("av:{}", a.id));
    Table t(kAnonVmaHead, m);
    std::string head = fmt::format("<B>anon_vma {}</B>", id_ref(a.id));
    if (a.freed) head += " " + mark("FREED", true);
    t.head(mark(head, cp != nullptr && cp->freed != a.freed));
    const bool links_red = cp != nullptr && (cp->parent != a.parent || cp->root != a.root);
    if (a.root == a.id && a.parent == a.id) {
      t.row(mark("root", links_red));
    } else {
      std::string links = fmt::format("parent={} root={}", id_ref(a.parent), id_ref(a.root));
      t.row(mark(links, links_red));
    }
    t.row(
        mark(fmt::format("refcount={}", a.refcount), cp != nullptr && cp->refcount != a.refcount));
    t.row(mark(fmt::format("num_children={}", a.num_children),
               cp != nullptr && cp->num_children != a.num_children));
    t.row(mark(fmt::format("num_active_vmas={}", a.num_active_vmas),
               cp != nullptr && cp->num_active_vmas != a.num_active_vmas));
    // The interval tree, a few nodes a line; a node no chain explains in red.
    // A node red when the other side's tree lacks it, or when no chain of
    // this state explains it; the other's nodes this tree lacks, listed.
    std::vector<std::string> nodes;
    for (const SnapTreeNode& n : a.tree) {
      const bool red =
          !chain_has(a.id, n) ||
          (cp != nullptr && std::find(cp->tree.begin(), cp->tree.end(), n) == cp->tree.end());
      nodes.push_back(mark(fmt::format("{}@{}", esc(n.proc), n.vma_start), red));
    }
    if (cp != nullptr) {
      for (const SnapTreeNode& n : cp->tree) {
        if (std::find(a.tree.begin(), a.tree.end(), n) == a.tree.end())
          nodes.push_back(mark(fmt::format("(no {}@{})", esc(n.proc), n.vma_start), true));
      }
    }
    std::string tree = "tree=[";
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (i != 0) tree += i % kTreeNodesPerLine == 0 ? "<BR/>&#160;&#160;" : " ";
      tree += nodes[i];
    }
    t.row(tree + "]");
    if (!a.tree_error.empty()) t.row(mark("TREE ERROR: " + esc(a.tree_error), true));
    if (cp != nullptr && cp->tree_error != a.tree_error && a.tree_error.empty())
      t.row(mark("(no tree error)", true));
    out += fmt::format("{}  {} [label={}];\n", in_, node, t.label());

    // Edges: the parent, the root when it is not the parent, and tree nodes
    // that no anon_vma_chain of their VMA explains (drawn back to the VMA).
    const bool is_root = a.parent == a.id && a.root == a.id;
    if (!is_root && a.parent != 0 && a.parent != a.id) {
      EdgeStyle e;
      e.red = links_red;
      e.label = a.root == a.parent ? "parent, root" : "parent";
      e.color = "#2e7d32";
      edge(node, av_id(a.parent), e);
    }
    if (!is_root && a.root != 0 && a.root != a.parent && a.root != a.id) {
      EdgeStyle e;
      e.red = links_red;
      e.dotted = true;
      e.constraint = false;
      e.label = "root";
      e.color = "#7fb17f";
      edge(node, av_id(a.root), e);
    }
    for (const SnapTreeNode& n : a.tree) {
      if (chain_has(a.id, n) || !has_vma(n)) continue;
      EdgeStyle e;
      e.red = true;
      e.dashed = true;
      e.constraint = false;
      e.label = "tree node, no avc";
      edge(node, vma_id(n.proc, n.vma_start), e);
    }
  }

  // ---- folios ----------------------------------------------------------

  void write_folios(std::string& out) {
    std::set<SnapId> dangling;
    for (const SnapProc& p : s_.procs) {
      for (const SnapPte& t : p.ptes) {
        if (t.kind == SnapPte::Kind::Folio && t.folio != 0 && s_.find_folio(t.folio) == nullptr)
          dangling.insert(t.folio);
      }
    }
    if (s_.folios.empty() && dangling.empty()) return;
    out += fmt::format("{}subgraph \"cluster_{}folios\" {{\n", in_, prefix_);
    out += fmt::format("{}  label=\"folios\"; style=\"rounded\"; color=\"#909090\";\n", in_);
    for (const SnapFolio& f : s_.folios) write_folio(out, f);
    for (SnapId id : dangling) {
      Table t(kFolioHead, Mark::Same);
      t.head(fmt::format("<B>folio {}</B>", id_ref(id)));
      t.row(mark("DANGLING: no such folio", true));
      out +=
          fmt::format("{}  {} [label={}];\n", in_, claim(fmt::format("folio:{}", id)), t.label());
    }
    out += in_ + "}\n";
  }

  void write_folio(std::string& out, const SnapFolio& f) {
    const SnapFolio* cp = other_ == nullptr ? nullptr : other_->find_folio(f.id);
    const Mark m = id_mark(diff_.folios, f.id, cp);
    if (m != Mark::Differs) cp = nullptr;
    const std::string node = claim(fmt::format("folio:{}", f.id));
    folio_nodes_.push_back(node);
    Table t(kFolioHead, m);
    const SnapAnonVma* a = s_.find_anon_vma(f.anon_vma);
    std::string mapping = fmt::format("mapping={}", id_ref(f.anon_vma));
    if (a != nullptr && a->freed) mapping += " " + mark("(FREED)", true);
    const bool red = cp != nullptr && cp->anon_vma != f.anon_vma;
    t.head(fmt::format("<B>folio {}</B> ", id_ref(f.id)) + mark(mapping, red), "m");
    t.row(
        mark(fmt::format("index={}", f.index), cp != nullptr && cp->index != f.index) + " " +
        mark(fmt::format("mapcount={}", f.mapcount), cp != nullptr && cp->mapcount != f.mapcount));
    t.row(
        mark(f.exclusive ? "exclusive" : "shared", cp != nullptr && cp->exclusive != f.exclusive) +
        " " + mark(fmt::format("value={}", f.value), cp != nullptr && cp->value != f.value));
    // The engine's own rmap walk, as format_snapshot shows it: only where it
    // is news, i.e. where it does not find exactly the PTEs that map the
    // folio (I-REACH), or differs from the other side's.
    const bool walk_differs = cp != nullptr && cp->walk != f.walk;
    if ((f.walk && *f.walk != brute_force_mappers(s_, f.id)) || walk_differs) {
      std::string hits;
      if (f.walk) {
        for (const RmapHit& h : *f.walk)
          hits += fmt::format("{}{}:{}", hits.empty() ? "" : " ", esc(h.proc), h.page);
      }
      t.row(mark(f.walk ? "walk={" + hits + "}" : "(no walk reported)", true));
    }
    out += fmt::format("{}  {} [label={}];\n", in_, node, t.label());
    if (f.anon_vma != 0) {
      EdgeStyle e;
      e.red = red || (a != nullptr && a->freed);
      e.color = "#8a5a00";
      edge(fmt::format("{}:m:e", node), av_id(f.anon_vma), e);
    }
  }

  void edge(const std::string& from, const std::string& to, const EdgeStyle& e) {
    edges_ += fmt::format("{}{} -> {} [{}];\n", in_, from, to, edge_attrs(e));
  }

  const Snapshot& s_;
  const Snapshot* other_;
  SnapshotDifference diff_;
  std::string prefix_, in_;
  std::map<std::string, int> used_;
  std::string edges_;
  std::vector<std::string> first_column_, folio_nodes_;
};

// The title lines (the first bold), then the legend (HTML).
std::string title_label(const std::vector<std::string>& lines, const std::string& legend) {
  std::string html;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    html += i == 0 ? "<B>" + esc(lines[i]) + "</B>" : esc(lines[i]);
    html += "<BR ALIGN=\"LEFT\"/>";
  }
  return "<" + html + legend + "<BR ALIGN=\"LEFT\"/>>";
}

// Under the title, small: what the edges and colours mean.
constexpr std::string_view kLegend =
    "vma-&gt;anon_vma: bold blue; avc-&gt;anon_vma: grey (dashed: not in the anon_vma's "
    "tree)<BR ALIGN=\"LEFT\"/>anon_vma-&gt;parent: green (dotted: -&gt;root); pte: brown "
    "(bold: writable); folio-&gt;mapping: brown";
constexpr std::string_view kPairLegend =
    "<BR ALIGN=\"LEFT\"/>red: differs from the other side (filled: only on this side)";

std::string graph_head(const std::vector<std::string>& title, bool pair) {
  std::string out = "digraph rmap {\n";
  out +=
      "  graph [rankdir=LR, newrank=true, fontname=\"Helvetica\", fontsize=12, nodesep=0.2, "
      "ranksep=0.5, labelloc=t, labeljust=l";
  std::string legend = fmt::format("<FONT POINT-SIZE=\"9\" COLOR=\"#606060\">{}{}</FONT>", kLegend,
                                   pair ? kPairLegend : "");
  out += ", label=" + title_label(title, legend);
  out += "];\n";
  out += "  node [shape=plaintext, fontname=\"Helvetica\", fontsize=10];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=9, arrowsize=0.7];\n";
  return out;
}

// "(not shown: ...)" for a state that does not show everything, as
// format_snapshot heads it; "" otherwise.
std::string hidden_note(const Snapshot* s) {
  if (s == nullptr || s->visible == Visibility::all()) return "";
  return "(not shown: " + hidden_parts(s->visible) + ")";
}

std::string side_label(const DotSide& side, bool order_only) {
  std::string html = "<B>" + esc(side.label) + "</B>";
  for (const std::string& n : side.notes) html += "<BR ALIGN=\"LEFT\"/>" + esc(n);
  if (const std::string h = hidden_note(side.state); !h.empty())
    html += "<BR ALIGN=\"LEFT\"/>" + esc(h);
  if (order_only)
    html += "<BR ALIGN=\"LEFT\"/>" + mark("the same objects, listed in another order", true);
  return "<" + html + "<BR ALIGN=\"LEFT\"/>>";
}

// The nodes the columns are made of, gathered over the sides drawn.
struct Columns {
  std::vector<std::string> first;  // VMAs, and the placeholders of empty things
  std::vector<std::string> folios;
};

void write_side(std::string& out, const DotSide& side, const DotSide* other, std::string prefix,
                Columns& cols) {
  const std::string in = other == nullptr ? "  " : "    ";
  std::string body;
  bool order_only = false;
  if (side.state == nullptr) {
    const std::string node = fmt::format("\"{}none\"", prefix);
    body = fmt::format("{}{} [label=\"(no state)\"];\n", in, node);
    cols.first.push_back(node);
  } else {
    SideWriter w(*side.state, other == nullptr ? nullptr : other->state, prefix, in);
    w.write(body);
    order_only = w.order_only();
    cols.first.insert(cols.first.end(), w.first_column().begin(), w.first_column().end());
    cols.folios.insert(cols.folios.end(), w.folio_nodes().begin(), w.folio_nodes().end());
    if (side.state->procs.empty()) {
      const std::string node = fmt::format("\"{}empty\"", prefix);
      body = fmt::format("{}{} [label=\"(no processes)\"];\n", in, node) + body;
      cols.first.push_back(node);
    }
  }
  if (other == nullptr) {
    out += body;
    return;
  }
  out += fmt::format("  subgraph \"cluster_{}\" {{\n", prefix.substr(0, prefix.size() - 1));
  out += fmt::format("    label={}; style=\"rounded\"; color=\"#404040\"; penwidth=2;\n",
                     side_label(side, order_only));
  out += body;
  out += "  }\n";
}

// Every VMA in the first column, every folio in the second (newrank lets a
// rank span clusters), the anon_vmas right of them, as their edges place
// them. The first column keeps the order of the records, top-down (side a,
// then b; processes by name; VMAs by address): an invisible "spine" node
// left of it points to each of them, and ordering=out draws the heads of
// its edges in the order of the edges.
void write_columns(std::string& out, const Columns& cols) {
  auto same_rank = [&](const std::vector<std::string>& nodes) {
    if (nodes.empty()) return;
    out += "  { rank=same;";
    for (const std::string& n : nodes) out += " " + n;
    out += " }\n";
  };
  same_rank(cols.first);
  same_rank(cols.folios);
  if (cols.first.size() < 2) return;
  out += "  \"spine\" [shape=point, style=invis, width=0, height=0, ordering=out];\n";
  for (const std::string& n : cols.first) out += "  \"spine\" -> " + n + " [style=invis];\n";
}

}  // namespace

std::string snapshot_dot(const DotSide& side, const std::vector<std::string>& title) {
  std::vector<std::string> lines = title;
  if (!side.label.empty()) lines.push_back(side.label);
  lines.insert(lines.end(), side.notes.begin(), side.notes.end());
  if (const std::string h = hidden_note(side.state); !h.empty()) lines.push_back(h);
  std::string out = graph_head(lines, false);
  Columns cols;
  write_side(out, DotSide{"", side.state, {}}, nullptr, "", cols);
  write_columns(out, cols);
  return out + "}\n";
}

std::string snapshot_pair_dot(const DotSide& a, const DotSide& b,
                              const std::vector<std::string>& title) {
  std::string out = graph_head(title, true);
  Columns cols;
  write_side(out, a, &b, "a:", cols);
  write_side(out, b, &a, "b:", cols);
  write_columns(out, cols);
  return out + "}\n";
}

}  // namespace rmapcheck
