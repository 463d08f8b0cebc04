// gen_procs.cpp - the process family: fork and exit.
//
// Deep fork trees with exits of intermediate processes are what make
// anon_vma_clone reuse an anon_vma (docs/kernel/historical-bugs.md#cve-2022-42703): fork mostly
// extends the newest process, and exit prefers a process that has a parent
// and a live child (an anon_vma left with one child and no VMA).
#include <vector>

#include "properties/generator.h"

namespace rmapcheck::props {

namespace {

Op gen_fork(const GenState& s, Chooser& ch) {
  const GenProc& parent = pick_proc(s, ch, false);
  return op_fork(parent.name, "p" + std::to_string(s.next_child));
}

const GenProc& any_of(const std::vector<const GenProc*>& v, Chooser& ch) {
  return *v[ch.below(static_cast<std::uint32_t>(v.size()))];
}

// Called with at least two processes live. An uncertain process (a child of
// a fork that may have failed) goes first: it is of no other use. A certain
// one may exit only while another certain one stays.
Op gen_exit(const GenState& s, Chooser& ch) {
  std::vector<const GenProc*> uncertain, middle, certain;
  for (const auto& p : s.procs) {
    if (p.uncertain) {
      uncertain.push_back(&p);
      continue;
    }
    certain.push_back(&p);
    if (!p.parent.empty() && s.has_live_child(p.name)) middle.push_back(&p);
  }
  if (!uncertain.empty() && (certain.size() < 2 || ch.below(4) != 0))
    return op_exit(any_of(uncertain, ch).name);
  if (!middle.empty() && ch.below(4) != 0) return op_exit(any_of(middle, ch).name);
  return op_exit(any_of(certain, ch).name);
}

}  // namespace

Op gen_procs(OpKind kind, const GenState& s, const GenConfig& cfg, Chooser& ch) {
  if (kind == OpKind::Exit && s.procs.size() >= 2) return gen_exit(s, ch);
  if (kind == OpKind::Fork && static_cast<int>(s.procs.size()) < cfg.max_live)
    return gen_fork(s, ch);
  return gen_access(OpKind::Write, s, cfg, ch);
}

}  // namespace rmapcheck::props
