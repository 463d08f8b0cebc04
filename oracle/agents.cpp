// agents.cpp - spawning, driving and reaping the agent processes.
#include "agents.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "rmapcheck/file_io.h"

namespace rmapcheck::oracle {
namespace {

// Generous: an agent answers in microseconds; this only turns a hung agent
// into an error instead of a hung run.
constexpr int kTimeoutMs = 30000;

std::string sys_error(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

int pidfd_open(pid_t pid) {
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
}

void send_all(int fd, const void* data, std::size_t len, const std::string& who) {
  const ssize_t n = retry_eintr([&] { return send(fd, data, len, MSG_NOSIGNAL); });
  if (n != static_cast<ssize_t>(len)) throw AgentError(sys_error("sending to agent " + who));
}

// Runs in the freshly forked first agent: the settings every agent inherits.
[[noreturn]] void become_first_agent(int channel, int cpu) {
  // Die with the controller (children of agents notice the closed socket).
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // Anon THP would turn the 4 KiB COW semantics into large folios; the flag
  // is inherited across fork (docs/kernel/observing-the-kernel.md#thp-ksm-and-the-zero-page).
  if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0) _exit(5);
  // One CPU for every agent: a folio's extra reference in another CPU's LRU
  // batch would turn a COW reuse into a copy
  // (docs/kernel/observing-the-kernel.md#pinning-to-one-cpu).
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(static_cast<std::size_t>(cpu), &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) _exit(6);
  // Agents forked by agents are reaped by the kernel when they exit.
  std::signal(SIGCHLD, SIG_IGN);
  if (channel != 3) {
    if (dup2(channel, 3) < 0) _exit(7);
  }
  // Nothing of the controller's (other sockets, /proc fds) stays open.
  syscall(SYS_close_range, 4U, ~0U, 0U);
  agent_main(3);
}

}  // namespace

int pick_agent_cpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
  for (int cpu = CPU_SETSIZE - 1; cpu >= 0; --cpu)
    if (CPU_ISSET(static_cast<std::size_t>(cpu), &set)) return cpu;
  return 0;
}

AgentSet::AgentSet(int cpu, const SwapSetup* swap) {
  // Agents whose parent agent exits are re-parented to us, so we reap them.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    throw AgentError(sys_error("socketpair"));
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    close(sv[0]);
    close(sv[1]);
    throw AgentError(sys_error("fork of the first agent"));
  }
  if (pid == 0) become_first_agent(sv[1], cpu);
  close(sv[1]);
  first_pid_ = pid;
  if (swap) {
    // Into the memcg before the first request, so every page of the window
    // is charged there (its children are born in it); what the agent
    // touched before (its stack) stays charged outside, and is no page of
    // the window.
    try {
      swap->join(pid);
    } catch (const std::exception& e) {
      kill(pid, SIGKILL);
      close(sv[0]);
      waitpid(pid, nullptr, 0);
      throw AgentError(std::string("the first agent cannot join the oracle's memcg: ") + e.what());
    }
  }
  agents_["p0"] = adopt(pid, sv[0]);
}

AgentSet::~AgentSet() {
  for (auto& [name, h] : agents_) {
    if (h.pidfd >= 0) syscall(SYS_pidfd_send_signal, h.pidfd, SIGKILL, nullptr, 0U);
  }
  for (auto& [name, h] : agents_) {
    try {
      wait_gone(name, h);
    } catch (const AgentError&) {
      // Nothing more to do in a destructor; the process is SIGKILLed.
    }
    close_handle(h);
  }
  agents_.clear();
  reap_orphans();
  if (first_pid_ > 0) waitpid(first_pid_, nullptr, WNOHANG);
}

AgentHandle AgentSet::adopt(pid_t pid, int channel) {
  AgentHandle h;
  h.pid = pid;
  h.channel = channel;
  h.pidfd = pidfd_open(pid);
  std::string proc = "/proc/" + std::to_string(pid);
  h.maps_fd = open((proc + "/maps").c_str(), O_RDONLY | O_CLOEXEC);
  h.pagemap_fd = open((proc + "/pagemap").c_str(), O_RDONLY | O_CLOEXEC);
  if (h.pidfd < 0 || h.maps_fd < 0 || h.pagemap_fd < 0) {
    std::string err = sys_error("opening pidfd or /proc files of agent " + std::to_string(pid));
    if (h.pidfd >= 0)
      syscall(SYS_pidfd_send_signal, h.pidfd, SIGKILL, nullptr, 0U);
    else
      kill(pid, SIGKILL);
    close_handle(h);
    throw AgentError(err);
  }
  return h;
}

