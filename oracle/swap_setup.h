// swap_setup.h - the machine state the oracle needs for swap, set up and always restored.
//
// For pageout and reclaim the oracle needs a swap device, a memcg of its own
// and a deterministic swap-in. SwapSetup makes them (docs/conformance.md#swap):
//   - a zram device of its own (hot_add, disksize, a swap header written
//     here, swapon(2) at the highest priority): zram is SWP_SYNCHRONOUS_IO,
//     the swap-in bypass of do_swap_page;
//   - vm.page-cluster = 0 (no swap readahead: swapin_readahead reads just
//     the faulting slot), the old value saved;
//   - a memory cgroup of its own (v1 memory controller, or v2 where that is
//     what the machine mounts) that the agents join before they touch a
//     page, for `reclaim` (memory.force_empty; v2: memory.reclaim);
//   - the calling thread pinned to the agents' CPU.
//
// Restoring is guaranteed by a guardian process forked at setup: it sits in
// a session of its own (the terminal's SIGINT does not reach it) and tears
// everything down when told to, or when the oracle goes away in any way
// (SIGINT, SIGTERM, SIGKILL, an exception): it sees its socket close. What is
// set up is recorded step by step in a state file (kStateDir), under an
// exclusive flock held by the oracle and the guardian; a later setup that
// finds the file non-empty (both died) restores it first. The lock also
// serializes oracles: two swap devices would share the pages of both.
// Signal handlers of the oracle are not touched (explore --kernel keeps its
// SIGINT-to-the-process-group stop); SIGINT/SIGTERM are only held back while
// the setup runs, so each step is recorded before a signal can end it.
//
// Synopsis
//   SwapSetup::open(options, why_not)   nullptr + the reason when the machine
//                                       cannot (not root, no zram, no memcg)
//   setup.join(pid)                     the process joins the memcg
//   setup.reclaim_pass(flush)           one memory.force_empty (v2:
//                                       memory.reclaim), after a stat flush
//   setup.teardown()                    restore now; "" or what failed
//   wait_for_swap_setups()              until no oracle (or guardian) holds the lock
//   MachineSwapState::capture()         swaps, zram devices, our cgroups,
//                                       page-cluster, the state file: for tests
//
// Contract: after teardown() or the destructor (or the oracle's death and
// the guardian's work) the machine is as capture() saw it before open().
// Nothing here is machine-global beyond what is listed above.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rmapcheck::oracle {

// The lock and the record of what is set up (tmpfs: gone at reboot, as is
// everything it records).
inline constexpr const char* kStateDir = "/run/rmapcheck";
inline constexpr const char* kStateFile = "/run/rmapcheck/oracle-swap.state";
// Our cgroups are named kCgroupPrefix + the oracle's pid.
inline constexpr const char* kCgroupPrefix = "rmapcheck-oracle-";

struct SwapSetupOptions {
  std::uint64_t disksize = 256ull << 20;  // the zram device; never more than half used
  int cpu = 0;                            // the agents' CPU; the caller is pinned to it
  // Test hook: "not-root" makes open() answer as on a machine without root.
  std::string simulate = "";
};

class SwapSetup {
 public:
  static std::unique_ptr<SwapSetup> open(const SwapSetupOptions& options, std::string& why_not);
  ~SwapSetup();
  SwapSetup(const SwapSetup&) = delete;
  SwapSetup& operator=(const SwapSetup&) = delete;

  // Moves `pid` into the oracle's memcg. A v1 memcg keeps charges with the
  // group that made them (move_charge_at_immigrate is 0), so this must come
  // before the process touches the pages `reclaim` is to reclaim.
  void join(pid_t pid) const;  // throws std::runtime_error
  // One reclaim of everything the memcg holds. With `flush`, first brings
  // the memcg's stat counters up to date: a helper process in the memcg
  // faults in and unmaps a batch of pages (more pending updates than the
  // flush threshold) and memory.stat is read, which flushes them. Why:
  // shrink_lruvec deactivates active folios only when inactive_is_low()
  // (mm/vmscan.c), which reads the flushed counters (mm/memcontrol.c,
  // memcg_rstat_updated / mem_cgroup_flush_stats: flushed after
  // MEMCG_CHARGE_BATCH * nr_cpus pending updates or every 2 s).
  void reclaim_pass(bool flush) const;  // throws std::runtime_error
  // Restores everything now (idempotent). Returns "" or what could not be
  // restored.
  std::string teardown();

  const std::string& device() const { return device_; }  // "/dev/zramN"
  const std::string& cgroup() const { return cgroup_; }  // the memcg directory
  bool cgroup_v2() const { return v2_; }

 private:
  SwapSetup() = default;
  std::string device_, cgroup_;
  bool v2_ = false;
  int cpu_ = 0;
  int lock_fd_ = -1;      // the flocked state file
  int guardian_fd_ = -1;  // our end of the guardian's socket
  pid_t guardian_ = -1;
  std::vector<unsigned char> saved_affinity_;  // the caller's cpu_set_t
  bool torn_down_ = false;
};

// Blocks until no oracle holds the swap lock, i.e. every oracle's guardian
// has finished restoring (for tests that end an oracle and then look).
void wait_for_swap_setups();

// What the machine looks like as far as SwapSetup touches it.
struct MachineSwapState {
  std::vector<std::string> swaps;        // /proc/swaps lines after the header
  std::vector<std::string> zram;         // /sys/block/zram* names
  std::vector<std::string> our_cgroups;  // kCgroupPrefix* under the memory cgroup root
  std::string page_cluster;              // /proc/sys/vm/page-cluster
  std::string state_file;                // kStateFile's contents ("" when absent)
  static MachineSwapState capture();
  bool operator==(const MachineSwapState&) const = default;
  std::string describe() const;
};

}  // namespace rmapcheck::oracle
