// anon_vma_probe.h - the anon_vma forest of the agents, read by a BPF iterator.
//
// No /proc file names an anon_vma. A BPF "iter/task_vma" program
// (bpf/anon_vma_iter.bpf.c) walks every VMA in the window and prints
// vm_pgoff, anon_vma, and for each anon_vma of its anon_vma_chain: root,
// parent, refcount, num_children, num_active_vmas. One dump costs ~100 us.
//
// Synopsis
//   AnonVmaProbe::open(why_not)  loads the program; nullptr and a reason
//                                when this machine cannot (not root, no BTF,
//                                object not built, verifier refusal)
//   probe.dump(pids)             every window VMA of those processes
//   probe.folios(pfns, why_not)  folio->mapping and ->index of those PFNs
//                                (a second program, "iter/task"), or
//                                nullopt and why not
//
// Contract: dump() only reads kernel memory; pointers are raw (the caller
// renames them per observation, they are recycled slab objects).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rmapcheck::oracle {

struct ProbeVma {
  pid_t tgid = 0;
  std::uint64_t start = 0, end = 0;  // addresses
  std::uint64_t pgoff = 0;           // vm_pgoff (absolute, in pages)
  std::uint64_t anon_vma = 0;
  std::vector<std::uint64_t> chain;  // anon_vma of each AVC, list order
};

struct ProbeAnonVma {
  std::uint64_t ptr = 0, root = 0, parent = 0;
  long refcount = 0, num_children = 0, num_active_vmas = 0;
};

// One folio: the raw folio->mapping (anon: the anon_vma | PAGE_MAPPING_ANON)
// and folio->index (absolute, in pages).
struct ProbeFolio {
  std::uint64_t mapping = 0, index = 0;
};

struct ProbeDump {
  std::vector<ProbeVma> vmas;
  std::vector<ProbeAnonVma> anon_vmas;  // every anon_vma a chain or a VMA names
};

class AnonVmaProbe {
 public:
  virtual ~AnonVmaProbe() = default;
  // Every window VMA of the given processes.
  virtual ProbeDump dump(const std::vector<pid_t>& pids) = 0;
  // folio->mapping and folio->index of each PFN (order-0 anon folios the
  // caller saw mapped a moment ago), in the order given; nullopt with the
  // reason when this machine cannot show them.
  virtual std::optional<std::vector<ProbeFolio>> folios(const std::vector<std::uint64_t>& pfns,
                                                        std::string& why_not) = 0;
  // Loads the BPF program; on failure returns nullptr with the reason.
  static std::unique_ptr<AnonVmaProbe> open(std::string& why_not);
};

}  // namespace rmapcheck::oracle
