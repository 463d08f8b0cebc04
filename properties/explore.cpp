// explore.cpp - the breadth-first search of explore.h.
#include "properties/explore.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ostream>
#include <thread>

#include "properties/explore_store.h"
#include "rmapcheck/engine.h"
#include "rmapcheck/fingerprint.h"

namespace rmapcheck::props {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kNoParent = UINT32_MAX;

// A state as (parent, transition); the transition is proc * moves + move,
// proc an index into the parent's live processes in name order.
struct TrailEntry {
  std::uint32_t parent = kNoParent;
  std::uint32_t transition = 0;
};

// A state reached from the start: its ops, its live processes (in name
// order), the forks on its path, and the model in that state.
struct Concrete {
  std::vector<Op> ops;
  std::vector<std::string> live{"p0"};
  int forks = 0;
  std::unique_ptr<Engine> model;
};

// The ops of `move` by process `proc` in a state with `forks` forks behind
// it; a fork's child gets a name no process on the path has had.
void instantiate(const Move& move, const std::string& proc, int forks, std::vector<Op>& out) {
  if (move.failalloc) out.push_back(*move.failalloc);
  Op op = move.op;
  if (op_names_proc(op.kind)) op.proc = proc;
  if (op.kind == OpKind::Fork) op.child = "p" + std::to_string(forks + 1);
  out.push_back(std::move(op));
}

// What the op did to the set of live processes.
void track(Concrete& c, const Op& op, const Result& r) {
  if (r.kind != Result::Kind::Ok) return;
  if (op.kind == OpKind::Fork) {
    c.live.insert(std::upper_bound(c.live.begin(), c.live.end(), op.child), op.child);
  } else if (op.kind == OpKind::Exit) {
    c.live.erase(std::find(c.live.begin(), c.live.end(), op.proc));
  }
}

// `proc`: the index of the live process the move would run as. An op that
// names no process (reclaim) is one transition, taken as the first.
bool applicable(const Move& m, const Concrete& c, const ExploreBounds& b, std::size_t proc) {
  if (!op_names_proc(m.op.kind)) return proc == 0;
  if (m.op.kind != OpKind::Fork) return true;
  return static_cast<int>(c.live.size()) < b.procs && (b.max_forks < 0 || c.forks < b.max_forks);
}

struct Successor {
  Fingerprint fp;
  std::string bytes;  // exact store only
  std::uint32_t parent = 0;
  std::uint32_t transition = 0;
};

struct Found {
  std::size_t frontier_pos = 0;
  std::uint32_t transition = 0;
  CheckFailure failure;
  std::vector<Op> ops;
};

// One thread's share of a level: frontier positions [lo, hi).
struct Chunk {
  std::size_t lo = 0, hi = 0;
  std::vector<Successor> out;
  std::vector<std::uint32_t> outdeg;  // transitions checked from each state of the chunk
  std::uint64_t transitions = 0;
  std::optional<Found> found;
  bool stopped = false;  // time, interrupt: the level is incomplete
};

class Search {
 public:
  Search(const ExploreConfig& cfg, std::ostream& log)
      : cfg_(cfg), log_(log), moves_(explore_moves(cfg.bounds)), store_(cfg.store) {
    engine_cfg_.mutants = cfg.mutants;
    engine_cfg_.max_procs = cfg.bounds.procs;
  }

  ExploreResult run();

 private:
  std::uint64_t memory() const { return store_.memory() + trail_.capacity() * sizeof(TrailEntry); }
  bool out_of_time() const {
    if (cfg_.interrupted && cfg_.interrupted()) return true;
    return cfg_.time_limit > 0 &&
           std::chrono::duration<double>(Clock::now() - start_).count() >= cfg_.time_limit;
  }
  Concrete replay(std::uint32_t state) const;
  void expand(Chunk& chunk, std::size_t level_begin) const;
  void key_of(const Snapshot& state, int forks, Fingerprint& fp, std::string& bytes) const;

