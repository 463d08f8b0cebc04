// case_runner.cpp - one case: the seeded draw, the run, ddmin (see case_runner.h).
#include "properties/case_runner.h"

#include "properties/explore_shrink.h"
#include "properties/shrink.h"

namespace rmapcheck::props {

namespace {

Trace to_trace(const std::vector<Op>& ops) {
  Trace t;
  t.file = "<shrunk>";
  for (const auto& op : ops) {
    TraceLine l;
    l.op = op;
    t.lines.push_back(std::move(l));
  }
  return t;
}

DualOutcome run_once(const PropertyConfig& pc, const std::vector<Op>& ops) {
  if (pc.isolate) return run_dual_isolated(ops, pc.impl, pc.factory);
  return run_dual(to_trace(ops), pc.impl, pc.factory);
}

// The ops that ran: the case's up to a failing one, then the epilogue's
// exits (up to a failing one).
std::vector<Op> ran_ops(const std::vector<Op>& ops, const DualOutcome& out) {
  const std::size_t ran =
      out.failure && out.failure->index < ops.size() ? out.failure->index + 1 : ops.size();
  std::vector<Op> r(ops.begin(), ops.begin() + static_cast<std::ptrdiff_t>(ran));
  r.insert(r.end(), out.epilogue.begin(), out.epilogue.end());
  return r;
}

// The shrinker's budget of candidate runs (each one a process): far more
// than a 60-op case needs to become 1-minimal.
constexpr std::size_t kShrinkBudget = 5000;

}  // namespace

std::vector<Op> case_ops(const PropertyConfig& pc, std::uint64_t seed) {
  SeededChooser ch(seed);
  const auto n = static_cast<std::size_t>(
      ch.range(1, static_cast<std::uint32_t>(pc.max_ops > 0 ? pc.max_ops : 1)));
  std::vector<Op> ops;
  ops.reserve(n);
  GenState s = GenState::initial(pc.gen);
  for (std::size_t i = 0; i < n; ++i) {
    ops.push_back(generate_op(s, pc.gen, ch));
    s.apply(ops.back());
  }
  return ops;
}

CaseOutcome run_case_ops(const PropertyConfig& pc, const std::vector<Op>& ops, bool shrink) {
  CaseOutcome out;
  DualOutcome first = run_once(pc, ops);
  out.stats = first.stats;
  out.model_coverage = first.model_coverage;
  out.found_at = std::chrono::steady_clock::now();
  if (!first.failure) return out;
  out.failed = true;
  std::vector<Op> ran = ran_ops(ops, first);
  out.original_length = ran.size();
  DualOutcome last = std::move(first);
  if (shrink) {
    // The epilogue's exits are ops like the others: the shrinker may keep
    // some (the failing one) and drop the rest, which the epilogue of the
    // candidate then runs again.
    std::vector<TraceLine> lines = to_trace(ran).lines;
    lines = shrink_lines(
        lines,
        [&](const std::vector<TraceLine>& candidate) {
          std::vector<Op> c;
          c.reserve(candidate.size());
          for (const auto& l : candidate) c.push_back(l.op);
          DualOutcome o = run_once(pc, c);
          if (o.failure) ++out.shrink_steps;
          return o.failure.has_value();
        },
        kShrinkBudget);
    std::vector<Op> minimal;
    for (const auto& l : lines) minimal.push_back(l.op);
    if (pc.search_budget > 0) {
      if (auto shorter = shorter_within_span(minimal, pc.impl.mutants, pc.search_budget)) {
        if (shorter->size() < minimal.size() && run_once(pc, *shorter).failure) minimal = *shorter;
      }
    }
    last = run_once(pc, minimal);
    if (last.failure) {
      ran = ran_ops(minimal, last);
    } else {  // flaky: keep the unshrunk failure
      last = run_once(pc, ops);
    }
  }
  out.shrunk = to_trace(ran);
  out.failure = std::move(last.failure);
  if (out.failure) out.rc_message = out.failure->describe();
  out.reproduce = reproduce_string(out.shrunk);
  return out;
}

CaseOutcome run_case(const PropertyConfig& pc, std::uint64_t seed, bool shrink) {
  CaseOutcome out = run_case_ops(pc, case_ops(pc, seed), shrink);
  out.seed = seed;
  return out;
}

std::string reproduce_string(const Trace& t) {
  std::string s;
  for (const auto& l : t.lines) {
    if (!s.empty()) s += "; ";
    s += format_op(l.op);
  }
  return s;
}

std::optional<CaseOutcome> reproduce_case(const PropertyConfig& pc, const std::string& reproduce,
                                          std::string& error) {
  std::string text;
  for (char c : reproduce) text += c == ';' ? '\n' : c;
  auto parsed = parse_trace(text, "<reproduce>");
  if (!parsed.trace) {
    error = "the reproduce string does not parse: " + parsed.diagnostics.front().to_string();
    return std::nullopt;
  }
  if (parsed.trace->lines.empty()) {
    error = "the reproduce string names no op";
    return std::nullopt;
  }
  std::vector<Op> ops;
  for (const auto& l : parsed.trace->lines) ops.push_back(l.op);
  CaseOutcome out = run_case_ops(pc, ops, false);
  if (!out.failed) {
    error = "the case does not fail";
    return std::nullopt;
  }
  out.reproduce = reproduce;
  out.original_length = out.shrunk.lines.size();
  return out;
}

}  // namespace rmapcheck::props
