// generator.h - random operation sequences that reach the hard rmap states.
//
// The generator is plain C++ over a Chooser (a source of bounded random
// numbers), so the same code serves two drivers:
//   - RapidCheck (commands.h): the Chooser draws through rc::gen so that
//     RapidCheck can shrink every choice;
//   - a plain deterministic generator from a seed (generate_trace), for the
//     oracle and corpus tools, with no RapidCheck runner involved.
//
// What it aims at (the states the reproducers of docs/kernel/historical-bugs.md need):
//   - a small window (GenConfig::window, 16 pages) so that ranges overlap,
//     touch and merge; mmap is biased to land next to existing mappings and
//     on remembered old boundaries (so that an mmap can recreate the pgoff
//     contiguity that the mremap UAF needs);
//   - deep fork trees (fork prefers the newest, deepest process) with exits
//     of intermediate processes (exit prefers a process that has both a
//     parent and a live child);
//   - splits and re-merges: mprotect/madvise often act on one page of a
//     mapping, toggling between two writable protections (rw / rwx);
//   - mremap shrink, in-place expand, moves next to faulted and unfaulted
//     neighbours, moves back to an old place, MREMAP_DONTUNMAP;
//   - writes before and after forks (writes are the commonest op);
//   - rare `failalloc` so that allocation-failure mutants can be killed.
// The family is picked by Weights (weights.h); each family has its own
// generator function in gen_<family>.cpp.
//
// Synopsis
//   GenConfig               weights, window, process limit
//   GenState                what the generator knows: live processes, their
//                           parents, which pages they have mapped (an
//                           approximation: it never asks an engine; a child
//                           of a fork that may have failed is "uncertain")
//   Chooser, SeededChooser  bounded random numbers; SeededChooser = splitmix64
//   generate_op(state, cfg, chooser)   one op valid in `state`
//   op_allowed(state, op)              the precondition a shrunk sequence must keep
//   generate_trace(seed, n, cfg)       n ops from a seed, deterministic
//
// Contract: every generated Op satisfies op_invalid_reason() == nullopt, names
// only live processes, forks only to a fresh name, and keeps at most
// cfg.max_live processes live, so forks never hit EAGAIN and the trace
// parser accepts the printed trace. Only an exit may name an uncertain
// process, and one certain process always stays live.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "properties/weights.h"
#include "rmapcheck/op.h"
#include "rmapcheck/trace.h"

namespace rmapcheck::props {

inline constexpr int kMaxWindow = 64;

struct GenConfig {
  Weights weights = Weights::defaults();
  int window = 16;               // pages [0, window) are used; 2..kMaxWindow
  int max_live = 6;              // live processes at most (fork precondition)
  std::string validate() const;  // "" when usable
};

struct GenProc {
  std::string name;
  std::string parent;  // "" for p0
  int depth = 0;
  std::bitset<kMaxWindow> mapped;       // pages believed mapped
  std::bitset<kMaxWindow> written;      // pages believed written (faulted)
  std::array<Prot, kMaxWindow> prot{};  // protection believed on each mapped page
  // The linear page index (vm_pgoff + offset) believed for each mapped page:
  // the address it was mmapped at, carried along when a faulted range moves
  // (an unfaulted one gets its new address, as copy_vma resets it).
  std::array<Page, kMaxWindow> pgoff{};
  // Forked while a `failalloc` was armed: the fork may have failed, and then
  // this process does not exist. No op but exit ever picks it (an exit of a
  // process that does not exist is a harmless ESRCH), so that one failed
  // fork cannot breed a tree of phantoms whose every op fails.
  bool uncertain = false;
};

struct GenState {
  int window = 16;                         // from GenConfig
  int max_live = 6;                        // from GenConfig
  std::vector<GenProc> procs;              // live, in creation order
  std::uint32_t next_child = 1;            // fork names children p1, p2, ...
  std::bitset<kMaxWindow + 1> boundaries;  // every range edge seen so far
  bool failalloc_armed = false;            // the last op was a failalloc

  static GenState initial(const GenConfig& cfg = {});
  const GenProc* find(std::string_view name) const;
  GenProc* find(std::string_view name);
  bool has_live_child(std::string_view name) const;  // a certain child
  std::size_t certain_count() const;                 // processes not uncertain
  // Follows the op as a kernel would in the common case (no failure).
  void apply(const Op& op);
};

class Chooser {
 public:
  virtual ~Chooser() = default;
  // Uniform in [0, n); n >= 1. Lower values are "simpler" (RapidCheck shrinks
  // towards 0), so callers put the plain choice first.
  virtual std::uint32_t below(std::uint32_t n) = 0;

  // Uniform in [lo, hi].
  std::uint32_t range(std::uint32_t lo, std::uint32_t hi) { return lo + below(hi - lo + 1); }
  bool chance(std::uint32_t num, std::uint32_t den) { return below(den) < num; }
  // Index into weights, by weight; weights must not all be 0.
  std::size_t weighted(const std::uint32_t* weights, std::size_t n);
};

class SeededChooser final : public Chooser {
 public:
  explicit SeededChooser(std::uint64_t seed) : state_(seed) {}
  std::uint32_t below(std::uint32_t n) override;
  std::uint64_t next64();

 private:
  std::uint64_t state_;
};

// splitmix64 of x: the seed of case i is mix_seed(seed, i).
std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t i);

// Family generators (gen_*.cpp). Each returns an op for `kind`'s family; a
// family that has nothing to act on (no mapping yet) falls back to mmap.
// mmap munmap mremap
Op gen_layout(OpKind kind, const GenState& s, const GenConfig& cfg, Chooser& ch);
// mprotect madvise
Op gen_protect(OpKind kind, const GenState& s, const GenConfig& cfg, Chooser& ch);
Op gen_procs(OpKind kind, const GenState& s, const GenConfig& cfg, Chooser& ch);  // fork exit
// read write rmap failalloc
Op gen_access(OpKind kind, const GenState& s, const GenConfig& cfg, Chooser& ch);

OpKind pick_kind(const GenState& s, const GenConfig& cfg, Chooser& ch);
Op generate_op(const GenState& s, const GenConfig& cfg, Chooser& ch);
bool op_allowed(const GenState& s, const Op& op);

Trace generate_trace(std::uint64_t seed, std::size_t nops, const GenConfig& cfg = {});

// Helpers shared by the family generators (gen_common.cpp).
const GenProc& pick_proc(const GenState& s, Chooser& ch, bool prefer_mapped);
struct PageRun {
  Page start = 0, n = 0;
};
std::vector<PageRun> mapped_runs(const GenProc& p, int window);
// Maximal runs of mapped pages with one protection: the generator's guess
// at the VMAs (VMAs of equal protection may still be separate: an anon_vma
// or a pgoff can keep them apart). `joined` says the next segment starts
// where this one ends.
struct Segment {
  Page start = 0, n = 0;
  Prot prot = Prot::None;
  bool joined = false;
};
std::vector<Segment> prot_segments(const GenProc& p, int window);
// The writable protection a VMA next to one with `p` should get so that it
// is anon_vma_compatible (flags differ in VM_EXEC only) but not mergeable.
Prot other_writable(Prot p);

}  // namespace rmapcheck::props
