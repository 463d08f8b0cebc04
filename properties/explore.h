// explore.h - exhaustive bounded checking: every op sequence within bounds,
// every reachable state once, the shortest counterexample (rmapcheck explore).
//
// The search is breadth-first and level-synchronous. Level d holds the
// distinct states first reached in d transitions. Expanding level d applies
// every move of the bounded universe (explore_moves) to every state, each
// transition a checked step of the one checker (checker.h: model and impl in
// lock-step, equal results and snapshots, every invariant, the transition
// invariants, leaks), and the new states, deduplicated by the symmetric
// canonical form of the model's snapshot (fingerprint.h), become level d+1.
// A state is stored as (parent, move): 8 bytes of trail, plus its key in the
// store. To expand a state the explorer replays its path from the start.
//
// Determinism: the frontier is split into contiguous chunks, one per thread;
// each chunk's successors are merged in frontier order, so states, counts
// and the counterexample are the same for any number of threads. The
// counterexample is the failing transition with the smallest (frontier
// position, move) of the first level where any transition fails: a shortest
// one.
//
// Synopsis
//   ExploreBounds        the universe: window, processes, depth, ops, prots, values, forks
//   ExploreConfig        bounds + store, threads, limits, mutants, where to write
//   explore_moves(b)     the moves one process can make, in order
//   explore(cfg, log)    the search; per-depth lines go to log
//   bounds_text(b)       "W=4 pages, P<=3 processes, ops=all, prots=all, values=2"
//   completeness_line(r) the one line a reviewer quotes
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "rmapcheck/checker.h"
#include "rmapcheck/fingerprint.h"
#include "rmapcheck/mutants.h"
#include "rmapcheck/op.h"

namespace rmapcheck::props {

struct ExploreBounds {
  Page pages = 3;           // --pages W: every START and NPAGES inside [0, W)
  int procs = 2;            // --procs P: at most P live processes (fork beyond: not tried)
  int depth = 4;            // --depth D: transitions from the start
  std::vector<OpKind> ops;  // --ops: kinds tried; FailAlloc = each other op armed
  bool all_ops = true;      // ops is every kind (printed "all")
  std::vector<Prot> prots;  // --prots: for mmap and mprotect
  bool all_prots = true;
  int values = 2;                     // --values V: write values 1..V
  int max_forks = -1;                 // --max-forks: forks on a path; -1: no bound but depth
  std::uint32_t fail_nth = 1;         // --fail-nth K: failalloc SITE 1..K at each named site
  bool noreserve = true;              // mmap also with noreserve
  bool dontunmap = true;              // mremap also with dontunmap
  std::vector<AllocSite> fail_sites;  // failalloc at these sites; empty: each named site
  std::vector<Advice> advices;        // madvise with these; empty: all five (the shrinker's search)
};

// One move of one process: an op with its process left out (and a fork's
// child named when instantiated), optionally preceded by a failalloc that
// arms it. A failalloc and the op it arms are one transition.
struct Move {
  Op op;                        // proc and child empty
  std::optional<Op> failalloc;  // `failalloc SITE K` before op
};

std::vector<Move> explore_moves(const ExploreBounds& b);

enum class StoreKind : std::uint8_t { Fp64, Fp128, Exact };

struct ExploreConfig {
  ExploreBounds bounds;
  StoreKind store = StoreKind::Fp64;
  int threads = 1;
  MutantSet mutants;             // impl mutants (the model has none)
  std::string mutant_name;       // for the report and the replay line
  double time_limit = 0;         // seconds; 0: none
  std::uint64_t max_states = 0;  // 0: what max_memory allows
  // Before a level: stop (INCOMPLETE) when its transitions could pass this
  // total; deterministic, unlike --time. 0: none.
  std::uint64_t max_transitions = 0;
  std::uint64_t max_memory = 0;  // bytes for the store and the trail
  std::string out_dir;           // counterexample and report
  std::string command_line;      // printed in the report
  // --shard I/N: all shards run the same search up to the prefix depth
  // (the first level with at least 16 N states); from there shard I expands
  // only the prefix states whose fingerprint is I mod N, and every shard
  // reports its states (ExploreResult::records) for explore-merge.
  std::uint32_t shard_index = 0, shard_count = 1;
  bool keep_leaf_paths = false;     // fill ExploreResult::leaf_paths (explore --kernel)
  bool (*interrupted)() = nullptr;  // true once SIGINT/SIGTERM came (props::stop_requested)
};

// Bytes one state costs at most (store slot at the lowest load factor the
// store allows, plus the trail), for the memory check before any work.
std::uint64_t bytes_per_state(StoreKind k);

struct DepthLine {
  int depth = 0;                  // states first reached in `depth` transitions
  std::uint64_t states = 0;       // distinct states so far (all levels)
  std::uint64_t new_states = 0;   // of which first reached at this depth
  std::uint64_t transitions = 0;  // checked transitions into this level
  double seconds = 0;             // to expand the previous level
  std::uint64_t memory = 0;       // bytes of store and trail after it
};

// A state as a shard reports it: its fingerprint, the depth at which this
// shard first reached it, and how many transitions it checked from it
// (kNotExpanded: none, the state was at the depth bound or another shard's).
struct StateRecord {
  Fingerprint fp;
  std::uint32_t depth = 0;
  std::uint32_t outdeg = 0;
};
inline constexpr std::uint32_t kNotExpanded = UINT32_MAX;

struct ExploreResult {
  enum class Verdict : std::uint8_t { Complete, Incomplete, Counterexample };
  Verdict verdict = Verdict::Complete;
  std::string why_incomplete;  // "--time reached", "--max-states reached", "interrupted"
  int depth_done = 0;          // every sequence of <= depth_done transitions checked
  bool exhausted = false;      // no new state at some depth: nothing deeper exists
  std::uint64_t states = 0, transitions = 0;
  std::vector<DepthLine> levels;
  double omission_probability = 0;  // fingerprint stores: a missed state, at most
  std::optional<CheckFailure> failure;
  std::string headline;    // failure->headline(), or a merged shard's
  std::vector<Op> trace;   // the counterexample's ops, failing op last
  std::string trace_path;  // where it was saved ("" if not)
  double seconds = 0;
  // With keep_leaf_paths: the path (the ops from the start) to every state
  // no other state's first path extends; together they pass through every
  // distinct state found.
  std::vector<std::vector<Op>> leaf_paths;
  // Sharded runs: every state this shard stored, and where the shards split.
  std::vector<StateRecord> records;
  int prefix_depth = -1;
};

ExploreResult explore(const ExploreConfig& cfg, std::ostream& log);

std::string bounds_text(const ExploreBounds& b);
std::string thousands(std::uint64_t n);  // 1234567 -> "1,234,567"
std::string completeness_line(const ExploreResult& r, const ExploreConfig& cfg);
std::string completeness_line(const ExploreResult& r, const std::string& bounds, int depth);

}  // namespace rmapcheck::props
