// campaign_run.cpp - the case loop and the worker processes; progress goes to the shared
// reporter (rmapcheck/progress.h).
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <ostream>

#include "properties/campaign.h"
#include "properties/campaign_export.h"
#include "properties/draw.h"
#include "rmapcheck/progress.h"

namespace rmapcheck::props {

using Clock = std::chrono::steady_clock;
using json = nlohmann::ordered_json;

namespace {

double since(Clock::time_point t0, Clock::time_point t1 = Clock::now()) {
  return std::chrono::duration<double>(t1 - t0).count();
}

struct WorkerResult {
  CampaignTotals totals;
  std::optional<Counterexample> cx;
  bool interrupted = false;
};

json totals_json(const CampaignTotals& t) {
  return json{{"cases", t.cases},
              {"ops", t.ops},
              {"by_kind", t.by_kind},
              {"branch", t.coverage.branch},
              {"alloc_failed", t.coverage.alloc_failed}};
}

CampaignTotals totals_from(const json& j) {
  CampaignTotals t;
  t.cases = j.at("cases").get<std::uint64_t>();
  t.ops = j.at("ops").get<std::uint64_t>();
  t.by_kind = j.at("by_kind").get<decltype(t.by_kind)>();
  t.coverage.branch = j.at("branch").get<decltype(t.coverage.branch)>();
  t.coverage.alloc_failed = j.at("alloc_failed").get<decltype(t.coverage.alloc_failed)>();
  return t;
}

Counterexample make_cx(std::uint64_t index, const CaseOutcome& c, Clock::time_point start) {
  Counterexample x;
  x.case_index = index;
  x.case_seed = c.seed;
  x.trace = print_trace(c.shrunk);
  x.length = c.shrunk.lines.size();
  x.original_length = c.original_length;
  x.reproduce = c.reproduce;
  x.seconds_to_failure = since(start, c.found_at);
  if (c.failure) {
    x.failure_kind = c.failure->kind_name();
    x.failure_op = c.failure->index + 1;
    x.headline = c.failure->headline();
    x.details = c.failure->describe();
  } else {
    x.failure_kind = "rapidcheck";
    x.headline = c.rc_message;
    x.details = c.rc_message + "\n";
  }
  return x;
}

// One case's figures on the batch pipe: "C ops by_kind... branch... alloc_failed...".
std::string case_line(const CaseOutcome& c) {
  std::string s = fmt::format("C {}", c.stats.ops);
  for (auto v : c.stats.by_kind) s += fmt::format(" {}", v);
  for (auto v : c.model_coverage.branch) s += fmt::format(" {}", v);
  for (auto v : c.model_coverage.alloc_failed) s += fmt::format(" {}", v);
  return s + "\n";
}

CaseOutcome case_from_line(const std::string& line) {
  CaseOutcome c;
  const char* p = line.c_str() + 1;
  char* end = nullptr;
  auto next = [&] {
    const auto v = std::strtoull(p, &end, 10);
    p = end;
    return v;
  };
  c.stats.ops = next();
  for (auto& v : c.stats.by_kind) v = next();
  for (auto& v : c.model_coverage.branch) v = next();
  for (auto& v : c.model_coverage.alloc_failed) v = next();
  return c;
}

// A batch process: cases k, k + step, ... run here, in this process, one
// after the other, each with fresh engines (the checker's every check after
// every op). Each passing case sends its figures; the first failing case
// sends "F" and ends the batch, so that the case is re-run alone and shrunk
// where its engines cannot hurt anyone; "E" says the batch ran out of cases
// (count, time, or a stop request). A crash or a hang (SIGALRM after
// `kCaseTimeout` seconds of one case) ends the batch with no line for the
// case that was running.
constexpr unsigned kCaseTimeout = 60;

[[noreturn]] void run_batch(const CampaignOptions& o, std::uint64_t k, std::uint64_t step,
                            Clock::time_point start, int fd) {
  signal(SIGALRM, SIG_DFL);
  install_worker_stop_handlers();
  PropertyConfig pc = o.prop;
  pc.isolate = false;
  for (;; k += step) {
    const std::uint64_t i = o.shard.index + o.shard.count * k;
    if ((o.cases ? i >= *o.cases : since(start) >= o.seconds) || stop_requested()) {
      write_all(fd, "E\n", 2);
      _exit(0);
    }
    alarm(kCaseTimeout);
    CaseOutcome c = run_case(pc, mix_seed(o.seed, i), false);
    alarm(0);
    const std::string line = c.failed ? std::string("F\n") : case_line(c);
    if (!write_all(fd, line.data(), line.size()) || c.failed) _exit(0);
  }
}

// The cases of worker w of J in this shard, in order, until the count or
// the time runs out, a stop is requested, or (by default) a case fails.
// They run in batch processes (run_batch): one process for many cases, and a
// fresh one after each case that failed or crashed the last. That case is
// run once more, alone, in its own processes (run_case: every run of the
// case and of its shrink candidates isolated), and shrunk.
WorkerResult run_worker(const CampaignOptions& o, std::uint64_t w, std::uint64_t jobs,
                        Clock::time_point start,
                        const std::function<void(const CampaignTotals&, bool)>& progress) {
  WorkerResult r;
  for (std::uint64_t k = w;;) {
    if (o.cases ? o.shard.index + o.shard.count * k >= *o.cases : since(start) >= o.seconds) break;
    if (stop_requested()) {
      r.interrupted = true;
      break;
    }
    bool batch_ended = false;
    if (o.prop.isolate) {
      int fds[2];
      if (pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
      const pid_t pid = fork();
      if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
      if (pid == 0) {
        close(fds[0]);
        run_batch(o, k, jobs, start, fds[1]);
      }
      close(fds[1]);
      std::string buf;
      bool forwarded = false;
      for (;;) {
        // A stop request that reached this process only (the campaign
        // tells its workers with SIGTERM) goes on to the batch, which ends
        // after its current case.
        if (stop_requested() && !forwarded) {
          kill(pid, SIGTERM);
          forwarded = true;
        }
        pollfd pfd{fds[0], POLLIN, 0};
        if (retry_eintr([&] { return poll(&pfd, 1, 100); }) == 0) continue;
        char chunk[65536];
        const ssize_t got = retry_eintr([&] { return read(fds[0], chunk, sizeof chunk); });
        if (got <= 0) break;
        buf.append(chunk, static_cast<std::size_t>(got));
        std::size_t pos = 0, nl;
        while ((nl = buf.find('\n', pos)) != std::string::npos) {
          if (buf[pos] == 'C') {
            r.totals.add(case_from_line(buf.substr(pos, nl - pos)));
            k += jobs;
            progress(r.totals, false);
          } else if (buf[pos] == 'E') {
            batch_ended = true;
          }
          pos = nl + 1;
        }
        buf.erase(0, pos);
      }
      close(fds[0]);
      int status = 0;
      retry_eintr([&] { return waitpid(pid, &status, 0); });
    }
    if (batch_ended) continue;  // the loop's head says why
    if (stop_requested()) {
      r.interrupted = true;
      break;
    }
    // Case k failed or crashed its batch (or there are no batches): alone.
    const std::uint64_t i = o.shard.index + o.shard.count * k;
    CaseOutcome c = run_case(o.prop, mix_seed(o.seed, i));
    r.totals.add(c);
    if (c.failed && (!r.cx || i < r.cx->case_index)) r.cx = make_cx(i, c, start);
    progress(r.totals, false);
    k += jobs;
    if (c.failed && o.stop_at_first_failure) break;
  }
  return r;
}

// The campaign's figures for the shared progress reporter (progress.h).
ProgressConfig progress_config(const CampaignOptions& o) {
  ProgressConfig c;
  c.label = "campaign";
  c.unit = "cases";
  if (o.cases) {
    c.total = *o.cases > o.shard.index
                  ? (*o.cases - o.shard.index + o.shard.count - 1) / o.shard.count
                  : 0;
  } else {
    c.seconds = o.seconds;
  }
  c.final_line = true;  // one line at the end, however short the run
  c.style = o.quiet          ? ProgressStyle::Off
            : o.progress_bar ? ProgressStyle::Bar
                             : ProgressStyle::Lines;
  return c;
}

// Worker processes, one pipe each: "P cases ops" progress lines, then one
// "R {json}" result line.
WorkerResult run_workers(const CampaignOptions& o, Clock::time_point start,
                         const std::function<void(const CampaignTotals&, bool)>& progress,
                         std::string& error) {
  const auto jobs = static_cast<std::uint64_t>(o.jobs);
  struct Child {
    pid_t pid = -1;
    int fd = -1;
    std::string buf;
    CampaignTotals seen;
    std::optional<WorkerResult> result;
  };
  std::vector<Child> kids(jobs);
  for (std::uint64_t w = 0; w < jobs; ++w) {
    int fds[2];
    if (pipe(fds) != 0) {
      error = std::string("pipe: ") + std::strerror(errno);
      break;
    }
    pid_t pid = fork();
    if (pid < 0) {
      error = std::string("fork: ") + std::strerror(errno);
      close(fds[0]);
      close(fds[1]);
      break;
    }
    if (pid == 0) {
      install_worker_stop_handlers();
      close(fds[0]);
      for (std::uint64_t v = 0; v < w; ++v) close(kids[v].fd);
      auto last = Clock::now();
      auto send = [&](const CampaignTotals& t, bool force) {
        if (!force && since(last) < 0.2) return;
        last = Clock::now();
        const std::string line = fmt::format("P {} {}\n", t.cases, t.ops);
        write_all(fds[1], line.data(), line.size());
      };
      WorkerResult r = run_worker(o, w, jobs, start, send);
      json j{{"totals", totals_json(r.totals)}, {"interrupted", r.interrupted}};
      if (r.cx) j["cx"] = counterexample_json(*r.cx, true);
      const std::string line = "R " + j.dump() + "\n";
      write_all(fds[1], line.data(), line.size());
      close(fds[1]);
      _exit(0);
    }
    close(fds[1]);
    kids[w].pid = pid;
    kids[w].fd = fds[0];
  }
  bool told_to_stop = false;
  auto stop_all = [&] {
    if (told_to_stop) return;
    told_to_stop = true;
    for (auto& k : kids) {
      if (k.pid > 0) kill(k.pid, SIGTERM);
    }
  };
  if (!error.empty()) stop_all();
  for (;;) {
    std::vector<pollfd> pfds;
    std::vector<Child*> owners;
    for (auto& k : kids) {
      if (k.fd >= 0) {
        pfds.push_back({k.fd, POLLIN, 0});
        owners.push_back(&k);
      }
    }
    if (pfds.empty()) break;
    if (stop_requested()) stop_all();
    int n = retry_eintr([&] { return poll(pfds.data(), pfds.size(), 250); });
    if (n < 0) break;
    for (std::size_t i = 0; i < pfds.size() && n > 0; ++i) {
      if (pfds[i].revents == 0) continue;
      Child& k = *owners[i];
      char chunk[65536];
      const ssize_t got = retry_eintr([&] { return read(k.fd, chunk, sizeof chunk); });
      if (got <= 0) {
        close(k.fd);
        k.fd = -1;
        continue;
      }
      k.buf.append(chunk, static_cast<std::size_t>(got));
      std::size_t nl;
      while ((nl = k.buf.find('\n')) != std::string::npos) {
        std::string line = k.buf.substr(0, nl);
        k.buf.erase(0, nl + 1);
        if (line.rfind("P ", 0) == 0) {
          std::sscanf(line.c_str() + 2, "%lu %lu", &k.seen.cases, &k.seen.ops);
        } else if (line.rfind("R ", 0) == 0) {
          json j = json::parse(line.substr(2));
          WorkerResult r;
          r.totals = totals_from(j.at("totals"));
          r.interrupted = j.at("interrupted").get<bool>();
          if (j.contains("cx")) r.cx = counterexample_from_json(j.at("cx"));
          k.seen = r.totals;
          if (r.cx && o.stop_at_first_failure) stop_all();
          k.result = std::move(r);
        }
      }
    }
    CampaignTotals sum;
    for (const auto& k : kids) sum += k.seen;
    progress(sum, false);
  }
  WorkerResult all;
  for (auto& k : kids) {
    if (k.pid <= 0) continue;
    int status = 0;
    retry_eintr([&] { return waitpid(k.pid, &status, 0); });
    if (!k.result) {
      // Stopped: the report says what the other workers did.
      if (stop_requested()) continue;
      if (error.empty()) {
        error = WIFSIGNALED(status) ? fmt::format("worker {} died of signal {} ({})", k.pid,
                                                  WTERMSIG(status), strsignal(WTERMSIG(status)))
                                    : fmt::format("worker {} exited with status {} and no result",
                                                  k.pid, WEXITSTATUS(status));
      }
      continue;
    }
    all.totals += k.result->totals;
    if (k.result->interrupted && !(told_to_stop && !stop_requested())) all.interrupted = true;
    if (k.result->cx && (!all.cx || k.result->cx->case_index < all.cx->case_index))
      all.cx = k.result->cx;
  }
  if (stop_requested()) all.interrupted = true;
  return all;
}

std::string indent(const std::string& text, const std::string& pad) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    out += pad + line + "\n";
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return out;
}

// A counterexample found under --mutant fails only with the mutant on: the
// replay command must switch it on too.
std::string replay_mutant_flag(const CampaignOptions& opts) {
  return opts.mutant ? " --mutant " + std::string(mutant_info(*opts.mutant).name) : "";
}

}  // namespace

std::string counterexample_text(const CampaignOptions& opts, const Counterexample& cx) {
  std::string s = "# rmapcheck campaign counterexample\n";
  s += fmt::format("# seed {} case {} (case seed {:#x}); {} ops shrunk to {}\n", opts.seed,
                   cx.case_index, cx.case_seed, cx.original_length, cx.length);
  if (opts.mutant) s += fmt::format("# impl mutant: {}\n", mutant_info(*opts.mutant).name);
  s += indent(cx.headline, "# first failure: ");
  if (!cx.reproduce.empty()) {
    s += fmt::format("# reproduce: rmapcheck campaign {} --reproduce '{}'\n", opts.command_line,
                     cx.reproduce);
  }
  s += "# replay:    rmapcheck replay THIS_FILE --engine both" + replay_mutant_flag(opts) + "\n";
  s += cx.trace;
  return s;
}

CampaignResult run_campaign(const CampaignOptions& opts, std::ostream& log) {
  CampaignResult res;
  const auto start = Clock::now();
  Progress progress(progress_config(opts), start);
  auto report = [&](const CampaignTotals& t, bool force) {
    progress.update(t.cases, t.ops, force);
    if (opts.on_progress) opts.on_progress(t.cases, t.ops);
  };
  WorkerResult wr;
  std::string error;
  if (opts.jobs <= 1) {
    wr = run_worker(opts, 0, 1, start, report);
  } else {
    wr = run_workers(opts, start, report, error);
  }
  report(wr.totals, false);
  progress.finish();
  if (!error.empty()) throw std::runtime_error(error);
  res.totals = wr.totals;
  res.interrupted = wr.interrupted;
  res.counterexample = wr.cx;
  res.seconds = since(start);
  if (res.counterexample) {
    auto& cx = *res.counterexample;
    if (!opts.out_dir.empty()) {
      std::string path =
          fmt::format("{}/counterexample-{}-{}.trace", opts.out_dir, opts.seed, cx.case_index);
      std::string werr;
      if (write_file_atomic(path, counterexample_text(opts, cx), werr)) {
        cx.file = path;
      } else {
        log << "rmapcheck campaign: cannot write the counterexample: " << werr << "\n";
      }
    }
    log << fmt::format("\nCOUNTEREXAMPLE: case {} (case seed {:#x}), {} ops shrunk to {}\n",
                       cx.case_index, cx.case_seed, cx.original_length, cx.length);
    log << indent(cx.trace, "    ");
    log << "first failure: " << cx.details;
    if (!cx.reproduce.empty()) {
      log << fmt::format("reproduce: rmapcheck campaign {} --reproduce '{}'\n", opts.command_line,
                         cx.reproduce);
    }
    if (!cx.file.empty()) {
      log << "trace written to " << cx.file << "; replay: rmapcheck replay " << cx.file
          << " --engine both" << replay_mutant_flag(opts) << "\n";
      write_counterexample_c(cx.file, log);
      save_counterexample_picture(opts, cx, log);  // NAME.dot (and .svg) beside NAME.trace
    }
  }
  return res;
}

}  // namespace rmapcheck::props
