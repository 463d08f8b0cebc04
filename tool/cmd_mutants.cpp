// cmd_mutants.cpp - `rmapcheck mutants`: a campaign against every mutant of
// the registry (mutants.h), each under a time budget; a table of kills.
//
// Exit status: 0 every mutant killed, 1 a mutant survived, 2 usage error.
// Mutants flagged needs_failalloc can only die through injected allocation
// failures: while the engines do not both inject them (probed before the
// run) they are reported as "skipped" and do not count as survivors; once
// they do, their campaigns get failalloc=3 when the mix has no failalloc.
// Everything comes from random generation: the corpus plays no part.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <sstream>

#include "campaign_cli.h"
#include "command.h"
#include "options.h"
#include "rmapcheck/progress.h"

namespace rmapcheck::tool {
namespace mutants_cmd {
namespace {

struct Opts {
  double budget = 30;
  std::uint64_t cases = 0;  // 0: stop on --budget; else exactly this many cases per mutant
  std::uint64_t seed = 1;
  int jobs = 1;
  bool list = false;
  std::vector<std::string> only;
  std::string out;
  GeneratorFlags gen;
};

// Do BOTH engines take injected allocation failures yet? A failalloc before
// the first write of a VMA must fail something (anon_vma, avc, folio,
// pgtable) in the model, and the impl must agree with the model on it (a
// model that fails and an impl that does not is a false disagreement).
bool engines_honour_failalloc() {
  try {
    Trace t;
    for (const Op& op :
         {op_mmap("p0", 0, 1, Prot::RW), op_failalloc(AllocSite::Any, 1), op_write("p0", 0)}) {
      t.lines.push_back({op, {}, 0});
    }
    props::DualOutcome out = props::run_dual(t, EngineConfig{});
    return !out.failure && out.model_coverage.count(Branch::AllocFailed) > 0;
  } catch (const std::exception&) {
    return false;
  }
}

// The weight failalloc gets for a mutant that needs it when the user's mix
// has none (the default mix has none while the engines ignore failalloc).
constexpr std::uint32_t kFailallocForMutants = 3;

// "2555283eb40d mm/rmap: ..." -> "reverts 2555283eb40d"; "none: ..." -> "no single kernel fix".
std::string fix_reference(std::string_view commit) {
  const std::string_view hash = commit.substr(0, commit.find(' '));
  const bool is_hash =
      hash.size() >= 12 && hash.find_first_not_of("0123456789abcdef") == std::string_view::npos;
  return is_hash ? "reverts " + std::string(hash) : "no single kernel fix";
}

int run(const Opts& o) {
  if (o.list) {
    // One line per mutant; the commit subjects are in docs/mutants.md.
    for (const auto& m : all_mutants()) {
      std::cout << fmt::format("{:<32} {}{} ({})\n", m.name, m.summary,
                               m.needs_failalloc ? " [needs failalloc]" : "",
                               fix_reference(m.commit));
    }
    return 0;
  }
  if (!o.out.empty()) {
    // Before any work: each mutant's counterexample goes there.
    if (auto e = probe_out_dir("--out", o.out); !e.empty()) {
      std::cerr << "rmapcheck mutants: " << e << "\n";
      return 2;
    }
  }
  for (const auto& n : o.only) {
    if (!mutant_from_name(n)) {
      std::cerr << "rmapcheck mutants: unknown mutant '" << n << "' (see --list)\n";
      return 2;
    }
  }
  props::install_stop_handlers();
  const bool failalloc = engines_honour_failalloc();
  struct Row {
    std::string name, status;
    double seconds = 0;
    std::size_t length = 0, cases = 0;
  };
  std::vector<Row> rows;
  int survivors = 0;
  nlohmann::ordered_json report = nlohmann::ordered_json::array();
  auto selected = [&](const MutantInfo& m) {
    return o.only.empty() || std::find(o.only.begin(), o.only.end(), m.name) != o.only.end();
  };
  ProgressConfig pc;
  pc.label = "mutants";
  pc.unit = "mutants";
  pc.total = static_cast<std::uint64_t>(
      std::count_if(all_mutants().begin(), all_mutants().end(), selected));
  pc.ops_unit = "cases";
  // The name column fits the longest selected name.
  std::size_t name_width = 32;
  for (const auto& m : all_mutants())
    if (selected(m)) name_width = std::max(name_width, m.name.size());
  pc.style = progress_style_for_stderr();
  Progress progress(pc);
  std::uint64_t cases_done = 0;
  for (const auto& m : all_mutants()) {
    if (!selected(m)) continue;
    progress.clear();
    Row row{std::string(m.name), "", 0, 0, 0};
    if (m.needs_failalloc && !failalloc) {
      row.status = "skipped (engines ignore failalloc)";
      rows.push_back(row);
      std::cout << fmt::format("{:<{}} {}\n", row.name, name_width, row.status) << std::flush;
      continue;
    }
    props::CampaignOptions opts;
    opts.seed = o.seed;
    // A case budget makes the table a function of the seed alone (what a
    // test needs); a time budget depends on the machine's speed.
    if (o.cases > 0)
      opts.cases = o.cases;
    else
      opts.seconds = o.budget;
    opts.jobs = o.jobs;
    opts.quiet = true;
    opts.mutant = m.id;
    opts.prop.impl.mutants = MutantSet::of(m.id);
    GeneratorFlags gen = o.gen;
    if (m.needs_failalloc) {
      props::Weights w = props::Weights::defaults();
      if (!gen.weights.empty()) props::parse_weights(gen.weights, w);
      if (w.get(OpKind::FailAlloc) == 0) {
        gen.weights += (gen.weights.empty() ? "" : ",") + std::string("failalloc=") +
                       std::to_string(kFailallocForMutants);
      }
    }
    if (auto e = finish_generator_options(gen, opts); !e.empty()) {
      std::cerr << "rmapcheck mutants: " << e << "\n";
      return 2;
    }
    if (!o.out.empty()) {
      opts.out_dir = o.out + "/" + std::string(m.name);
      if (auto e = ensure_dir(opts.out_dir); !e.empty()) {
        std::cerr << "rmapcheck mutants: " << e << "\n";
        return 2;
      }
    }
    opts.on_progress = [&](std::uint64_t cases, std::uint64_t) {
      progress.set_note(fmt::format("{} ({} cases)", m.name, cases));
      progress.update(rows.size(), cases_done + cases);
    };
    std::ostringstream detail;
    props::CampaignResult r = props::run_campaign(opts, detail);
    cases_done += r.totals.cases;
    progress.clear();
    row.cases = r.totals.cases;
    // A kill counts only if the shrunk trace passes on the unmutated impl:
    // otherwise the engines disagree anyway and the mutant proved nothing.
    bool baseline_fails = false;
    if (r.counterexample) {
      auto parsed = parse_trace(r.counterexample->trace, "counterexample");
      if (parsed.trace) {
        std::vector<Op> ops;
        for (const auto& l : parsed.trace->lines) ops.push_back(l.op);
        baseline_fails = props::run_dual_isolated(ops, EngineConfig{}).failure.has_value();
      }
    }
    if (r.counterexample && baseline_fails) {
      row.status = "UNPROVEN";
      ++survivors;
      std::cout << "    the shrunk trace fails without the mutant too (model and impl disagree)\n";
    } else if (r.counterexample) {
      row.status = "killed";
      row.seconds = r.counterexample->seconds_to_failure;
      row.length = r.counterexample->length;
    } else {
      row.status = r.interrupted ? "interrupted" : "SURVIVED";
      ++survivors;
    }
    std::cout << fmt::format("{:<{}} {:<9} {:>8.2f}s {:>4} ops  ({} cases)\n", row.name, name_width,
                             row.status, row.seconds, row.length, row.cases);
    if (r.counterexample) std::cout << "    " << r.counterexample->headline << "\n";
    std::cout << std::flush;
    report.push_back({{"mutant", row.name},
                      {"status", row.status},
                      {"seconds_to_kill", row.seconds},
                      {"shrunk_length", row.length},
                      {"cases", row.cases},
                      {"trace", r.counterexample ? r.counterexample->trace : ""}});
    rows.push_back(row);
    if (r.interrupted) break;
  }
  progress.set_note("");
  progress.update(rows.size(), cases_done);
  progress.finish();
  std::cout << fmt::format("\n{:<{}} {:<9} {:>9} {:>8}\n", "mutant", name_width, "result",
                           "to kill", "shrunk");
  std::vector<double> times;
  for (const auto& r : rows) {
    if (r.status == "killed") times.push_back(r.seconds);
    std::cout << fmt::format("{:<{}} {:<9} {:>8} {:>8}\n", r.name, name_width, r.status,
                             r.status == "killed" ? fmt::format("{:.2f}s", r.seconds) : "-",
                             r.status == "killed" ? std::to_string(r.length) : "-");
  }
  if (!times.empty()) {
    std::sort(times.begin(), times.end());
    const std::string budget =
        o.cases > 0 ? fmt::format("{} cases", o.cases) : fmt::format("{}s", o.budget);
    std::cout << fmt::format(
        "killed {} of {}; median time to kill {:.2f}s (budget {} per mutant, seed {})\n",
        times.size(), rows.size(), times[times.size() / 2], budget, o.seed);
  }
  if (!o.out.empty()) {
    std::string err;
    if (!write_file_atomic(o.out + "/mutants.json", report.dump(2) + "\n", err))
      std::cerr << err << "\n";
  }
  if (survivors > 0) std::cout << survivors << " mutant(s) SURVIVED\n";
  return survivors > 0 ? 1 : 0;
}

CommandRun setup(CLI::App& sub) {
  auto o = std::make_shared<Opts>();
  auto* budget =
      sub.add_option("--budget", o->budget, "seconds of campaign per mutant (default 30)")
          ->check(seconds_in(kMinSeconds, kMaxSeconds));
  auto* cases =
      sub.add_option(
             "--cases", o->cases,
             "cases per mutant instead of --budget: the kills then depend on the seed alone")
          ->check(integer_in(1, kMaxCases))
          ->excludes(budget);
  auto* seed =
      sub.add_option("--seed", o->seed, "campaign seed (default 1)")->check(integer_in(0, kMaxU64));
  auto* jobs = sub.add_option("--jobs", o->jobs, "worker processes per campaign (default 1)")
                   ->check(integer_in(1, kMaxJobs));
  auto* list = sub.add_flag(
      "--list", o->list,
      "print the registry, one line per mutant (name, summary, the kernel fix it reverts) "
      "and exit");
  auto* only = sub.add_option("--only", o->only, "run only these mutants (repeatable)");
  auto* out = sub.add_option("--out", o->out,
                             "directory for mutants.json and each mutant's counterexample");
  // --list runs nothing, so an option of a run given with it would be
  // silently ignored: refuse it instead (usage error).
  std::vector<CLI::Option*> run_only = add_generator_options(sub, o->gen);
  for (CLI::Option* r : {budget, cases, seed, jobs, only, out}) run_only.push_back(r);
  for (CLI::Option* r : run_only) list->excludes(r);
  return [o] { return run(*o); };
}

CommandRegistrar reg{"mutants", "Run a campaign against every impl mutant and report which die",
                     &setup};

}  // namespace
}  // namespace mutants_cmd
}  // namespace rmapcheck::tool
