// agent_main.cpp - the agent side: performs requests on its own address space.
//
// The agent is a forked copy of the controller. It touches the window only
// when a request says so, with plain loads and stores (never through /proc/PID/mem:
// docs/kernel/observing-the-kernel.md#reading-page-values), and catches a bad access as
// SIGSEGV with sigsetjmp/siglongjmp so the trace can go on.
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <csetjmp>
#include <csignal>
#include <cstring>
#include <vector>

#include "agent_protocol.h"
#include "rmapcheck/file_io.h"

namespace rmapcheck::oracle {
namespace {

sigjmp_buf g_fault_jump;
volatile sig_atomic_t g_fault_armed = 0;

void on_fault(int sig) {
  if (g_fault_armed) {
    g_fault_armed = 0;
    siglongjmp(g_fault_jump, 1);
  }
  // A fault outside a guarded access is an agent bug: die with the signal so
  // the controller sees the agent vanish instead of a wrong answer.
  std::signal(sig, SIG_DFL);
  raise(sig);
}

void install_fault_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_fault;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, nullptr);
  sigaction(SIGBUS, &sa, nullptr);
}

// One guarded access. `store` selects a store of `value`; a load returns the
// value through `out`. Returns false when the access raised SIGSEGV/SIGBUS.
bool guarded_access(std::uint64_t addr, bool store, std::uint64_t value, std::uint64_t& out) {
  volatile std::uint64_t* p = reinterpret_cast<volatile std::uint64_t*>(addr);
  if (sigsetjmp(g_fault_jump, 1) != 0) return false;
  g_fault_armed = 1;
  if (store)
    *p = value;
  else
    out = *p;
  g_fault_armed = 0;
  return true;
}

std::int32_t syscall_status(long rc) {
  return rc == -1 ? errno : 0;
}

void send_reply(int channel, const Reply& r, const void* extra = nullptr, std::size_t extra_len = 0,
                int pass_fd = -1) {
  iovec iov[2] = {{const_cast<Reply*>(&r), sizeof r}, {const_cast<void*>(extra), extra_len}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = extra_len ? 2 : 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (pass_fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
  }
  if (retry_eintr([&] { return sendmsg(channel, &msg, MSG_NOSIGNAL); }) < 0)
    _exit(3);  // the controller is gone
}

}  // namespace

void agent_main(int channel) {
  install_fault_handler();
  std::vector<std::uint64_t> buf(sizeof(Request) / 8 + kMaxPeek);
  std::vector<std::uint64_t> values(kMaxPeek);
  for (;;) {
    const ssize_t n = retry_eintr([&] { return recv(channel, buf.data(), buf.size() * 8, 0); });
    if (n < static_cast<ssize_t>(sizeof(Request))) _exit(0);  // EOF: the controller went away
    Request q;
    std::memcpy(static_cast<void*>(&q), buf.data(), sizeof q);
    Reply r;
    switch (q.cmd) {
      case Cmd::Mmap: {
        void* want = reinterpret_cast<void*>(q.a);
        void* got = mmap(want, q.b, static_cast<int>(q.c),
                         MAP_PRIVATE | MAP_ANONYMOUS | static_cast<int>(q.d), -1, 0);
        if (got == MAP_FAILED) {
          r.status = errno;
        } else if (got != want) {
          // Cannot happen with MAP_FIXED_NOREPLACE on 6.18; never leave a
          // stray mapping behind if it does.
          munmap(got, q.b);
          r.status = EEXIST;
        }
        break;
      }
      case Cmd::Munmap:
        r.status = syscall_status(munmap(reinterpret_cast<void*>(q.a), q.b));
        break;
      case Cmd::Mprotect:
        r.status =
            syscall_status(mprotect(reinterpret_cast<void*>(q.a), q.b, static_cast<int>(q.c)));
        break;
      case Cmd::Madvise:
        r.status =
            syscall_status(madvise(reinterpret_cast<void*>(q.a), q.b, static_cast<int>(q.c)));
        break;
      case Cmd::Mremap:
        // The raw syscall: glibc's wrapper only passes new_address with
        // MREMAP_FIXED, and the in-place DONTUNMAP case must reach the kernel
        // exactly as the trace says.
        r.status = syscall_status(syscall(SYS_mremap, q.a, q.b, q.d, q.e, q.c) == -1 ? -1 : 0);
        break;
      case Cmd::Read:
        if (!guarded_access(q.a, false, 0, r.value)) r.status = kSegv;
        break;
      case Cmd::Write: {
        std::uint64_t unused = 0;
        if (!guarded_access(q.a, true, q.e, unused)) r.status = kSegv;
        break;
      }
      case Cmd::Fork: {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
          r.status = errno;
          break;
        }
        pid_t pid = fork();
        if (pid == 0) {
          close(channel);
          close(sv[0]);
          channel = sv[1];
          continue;  // the child is an agent of its own now
        }
        close(sv[1]);
        if (pid < 0) {
          r.status = errno;
          close(sv[0]);
          break;
        }
        r.pid = pid;
        send_reply(channel, r, nullptr, 0, sv[0]);
        close(sv[0]);
        continue;
      }
      case Cmd::Exit:
        _exit(0);
      case Cmd::Peek: {
        std::uint64_t count = q.a;
        auto avail = (static_cast<std::uint64_t>(n) - sizeof(Request)) / 8;
        if (count > kMaxPeek || count > avail) _exit(4);  // protocol violation
        const std::uint64_t* addrs = buf.data() + sizeof(Request) / 8;
        for (std::uint64_t i = 0; i < count; ++i) {
          if (!guarded_access(addrs[i], false, 0, values[i])) {
            r.status = kSegv;
            values[i] = 0;
          }
        }
        send_reply(channel, r, values.data(), count * 8);
        continue;
      }
      default:
        _exit(4);
    }
    send_reply(channel, r);
  }
}

}  // namespace rmapcheck::oracle
