// bench/bench_states.h - the address spaces the benchmarks measure, as op lists.
//
// What it is for: every benchmark that compares the impl with the model
// builds its state by applying the SAME ops to both engines, so a ratio
// compares the two engines on one state and nothing else.
//
// Synopsis
//   split_vma_ops(pages, run)   one process: `pages` faulted pages in one
//                               mapping, then every other run of `run` pages
//                               mprotected read-only, so the mapping becomes
//                               pages/run VMAs that alternate rw / r and
//                               cannot merge; all share ONE anon_vma, whose
//                               interval tree holds pages/run disjoint keys
//         0123456789
//         AAAAAAAAAA         <- mmap + write every page (one VMA, one anon_vma)
//         ABABABABAB         <- run = 1: ten VMAs, ten avcs in one tree
//   apply_all(engine, ops)      applies each op; throws if any fails
//   mixed_trace_ops(seed, n)    n ops of the campaign generator's mix (properties/)
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "properties/generator.h"
#include "rmapcheck/engine.h"
#include "rmapcheck/op.h"
#include "rmapcheck/trace.h"

namespace rmapcheck::bench {

inline std::vector<Op> split_vma_ops(Page pages, Page run) {
  std::vector<Op> ops;
  ops.push_back(op_mmap("p0", 0, pages, Prot::RW));
  for (Page p = 0; p < pages; ++p) ops.push_back(op_write("p0", p, p + 1));
  for (Page p = run; p < pages; p += 2 * run) ops.push_back(op_mprotect("p0", p, run, Prot::R));
  return ops;
}

// Every op of a state-building list must succeed: a benchmark of a state
// that was not built would measure nothing.
inline void apply_all(Engine& e, const std::vector<Op>& ops) {
  for (const Op& op : ops) {
    const Result r = e.apply(op);
    if (r.kind != Result::Kind::Ok) {
      throw std::runtime_error(std::string(engine_kind_name(e.kind())) + ": `" + format_op(op) +
                               "` did not succeed while building a benchmark state");
    }
  }
}

inline std::vector<Op> mixed_trace_ops(std::uint64_t seed, std::size_t n) {
  std::vector<Op> ops;
  for (const TraceLine& l : props::generate_trace(seed, n).lines) ops.push_back(l.op);
  return ops;
}

}  // namespace rmapcheck::bench
