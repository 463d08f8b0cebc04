// swap_setup.cpp - zram swap, page-cluster, the memcg; the guardian that restores them.
#include "swap_setup.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "rmapcheck/file_io.h"

namespace rmapcheck::oracle {
namespace {

constexpr const char* kZramControl = "/sys/class/zram-control";
constexpr const char* kPageCluster = "/proc/sys/vm/page-cluster";
constexpr const char* kZswapEnabled = "/sys/module/zswap/parameters/enabled";
constexpr const char* kMemcgV1Root = "/sys/fs/cgroup/memory";
constexpr const char* kCgroupV2Root = "/sys/fs/cgroup";
// The stat flush batch: far more than MEMCG_CHARGE_BATCH (64) * nr_cpus
// pending updates (each page is charged, added to an LRU, unmapped,
// uncharged: several updates each).
constexpr std::size_t kFlushPages = 1024;

std::string errno_text(int err) {
  return std::strerror(err);
}

std::optional<std::string> read_text(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = retry_eintr([&] { return read(fd, buf, sizeof buf); });
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return out;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Writes `text` to a sysfs/procfs/cgroupfs file in one write(); returns 0 or errno.
int write_text(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n = retry_eintr([&] { return write(fd, text.data(), text.size()); });
  int err = n < 0 ? errno : 0;
  close(fd);
  return err;
}

void write_or_throw(const std::string& path, const std::string& text) {
  if (int err = write_text(path, text))
    throw std::runtime_error("writing '" + trimmed(text) + "' to " + path + ": " + errno_text(err));
}

bool exists(const std::string& path) {
  return access(path.c_str(), F_OK) == 0;
}

// What is set up, in the order it was set up; the state file holds it as
// "key value" lines.
struct Record {
  std::string page_cluster;  // the old value, when we changed it
  std::string zswap;         // the old value, when we turned zswap off
  std::string zram;          // the device number from hot_add
  std::string node;          // a /dev node we made ourselves (no devtmpfs)
  std::string swapon;        // the device swapped on
  std::string cgroup;        // the memcg directory we made

  std::string serialize() const {
    std::string out;
    auto put = [&](const char* k, const std::string& v) {
      if (!v.empty()) out += std::string(k) + " " + v + "\n";
    };
    put("page_cluster", page_cluster);
    put("zswap", zswap);
    put("zram", zram);
    put("node", node);
    put("swapon", swapon);
    put("cgroup", cgroup);
    return out;
  }
  static Record parse(const std::string& text) {
    Record r;
    std::istringstream in(text);
    std::string k, v;
    while (in >> k >> v) {
      if (k == "page_cluster") r.page_cluster = v;
      if (k == "zswap") r.zswap = v;
      if (k == "zram") r.zram = v;
      if (k == "node") r.node = v;
      if (k == "swapon") r.swapon = v;
      if (k == "cgroup") r.cgroup = v;
    }
    return r;
  }
  bool empty() const { return serialize().empty(); }
};

void store_record(int fd, const Record& r) {
  std::string text = r.serialize();
  if (ftruncate(fd, 0) != 0 ||
      pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
    throw std::runtime_error(std::string("writing ") + kStateFile + ": " + errno_text(errno));
}

Record load_record(int fd) {
  std::string text;
  char buf[1024];
  off_t off = 0;
  for (;;) {
    ssize_t n = pread(fd, buf, sizeof buf, off);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    off += n;
  }
  return Record::parse(text);
}

std::vector<pid_t> cgroup_pids(const std::string& dir) {
  std::vector<pid_t> out;
  std::istringstream in(read_text(dir + "/cgroup.procs").value_or(""));
  long pid = 0;
  while (in >> pid) out.push_back(static_cast<pid_t>(pid));
  return out;
}

// Undoes `r`, last step first. Every process still in our memcg is one of
// the oracle's agents (the memcg is ours): they are killed first, so that
// swapoff has nothing to bring back and the directory can go. Returns "" or
// what failed, one line each.
std::string undo(const Record& r) {
  std::string failed;
  auto fail = [&](const std::string& what) { failed += what + "\n"; };
  if (!r.cgroup.empty() && exists(r.cgroup)) {
    for (int round = 0; round < 500; ++round) {
      std::vector<pid_t> pids = cgroup_pids(r.cgroup);
      if (pids.empty() && rmdir(r.cgroup.c_str()) == 0) break;
      for (pid_t pid : pids) kill(pid, SIGKILL);
      usleep(10000);
    }
    if (exists(r.cgroup)) fail("rmdir " + r.cgroup + ": " + errno_text(errno));
  }
  if (!r.swapon.empty()) {
    if (swapoff(r.swapon.c_str()) != 0 && errno != EINVAL)  // EINVAL: not swapped on
      fail("swapoff " + r.swapon + ": " + errno_text(errno));
  }
  if (!r.zram.empty()) {
    const std::string dev = "/sys/block/zram" + r.zram;
    if (exists(dev)) {
      if (int err = write_text(dev + "/reset", "1"))
        fail("zram" + r.zram + " reset: " + errno_text(err));
      int err = 0;
      for (int round = 0; round < 100; ++round) {  // EBUSY while the last opener closes
        err = write_text(std::string(kZramControl) + "/hot_remove", r.zram);
        if (err != EBUSY) break;
        usleep(10000);
      }
      if (err) fail("zram hot_remove " + r.zram + ": " + errno_text(err));
    }
  }
  if (!r.node.empty() && exists(r.node) && unlink(r.node.c_str()) != 0)
    fail("unlink " + r.node + ": " + errno_text(errno));
  if (!r.zswap.empty()) {
    if (int err = write_text(kZswapEnabled, r.zswap))
      fail(std::string("restoring ") + kZswapEnabled + ": " + errno_text(err));
  }
  if (!r.page_cluster.empty()) {
    if (int err = write_text(kPageCluster, r.page_cluster))
      fail(std::string("restoring ") + kPageCluster + " to " + r.page_cluster + ": " +
           errno_text(err));
  }
  return failed;
}

// Undoes what the state file records and empties it; both run with the lock.
std::string undo_recorded(int lock_fd) {
  std::string failed = undo(load_record(lock_fd));
  if (failed.empty() && ftruncate(lock_fd, 0) != 0)
    failed = std::string("truncating ") + kStateFile + ": " + errno_text(errno);
  return failed;
}

// The guardian: in a session of its own, deaf to the terminal's signals,
// it waits for "teardown" or for the oracle's end of the socket to close,
// restores what the state file records and answers with what failed.
[[noreturn]] void guardian_main(int sock, int lock_fd) {
  setsid();
  // Nothing of the oracle's stays open here but the two descriptors (an
  // inherited socket or pipe would keep another end from seeing EOF).
  sock = fcntl(sock, F_DUPFD, 1000);
  lock_fd = fcntl(lock_fd, F_DUPFD, 1001);
  if (sock != 1000 || lock_fd != 1001) _exit(2);
  syscall(SYS_close_range, 3U, 999U, 0U);
  syscall(SYS_close_range, 1002U, ~0U, 0U);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT}) std::signal(sig, SIG_IGN);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  char c = 0;
  retry_eintr([&] { return recv(sock, &c, 1, 0); });  // a byte, or EOF: the oracle is gone
  std::string failed = undo_recorded(lock_fd);
  send(sock, failed.data(), failed.size(), MSG_NOSIGNAL);
  _exit(failed.empty() ? 0 : 1);
}

// SIGINT/SIGTERM/SIGHUP held back for a scope (the setup steps and their
// records happen together or not at all).
struct SignalsHeld {
  sigset_t old;
  SignalsHeld() {
    sigset_t s;
    sigemptyset(&s);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&s, sig);
    sigprocmask(SIG_BLOCK, &s, &old);
  }
  ~SignalsHeld() { sigprocmask(SIG_SETMASK, &old, nullptr); }
};

// The swap header (include/linux/swap.h, union swap_header, version 1):
// "SWAPSPACE2" in the last 10 bytes of page 0, version/last_page/nr_badpages
// after 1024 bytes of boot space.
std::vector<unsigned char> swap_header(std::uint64_t disksize) {
  const std::size_t page = 4096;
  std::vector<unsigned char> h(page, 0);
  const std::uint32_t version = 1;
  const std::uint32_t last_page = static_cast<std::uint32_t>(disksize / page - 1);
  const std::uint32_t badpages = 0;
  std::memcpy(&h[1024], &version, 4);
  std::memcpy(&h[1028], &last_page, 4);
  std::memcpy(&h[1032], &badpages, 4);
  const char uuid[16] = {'r', 'm', 'a', 'p', 'c', 'h', 'e', 'c', 'k', '-', 's', 'w', 'a', 'p'};
  std::memcpy(&h[1036], uuid, 16);
  const char label[16] = "rmapcheck";
  std::memcpy(&h[1052], label, sizeof label);
  std::memcpy(&h[page - 10], "SWAPSPACE2", 10);
  return h;
}

// The memory cgroup root, or "" with the reason.
std::string memcg_root(bool& v2, std::string& why_not) {
  if (exists(std::string(kMemcgV1Root) + "/memory.force_empty")) {
    v2 = false;
    return kMemcgV1Root;
  }
  std::string controllers =
      read_text(std::string(kCgroupV2Root) + "/cgroup.controllers").value_or("");
  if (controllers.find("memory") != std::string::npos) {
    std::string subtree =
        read_text(std::string(kCgroupV2Root) + "/cgroup.subtree_control").value_or("");
    if (subtree.find("memory") == std::string::npos) {
      why_not = "cgroup v2 without the memory controller enabled for children of the root";
      return "";
    }
    v2 = true;
    return kCgroupV2Root;
  }
  why_not = "no memory cgroup controller (neither v1 at /sys/fs/cgroup/memory nor v2)";
  return "";
}

}  // namespace