  const ExploreConfig& cfg_;
  std::ostream& log_;
  std::vector<Move> moves_;
  EngineConfig engine_cfg_;
  StateStore store_;
  std::vector<TrailEntry> trail_;
  bool sharded() const { return cfg_.shard_count > 1; }
  std::vector<StateRecord> records_;  // sharded: one per trail entry
  std::vector<StateRecord> unowned_;  // sharded: prefix-level states another shard expands
  int prefix_depth_ = -1;
  Clock::time_point start_ = Clock::now();
};

Concrete Search::replay(std::uint32_t state) const {
  std::vector<std::uint32_t> path;
  for (std::uint32_t s = state; trail_[s].parent != kNoParent; s = trail_[s].parent)
    path.push_back(trail_[s].transition);
  std::reverse(path.begin(), path.end());
  Concrete c;
  c.model = make_engine(EngineKind::Model, engine_cfg_);
  std::vector<Op> ops;
  for (std::uint32_t t : path) {
    const Move& m = moves_[t % moves_.size()];
    const std::string proc = c.live[t / moves_.size()];
    ops.clear();
    instantiate(m, proc, c.forks, ops);
    Result r;
    for (const Op& op : ops) r = c.model->apply(op);
    if (m.op.kind == OpKind::Fork) ++c.forks;
    track(c, ops.back(), r);
    c.ops.insert(c.ops.end(), ops.begin(), ops.end());
  }
  return c;
}

void Search::key_of(const Snapshot& state, int forks, Fingerprint& fp, std::string& bytes) const {
  Snapshot s = state;
  canonicalize_symmetric(s);
  // The forks behind a state bound what it can still do only under --max-forks.
  encode_state(s, {cfg_.bounds.max_forks >= 0 ? static_cast<std::uint64_t>(forks) : 0}, bytes);
  fp = fingerprint(bytes);
}

void Search::expand(Chunk& chunk, std::size_t level_begin) const {
  std::string bytes;
  std::vector<Op> ops;
  StateStore seen(cfg_.store);  // new states this chunk has already found
  chunk.outdeg.assign(chunk.hi - chunk.lo, 0);
  for (std::size_t pos = chunk.lo; pos < chunk.hi; ++pos) {
    const auto state = static_cast<std::uint32_t>(level_begin + pos);
    Concrete c = replay(state);
    const Snapshot model_before = c.model->snapshot();
    Snapshot impl_before;
    {
      auto impl = make_engine(EngineKind::Impl, engine_cfg_);
      for (const Op& op : c.ops) impl->apply(op);
      impl_before = impl->snapshot();
    }
    for (std::size_t p = 0; p < c.live.size(); ++p) {
      for (std::size_t m = 0; m < moves_.size(); ++m) {
        if (!applicable(moves_[m], c, cfg_.bounds, p)) continue;
        if (out_of_time()) {
          chunk.stopped = true;
          return;
        }
        const auto transition = static_cast<std::uint32_t>(p * moves_.size() + m);
        auto model = c.model->clone();
        auto impl = make_engine(EngineKind::Impl, engine_cfg_);
        for (const Op& op : c.ops) impl->apply(op);
        Checker checker({model.get(), impl.get()}, {model_before, impl_before});
        ops.clear();
        instantiate(moves_[m], c.live[p], c.forks, ops);
        std::optional<CheckFailure> failure;
        for (const Op& op : ops) {
          failure = checker.step(op);
          if (failure) break;
        }
        ++chunk.transitions;
        ++chunk.outdeg[pos - chunk.lo];
        if (failure) {
          Found f{pos, transition, std::move(*failure), c.ops};
          // The checker numbers the ops it stepped; in the trace they follow the path.
          f.failure.index += c.ops.size();
          f.ops.insert(f.ops.end(), ops.begin(), ops.end());
          chunk.found = std::move(f);
          return;
        }
        // An op that changed nothing (most errors) leads back to this state.
        if (checker.state(0) == model_before) continue;
        Successor s;
        const int forks = c.forks + (moves_[m].op.kind == OpKind::Fork ? 1 : 0);
        key_of(checker.state(0), forks, s.fp, bytes);
        if (store_.contains(s.fp, bytes) || !seen.insert(s.fp, bytes)) continue;
        if (cfg_.store == StoreKind::Exact) s.bytes = bytes;
        s.parent = state;
        s.transition = transition;
        chunk.out.push_back(std::move(s));
      }
    }
  }
}

std::string megabytes(std::uint64_t b) {
  return fmt::format("{:.1f} MB", static_cast<double>(b) / 1e6);
}

ExploreResult Search::run() {
  ExploreResult r;
  const std::uint64_t max_states =
      cfg_.max_states ? cfg_.max_states : cfg_.max_memory / bytes_per_state(cfg_.store);
  // Level 0: the start, one process and nothing mapped.
  {
    Fingerprint fp;
    std::string bytes;
    auto model = make_engine(EngineKind::Model, engine_cfg_);
    key_of(model->snapshot(), 0, fp, bytes);
    store_.insert(fp, bytes);
    trail_.push_back({});
    if (sharded()) records_.push_back({fp, 0, kNotExpanded});
  }
  std::size_t level_begin = 0, level_end = 1;
  r.levels.push_back({0, 1, 1, 0, 0, memory()});
  log_ << fmt::format("explore: {}, depth <= {}, {} moves per process, {} thread(s), {} store\n",
                      bounds_text(cfg_.bounds), cfg_.bounds.depth, moves_.size(), cfg_.threads,
                      cfg_.store == StoreKind::Exact   ? "exact"
                      : cfg_.store == StoreKind::Fp128 ? "128-bit fingerprint"
                                                       : "64-bit fingerprint");
  log_ << "depth 0: 1 state\n" << std::flush;
  for (int depth = 1; depth <= cfg_.bounds.depth; ++depth) {
    const auto t0 = Clock::now();
    const std::size_t n = level_end - level_begin;
    if (cfg_.max_transitions > 0 &&
        r.transitions + n * moves_.size() * static_cast<std::size_t>(cfg_.bounds.procs) >
            cfg_.max_transitions) {
      r.verdict = ExploreResult::Verdict::Incomplete;
      r.why_incomplete = "--max-transitions reached";
      r.depth_done = depth - 1;
      break;
    }
    const std::size_t threads =
        std::max<std::size_t>(1, std::min<std::size_t>(static_cast<std::size_t>(cfg_.threads), n));
    std::vector<Chunk> chunks(threads);
    for (std::size_t i = 0; i < threads; ++i) {
      chunks[i].lo = n * i / threads;
      chunks[i].hi = n * (i + 1) / threads;
    }
    if (threads == 1) {
      expand(chunks[0], level_begin);
    } else {
      std::vector<std::thread> pool;
      for (auto& ch : chunks) pool.emplace_back([&, c = &ch] { expand(*c, level_begin); });
      for (auto& t : pool) t.join();
    }
    std::uint64_t transitions = 0;
    bool stopped = false;
    const Found* found = nullptr;
    for (const Chunk& ch : chunks) {
      transitions += ch.transitions;
      stopped = stopped || ch.stopped;
      // Chunks are in frontier order: the first one's failure is the smallest.
      if (!found && ch.found) found = &*ch.found;
    }
    r.transitions += transitions;
    if (found) {
      r.verdict = ExploreResult::Verdict::Counterexample;
      r.depth_done = depth - 1;
      r.failure = found->failure;
      r.headline = found->failure.headline();
      r.trace = found->ops;
      r.states = store_.size();
      break;
    }
    if (stopped) {
      r.verdict = ExploreResult::Verdict::Incomplete;
      r.why_incomplete = cfg_.interrupted && cfg_.interrupted() ? "interrupted" : "--time reached";
      r.depth_done = depth - 1;
      break;
    }
    if (sharded()) {
      for (const Chunk& ch : chunks)
        for (std::size_t pos = ch.lo; pos < ch.hi; ++pos)
          records_[level_begin + pos].outdeg = ch.outdeg[pos - ch.lo];
    }
    // Merge in frontier order: the first path to a state is the one kept.
    std::vector<const Successor*> fresh;
    bool full = false;
    for (const Chunk& ch : chunks) {
      for (const Successor& s : ch.out) {
        if (store_.size() >= max_states) {
          full = true;
          break;
        }
        if (store_.insert(s.fp, s.bytes)) fresh.push_back(&s);
      }
      if (full) break;
    }
    // Every shard has run the same search so far: the first level large
    // enough to share out is the same one in each.
    const std::uint32_t n_shards = cfg_.shard_count;
    const bool prefix = sharded() && prefix_depth_ < 0 &&
                        (fresh.size() >= 16 * std::size_t{n_shards} || depth == cfg_.bounds.depth);
    if (prefix) prefix_depth_ = depth;
    std::uint64_t added = 0;
    for (const Successor* s : fresh) {
      const auto d = static_cast<std::uint32_t>(depth);
      if (prefix && s->fp.lo % n_shards != cfg_.shard_index) {
        unowned_.push_back({s->fp, d, kNotExpanded});
        continue;
      }
      trail_.push_back({s->parent, s->transition});
      if (sharded()) records_.push_back({s->fp, d, kNotExpanded});
      ++added;
    }
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    r.levels.push_back({depth, store_.size(), added, transitions, secs, memory()});
    log_ << fmt::format(
                "depth {}: {} distinct states (+{} new), {} transitions, {:.0f} states/s, "
                "{:.0f} transitions/s, {}\n",
                depth, thousands(store_.size()), thousands(added), thousands(transitions),
                secs > 0 ? static_cast<double>(added) / secs : 0.0,
                secs > 0 ? static_cast<double>(transitions) / secs : 0.0, megabytes(memory()))
         << std::flush;
    r.depth_done = depth;
    if (full || (cfg_.store == StoreKind::Exact && memory() > cfg_.max_memory)) {
      r.verdict = ExploreResult::Verdict::Incomplete;
      r.why_incomplete = full ? "--max-states reached" : "--max-memory reached";
      break;
    }
    if (added == 0) {
      r.exhausted = true;
      break;
    }
    level_begin = level_end;
    level_end = trail_.size();
  }
  r.states = store_.size();
  if (sharded()) {
    r.records = std::move(records_);
    r.records.insert(r.records.end(), unowned_.begin(), unowned_.end());
    r.prefix_depth = prefix_depth_;
  }
  if (cfg_.keep_leaf_paths && !r.failure) {
    std::vector<char> has_child(trail_.size(), 0);
    for (const TrailEntry& t : trail_)
      if (t.parent != kNoParent) has_child[t.parent] = 1;
    for (std::uint32_t s = 0; s < trail_.size(); ++s)
      if (!has_child[s]) r.leaf_paths.push_back(replay(s).ops);
  }
  if (cfg_.store != StoreKind::Exact) {
    // Each transition's lookup could meet any stored fingerprint by chance.
    const double bits = cfg_.store == StoreKind::Fp64 ? 64 : 128;
    r.omission_probability =
        std::min(1.0, static_cast<double>(r.states) * static_cast<double>(r.transitions) /
                          std::pow(2.0, bits));
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  return r;
}

}  // namespace

std::string thousands(std::uint64_t n) {
  std::string d = std::to_string(n), out;
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (i > 0 && (d.size() - i) % 3 == 0) out += ',';
    out += d[i];
  }
  return out;
}

