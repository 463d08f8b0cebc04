// live_kernel.h - one trace's processes on the live kernel, op by op.
//
// LiveKernel turns each Op into the system call (or the plain load/store) in
// the agent the op names, and observes every live agent afterwards. It is
// the kernel-side counterpart of an Engine, with the same process rules:
// the trace starts with "p0", an op on a process that is not live is ESRCH.
//
// Op -> what the agent does (addresses: kWindowBase + page * 4096)
//   mmap       mmap(MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE [|MAP_NORESERVE])
//   munmap, mprotect, madvise   the syscall of that name
//   mremap     NEW == OLD: mremap(old, oldn, newn, 0 [or MREMAP_DONTUNMAP]);
//              else MREMAP_MAYMOVE|MREMAP_FIXED [|MREMAP_DONTUNMAP] to NEW
//   read/write a plain 8-byte load/store at offset 0; a fault is SIGSEGV
//   fork/exit  the agent forks (the child becomes an agent) / exits
//   rmap       no syscall: the (proc, page) pairs whose PFN equals P's at PAGE
//   pageout    madvise(MADV_PAGEOUT); then every page it must reclaim (present,
//              not the zero page, mapped once: madvise_cold_or_pageout_pte_range)
//              is checked swapped, the madvise retried if not, and the op is
//              not reproducible (Unsupported) if it still is not
//   reclaim    memory.force_empty of the oracle's memcg (SwapSetup), after a
//              stat flush, until every present non-zero page of every agent's
//              window is swapped; else not reproducible (Unsupported)
//   Without a SwapSetup (options.swap), pageout and reclaim are Unsupported.
//   failalloc  cannot be done on a live kernel: apply() throws Unsupported
//
// Contract: apply() returns the kernel's answer; observe() returns the
// canonical Snapshot of every live agent's window, with Snapshot::visible
// saying what the kernel cannot show (kernel_observe.h). Machinery failures
// throw ObserveError; a page the model cannot have throws UnmodelledPage.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "agents.h"
#include "anon_vma_probe.h"
#include "kernel_observe.h"
#include "rmapcheck/result.h"

namespace rmapcheck::oracle {

class Unsupported : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LiveKernelOptions {
  int cpu = 0;                      // every agent runs on this CPU
  bool vm_flags = true;             // read smaps VmFlags
  AnonVmaProbe* probe = nullptr;    // the anon_vma forest, when BPF works here
  bool folio_mapping = true;        // and folio->mapping / ->index through it
  int max_procs = 64;               // the model's limit (EngineConfig::max_procs)
  const SwapSetup* swap = nullptr;  // zram swap and the memcg, when set up here
  std::string no_swap_reason;       // why not, when swap is null
};

// How many times reclaim and pageout are tried before the op is called not
// reproducible.
inline constexpr int kReclaimTries = 8;
inline constexpr int kPageoutTries = 3;

class LiveKernel {
 public:
  LiveKernel(const KernelFiles& files, LiveKernelOptions options);
  Result apply(const Op& op);
  Snapshot observe();
  std::size_t live_count() const { return agents_.live().size(); }
  // The ops behind `pageout` and `reclaim` (also called by apply()).
  Result pageout(const std::string& proc, Page start, Page npages);
  Result reclaim();
  // P's raw pagemap entries of pages [start, start + n) (kernel_observe.h).
  std::vector<std::uint64_t> pagemap(const std::string& proc, Page start, Page n) {
    return read_pagemap(proc, agents_.live().at(proc), start, n);
  }
  // How many reclaim passes the last reclaim() took.
  int last_reclaim_passes() const { return reclaim_passes_; }
  // Why folio->mapping and ->index are not shown ("" while they are).
  const std::string& folio_mapping_reason() const { return folio_mapping_reason_; }

 private:
  Snapshot observe_raw();
  void add_folio_mapping(Snapshot& o);
  const KernelFiles& files_;
  LiveKernelOptions options_;
  AgentSet agents_;
  int reclaim_passes_ = 0;
  std::string folio_mapping_reason_;  // why folio->mapping is not shown, once it is not
};

}  // namespace rmapcheck::oracle