std::unique_ptr<SwapSetup> SwapSetup::open(const SwapSetupOptions& options, std::string& why_not) {
  if (geteuid() != 0 || options.simulate == "not-root") {
    why_not = "swap needs root (zram, swapon, memcg, vm.page-cluster)";
    return nullptr;
  }
  if (!exists(std::string(kZramControl) + "/hot_add")) {
    why_not = "no zram hot_add (/sys/class/zram-control): CONFIG_ZRAM missing or not loaded";
    return nullptr;
  }
  bool v2 = false;
  const std::string root = memcg_root(v2, why_not);
  if (root.empty()) return nullptr;

  std::unique_ptr<SwapSetup> s(new SwapSetup());
  s->v2_ = v2;
  s->cpu_ = options.cpu;
  mkdir(kStateDir, 0700);
  s->lock_fd_ = ::open(kStateFile, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (s->lock_fd_ < 0) {
    why_not = std::string("cannot open ") + kStateFile + ": " + errno_text(errno);
    return nullptr;
  }
  if (flock(s->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    std::fprintf(stderr, "rmapcheck oracle: waiting for another oracle's swap setup to end (%s)\n",
                 kStateFile);
    if (retry_eintr([&] { return flock(s->lock_fd_, LOCK_EX); }) != 0) {
      why_not = std::string("flock ") + kStateFile + ": " + errno_text(errno);
      return nullptr;
    }
  }
  // A record left by an oracle that died together with its guardian.
  if (!load_record(s->lock_fd_).empty()) {
    std::string failed = undo_recorded(s->lock_fd_);
    std::fprintf(stderr, "rmapcheck oracle: restored the swap setup of a run that died%s%s\n",
                 failed.empty() ? "" : "; could not: ", failed.c_str());
    if (!failed.empty()) {
      why_not = "a previous run's swap setup could not be restored: " + trimmed(failed);
      return nullptr;
    }
  }

  SignalsHeld held;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    why_not = std::string("socketpair: ") + errno_text(errno);
    return nullptr;
  }
  std::fflush(nullptr);
  pid_t g = fork();
  if (g < 0) {
    why_not = std::string("fork of the guardian: ") + errno_text(errno);
    close(sv[0]);
    close(sv[1]);
    return nullptr;
  }
  if (g == 0) {
    close(sv[0]);
    guardian_main(sv[1], s->lock_fd_);
  }
  close(sv[1]);
  s->guardian_ = g;
  s->guardian_fd_ = sv[0];

  Record r;
  try {
    // The caller runs on the agents' CPU (as every agent does): the
    // per-CPU LRU batches that reclaim drains are then the agents' own.
    cpu_set_t old;
    if (sched_getaffinity(0, sizeof old, &old) == 0) {
      s->saved_affinity_.assign(reinterpret_cast<unsigned char*>(&old),
                                reinterpret_cast<unsigned char*>(&old) + sizeof old);
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(static_cast<std::size_t>(options.cpu), &one);
      sched_setaffinity(0, sizeof one, &one);
    }
    // vm.page-cluster 0: swapin_readahead reads the faulting slot only
    // (mm/swap_state.c, swap_cluster_readahead: 1 << page_cluster pages).
    std::string pc = trimmed(read_text(kPageCluster).value_or(""));
    if (pc.empty()) throw std::runtime_error(std::string("cannot read ") + kPageCluster);
    if (pc != "0") {
      r.page_cluster = pc;
      store_record(s->lock_fd_, r);
      write_or_throw(kPageCluster, "0");
    }
    // zswap would keep pages in a compressed cache in front of the device.
    std::string zs = trimmed(read_text(kZswapEnabled).value_or("N"));
    if (zs == "Y" || zs == "1") {
      r.zswap = zs;
      store_record(s->lock_fd_, r);
      write_or_throw(kZswapEnabled, "N");
    }
    // A zram device of our own (drivers/block/zram/zram_drv.c: reading
    // hot_add allocates one and returns its number).
    std::string id = trimmed(read_text(std::string(kZramControl) + "/hot_add").value_or(""));
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
      throw std::runtime_error("zram hot_add returned '" + id + "'");
    r.zram = id;
    store_record(s->lock_fd_, r);
    const std::string sys = "/sys/block/zram" + id;
    write_or_throw(sys + "/disksize", std::to_string(options.disksize));
    s->device_ = "/dev/zram" + id;
    for (int i = 0; i < 100 && !exists(s->device_); ++i) usleep(10000);  // devtmpfs
    if (!exists(s->device_)) {
      unsigned maj = 0, min = 0;
      std::string dev = read_text(sys + "/dev").value_or("");
      if (std::sscanf(dev.c_str(), "%u:%u", &maj, &min) != 2)
        throw std::runtime_error("cannot read " + sys + "/dev");
      r.node = s->device_;
      store_record(s->lock_fd_, r);
      if (mknod(s->device_.c_str(), S_IFBLK | 0600, makedev(maj, min)) != 0)
        throw std::runtime_error("mknod " + s->device_ + ": " + errno_text(errno));
    }
    {
      int fd = ::open(s->device_.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0) throw std::runtime_error("open " + s->device_ + ": " + errno_text(errno));
      std::vector<unsigned char> h = swap_header(options.disksize);
      bool ok =
          pwrite(fd, h.data(), h.size(), 0) == static_cast<ssize_t>(h.size()) && fsync(fd) == 0;
      int err = errno;
      close(fd);
      if (!ok) throw std::runtime_error("writing the swap header: " + errno_text(err));
    }
    // The highest priority: should another device be on, ours is used first.
    r.swapon = s->device_;
    store_record(s->lock_fd_, r);
    if (swapon(s->device_.c_str(), SWAP_FLAG_PREFER | (32767 & SWAP_FLAG_PRIO_MASK)) != 0)
      throw std::runtime_error("swapon " + s->device_ + ": " + errno_text(errno));
    // The memcg.
    s->cgroup_ = root + "/" + kCgroupPrefix + std::to_string(getpid());
    r.cgroup = s->cgroup_;
    store_record(s->lock_fd_, r);
    if (mkdir(s->cgroup_.c_str(), 0755) != 0)
      throw std::runtime_error("mkdir " + s->cgroup_ + ": " + errno_text(errno));
  } catch (const std::exception& e) {
    why_not = std::string("swap setup failed: ") + e.what();
    std::string failed = s->teardown();
    if (!failed.empty()) why_not += "; restoring failed too: " + failed;
    return nullptr;
  }
  return s;
}

SwapSetup::~SwapSetup() {
  std::string failed = teardown();
  if (!failed.empty())
    std::fprintf(stderr, "rmapcheck oracle: restoring the swap setup failed: %s\n", failed.c_str());
}

std::string SwapSetup::teardown() {
  if (torn_down_) return "";
  torn_down_ = true;
  std::string failed;
  bool done = false;
  if (guardian_fd_ >= 0) {
    char c = 'T';
    if (send(guardian_fd_, &c, 1, MSG_NOSIGNAL) == 1) {
      char buf[4096];
      ssize_t n = retry_eintr([&] { return recv(guardian_fd_, buf, sizeof buf, 0); });
      if (n >= 0) {
        failed.assign(buf, static_cast<std::size_t>(n));
        done = true;
      }
    }
    close(guardian_fd_);
    guardian_fd_ = -1;
  }
  if (guardian_ > 0) {
    retry_eintr([&] { return waitpid(guardian_, nullptr, 0); });
    guardian_ = -1;
  }
  // The guardian is gone (killed?): restore here, we hold the lock too.
  if (!done && lock_fd_ >= 0) failed = undo_recorded(lock_fd_);
  if (lock_fd_ >= 0) {
    close(lock_fd_);
    lock_fd_ = -1;
  }
  if (!saved_affinity_.empty()) {
    cpu_set_t old;
    std::memcpy(&old, saved_affinity_.data(), sizeof old);
    sched_setaffinity(0, sizeof old, &old);
    saved_affinity_.clear();
  }
  return trimmed(failed);
}

void SwapSetup::join(pid_t pid) const {
  write_or_throw(cgroup_ + "/cgroup.procs", std::to_string(pid));
}

void SwapSetup::reclaim_pass(bool flush) const {
  if (flush) {
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0)
      throw std::runtime_error(std::string("pipe: ") + errno_text(errno));
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + errno_text(errno));
    if (pid == 0) {
      // The stat-flush helper: waits until it is in the memcg, then faults
      // in and unmaps a batch of pages there.
      close(pipefd[1]);
      char c = 0;
      if (read(pipefd[0], &c, 1) != 1) _exit(2);
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(static_cast<std::size_t>(cpu_), &one);
      sched_setaffinity(0, sizeof one, &one);
      const std::size_t len = kFlushPages * 4096;
      void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) _exit(3);
      for (std::size_t i = 0; i < len; i += 4096) static_cast<volatile char*>(p)[i] = 1;
      munmap(p, len);
      _exit(0);
    }
    close(pipefd[0]);
    int err = write_text(cgroup_ + "/cgroup.procs", std::to_string(pid));
    char go = 'g';
    if (write(pipefd[1], &go, 1) != 1) err = err ? err : errno;
    close(pipefd[1]);
    int status = 0;
    retry_eintr([&] { return waitpid(pid, &status, 0); });
    if (err)
      throw std::runtime_error("the stat-flush helper could not join the memcg: " +
                               errno_text(err));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      throw std::runtime_error("the stat-flush helper failed");
    // Reading memory.stat flushes the pending updates
    // (mm/memcontrol-v1.c memcg1_stat_format / mm/memcontrol.c
    // memory_stat_show: mem_cgroup_flush_stats).
    if (!read_text(cgroup_ + "/memory.stat"))
      throw std::runtime_error("cannot read " + cgroup_ + "/memory.stat");
  }
  // v1: mem_cgroup_force_empty (mm/memcontrol-v1.c) reclaims until nothing
  // is charged or 16 passes free nothing. v2: memory.reclaim of more than
  // the group holds; EAGAIN (not all of it) is expected.
  if (v2_) {
    int err = write_text(cgroup_ + "/memory.reclaim", "1G");
    if (err && err != EAGAIN)
      throw std::runtime_error(cgroup_ + "/memory.reclaim: " + errno_text(err));
  } else {
    write_or_throw(cgroup_ + "/memory.force_empty", "0");
  }
}