ExploreResult explore(const ExploreConfig& cfg, std::ostream& log) {
  return Search(cfg, log).run();
}

std::string completeness_line(const ExploreResult& r, const ExploreConfig& cfg) {
  return completeness_line(r, bounds_text(cfg.bounds), cfg.bounds.depth);
}

std::string completeness_line(const ExploreResult& r, const std::string& bounds, int depth) {
  switch (r.verdict) {
    case ExploreResult::Verdict::Complete: {
      std::string within = r.exhausted
                               ? fmt::format("reachable (no new state after {} ops; bound {})",
                                             r.depth_done - 1, depth)
                               : fmt::format("reachable in <= {} ops", r.depth_done);
      return fmt::format(
          "explore: COMPLETE: {} distinct states {} ({}); every invariant holds and model and impl "
          "agree on all {} transitions",
          thousands(r.states), within, bounds, thousands(r.transitions));
    }
    case ExploreResult::Verdict::Incomplete:
      return fmt::format(
          "explore: INCOMPLETE ({} at depth {}): every sequence of <= {} ops checked, {} distinct "
          "states, {} transitions ({}); no violation so far",
          r.why_incomplete, r.depth_done + 1, r.depth_done, thousands(r.states),
          thousands(r.transitions), bounds);
    case ExploreResult::Verdict::Counterexample:
      return fmt::format(
          "explore: COUNTEREXAMPLE: {} ops, shortest within the bounds (every sequence of <= {} "
          "ops "
          "holds; {}): {}",
          r.trace.size(), r.depth_done, bounds, r.headline);
  }
  return "explore: ?";
}

}  // namespace rmapcheck::props
