// harness_isolated.cpp - run_dual in a forked child (see harness.h).
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "properties/harness.h"

namespace rmapcheck::props {

namespace {

struct Shared {
  volatile std::uint64_t started;  // ops whose step() began
  volatile std::uint32_t phase;
};

// One line of numbers: ops, by_kind..., branch..., alloc_failed..., failed index or -1.
std::string encode(const RunStats& st, const Coverage& cov, long failed) {
  std::ostringstream os;
  os << st.ops;
  for (auto v : st.by_kind) os << ' ' << v;
  for (auto v : cov.branch) os << ' ' << v;
  for (auto v : cov.alloc_failed) os << ' ' << v;
  os << ' ' << failed << '\n';
  return os.str();
}

bool decode(const std::string& line, RunStats& st, Coverage& cov, long& failed) {
  std::istringstream is(line);
  is >> st.ops;
  for (auto& v : st.by_kind) is >> v;
  for (auto& v : cov.branch) is >> v;
  for (auto& v : cov.alloc_failed) is >> v;
  is >> failed;
  return static_cast<bool>(is);
}

}  // namespace

DualOutcome run_dual_isolated(const std::vector<Op>& ops, const EngineConfig& impl_config,
                              const EngineFactory& factory, unsigned timeout_s) {
  void* mem = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) throw std::runtime_error(std::string("mmap: ") + std::strerror(errno));
  auto* shared = static_cast<Shared*>(mem);
  shared->started = 0;
  shared->phase = 0;
  int fds[2];
  if (pipe(fds) != 0) {
    munmap(mem, sizeof(Shared));
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    munmap(mem, sizeof(Shared));
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    close(fds[0]);
    signal(SIGALRM, SIG_DFL);
    alarm(timeout_s);
    long failed = -1;
    DualRunner r(impl_config, factory);
    r.set_phase_sink(&shared->phase);
    for (std::size_t i = 0; i < ops.size(); ++i) {
      shared->started = i + 1;
      if (r.step(ops[i])) {
        failed = static_cast<long>(i);
        break;
      }
    }
    std::string line = encode(r.stats(), r.model().coverage(), failed);
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
      ssize_t n = write(fds[1], p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  std::string line;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    line.append(buf, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const std::uint64_t started = shared->started;
  const std::uint32_t phase = shared->phase;
  munmap(mem, sizeof(Shared));

  DualOutcome out;
  long failed = -1;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && decode(line, out.stats, out.model_coverage, failed)) {
    if (failed >= 0) {
      Trace prefix;
      for (std::size_t i = 0; i <= static_cast<std::size_t>(failed); ++i) prefix.lines.push_back({ops[i], {}, 0});
      out = run_dual(prefix, impl_config, factory);
    }
    return out;
  }
  // The child died: blame the op it was running.
  StepFailure f;
  f.kind = StepFailure::Kind::EngineFault;
  f.index = started > 0 ? static_cast<std::size_t>(started - 1) : 0;
  if (f.index < ops.size()) f.op = ops[f.index];
  f.engine = phase == 0 ? "model" : phase == 1 ? "impl" : "checker";
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
    f.message = "no answer in " + std::to_string(timeout_s) + " s (hung?)";
  } else if (WIFSIGNALED(status)) {
    f.message = std::string("crashed with signal ") + std::to_string(WTERMSIG(status)) + " (" +
                strsignal(WTERMSIG(status)) + ")";
  } else {
    f.message = "the checking process exited with status " + std::to_string(WEXITSTATUS(status));
  }
  out.stats.ops = f.index + 1;
  for (std::size_t i = 0; i <= f.index && i < ops.size(); ++i) ++out.stats.by_kind[static_cast<std::size_t>(ops[i].kind)];
  out.failure = std::move(f);
  return out;
}

}  // namespace rmapcheck::props
