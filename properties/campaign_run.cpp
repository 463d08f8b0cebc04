// campaign_run.cpp - the case loop and the worker processes; progress goes to the shared
// reporter (rmapcheck/progress.h).
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
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

json cx_json(const Counterexample& c) {
  return json{{"case_index", c.case_index},
              {"case_seed", c.case_seed},
              {"trace", c.trace},
              {"length", c.length},
              {"original_length", c.original_length},
              {"failure_kind", c.failure_kind},
              {"failure_op", c.failure_op},
              {"headline", c.headline},
              {"details", c.details},
              {"reproduce", c.reproduce},
              {"seconds_to_failure", c.seconds_to_failure}};
}

Counterexample cx_from(const json& j) {
  Counterexample c;
  c.case_index = j.at("case_index").get<std::uint64_t>();
  c.case_seed = j.at("case_seed").get<std::uint64_t>();
  c.trace = j.at("trace").get<std::string>();
  c.length = j.at("length").get<std::size_t>();
  c.original_length = j.at("original_length").get<std::size_t>();
  c.failure_kind = j.at("failure_kind").get<std::string>();
  c.failure_op = j.at("failure_op").get<std::size_t>();
  c.headline = j.at("headline").get<std::string>();
  c.details = j.at("details").get<std::string>();
  c.reproduce = j.at("reproduce").get<std::string>();
  c.seconds_to_failure = j.at("seconds_to_failure").get<double>();
  return c;
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

// The cases of worker w of J in this shard, in order, until the count or
// the time runs out, a stop is requested, or (by default) a case fails.
WorkerResult run_worker(const CampaignOptions& o, std::uint64_t w, std::uint64_t jobs,
                        Clock::time_point start,
                        const std::function<void(const CampaignTotals&, bool)>& progress) {
  WorkerResult r;
  for (std::uint64_t k = w;; k += jobs) {
    const std::uint64_t i = o.shard.index + o.shard.count * k;
    if (o.cases ? i >= *o.cases : since(start) >= o.seconds) break;
    if (stop_requested()) {
      r.interrupted = true;
      break;
    }
    CaseOutcome c = run_case(o.prop, mix_seed(o.seed, i));
    r.totals.add(c);
    if (c.failed && (!r.cx || i < r.cx->case_index)) r.cx = make_cx(i, c, start);
    progress(r.totals, false);
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

bool write_all(int fd, const std::string& s) {
  const char* p = s.data();
  std::size_t left = s.size();
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
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
      close(fds[0]);
      for (std::uint64_t v = 0; v < w; ++v) close(kids[v].fd);
      auto last = Clock::now();
      auto send = [&](const CampaignTotals& t, bool force) {
        if (!force && since(last) < 0.2) return;
        last = Clock::now();
        write_all(fds[1], fmt::format("P {} {}\n", t.cases, t.ops));
      };
      WorkerResult r = run_worker(o, w, jobs, start, send);
      json j{{"totals", totals_json(r.totals)}, {"interrupted", r.interrupted}};
      if (r.cx) j["cx"] = cx_json(*r.cx);
      write_all(fds[1], "R " + j.dump() + "\n");
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
    int n = poll(pfds.data(), pfds.size(), 250);
    if (n < 0 && errno != EINTR) break;
    for (std::size_t i = 0; i < pfds.size() && n > 0; ++i) {
      if (pfds[i].revents == 0) continue;
      Child& k = *owners[i];
      char chunk[65536];
      ssize_t got = read(k.fd, chunk, sizeof chunk);
      if (got < 0 && errno == EINTR) continue;
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
          if (j.contains("cx")) r.cx = cx_from(j.at("cx"));
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
    while (waitpid(k.pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!k.result) {
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
      log << fmt::format("           (RapidCheck: RC_PARAMS=\"reproduce={}\")\n", cx.reproduce);
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
