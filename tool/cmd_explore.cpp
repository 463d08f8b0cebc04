// cmd_explore.cpp - `rmapcheck explore`: every op sequence within bounds,
// breadth-first, each transition checked by the one checker; either the
// bound is clean or the shortest counterexample (docs/guide/explore.md).
//
// Exit status: 0 COMPLETE (every sequence within the bounds checked, no
// violation), 1 counterexample, 2 usage error (before any work), 4
// INCOMPLETE (--time, --max-states or --max-memory reached first), 130
// interrupted (SIGINT/SIGTERM; the report is written first). With --kernel:
// 1 also when the live kernel disagrees, 3 when the oracle's machinery
// failed, 77 when this machine cannot run the oracle (not root, ...).
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "campaign_cli.h"
#include "command.h"
#include "options.h"
#include "oracle/oracle.h"
#include "properties/campaign.h"
#include "properties/campaign_export.h"
#include "properties/explore.h"
#include "properties/explore_shard.h"
#include "rmapcheck/file_io.h"
#include "rmapcheck/trace.h"

namespace rmapcheck::tool {
namespace explore_cmd {
namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

struct Opts {
  std::uint64_t pages = 2, procs = 2, depth = 3, values = 2, fail_nth = 1, threads = 1;
  std::optional<std::uint64_t> max_forks, max_states, max_memory_mb;
  std::string ops = "all", prots = "all", store = "fp64", mutant;
  std::optional<double> seconds;
  std::string out = "rmapcheck-out";
  bool kernel = false;
  std::string shard;
  std::string command_line;
};

int fail_usage(const std::string& msg) {
  std::cerr << "rmapcheck explore: " << msg << "\n";
  return 2;
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream ss(list);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

// The values a comma-separated list names, each once, in order; the first
// name that is none of them, if any.
template <class T, class FromName>
std::optional<std::string> parse_names(const std::string& list, FromName from_name,
                                       std::vector<T>& out) {
  for (const std::string& name : split(list)) {
    auto v = from_name(name);
    if (!v) return name;
    if (std::find(out.begin(), out.end(), *v) == out.end()) out.push_back(*v);
  }
  return std::nullopt;
}

// kB of memory the machine has (MemTotal) and can spare now (MemAvailable).
std::pair<std::uint64_t, std::uint64_t> machine_memory() {
  std::ifstream in("/proc/meminfo");
  std::uint64_t total = 0, avail = 0;
  for (std::string key; in >> key;) {
    std::uint64_t v = 0;
    in >> v;
    if (key == "MemTotal:") total = v * 1024;
    if (key == "MemAvailable:") avail = v * 1024;
    in.ignore(1 << 10, '\n');
  }
  return {total, avail};
}

// The report's head: what ran (the per-depth log follows it).
std::string report_head(const props::ExploreConfig& cfg) {
  std::string s = "# rmapcheck explore report\n";
  s += "command: rmapcheck explore" + cfg.command_line + "\n";
  if (!cfg.mutant_name.empty()) s += "impl mutant: " + cfg.mutant_name + "\n";
  return s;
}

// The report's end, after the log: the verdict and what goes with it.
std::string report_tail(const props::ExploreConfig& cfg, const props::ExploreResult& r) {
  std::string s;
  s += props::completeness_line(r, cfg) + "\n";
  if (r.verdict != props::ExploreResult::Verdict::Counterexample &&
      cfg.store != props::StoreKind::Exact)
    s +=
        fmt::format("probability that a state was missed (fingerprint collision): at most {:.2g}\n",
                    r.omission_probability);
  if (r.failure) {
    s += "counterexample:\n";
    for (const Op& op : r.trace) s += "    " + format_op(op) + "\n";
    s += "first failure: " + r.failure->describe();
    if (!r.trace_path.empty()) s += "trace written to " + r.trace_path + "\n";
  }
  s += fmt::format("time: {:.1f} s\n", r.seconds);
  return s;
}

std::string counterexample_text(const props::ExploreConfig& cfg, const props::ExploreResult& r) {
  std::string s = "# rmapcheck explore counterexample: shortest within the bounds\n";
  s += "# bounds: " + props::bounds_text(cfg.bounds) + "\n";
  s += "# command: rmapcheck explore" + cfg.command_line + "\n";
  if (!cfg.mutant_name.empty()) s += "# impl mutant: " + cfg.mutant_name + "\n";
  s += "# first failure: " + r.failure->headline() + "\n";
  s += "# replay:    rmapcheck replay THIS_FILE --engine both" +
       (cfg.mutant_name.empty() ? std::string() : " --mutant " + cfg.mutant_name) + "\n";
  for (const Op& op : r.trace) s += format_op(op) + "\n";
  return s;
}

// explore --kernel: every distinct state's first path, through the leaves
// of the search tree, replayed on the live kernel by the oracle (the
// checker's kernel lane beside the model). Returns the exit status.
int replay_on_kernel(const props::ExploreConfig& cfg, const props::ExploreResult& r,
                     const std::string& out, std::string& summary) {
  oracle::OracleOptions opt;
  oracle::Oracle o(opt);
  for (const std::string& l : o.limits()) std::cout << "not compared here: " << l << "\n";
  std::size_t agree = 0, ops = 0, k = 0;
  for (const std::vector<Op>& path : r.leaf_paths) {
    ++k;
    Trace t;
    t.file = "<explore path " + std::to_string(k) + ">";
    for (const Op& op : path) t.lines.push_back(TraceLine{op, std::nullopt, 0});
    oracle::TraceVerdict v = o.run(t);
    ops += v.ops_compared;
    if (v.status == oracle::TraceVerdict::Status::Agree) {
      ++agree;
      continue;
    }
    std::string err;
    const std::string path_file = out + "/explore-kernel-divergence.trace";
    std::string text = "# rmapcheck explore --kernel: the live kernel and the model differ\n";
    text += "# replay:    rmapcheck oracle THIS_FILE\n" + print_trace(t);
    if (!write_file_atomic(path_file, text, err)) std::cerr << "rmapcheck explore: " << err << "\n";
    summary = fmt::format("explore --kernel: {} on path {} of {} ({}):\n{}trace written to {}\n",
                          oracle::verdict_name(v.status), k, r.leaf_paths.size(),
                          props::bounds_text(cfg.bounds), v.report, path_file);
    return v.status == oracle::TraceVerdict::Status::Diverge ? 1 : 3;
  }
  summary = fmt::format(
      "explore --kernel: AGREE: the model agrees with Linux on all {} distinct states reachable in "
      "<= "
      "{} ops ({}): {} paths through them replayed, {} ops compared on the live kernel\n",
      props::thousands(r.states), r.depth_done, props::bounds_text(cfg.bounds),
      props::thousands(agree), props::thousands(ops));
  return 0;
}

int run(const Opts& o) {
  props::ExploreConfig cfg;
  cfg.command_line = o.command_line;
  auto& b = cfg.bounds;
  b.pages = o.pages;
  b.procs = static_cast<int>(o.procs);
  b.depth = static_cast<int>(o.depth);
  b.values = static_cast<int>(o.values);
  b.fail_nth = static_cast<std::uint32_t>(o.fail_nth);
  b.max_forks = o.max_forks ? static_cast<int>(*o.max_forks) : -1;
  if (o.ops == "all") {
    for (int k = 0; k < kOpKindCount; ++k) b.ops.push_back(static_cast<OpKind>(k));
  } else {
    b.all_ops = false;
    if (auto bad = parse_names(o.ops, op_kind_from_name, b.ops))
      return fail_usage("--ops: unknown op '" + *bad +
                        "' (mmap, munmap, mprotect, madvise, mremap, read, write, fork, exit, "
                        "rmap, failalloc; or all)");
    if (b.ops.empty() || (b.ops.size() == 1 && b.ops[0] == OpKind::FailAlloc))
      return fail_usage("--ops '" + o.ops +
                        "' names no op to explore (failalloc only arms the others)");
  }
  if (o.prots == "all") {
    b.prots = {Prot::None, Prot::R, Prot::RW, Prot::RX, Prot::RWX};
  } else {
    b.all_prots = false;
    if (auto bad = parse_names(o.prots, prot_from_name, b.prots))
      return fail_usage("--prots: unknown protection '" + *bad +
                        "' (none, r, rw, rx, rwx; or all)");
    if (b.prots.empty()) return fail_usage("--prots '" + o.prots + "' names no protection");
  }
  if (o.store == "fp64") {
    cfg.store = props::StoreKind::Fp64;
  } else if (o.store == "fp128") {
    cfg.store = props::StoreKind::Fp128;
  } else if (o.store == "exact") {
    cfg.store = props::StoreKind::Exact;
  } else {
    return fail_usage("--store '" + o.store + "' is not fp64, fp128 or exact");
  }
  {
    // --shard, else the cluster's array variables (as for the campaign).
    std::string error;
    auto spec = o.shard.empty() ? props::shard_from_env(error) : props::parse_shard(o.shard, error);
    if (!error.empty()) return fail_usage(error);
    if (!spec) spec = props::ShardSpec{};
    if (spec->count > 1024) return fail_usage("--shard: at most 1024 shards");
    if (spec->count > 1 && cfg.store == props::StoreKind::Exact)
      return fail_usage(
          "--shard merges states by fingerprint: give --store fp64 or fp128, not exact");
    if (o.kernel && spec->count > 1) return fail_usage("--kernel runs unsharded");
    cfg.shard_index = static_cast<std::uint32_t>(spec->index);
    cfg.shard_count = static_cast<std::uint32_t>(spec->count);
  }
  if (o.kernel) {
    if (std::find(b.ops.begin(), b.ops.end(), OpKind::FailAlloc) != b.ops.end())
      return fail_usage(
          "--kernel: the live kernel cannot fail one chosen allocation; give --ops without "
          "failalloc");
    if (!o.mutant.empty()) return fail_usage("--kernel compares the model with Linux: no --mutant");
    if (std::string env = oracle::check_environment(); !env.empty()) {
      std::cerr << "rmapcheck explore: --kernel cannot run here: " << env << "\n";
      return 77;
    }
    cfg.keep_leaf_paths = true;
  }
  if (!o.mutant.empty()) {
    auto m = mutant_from_name(o.mutant);
    if (!m) return fail_usage("unknown mutant '" + o.mutant + "' (see `rmapcheck mutants --list`)");
    cfg.mutants = MutantSet::of(*m);
    cfg.mutant_name = o.mutant;
  }
  cfg.threads = static_cast<int>(o.threads);
  cfg.time_limit = o.seconds.value_or(0);
  // Memory: by default half of what the machine can spare now.
  const auto [total, avail] = machine_memory();
  if (o.max_memory_mb) {
    cfg.max_memory = *o.max_memory_mb * kMiB;
    if (total > 0 && cfg.max_memory > total)
      return fail_usage(fmt::format("--max-memory {} MiB is more than the machine has ({} MiB)",
                                    *o.max_memory_mb, total / kMiB));
  } else {
    cfg.max_memory = avail > 0 ? avail / 2 : 1024 * kMiB;
  }
  // The trail numbers states in 32 bits.
  const std::uint64_t cap = UINT32_MAX - 1;
  if (o.max_states) {
    const std::uint64_t need = *o.max_states * props::bytes_per_state(cfg.store);
    if (need > cfg.max_memory)
      return fail_usage(fmt::format(
          "--max-states {} needs up to {} MiB for the state store and the trail ({} bytes a "
          "state), more than --max-memory allows ({} MiB)",
          *o.max_states, need / kMiB, props::bytes_per_state(cfg.store), cfg.max_memory / kMiB));
    cfg.max_states = *o.max_states;
  } else {
    cfg.max_states = std::min(cap, cfg.max_memory / props::bytes_per_state(cfg.store));
  }
  cfg.out_dir = o.out;
  if (auto e = probe_out_dir("--out", o.out); !e.empty()) return fail_usage(e);
  if (auto e = ensure_dir(o.out); !e.empty()) return fail_usage("--out " + e);

  props::install_stop_handlers();
  cfg.interrupted = &props::stop_requested;
  // The log goes to the terminal as it comes and into the report.
  struct Tee : std::stringbuf {
    int sync() override {
      std::cout << str().substr(flushed);
      std::cout.flush();
      flushed = str().size();
      return 0;
    }
    std::size_t flushed = 0;
  } tee;
  std::ostream log(&tee);
  props::ExploreResult r = props::explore(cfg, log);
  // Shards may share OUT: each writes files of its own.
  const std::string shard_suffix =
      cfg.shard_count > 1 ? fmt::format("-shard-{}-of-{}", cfg.shard_index, cfg.shard_count) : "";
  log.flush();
  std::string err;
  if (r.failure) {
    const std::string path = o.out + "/explore-counterexample" + shard_suffix + ".trace";
    if (write_file_atomic(path, counterexample_text(cfg, r), err)) {
      r.trace_path = path;
    } else {
      std::cerr << "rmapcheck explore: cannot write the counterexample: " << err << "\n";
    }
  }
  if (cfg.shard_count > 1) {
    const std::string path = o.out + "/" + props::shard_file_name(cfg.shard_index, cfg.shard_count);
    if (!write_file_atomic(path, props::shard_file_text(cfg, r), err)) {
      std::cerr << "rmapcheck explore: cannot write the shard report: " << err << "\n";
      return 3;
    }
    std::cout << "shard report written to " << path
              << " (rmapcheck explore-merge combines the shards)\n";
  }
  std::string kernel_summary;
  int kernel_rc = 0;
  if (o.kernel && r.verdict == props::ExploreResult::Verdict::Complete)
    kernel_rc = replay_on_kernel(cfg, r, o.out, kernel_summary);
  const std::string tail = report_tail(cfg, r) + kernel_summary;
  const std::string report = report_head(cfg) + tee.str() + tail;
  std::cout << tail;
  if (!r.trace_path.empty()) props::write_counterexample_c(r.trace_path, std::cout);
  const std::string report_path = o.out + "/explore-report" + shard_suffix + ".txt";
  if (!write_file_atomic(report_path, report, err)) {
    std::cerr << "rmapcheck explore: cannot write the report: " << err << "\n";
    return 3;
  }
  std::cout << "report written to " << report_path << "\n";
  if (r.failure) return 1;
  if (kernel_rc != 0) return kernel_rc;
  if (r.verdict == props::ExploreResult::Verdict::Incomplete)
    return r.why_incomplete == "interrupted" ? 130 : 4;
  return 0;
}

CommandRun setup(CLI::App& sub) {
  auto o = std::make_shared<Opts>();
  sub.add_option("--pages", o->pages,
                 "window W: every START and NPAGES inside pages [0, W) (default 2)")
      ->check(integer_in(1, 8));
  sub.add_option("--procs", o->procs, "at most P live processes (default 2)")
      ->check(integer_in(1, 8));
  sub.add_option("--depth", o->depth, "at most D ops from the start (default 3)")
      ->check(integer_in(0, 64));
  sub.add_option("--ops", o->ops,
                 "comma-separated ops to try (mmap,munmap,mprotect,madvise,mremap,read,write,fork,"
                 "exit,rmap,failalloc) or all (default)");
  sub.add_option("--prots", o->prots,
                 "protections for mmap and mprotect (none,r,rw,rx,rwx) or all");
  sub.add_option("--values", o->values, "distinct write values 1..V (default 2)")
      ->check(integer_in(1, 8));
  sub.add_option("--max-forks", o->max_forks,
                 "at most N forks on a path (default: no bound but --depth)")
      ->check(integer_in(0, 64));
  sub.add_option("--fail-nth", o->fail_nth,
                 "with failalloc: fail the K-th allocation at each site, K = 1..N (default 1)")
      ->check(integer_in(1, 4));
  sub.add_option("--threads", o->threads, "threads (same result for any number; default 1)")
      ->check(integer_in(1, 64));
  sub.add_option(
      "--store", o->store,
      "visited states: fp64 (8-byte fingerprints, default), fp128, or exact (the states' bytes)");
  sub.add_option("--mutant", o->mutant, "switch on one impl mutant (rmapcheck mutants --list)");
  sub.add_option("--time", o->seconds, "stop after SECONDS, between depths: INCOMPLETE")
      ->check(seconds_in(kMinSeconds, kMaxSeconds));
  sub.add_option("--max-states", o->max_states, "stop when the store holds N states: INCOMPLETE")
      ->check(integer_in(1, UINT32_MAX - 1));
  sub.add_option("--max-memory", o->max_memory_mb,
                 "MiB for the state store and trail (default: half of the memory available now)")
      ->check(integer_in(1, kMaxU64 / kMiB));
  sub.add_option("--out", o->out,
                 "directory for the report and a counterexample (default rmapcheck-out)");
  sub.add_option("--shard", o->shard,
                 "explore shard I of N (I/N); explore-merge combines the N shard reports");
  sub.add_flag("--kernel", o->kernel,
               "then replay the path to every distinct state on the live kernel (root; exit 77 "
               "if this machine cannot)");
  return [o, &sub] {
    // The command line as parsed, for the report and the counterexample's header.
    std::string line;
    for (const CLI::Option* opt : sub.get_options()) {
      if (opt->count() == 0 || opt->get_name() == "--help") continue;
      for (const std::string& v : opt->results()) line += " " + opt->get_name() + " " + v;
    }
    o->command_line = line;
    return run(*o);
  };
}

CommandRegistrar reg{
    "explore", "Exhaustive bounded exploration: every reachable state, shortest counterexamples",
    &setup};

}  // namespace
}  // namespace explore_cmd
}  // namespace rmapcheck::tool
