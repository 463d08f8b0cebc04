// harness.cpp - the model/impl lock-step comparison (see harness.h).
#include "properties/harness.h"

#include <exception>

namespace rmapcheck::props {

EngineFactory default_engine_factory() {
  return [](EngineKind k, const EngineConfig& c) { return make_engine(k, c); };
}

std::string StepFailure::kind_name() const {
  switch (kind) {
    case Kind::ResultMismatch:
      return "result-mismatch";
    case Kind::SnapshotMismatch:
      return "snapshot-mismatch";
    case Kind::Invariant:
      return "invariant";
    case Kind::EngineFault:
      return "engine-fault";
    case Kind::Leak:
      return "leak";
  }
  return "?";
}

std::string StepFailure::headline() const {
  std::string h = "op " + std::to_string(index + 1) + " `" + format_op(op) + "`: ";
  switch (kind) {
    case Kind::ResultMismatch:
      return h + "results differ: model " + format_result(model_result) + ", impl " +
             format_result(impl_result);
    case Kind::SnapshotMismatch:
      return h + "states differ (result " + format_result(model_result) + " on both)";
    case Kind::Invariant:
      return h + std::to_string(violations.size()) + " invariant violation(s) in " + engine +
             (violations.empty() ? "" : ", first " + std::string(invariant_name(violations[0].id)));
    case Kind::EngineFault:
      return h + engine + " fault: " + message;
    case Kind::Leak:
      return h + std::to_string(leaks.size()) + " leaked object(s) in " + engine +
             (leaks.empty() ? "" : ", first " + leaks[0]);
  }
  return h;
}

std::string StepFailure::describe() const {
  std::string d = headline() + "\n";
  if (kind == Kind::SnapshotMismatch) d += diff;
  for (const auto& v : violations) d += "  " + v.to_string() + "\n";
  for (const auto& l : leaks) d += "  leak: " + l + "\n";
  if (!d.empty() && d.back() != '\n') d += '\n';
  return d;
}

DualRunner::DualRunner(const EngineConfig& impl_config, const EngineFactory& factory) {
  EngineConfig model_config = impl_config;
  model_config.mutants = MutantSet{};  // the model is the spec: never mutated
  model_ = factory(EngineKind::Model, model_config);
  impl_ = factory(EngineKind::Impl, impl_config);
  model_before_ = model_->snapshot();
  impl_before_ = impl_->snapshot();
  canonicalize(model_before_);
  canonicalize(impl_before_);
}

namespace {

// Applies op, turning any exception into a fault message.
std::optional<std::string> apply_caught(Engine& e, const Op& op, Result& out) {
  try {
    out = e.apply(op);
    return std::nullopt;
  } catch (const EngineFault& f) {
    return std::string(f.what());
  } catch (const std::exception& ex) {
    return std::string("exception: ") + ex.what();
  }
}

std::vector<Violation> all_violations(const Snapshot& before, const Op& op, const Snapshot& after) {
  auto v = check_invariants(after);
  auto t = check_transition(before, op, after);
  v.insert(v.end(), t.begin(), t.end());
  return v;
}

}  // namespace

std::optional<StepFailure> DualRunner::step(const Op& op) {
  StepFailure f;
  f.index = index_++;
  f.op = op;
  ++stats_.ops;
  ++stats_.by_kind[static_cast<std::size_t>(op.kind)];

  if (phase_) *phase_ = 0;
  auto model_fault = apply_caught(*model_, op, f.model_result);
  if (phase_) *phase_ = 1;
  auto impl_fault = apply_caught(*impl_, op, f.impl_result);
  if (phase_) *phase_ = 2;
  if (model_fault || impl_fault) {
    f.kind = StepFailure::Kind::EngineFault;
    f.engine = model_fault && impl_fault ? "both" : model_fault ? "model" : "impl";
    f.message = model_fault ? *model_fault : *impl_fault;
    return f;
  }
  if (!(f.model_result == f.impl_result)) {
    f.kind = StepFailure::Kind::ResultMismatch;
    return f;
  }
  Snapshot ms = model_->snapshot(), is = impl_->snapshot();
  canonicalize(ms);
  canonicalize(is);
  if (!(ms == is)) {
    f.kind = StepFailure::Kind::SnapshotMismatch;
    f.diff = diff_snapshots(ms, is, "model", "impl");
    // Name the broken invariants as well when there are any: they say
    // which side is wrong faster than the diff does.
    auto iv = all_violations(impl_before_, op, is);
    if (!iv.empty()) {
      f.engine = "impl";
      f.violations = std::move(iv);
    }
    return f;
  }
  auto v = all_violations(model_before_, op, ms);
  if (!v.empty()) {
    f.kind = StepFailure::Kind::Invariant;
    f.engine = "both";
    f.violations = std::move(v);
    return f;
  }
  // Leaks: objects no live process reaches. After the last process is gone
  // nothing at all may be left (leaks() lists the unreachable; an empty
  // state must also hold no anon_vma and no folio).
  auto ml = model_->leaks(), il = impl_->leaks();
  std::vector<std::string> left;  // in both: the snapshots are equal here
  if (ms.procs.empty()) {
    for (const auto& a : ms.anon_vmas)
      left.push_back("anon_vma #" + std::to_string(a.id) + " left after the last exit");
    for (const auto& x : ms.folios)
      left.push_back("folio #" + std::to_string(x.id) + " left after the last exit");
  }
  if (!ml.empty() || !il.empty() || !left.empty()) {
    f.kind = StepFailure::Kind::Leak;
    f.engine = !left.empty() || (!ml.empty() && !il.empty()) ? "both"
               : !ml.empty()                                 ? "model"
                                                             : "impl";
    f.leaks = std::move(left);
    f.leaks.insert(f.leaks.end(), ml.begin(), ml.end());
    f.leaks.insert(f.leaks.end(), il.begin(), il.end());
    return f;
  }
  model_before_ = std::move(ms);
  impl_before_ = std::move(is);
  return std::nullopt;
}

std::vector<std::string> DualRunner::live_procs() const {
  // model_before_ is the last checked state: its processes, sorted by name.
  std::vector<std::string> live;
  for (const auto& p : model_before_.procs) live.push_back(p.name);
  return live;
}

std::optional<StepFailure> DualRunner::finish(std::vector<Op>& ran) {
  for (const auto& name : live_procs()) {
    ran.push_back(op_exit(name));
    if (auto f = step(ran.back())) return f;
  }
  return std::nullopt;
}

DualOutcome run_dual(const Trace& trace, const EngineConfig& impl_config,
                     const EngineFactory& factory, bool exit_all) {
  DualOutcome out;
  DualRunner r(impl_config, factory);
  for (const auto& line : trace.lines) {
    out.failure = r.step(line.op);
    if (out.failure) break;
  }
  out.model_coverage = r.model().coverage();
  if (!out.failure && exit_all) out.failure = r.finish(out.epilogue);
  out.stats = r.stats();
  return out;
}

}  // namespace rmapcheck::props