void AgentSet::close_handle(AgentHandle& h) {
  for (int* fd : {&h.channel, &h.pidfd, &h.maps_fd, &h.pagemap_fd}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

Reply AgentSet::receive(const std::string& name, int* passed_fd, std::vector<std::uint64_t>* extra,
                        std::size_t extra_count) {
  const AgentHandle& h = agents_.at(name);
  pollfd p{h.channel, POLLIN, 0};
  const int rc = retry_eintr([&] { return poll(&p, 1, kTimeoutMs); });
  if (rc == 0)
    throw AgentError("agent " + name + " (pid " + std::to_string(h.pid) + ") did not answer");
  std::vector<char> buf(sizeof(Reply) + extra_count * 8);
  iovec iov{buf.data(), buf.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = retry_eintr([&] { return recvmsg(h.channel, &msg, MSG_CMSG_CLOEXEC); });
  if (n <= 0) throw AgentError("agent " + name + " (pid " + std::to_string(h.pid) + ") died");
  if (static_cast<std::size_t>(n) != buf.size())
    throw AgentError("agent " + name + ": short reply");
  Reply r;
  std::memcpy(&r, buf.data(), sizeof r);
  if (extra) {
    extra->resize(extra_count);
    std::memcpy(extra->data(), buf.data() + sizeof r, extra_count * 8);
  }
  if (passed_fd) {
    *passed_fd = -1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
        std::memcpy(passed_fd, CMSG_DATA(c), sizeof(int));
  }
  return r;
}

Reply AgentSet::request(const std::string& name, const Request& q) {
  send_all(agents_.at(name).channel, &q, sizeof q, name);
  return receive(name, nullptr, nullptr, 0);
}

int AgentSet::fork(const std::string& parent, const std::string& child) {
  Request q;
  q.cmd = Cmd::Fork;
  send_all(agents_.at(parent).channel, &q, sizeof q, parent);
  int fd = -1;
  Reply r = receive(parent, &fd, nullptr, 0);
  if (r.status != 0) {
    if (fd >= 0) close(fd);
    return r.status;
  }
  if (fd < 0) throw AgentError("agent " + parent + ": fork reply without a socket");
  agents_[child] = adopt(r.pid, fd);
  return 0;
}

void AgentSet::wait_gone(const std::string& name, const AgentHandle& h) {
  pollfd p{h.pidfd, POLLIN, 0};
  const int rc = retry_eintr([&] { return poll(&p, 1, kTimeoutMs); });
  if (rc <= 0)
    throw AgentError("agent " + name + " (pid " + std::to_string(h.pid) + ") did not exit");
}

void AgentSet::exit(const std::string& name) {
  AgentHandle& h = agents_.at(name);
  Request q;
  q.cmd = Cmd::Exit;
  send_all(h.channel, &q, sizeof q, name);
  wait_gone(name, h);
  close_handle(h);
  agents_.erase(name);
  reap_orphans();
}

void AgentSet::reap_orphans() {
  // Our own first agent and any agent re-parented to us (subreaper).
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

std::vector<std::uint64_t> AgentSet::peek(const std::string& name,
                                          const std::vector<std::uint64_t>& addrs) {
  std::vector<std::uint64_t> out;
  out.reserve(addrs.size());
  std::vector<std::uint64_t> msg;
  std::vector<std::uint64_t> values;
  for (std::size_t i = 0; i < addrs.size(); i += kMaxPeek) {
    std::size_t count = std::min<std::size_t>(kMaxPeek, addrs.size() - i);
    Request q;
    q.cmd = Cmd::Peek;
    q.a = count;
    msg.assign(sizeof q / 8, 0);
    std::memcpy(msg.data(), &q, sizeof q);
    msg.insert(msg.end(), addrs.begin() + static_cast<std::ptrdiff_t>(i),
               addrs.begin() + static_cast<std::ptrdiff_t>(i + count));
    send_all(agents_.at(name).channel, msg.data(), msg.size() * 8, name);
    Reply r = receive(name, nullptr, &values, count);
    // The caller asks only for present, readable pages; a fault means the
    // observation and the process disagree, which is a machinery error.
    if (r.status != 0) throw AgentError("agent " + name + ": a peek of a present page faulted");
    out.insert(out.end(), values.begin(), values.end());
  }
  return out;
}

}  // namespace rmapcheck::oracle
