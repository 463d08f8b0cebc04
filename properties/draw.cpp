// draw.cpp - draw_trace(), the Graphviz runner, and the campaign's
// counterexample pictures (see draw.h).
#include "properties/draw.h"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ostream>

#include "properties/harness.h"
#include "rmapcheck/file_io.h"
#include "rmapcheck/snapshot_dot.h"

namespace rmapcheck::props {

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string impl_label(const DrawRequest& req) {
  if (req.mutants.empty()) return "impl";
  return fmt::format("impl, mutant {}", joined(req.mutants));
}

// The engine's canonical state, or nullopt (with `note` saying why) when an
// engine that just faulted cannot even describe itself.
std::optional<Snapshot> safe_snapshot(const Engine& e, std::string& note) {
  try {
    return e.snapshot();
  } catch (const std::exception& ex) {
    note = std::string("no state: snapshot() threw: ") + ex.what();
    return std::nullopt;
  }
}

// "NAME after op K of N (line L): OP", and the failure that stopped it.
std::vector<std::string> title(const DrawRequest& req, std::size_t k, const std::string& result,
                               const std::string& failure) {
  const Trace& t = *req.trace;
  std::string head = fmt::format("{} after op {} of {}", req.name, k, t.lines.size());
  if (k == 0) {
    head += ": the initial state";
  } else {
    const TraceLine& l = t.lines[k - 1];
    if (l.line != 0) head += fmt::format(" (line {})", l.line);
    head += ": " + format_op(l.op);
    if (!result.empty()) head += "  => " + result;
  }
  std::vector<std::string> lines{head};
  if (!failure.empty()) lines.push_back("first failure: " + failure);
  return lines;
}

DrawOutcome draw_both(const DrawRequest& req, std::size_t want) {
  DrawOutcome out;
  DualRunner runner(req.impl, req.factory);
  std::optional<StepFailure> failure;
  std::size_t k = 0;
  while (k < want && !failure) failure = runner.step(req.trace->lines[k++].op);
  out.stopped_after = k;
  DotSide model{"model (the spec)", nullptr, {}}, impl{impl_label(req), nullptr, {}};
  std::string model_note, impl_note;
  std::optional<Snapshot> ms = safe_snapshot(runner.model(), model_note);
  std::optional<Snapshot> is = safe_snapshot(runner.impl(), impl_note);
  if (failure) {
    out.failure = failure->headline();
    if (failure->kind == StepFailure::Kind::ResultMismatch) {
      if (failure->results.size() == 2) {
        model.notes.push_back("returned " + format_result(failure->results[0]));
        impl.notes.push_back("returned " + format_result(failure->results[1]));
      }
    }
    if (failure->kind == StepFailure::Kind::EngineFault) {
      const std::string fault = "engine fault: " + failure->message;
      if (failure->engine != "impl") model.notes.push_back(fault);
      if (failure->engine != "model") impl.notes.push_back(fault);
    }
  }
  if (!model_note.empty()) model.notes.push_back(model_note);
  if (!impl_note.empty()) impl.notes.push_back(impl_note);
  model.state = ms ? &*ms : nullptr;
  impl.state = is ? &*is : nullptr;
  out.dot = snapshot_pair_dot(model, impl, title(req, k, "", out.failure));
  return out;
}

DrawOutcome draw_one(const DrawRequest& req, std::size_t want) {
  DrawOutcome out;
  const bool impl = req.engines == DrawEngines::Impl;
  std::unique_ptr<Engine> engine =
      req.factory(impl ? EngineKind::Impl : EngineKind::Model, impl ? req.impl : EngineConfig{});
  std::string result;
  std::size_t k = 0;
  while (k < want && out.failure.empty()) {
    const Op& op = req.trace->lines[k++].op;
    try {
      result = format_result(engine->apply(op));
    } catch (const std::exception& e) {
      result.clear();
      out.failure = fmt::format("op {} `{}`: engine fault: {}", k, format_op(op), e.what());
    }
  }
  out.stopped_after = k;
  DotSide side{impl ? impl_label(req) : "model", nullptr, {}};
  std::string note;
  std::optional<Snapshot> s = safe_snapshot(*engine, note);
  if (!note.empty()) side.notes.push_back(note);
  side.state = s ? &*s : nullptr;
  out.dot = snapshot_dot(side, title(req, k, result, out.failure));
  return out;
}

std::string read_all(int fd) {
  std::string text;
  char buf[8192];
  for (;;) {
    const ssize_t n = retry_eintr([&] { return read(fd, buf, sizeof buf); });
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

int wait_for(pid_t pid) {
  int status = 0;
  retry_eintr([&] { return waitpid(pid, &status, 0); });
  return status;
}

std::string status_text(int status) {
  if (WIFSIGNALED(status))
    return fmt::format("died of signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return fmt::format("exited with status {}", WEXITSTATUS(status));
}

// The picture of the counterexample, drawn in a child process so that a
// mutated impl that crashes or corrupts its heap cannot take the campaign
// down; a child that hangs is killed after 60 s.
bool draw_in_child(const CampaignOptions& opts, const Counterexample& cx, const std::string& name,
                   std::string& dot, std::string& error) {
  int fds[2];
  if (pipe(fds) != 0) {
    error = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  pid_t pid = fork();
  if (pid < 0) {
    error = std::string("fork: ") + std::strerror(errno);
    close(fds[0]);
    close(fds[1]);
    return false;
  }
  if (pid == 0) {
    close(fds[0]);
    signal(SIGALRM, SIG_DFL);
    alarm(60);
    // The file as written, so that the title's line numbers are the file's.
    ParseOutcome p = load_trace_file(cx.file);
    if (!p.trace) _exit(3);
    DrawRequest req;
    req.trace = &*p.trace;
    req.engines = DrawEngines::Both;
    req.impl = opts.prop.impl;
    req.factory = opts.prop.factory;
    if (opts.mutant) req.mutants.emplace_back(mutant_info(*opts.mutant).name);
    req.name = name;
    // The runner and its engines are never destroyed: _exit() skips them.
    const std::string text = draw_trace(req).dot;
    _exit(write_all(fds[1], text.data(), text.size()) ? 0 : 4);
  }
  close(fds[1]);
  dot = read_all(fds[0]);
  close(fds[0]);
  const int status = wait_for(pid);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  error = WIFEXITED(status) && WEXITSTATUS(status) == 3
              ? "the counterexample trace does not read back"
              : "the replay that draws it " + status_text(status);
  return false;
}

}  // namespace

DrawOutcome draw_trace(const DrawRequest& req) {
  const std::size_t n = req.trace->lines.size();
  const std::size_t want = std::min(req.step.value_or(n), n);
  return req.engines == DrawEngines::Both ? draw_both(req, want) : draw_one(req, want);
}

std::string find_dot() {
  const char* env = std::getenv("PATH");
  const std::string path = env != nullptr ? env : "/usr/local/bin:/usr/bin:/bin";
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t colon = path.find(':', pos);
    if (colon == std::string::npos) colon = path.size();
    std::string dir = path.substr(pos, colon - pos);
    if (dir.empty()) dir = ".";
    const std::string exe = dir + "/dot";
    struct stat st {};
    if (stat(exe.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(exe.c_str(), X_OK) == 0)
      return exe;
    pos = colon + 1;
  }
  return "";
}

bool render_svg(const std::string& dot_exe, const std::string& dot, std::string& svg,
                std::string& error) {
  int in[2], out[2], err[2];
  if (pipe(in) != 0) {
    error = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  if (pipe(out) != 0 || pipe(err) != 0) {
    error = std::string("pipe: ") + std::strerror(errno);
    close(in[0]);
    close(in[1]);
    return false;
  }
  // dot may stop reading early (a syntax error): a write then fails with
  // EPIPE instead of killing us.
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, &old);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    signal(SIGPIPE, SIG_DFL);
    execl(dot_exe.c_str(), "dot", "-Tsvg", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (pid < 0) {
    error = std::string("fork: ") + std::strerror(errno);
    for (int fd : {in[1], out[0], err[0]}) close(fd);
    sigaction(SIGPIPE, &old, nullptr);
    return false;
  }
  // Feed stdin while draining stdout and stderr, so that neither side blocks.
  std::string messages;
  svg.clear();
  std::size_t sent = 0;
  int to_dot = in[1];
  if (dot.empty()) {
    close(to_dot);
    to_dot = -1;
  }
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    pollfd p[3];
    nfds_t n = 0;
    int out_i = -1, err_i = -1, in_i = -1;
    if (out_open) out_i = static_cast<int>(n), p[n++] = {out[0], POLLIN, 0};
    if (err_open) err_i = static_cast<int>(n), p[n++] = {err[0], POLLIN, 0};
    if (to_dot >= 0) in_i = static_cast<int>(n), p[n++] = {to_dot, POLLOUT, 0};
    if (retry_eintr([&] { return poll(p, n, -1); }) < 0) break;
    char buf[8192];
    auto drain = [&](int i, int fd, std::string& into, bool& open) {
      if (i < 0 || p[i].revents == 0) return;
      const ssize_t r = retry_eintr([&] { return read(fd, buf, sizeof buf); });
      if (r <= 0) {
        open = false;
        return;
      }
      into.append(buf, static_cast<std::size_t>(r));
    };
    drain(out_i, out[0], svg, out_open);
    drain(err_i, err[0], messages, err_open);
    if (in_i >= 0 && p[in_i].revents != 0) {
      const ssize_t w =
          retry_eintr([&] { return write(to_dot, dot.data() + sent, dot.size() - sent); });
      if (w > 0) sent += static_cast<std::size_t>(w);
      if (w < 0 || sent == dot.size()) {
        close(to_dot);
        to_dot = -1;
      }
    }
  }
  if (to_dot >= 0) close(to_dot);
  close(out[0]);
  close(err[0]);
  const int status = wait_for(pid);
  sigaction(SIGPIPE, &old, nullptr);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && sent == dot.size()) return true;
  std::string first = messages.substr(0, messages.find('\n'));
  error = WIFEXITED(status) && WEXITSTATUS(status) == 127
              ? dot_exe + ": cannot run it"
              : dot_exe + " -Tsvg " + status_text(status) + (first.empty() ? "" : ": " + first);
  return false;
}

void save_counterexample_picture(const CampaignOptions& opts, const Counterexample& cx,
                                 std::ostream& log) {
  if (cx.file.empty()) return;
  std::string stem = cx.file;
  if (stem.size() > 6 && stem.compare(stem.size() - 6, 6, ".trace") == 0)
    stem.resize(stem.size() - 6);
  const std::string name = cx.file.substr(cx.file.rfind('/') + 1);
  std::string dot, error;
  if (!draw_in_child(opts, cx, name, dot, error) || !write_file_atomic(stem + ".dot", dot, error)) {
    log << "rmapcheck campaign: no picture of the counterexample: " << error << "\n";
    return;
  }
  const std::string exe = find_dot();
  std::string svg;
  if (exe.empty()) {
    log << "picture written to " << stem << ".dot (no .svg: Graphviz's dot is not installed)\n";
  } else if (!render_svg(exe, dot, svg, error) || !write_file_atomic(stem + ".svg", svg, error)) {
    log << "picture written to " << stem << ".dot (no .svg: " << error << ")\n";
  } else {
    log << "picture written to " << stem << ".dot and " << stem << ".svg\n";
  }
}

}  // namespace rmapcheck::props
