// random_run.cpp - generate, compare, confirm, shrink, save.
#include "random_run.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>
#include <stdexcept>

#include "properties/campaign.h"
#include "properties/generator.h"
#include "properties/shrink.h"
#include "rmapcheck/file_io.h"

namespace rmapcheck::oracle {
namespace {

std::string commented(const std::string& text) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    out += "#   " + text.substr(pos, eol - pos) + "\n";
    pos = eol + 1;
  }
  return out;
}

std::string kernel_release() {
  utsname u{};
  return uname(&u) == 0 ? std::string(u.release) : std::string("unknown");
}

// The op kind at the diverging line of a generated trace (lines are 1-based
// indices there).
std::optional<OpKind> diverging_kind(const Trace& t, const TraceVerdict& v) {
  if (v.status != TraceVerdict::Status::Diverge || v.line < 1 ||
      static_cast<std::size_t>(v.line) > t.lines.size())
    return std::nullopt;
  return t.lines[static_cast<std::size_t>(v.line) - 1].op.kind;
}

}  // namespace

Trace oracle_random_trace(std::uint64_t seed, std::uint64_t index, std::size_t nops,
                          const props::Weights& weights) {
  props::GenConfig cfg;
  cfg.weights = weights;
  // The live kernel cannot fail one chosen allocation.
  cfg.weights.set(OpKind::FailAlloc, 0);
  Trace t = props::generate_trace(props::mix_seed(seed, index), nops, cfg);
  t.file = fmt::format("random seed {} trace {}", seed, index);
  return t;
}

