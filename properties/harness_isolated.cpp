// harness_isolated.cpp - run_dual in a forked child (see harness.h).
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "properties/harness.h"
#include "rmapcheck/file_io.h"
#include "rmapcheck/trace.h"

namespace rmapcheck::props {

namespace {

using json = nlohmann::json;

struct Shared {
  volatile std::uint64_t started;  // ops whose step() began (the epilogue's exits too)
  volatile char exits[64 * 34];    // the epilogue's processes, '\n'-separated (names <= 32 chars)
  volatile std::uint32_t phase;
};

// The child's answer, one JSON document: the stats, the model's coverage
// and the failure, all built in the child. The parent never runs an engine:
// a mutated impl may corrupt the heap of the process it runs in (a use after
// free that happens not to crash), and the parent is the campaign, which
// must survive to print and save the counterexample. Ops and results travel
// in the trace language (trace.h format_op, result.h format_result), so the
// one parser of traces reads them back: there is no second encoding of Op
// or Result.
Op op_from_text(const std::string& text) {
  auto parsed = parse_ops(text, "<worker>");
  if (!parsed.trace || parsed.trace->lines.size() != 1)
    throw std::runtime_error("the worker sent an op that does not parse: " + text);
  return parsed.trace->lines[0].op;
}

Result result_from_text(const std::string& text, OpKind kind) {
  auto r = parse_result(text, kind);
  if (!r.result) throw std::runtime_error("the worker sent a result that does not parse: " + text);
  return *r.result;
}

json failure_json(const StepFailure& f) {
  json v = json::array();
  for (const auto& x : f.violations) v.push_back(json{static_cast<int>(x.id), x.objects, x.why});
  json results = json::array();
  for (const Result& r : f.results) results.push_back(format_result(r));
  return json{{"kind", static_cast<int>(f.kind)},
              {"index", f.index},
              {"op", format_op(f.op)},
              {"engine", f.engine},
              {"lanes", f.lanes},
              {"results", results},
              {"expected", f.expected ? json(format_result(*f.expected)) : json(nullptr)},
              {"other", f.other},
              {"diff", f.diff},
              {"violations", v},
              {"message", f.message},
              {"leaks", f.leaks}};
}

StepFailure failure_from(const json& j) {
  StepFailure f;
  f.kind = static_cast<StepFailure::Kind>(j.at("kind").get<int>());
  f.index = j.at("index").get<std::size_t>();
  f.op = op_from_text(j.at("op").get<std::string>());
  f.engine = j.at("engine").get<std::string>();
  f.lanes = j.at("lanes").get<std::vector<std::string>>();
  for (const auto& r : j.at("results"))
    f.results.push_back(result_from_text(r.get<std::string>(), f.op.kind));
  if (!j.at("expected").is_null())
    f.expected = result_from_text(j.at("expected").get<std::string>(), f.op.kind);
  f.other = j.at("other").get<std::string>();
  f.diff = j.at("diff").get<std::string>();
  for (const auto& v : j.at("violations")) {
    f.violations.push_back({static_cast<InvariantId>(v.at(0).get<int>()),
                            v.at(1).get<std::string>(), v.at(2).get<std::string>()});
  }
  f.message = j.at("message").get<std::string>();
  f.leaks = j.at("leaks").get<std::vector<std::string>>();
  return f;
}

std::string encode(const DualOutcome& out) {
  json j{{"ops", out.stats.ops},
         {"by_kind", out.stats.by_kind},
         {"branch", out.model_coverage.branch},
         {"alloc_failed", out.model_coverage.alloc_failed},
         {"epilogue", json::array()},
         {"failure", out.failure ? failure_json(*out.failure) : json(nullptr)}};
  for (const auto& op : out.epilogue) j["epilogue"].push_back(format_op(op));
  return j.dump();
}

bool decode(const std::string& text, DualOutcome& out) {
  try {
    json j = json::parse(text);
    out.stats.ops = j.at("ops").get<std::size_t>();
    out.stats.by_kind = j.at("by_kind").get<decltype(out.stats.by_kind)>();
    out.model_coverage.branch = j.at("branch").get<decltype(out.model_coverage.branch)>();
    out.model_coverage.alloc_failed =
        j.at("alloc_failed").get<decltype(out.model_coverage.alloc_failed)>();
    for (const auto& op : j.at("epilogue"))
      out.epilogue.push_back(op_from_text(op.get<std::string>()));
    if (!j.at("failure").is_null()) out.failure = failure_from(j.at("failure"));
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

DualOutcome run_dual_isolated(const std::vector<Op>& ops, const EngineConfig& impl_config,
                              const EngineFactory& factory, unsigned timeout_s, bool exit_all) {
  void* mem =
      mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) throw std::runtime_error(std::string("mmap: ") + std::strerror(errno));
  auto* shared = static_cast<Shared*>(mem);
  shared->started = 0;
  shared->phase = 0;
  shared->exits[0] = '\0';
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
    // A Ctrl-C reaches the whole process group: this run ends by itself
    // (alarm), and its caller decides what a stop means.
    signal(SIGINT, SIG_IGN);
    alarm(timeout_s);
    // The runner is never destroyed: a mutated impl may crash in its
    // destructor, after the answer is known; _exit() skips it.
    auto* r = new DualRunner(impl_config, factory);
    r->set_phase_sink(&shared->phase);
    DualOutcome out;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      shared->started = i + 1;
      out.failure = r->step(ops[i]);
      if (out.failure) break;
    }
    out.model_coverage = r->model().coverage();
    if (!out.failure && exit_all) {
      // finish(), one exit at a time, so that a crash names its exit.
      const auto live = r->live_procs();
      std::size_t k = 0;
      for (const auto& name : live) {
        for (char c : name + "\n") {
          if (k + 1 < sizeof shared->exits) shared->exits[k++] = c;
        }
      }
      shared->exits[k] = '\0';
      for (const auto& name : live) {
        shared->started = ops.size() + out.epilogue.size() + 1;
        out.epilogue.push_back(op_exit(name));
        out.failure = r->step(out.epilogue.back());
        if (out.failure) break;
      }
    }
    out.stats = r->stats();
    const std::string line = encode(out);
    write_all(fds[1], line.data(), line.size());
    _exit(0);
  }
  close(fds[1]);
  std::string line;
  char buf[4096];
  for (;;) {
    const ssize_t n = retry_eintr([&] { return read(fds[0], buf, sizeof buf); });
    if (n <= 0) break;
    line.append(buf, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  retry_eintr([&] { return waitpid(pid, &status, 0); });
  const std::uint64_t started = shared->started;
  const std::uint32_t phase = shared->phase;
  std::vector<Op> exits;
  std::string name;
  for (std::size_t k = 0; k < sizeof shared->exits && shared->exits[k] != '\0'; ++k) {
    if (shared->exits[k] != '\n') {
      name += shared->exits[k];
    } else {
      exits.push_back(op_exit(name));
      name.clear();
    }
  }
  munmap(mem, sizeof(Shared));

  DualOutcome out;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && decode(line, out)) return out;
  out = DualOutcome{};
  // The child died: blame the op it was running.
  StepFailure f;
  f.kind = StepFailure::Kind::EngineFault;
  f.index = started > 0 ? static_cast<std::size_t>(started - 1) : 0;
  if (f.index < ops.size()) {
    f.op = ops[f.index];
  } else if (f.index - ops.size() < exits.size()) {  // in the epilogue
    out.epilogue.assign(exits.begin(),
                        exits.begin() + static_cast<std::ptrdiff_t>(f.index - ops.size() + 1));
    f.op = out.epilogue.back();
  }
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
  for (std::size_t i = 0; i <= f.index && i < ops.size(); ++i)
    ++out.stats.by_kind[static_cast<std::size_t>(ops[i].kind)];
  out.stats.by_kind[static_cast<std::size_t>(OpKind::Exit)] += out.epilogue.size();
  out.failure = std::move(f);
  return out;
}

}  // namespace rmapcheck::props
