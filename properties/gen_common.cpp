// gen_common.cpp - the generator's state, random choices, and the family dispatch.
#include <algorithm>
#include <charconv>
#include <utility>

#include "properties/generator.h"

namespace rmapcheck::props {

std::string GenConfig::validate() const {
  if (window < 2 || window > kMaxWindow) {
    return "window must be 2.." + std::to_string(kMaxWindow) + " pages";
  }
  if (max_live < 1 || max_live > 64) return "max_live must be 1..64";
  if (weights.total() == 0) return "every weight is 0";
  return "";
}

GenState GenState::initial(const GenConfig& cfg) {
  GenState s;
  s.window = cfg.window;
  s.max_live = cfg.max_live;
  GenProc p0;
  p0.name = "p0";
  s.procs.push_back(p0);
  return s;
}

const GenProc* GenState::find(std::string_view name) const {
  for (const auto& p : procs) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

GenProc* GenState::find(std::string_view name) {
  for (auto& p : procs) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

bool GenState::has_live_child(std::string_view name) const {
  return std::any_of(procs.begin(), procs.end(),
                     [&](const GenProc& p) { return p.parent == name && !p.uncertain; });
}

std::size_t GenState::certain_count() const {
  return static_cast<std::size_t>(
      std::count_if(procs.begin(), procs.end(), [](const GenProc& p) { return !p.uncertain; }));
}

namespace {

void set_range(std::bitset<kMaxWindow>& b, Page start, Page n, bool v, int window) {
  for (Page p = start; p < start + n && p < static_cast<Page>(window); ++p) b.set(p, v);
}

void set_prot(GenProc& p, Page start, Page n, Prot prot, int window, bool mapped_only) {
  for (Page i = start; i < start + n && i < static_cast<Page>(window); ++i) {
    if (!mapped_only || p.mapped.test(i)) p.prot[i] = prot;
  }
}

void note_boundary(GenState& s, Page p, int window) {
  if (p <= static_cast<Page>(window)) s.boundaries.set(p);
}

}  // namespace

void GenState::apply(const Op& op) {
  const int w = window;
  // The engine arms a failalloc for the next op, whatever it is.
  const bool armed = std::exchange(failalloc_armed, op.kind == OpKind::FailAlloc);
  if (op.kind == OpKind::FailAlloc) return;
  GenProc* p = find(op.proc);
  if (p == nullptr) return;
  switch (op.kind) {
    case OpKind::Mmap:
      set_range(p->mapped, op.start, op.npages, true, w);
      set_range(p->written, op.start, op.npages, false, w);
      set_prot(*p, op.start, op.npages, op.prot, w, false);
      for (Page i = op.start; i < op.start + op.npages && i < static_cast<Page>(w); ++i)
        p->pgoff[i] = i;
      note_boundary(*this, op.start, w);
      note_boundary(*this, op.start + op.npages, w);
      break;
    case OpKind::Munmap:
      set_range(p->mapped, op.start, op.npages, false, w);
      set_range(p->written, op.start, op.npages, false, w);
      break;
    case OpKind::Mprotect:
    case OpKind::Madvise:
      note_boundary(*this, op.start, w);
      note_boundary(*this, op.start + op.npages, w);
      if (op.kind == OpKind::Mprotect) set_prot(*p, op.start, op.npages, op.prot, w, true);
      if (op.kind == OpKind::Madvise && op.advice == Advice::DontNeed) {
        set_range(p->written, op.start, op.npages, false, w);
      }
      break;
    case OpKind::Mremap: {
      note_boundary(*this, op.start, w);
      note_boundary(*this, op.new_start, w);
      note_boundary(*this, op.new_start + op.new_npages, w);
      if (op.new_start == op.start) {
        if (op.new_npages < op.npages) {
          set_range(p->mapped, op.start + op.new_npages, op.npages - op.new_npages, false, w);
          set_range(p->written, op.start + op.new_npages, op.npages - op.new_npages, false, w);
        } else {
          set_range(p->mapped, op.start + op.npages, op.new_npages - op.npages, true, w);
          const Page last = op.start + op.npages - 1;
          if (last < static_cast<Page>(w)) {
            set_prot(*p, op.start + op.npages, op.new_npages - op.npages, p->prot[last], w, false);
            for (Page i = last + 1; i < op.start + op.new_npages && i < static_cast<Page>(w); ++i) {
              p->pgoff[i] = p->pgoff[last] + (i - last);
            }
          }
        }
        break;
      }
      auto mapped = p->mapped, written = p->written;
      auto prot = p->prot;
      auto pgoff = p->pgoff;
      bool faulted = false;
      for (Page i = op.start; i < op.start + op.npages && i < static_cast<Page>(w); ++i) {
        faulted = faulted || written.test(i);
      }
      const Page base = faulted && op.start < static_cast<Page>(w) ? pgoff[op.start] : op.new_start;
      if (!op.dontunmap) {
        set_range(p->mapped, op.start, op.npages, false, w);
      }
      set_range(p->written, op.start, op.npages, false, w);
      for (Page i = 0; i < op.new_npages; ++i) {
        Page from = op.start + i, to = op.new_start + i;
        if (to >= static_cast<Page>(w)) break;
        bool m = i < op.npages && from < static_cast<Page>(w) ? mapped.test(from) : true;
        bool wr = i < op.npages && from < static_cast<Page>(w) ? written.test(from) : false;
        p->mapped.set(to, m);
        p->written.set(to, wr);
        p->pgoff[to] = base + i;
        if (i < op.npages && from < static_cast<Page>(w)) {
          p->prot[to] = prot[from];
        } else if (op.npages > 0 && op.start + op.npages - 1 < static_cast<Page>(w)) {
          p->prot[to] = prot[op.start + op.npages - 1];
        }
      }
      break;
    }
    case OpKind::Write:
      if (op.start < static_cast<Page>(w) && p->mapped.test(op.start)) p->written.set(op.start);
      break;
    case OpKind::Fork: {
      GenProc c = *p;
      c.name = op.child;
      c.parent = p->name;
      c.depth = p->depth + 1;
      c.uncertain = armed || p->uncertain;
      procs.push_back(c);
      // Keep fresh names fresh even for traces written by hand ("p7").
      if (op.child.size() > 1 && op.child[0] == 'p') {
        std::uint32_t n = 0;
        auto [ptr, ec] = std::from_chars(op.child.data() + 1, op.child.data() + op.child.size(), n);
        if (ec == std::errc{} && ptr == op.child.data() + op.child.size() && n >= next_child) {
          next_child = n + 1;
        }
      }
      break;
    }
    case OpKind::Exit: {
      std::string name = p->name;
      procs.erase(std::remove_if(procs.begin(), procs.end(),
                                 [&](const GenProc& q) { return q.name == name; }),
                  procs.end());
      break;
    }
    case OpKind::Read:
    case OpKind::Rmap:
    case OpKind::FailAlloc:
    case OpKind::Pageout:  // contents survive a swap round trip
    case OpKind::Reclaim:
      break;
  }
}

std::size_t Chooser::weighted(const std::uint32_t* weights, std::size_t n) {
  std::uint32_t total = 0;
  for (std::size_t i = 0; i < n; ++i) total += weights[i];
  std::uint32_t x = below(total);
  for (std::size_t i = 0; i < n; ++i) {
    if (x < weights[i]) return i;
    x -= weights[i];
  }
  return n - 1;
}

std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t i) {
  std::uint64_t z = seed + (i + 1) * 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::uint64_t SeededChooser::next64() {
  state_ += 0x9e3779b97f4a7c15ull;
  std::uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::uint32_t SeededChooser::below(std::uint32_t n) {
  if (n <= 1) return 0;
  return static_cast<std::uint32_t>(next64() % n);
}

const GenProc& pick_proc(const GenState& s, Chooser& ch, bool prefer_mapped) {
  std::vector<const GenProc*> pool;
  for (const auto& p : s.procs) {
    if (!p.uncertain && (!prefer_mapped || p.mapped.any())) pool.push_back(&p);
  }
  if (pool.empty()) {
    for (const auto& p : s.procs) {
      if (!p.uncertain) pool.push_back(&p);
    }
  }
  // Half of the time the newest process: it sits deepest in the fork tree,
  // where the reuse decisions of anon_vma_clone get interesting.
  if (ch.chance(1, 2)) return *pool.back();
  return *pool[ch.below(static_cast<std::uint32_t>(pool.size()))];
}

std::vector<PageRun> mapped_runs(const GenProc& p, int window) {
  std::vector<PageRun> runs;
  for (Page i = 0; i < static_cast<Page>(window); ++i) {
    if (!p.mapped.test(i)) continue;
    if (!runs.empty() && runs.back().start + runs.back().n == i) {
      ++runs.back().n;
    } else {
      runs.push_back({i, 1});
    }
  }
  return runs;
}

std::vector<Segment> prot_segments(const GenProc& p, int window) {
  std::vector<Segment> segs;
  for (Page i = 0; i < static_cast<Page>(window); ++i) {
    if (!p.mapped.test(i)) continue;
    if (!segs.empty() && segs.back().start + segs.back().n == i) {
      if (segs.back().prot == p.prot[i]) {
        ++segs.back().n;
        continue;
      }
      segs.back().joined = true;
    }
    segs.push_back({i, 1, p.prot[i], false});
  }
  return segs;
}

Prot other_writable(Prot p) {
  return p == Prot::RW ? Prot::RWX : Prot::RW;
}

OpKind pick_kind(const GenState& s, const GenConfig& cfg, Chooser& ch) {
  std::array<std::uint32_t, kOpKindCount> w = cfg.weights.w;
  auto& fork_w = w[static_cast<std::size_t>(OpKind::Fork)];
  auto& exit_w = w[static_cast<std::size_t>(OpKind::Exit)];
  if (static_cast<int>(s.procs.size()) >= cfg.max_live) fork_w = 0;
  if (s.procs.size() < 2) exit_w = 0;
  std::uint32_t total = 0;
  for (auto v : w) total += v;
  if (total == 0) return OpKind::Rmap;  // always valid: some process is live
  return static_cast<OpKind>(ch.weighted(w.data(), w.size()));
}

Op generate_op(const GenState& s, const GenConfig& cfg, Chooser& ch) {
  OpKind kind = pick_kind(s, cfg, ch);
  switch (kind) {
    case OpKind::Mmap:
    case OpKind::Munmap:
    case OpKind::Mremap:
      return gen_layout(kind, s, cfg, ch);
    case OpKind::Mprotect:
    case OpKind::Madvise:
    case OpKind::Pageout:
      return gen_protect(kind, s, cfg, ch);
    case OpKind::Fork:
    case OpKind::Exit:
      return gen_procs(kind, s, cfg, ch);
    case OpKind::Read:
    case OpKind::Write:
    case OpKind::Rmap:
    case OpKind::FailAlloc:
    case OpKind::Reclaim:
      return gen_access(kind, s, cfg, ch);
  }
  return gen_access(OpKind::Rmap, s, cfg, ch);
}

bool op_allowed(const GenState& s, const Op& op) {
  if (op_invalid_reason(op)) return false;
  if (!op_names_proc(op.kind)) return true;
  const GenProc* p = s.find(op.proc);
  if (p == nullptr) return false;
  if (op.kind == OpKind::Exit) return p->uncertain || s.certain_count() >= 2;
  if (p->uncertain) return false;
  if (op.kind == OpKind::Fork) {
    return s.find(op.child) == nullptr && static_cast<int>(s.procs.size()) < s.max_live;
  }
  return true;
}

Trace generate_trace(std::uint64_t seed, std::size_t nops, const GenConfig& cfg) {
  Trace t;
  t.file = "<generated>";
  SeededChooser ch(seed);
  GenState s = GenState::initial(cfg);
  for (std::size_t i = 0; i < nops; ++i) {
    Op op = generate_op(s, cfg, ch);
    s.apply(op);
    TraceLine line;
    line.op = std::move(op);
    t.lines.push_back(std::move(line));
  }
  return t;
}

}  // namespace rmapcheck::props