RandomRunSummary run_random(Oracle& oracle, const RandomRunOptions& o, std::FILE* log) {
  RandomRunSummary s;
  std::size_t shrunk = 0;
  std::set<std::string> saved_texts;
  ProgressConfig pc;
  pc.label = "oracle";
  pc.unit = "traces";
  pc.total = o.count;
  pc.style = o.progress;
  Progress progress(pc);
  std::uint64_t ops = 0;
  for (std::uint64_t k = 0; k < o.count; ++k) {
    progress.update(k, ops);
    Trace t = oracle_random_trace(o.seed, k, o.nops, o.weights);
    TraceVerdict v = oracle.run(t);
    ops += v.ops_compared;
    ++s.traces;
    ++s.totals.cases;
    s.totals.ops += v.stats.ops;
    for (std::size_t i = 0; i < s.totals.by_kind.size(); ++i)
      s.totals.by_kind[i] += v.stats.by_kind[i];
    s.totals.coverage += v.model_coverage;
    if (v.status != TraceVerdict::Status::Agree) progress.clear();  // a report follows
    if (v.status == TraceVerdict::Status::Agree) {
      ++s.agree;
      s.ops_agreed += v.ops_compared;
      s.forest_ops += v.forest_ops;
      s.folio_mapping_ops += v.folio_mapping_ops;
      continue;
    }
    if (v.status == TraceVerdict::Status::Partial) {
      ++s.partial;
      std::fprintf(log, "%s: partial, NOT an agreement\n%s", t.file.c_str(), v.report.c_str());
      continue;
    }
    if (v.status != TraceVerdict::Status::Diverge) {
      ++s.errors;
      std::fprintf(log, "%s: %s\n%s", t.file.c_str(), std::string(verdict_name(v.status)).c_str(),
                   v.report.c_str());
      continue;
    }
    // A kernel divergence must repeat before it counts: the kernel is deterministic when
    // pinned, so anything else is machinery noise
    // (docs/kernel/observing-the-kernel.md#determinism-and-cost).
    TraceVerdict again = oracle.run(t);
    if (again.status != TraceVerdict::Status::Diverge || again.line != v.line) {
      ++s.flaky;
      std::fprintf(log, "%s: FLAKY (diverged at line %d once, then %s)\n", t.file.c_str(), v.line,
                   std::string(verdict_name(again.status)).c_str());
      continue;
    }
    ++s.diverge;
    if (shrunk >= o.max_shrunk) {
      std::fprintf(log, "%s: DIVERGENCE at line %d (not shrunk: --max-shrunk %zu reached)\n",
                   t.file.c_str(), v.line, o.max_shrunk);
      continue;
    }
    ++shrunk;
    const OpKind kind = *diverging_kind(t, v);
    std::vector<TraceLine> lines(t.lines.begin(), t.lines.begin() + v.line);
    const std::size_t original = lines.size();
    lines = props::shrink_lines(lines, [&](const std::vector<TraceLine>& candidate) {
      Trace c;
      c.file = t.file;
      c.lines = candidate;
      TraceVerdict cv = oracle.run(c);
      return diverging_kind(c, cv) == kind;
    });
    Trace small;
    small.file = t.file;
    small.lines = lines;
    TraceVerdict sv = oracle.run(small);
    // Annotate with the kernel's answers: replaying the file on the model
    // then fails at the same line.
    for (std::size_t i = 0; i < small.lines.size() && i < sv.kernel_results.size(); ++i)
      small.lines[i].expect = sv.kernel_results[i];
    std::string body = print_trace(small);
    std::string header = fmt::format(
        "# Found by `rmapcheck oracle --random {} --seed {} --ops {}` (trace {}),\n"
        "# shrunk from {} to {} lines. Kernel {}. `=> RESULT` is what the kernel returned.\n"
        "# The divergence (kernel vs model; line numbers of the generated trace):\n{}",
        o.count, o.seed, o.nops, k, original, small.lines.size(), kernel_release(),
        commented(sv.report));
    if (!saved_texts.insert(body).second) {
      std::fprintf(log, "%s: DIVERGENCE (shrinks to a trace already saved)\n", t.file.c_str());
      continue;
    }
    std::string path = fmt::format("{}/seed{}-trace{}.trace", o.out_dir, o.seed, k);
    std::string error;
    if (!write_file_atomic(path, header + body, error))
      throw std::runtime_error("cannot save a divergence: " + error);
    s.saved.push_back(path);
    std::fprintf(log, "%s: DIVERGENCE, shrunk %zu -> %zu lines, saved %s\n%s", t.file.c_str(),
                 original, small.lines.size(), path.c_str(), sv.report.c_str());
    std::fflush(log);
  }
  progress.update(s.traces, ops);
  progress.finish();
  double rate =
      s.traces ? 100.0 * static_cast<double>(s.agree) / static_cast<double>(s.traces) : 0.0;
  std::fprintf(log,
               "random: %llu traces (seed %llu, %zu ops each): %llu agree (%.1f%%), %llu diverge, "
               "%llu flaky, %llu errors, %llu partial (not compared to the end)\n",
               static_cast<unsigned long long>(s.traces), static_cast<unsigned long long>(o.seed),
               o.nops, static_cast<unsigned long long>(s.agree), rate,
               static_cast<unsigned long long>(s.diverge), static_cast<unsigned long long>(s.flaky),
               static_cast<unsigned long long>(s.errors),
               static_cast<unsigned long long>(s.partial));
  std::fprintf(log,
               "random: %llu ops agreed, the anon_vma forest compared after %llu of them%s, "
               "folio->mapping after %llu%s\n",
               static_cast<unsigned long long>(s.ops_agreed),
               static_cast<unsigned long long>(s.forest_ops),
               s.forest_ops == s.ops_agreed ? "" : " (NOT after every op)",
               static_cast<unsigned long long>(s.folio_mapping_ops),
               s.folio_mapping_ops == s.ops_agreed ? "" : " (NOT after every op)");
  // The same op and branch counters as a campaign prints (the model's
  // coverage over every trace replayed, the exit epilogues included).
  std::ostringstream coverage;
  props::print_summary(coverage, s.totals, 0);
  std::fprintf(log, "%s", coverage.str().c_str());
  return s;
}

}  // namespace rmapcheck::oracle
