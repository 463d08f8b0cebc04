// shrink.cpp - ddmin over trace lines, kept well-formed.
#include "properties/shrink.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>

namespace rmapcheck::props {

// The shrinker's repair: drop lines that name a process not live there.
std::vector<TraceLine> well_formed(const std::vector<TraceLine>& lines) {
  std::set<std::string> live = {"p0"};
  std::vector<TraceLine> out;
  for (const TraceLine& l : lines) {
    const Op& op = l.op;
    if (op_names_proc(op.kind) && live.count(op.proc) == 0) continue;
    if (op.kind == OpKind::Fork) {
      if (live.count(op.child) != 0) continue;
      live.insert(op.child);
    }
    if (op.kind == OpKind::Exit) live.erase(op.proc);
    out.push_back(l);
  }
  return out;
}

namespace {

// ddmin proper: complements only, down to single lines.
std::vector<TraceLine> ddmin(std::vector<TraceLine> lines, const StillFails& still_fails,
                             std::size_t& tests, std::size_t budget) {
  std::size_t n = 2;
  while (lines.size() >= 2 && tests < budget) {
    n = std::min(n, lines.size());
    const std::size_t chunk = (lines.size() + n - 1) / n;
    bool reduced = false;
    for (std::size_t start = 0; start < lines.size() && tests < budget; start += chunk) {
      std::vector<TraceLine> candidate;
      candidate.reserve(lines.size());
      for (std::size_t i = 0; i < lines.size(); ++i)
        if (i < start || i >= start + chunk) candidate.push_back(lines[i]);
      candidate = well_formed(candidate);
      if (candidate.size() >= lines.size()) continue;
      ++tests;
      if (still_fails(candidate)) {
        lines = std::move(candidate);
        n = std::max<std::size_t>(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (reduced) continue;
    if (n >= lines.size()) break;  // single lines tried: 1-minimal
    n = std::min(lines.size(), n * 2);
  }
  return lines;
}

// `fork P C` dropped, and every later op of C done by P instead: a chain
// p1 -> p2 -> p3 becomes p1 -> p3, which removing lines alone cannot do
// (without the fork, every op of C goes too).
std::vector<TraceLine> collapse_fork(const std::vector<TraceLine>& lines, std::size_t at) {
  const std::string parent = lines[at].op.proc, child = lines[at].op.child;
  std::vector<TraceLine> out;
  out.reserve(lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i == at) continue;
    TraceLine l = lines[i];
    if (i > at) {
      if (l.op.proc == child) l.op.proc = parent;
      if (l.op.kind == OpKind::Fork && l.op.child == child) l.op.child = parent;
    }
    out.push_back(std::move(l));
  }
  return well_formed(out);
}

// `mprotect P S N PROT` dropped, and the last earlier mmap of P that overlaps
// it mapped with PROT instead: "mmap none; mprotect rwx" becomes "mmap rwx".
std::optional<std::vector<TraceLine>> fold_mprotect(const std::vector<TraceLine>& lines,
                                                    std::size_t at) {
  const Op& m = lines[at].op;
  for (std::size_t i = at; i-- > 0;) {
    const Op& o = lines[i].op;
    if (o.kind != OpKind::Mmap || o.proc != m.proc) continue;
    if (o.start >= m.start + m.npages || m.start >= o.start + o.npages) continue;
    if (o.prot == m.prot) return std::nullopt;
    std::vector<TraceLine> out = lines;
    out[i].op.prot = m.prot;
    out.erase(out.begin() + static_cast<std::ptrdiff_t>(at));
    return out;
  }
  return std::nullopt;
}

}  // namespace

std::vector<TraceLine> shrink_lines(std::vector<TraceLine> lines, const StillFails& still_fails,
                                    std::size_t budget) {
  std::size_t tests = 0;
  for (;;) {
    lines = ddmin(std::move(lines), still_fails, tests, budget);
    bool collapsed = false;
    for (std::size_t i = 0; i < lines.size() && tests < budget && !collapsed; ++i) {
      if (lines[i].op.kind != OpKind::Fork) continue;
      std::vector<TraceLine> candidate = collapse_fork(lines, i);
      if (candidate.size() >= lines.size()) continue;
      ++tests;
      if (still_fails(candidate)) {
        lines = std::move(candidate);
        collapsed = true;
      }
    }
    for (std::size_t i = 0; i < lines.size() && tests < budget && !collapsed; ++i) {
      if (lines[i].op.kind != OpKind::Mprotect) continue;
      auto candidate = fold_mprotect(lines, i);
      if (!candidate) continue;
      ++tests;
      if (still_fails(*candidate)) {
        lines = std::move(*candidate);
        collapsed = true;
      }
    }
    if (!collapsed) return lines;
  }
}

}  // namespace rmapcheck::props
