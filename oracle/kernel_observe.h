// kernel_observe.h - observing the agents' windows through /proc, read-only.
//
// For every live agent: the VMAs in the window (PROCMAP_QUERY on
// /proc/PID/maps), their vm_flags (/proc/PID/smaps VmFlags, when asked), and
// for every present page: the PFN (/proc/PID/pagemap), the zero page / anon
// / exclusive bits (/proc/kpageflags), the mapcount (/proc/kpagecount) and
// the value (a plain load by the agent, only for present pages of readable
// VMAs, so observing never faults a page in).
//
// Synopsis
//   KernelFiles kf;                 opens /proc/kpagecount and /proc/kpageflags
//   observe_kernel(agents, kf, flags)   raw Observation: frames are PFNs,
//                                   not yet canonicalized, no forest
//
// Contract: throws ObserveError when a /proc read fails (not root, no
// PROCMAP_QUERY); nothing it does changes the state of any agent.
#pragma once

#include <stdexcept>

#include "agents.h"
#include "observation.h"

namespace rmapcheck::oracle {

class ObserveError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class KernelFiles {
 public:
  KernelFiles();  // throws ObserveError
  ~KernelFiles();
  KernelFiles(const KernelFiles&) = delete;
  KernelFiles& operator=(const KernelFiles&) = delete;
  int kpagecount() const { return kpagecount_; }
  int kpageflags() const { return kpageflags_; }

 private:
  int kpagecount_ = -1;
  int kpageflags_ = -1;
};

Observation observe_kernel(AgentSet& agents, const KernelFiles& files, bool with_flags);

// Bits of /proc/kpageflags we read (include/uapi/linux/kernel-page-flags.h).
inline constexpr int kKpfCompoundHead = 15;
inline constexpr int kKpfCompoundTail = 16;
inline constexpr int kKpfAnon = 12;
inline constexpr int kKpfKsm = 21;
inline constexpr int kKpfThp = 22;
inline constexpr int kKpfZeroPage = 24;
// KPF_OWNER_2 (6.18) / KPF_MAPPEDTODISK (6.1): PG_anon_exclusive on anon pages.
inline constexpr int kKpfAnonExclusive = 34;

}  // namespace rmapcheck::oracle