void wait_for_swap_setups() {
  mkdir(kStateDir, 0700);
  int fd = ::open(kStateFile, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  retry_eintr([&] { return flock(fd, LOCK_EX); });
  close(fd);
}

MachineSwapState MachineSwapState::capture() {
  MachineSwapState m;
  std::istringstream swaps(read_text("/proc/swaps").value_or(""));
  std::string line;
  std::getline(swaps, line);  // the header
  while (std::getline(swaps, line))
    if (!line.empty()) m.swaps.push_back(line);
  auto list_dir = [](const std::string& dir, const std::string& prefix) {
    std::vector<std::string> out;
    if (DIR* d = opendir(dir.c_str())) {
      while (dirent* e = readdir(d))
        if (std::string(e->d_name).rfind(prefix, 0) == 0) out.push_back(e->d_name);
      closedir(d);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  m.zram = list_dir("/sys/block", "zram");
  bool v2 = false;
  std::string why;
  std::string root = memcg_root(v2, why);
  if (!root.empty()) m.our_cgroups = list_dir(root, kCgroupPrefix);
  m.page_cluster = trimmed(read_text(kPageCluster).value_or(""));
  m.state_file = read_text(kStateFile).value_or("");
  return m;
}

std::string MachineSwapState::describe() const {
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
    return out.empty() ? std::string("-") : out;
  };
  return "swaps: " + join(swaps) + "\nzram: " + join(zram) + "\nour cgroups: " + join(our_cgroups) +
         "\npage-cluster: " + page_cluster + "\nstate file: '" + trimmed(state_file) + "'\n";
}

}  // namespace rmapcheck::oracle
