// shrink.cpp - ddmin over trace lines, kept well-formed.
#include "properties/shrink.h"

#include <algorithm>
#include <set>
#include <string>

namespace rmapcheck::props {

// The shrinker's repair: drop lines that name a process not live there.
std::vector<TraceLine> well_formed(const std::vector<TraceLine>& lines) {
  std::set<std::string> live = {"p0"};
  std::vector<TraceLine> out;
  for (const TraceLine& l : lines) {
    const Op& op = l.op;
    if (op.kind != OpKind::FailAlloc && live.count(op.proc) == 0) continue;
    if (op.kind == OpKind::Fork) {
      if (live.count(op.child) != 0) continue;
      live.insert(op.child);
    }
    if (op.kind == OpKind::Exit) live.erase(op.proc);
    out.push_back(l);
  }
  return out;
}

std::vector<TraceLine> shrink_lines(std::vector<TraceLine> lines, const StillFails& still_fails,
                                    std::size_t budget) {
  std::size_t tests = 0;
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

}  // namespace rmapcheck::props
