// random_trace.cpp - the generator: weighted op kinds over a tiny window.
#include "random_trace.h"

#include <algorithm>
#include <set>
#include <string>

namespace rmapcheck::oracle {
namespace {

// splitmix64: tiny, portable, and good enough to pick ops.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
  bool chance(unsigned percent) { return below(100) < percent; }

 private:
  std::uint64_t s_;
};

Prot random_prot(Rng& r) {
  // Mostly RW (merges need equal flags); the others make splits.
  static constexpr Prot kProts[] = {Prot::RW, Prot::RW,   Prot::RW, Prot::RW,
                                    Prot::R,  Prot::None, Prot::RX, Prot::RWX};
  return kProts[r.below(std::size(kProts))];
}

struct Range {
  Page start, n;
};

Range random_range(Rng& r) {
  if (r.chance(2)) return {r.below(kRandomWindowPages), 0};  // zero length: EINVAL or a no-op
  Page start = r.below(kRandomWindowPages);
  Page n = 1 + r.below(std::min<Page>(6, kRandomWindowPages - start));
  return {start, n};
}

}  // namespace

Trace random_trace(std::uint64_t seed, std::uint64_t index, std::size_t nops) {
  Rng r(seed * 0x100000001b3ULL ^ (index + 1) * 0xcbf29ce484222325ULL);
  Trace t;
  t.file = "<random seed=" + std::to_string(seed) + " trace=" + std::to_string(index) + ">";
  std::vector<std::string> live = {"p0"};
  int next_child = 1;
  const std::size_t max_procs = 2 + r.below(5);  // 2..6
  std::uint64_t next_value = 1;
  auto pick = [&]() { return live[r.below(live.size())]; };
  while (t.lines.size() < nops) {
    Op op;
    std::uint64_t roll = r.below(100);
    std::string p = pick();
    if (roll < 14) {
      Range g = random_range(r);
      op = op_mmap(p, g.start, g.n, random_prot(r), r.chance(15));
    } else if (roll < 20) {
      Range g = random_range(r);
      op = op_munmap(p, g.start, g.n);
    } else if (roll < 29) {
      Range g = random_range(r);
      op = op_mprotect(p, g.start, g.n, random_prot(r));
    } else if (roll < 36) {
      Range g = random_range(r);
      static constexpr Advice kAdvice[] = {Advice::DontNeed,   Advice::DontNeed,
                                           Advice::DontFork,   Advice::DoFork,
                                           Advice::WipeOnFork, Advice::KeepOnFork};
      op = op_madvise(p, g.start, g.n, kAdvice[r.below(std::size(kAdvice))]);
    } else if (roll < 44) {
      Range g = random_range(r);
      bool in_place = r.chance(30);
      bool dontunmap = r.chance(20);
      Page newn = dontunmap || r.chance(50) ? g.n : 1 + r.below(6);
      Page newstart = in_place ? g.start : r.below(kRandomWindowPages);
      newn = std::min<Page>(newn, kRandomWindowPages - newstart);
      op = op_mremap(p, g.start, g.n, newstart, newn, dontunmap);
    } else if (roll < 62) {
      op = op_write(p, r.below(kRandomWindowPages), next_value++);
    } else if (roll < 74) {
      op = op_read(p, r.below(kRandomWindowPages));
    } else if (roll < 84) {
      if (live.size() >= max_procs) continue;
      std::string child = "p" + std::to_string(next_child++);
      op = op_fork(p, child);
      live.push_back(child);
    } else if (roll < 89) {
      if (live.size() <= 1) continue;
      op = op_exit(p);
      live.erase(std::find(live.begin(), live.end(), p));
    } else {
      op = op_rmap(p, r.below(kRandomWindowPages));
    }
    TraceLine l;
    l.op = std::move(op);
    t.lines.push_back(std::move(l));
  }
  return t;
}

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

}  // namespace rmapcheck::oracle
