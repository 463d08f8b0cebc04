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
//   kKernelVisibility               what a kernel Snapshot shows (snapshot.h)
//   observe_kernel(agents, kf, flags)   a raw Snapshot: folio ids are PFNs,
//                                   not yet canonicalized, no forest; a
//                                   folio's value is read where a readable
//                                   VMA maps it
//   UnmodelledPage                  thrown for a page the model cannot have
//                                   (THP, KSM, not anonymous)
//
// Contract: throws ObserveError when a /proc read fails (not root, no
// PROCMAP_QUERY); nothing it does changes the state of any agent.
#pragma once

#include <stdexcept>

#include "agents.h"
#include "rmapcheck/snapshot.h"

namespace rmapcheck::oracle {

class ObserveError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class UnmodelledPage : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The live kernel shows VMAs (r/w/x always; the other flags from smaps),
// present pages (zero page or an anon frame, frame sharing, mapcount,
// PageAnonExclusive, the value where readable), swap PTEs (the slot, from
// the swap entry in pagemap) and, through the BPF iterators, the anon_vma
// forest and folio->mapping / ->index (LiveKernel adds FolioMapping when
// that works here); never PTE write bits, the swap PTE's exclusive bit, the
// swap cache, the interval trees, or a walk of its own.
inline constexpr Visibility kKernelVisibility{static_cast<std::uint32_t>(Shown::FlagsBeyondRwx) |
                                              static_cast<std::uint32_t>(Shown::Forest)};

// The vm_flags PROCMAP_QUERY always shows.
inline constexpr VmFlags kRwx = VM_READ | VM_WRITE | VM_EXEC;

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

Snapshot observe_kernel(AgentSet& agents, const KernelFiles& files, bool with_flags);

// The pieces pageout and reclaim check their work with (live_kernel.cpp):
// the window VMAs of one agent (r/w/x only), its raw pagemap entries for
// pages [start, start + n) (none outside a VMA), and whether an entry is a
// page reclaim takes (present, an anonymous frame, not the zero page).
std::vector<SnapVma> window_vmas(const std::string& name, const AgentHandle& h);
std::vector<std::uint64_t> read_pagemap(const std::string& name, const AgentHandle& h, Page start,
                                        Page n);
bool reclaimable(const KernelFiles& files, std::uint64_t entry);

// /proc/PID/pagemap (Documentation/admin-guide/mm/pagemap.rst): bit 63
// present, bit 62 swapped; for a swap entry bits 0-4 are the swap type and
// bits 5-54 the offset (CAP_SYS_ADMIN only, else 0), for a present page
// bits 0-54 the PFN.
inline constexpr int kPmPresent = 63;
inline constexpr int kPmSwap = 62;
inline constexpr std::uint64_t kPmFrameMask = (std::uint64_t{1} << 55) - 1;

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
