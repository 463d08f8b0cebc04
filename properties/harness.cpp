// harness.cpp - the model/impl lock-step comparison (see harness.h).
#include "properties/harness.h"

namespace rmapcheck::props {

EngineFactory default_engine_factory() {
  return [](EngineKind k, const EngineConfig& c) { return make_engine(k, c); };
}

namespace {

std::vector<std::unique_ptr<Engine>> two_lanes(const EngineConfig& impl_config,
                                               const EngineFactory& factory) {
  EngineConfig model_config = impl_config;
  model_config.mutants = MutantSet{};  // the model is the spec: never mutated
  std::vector<std::unique_ptr<Engine>> lanes;
  lanes.push_back(factory(EngineKind::Model, model_config));
  lanes.push_back(factory(EngineKind::Impl, impl_config));
  return lanes;
}

}  // namespace

DualRunner::DualRunner(const EngineConfig& impl_config, const EngineFactory& factory)
    : checker_(two_lanes(impl_config, factory)) {}

std::optional<StepFailure> DualRunner::step(const Op& op) {
  return checker_.step(op);
}

std::vector<std::string> DualRunner::live_procs() const {
  return checker_.live_procs();
}

std::optional<StepFailure> DualRunner::finish(std::vector<Op>& ran) {
  return checker_.finish(ran);
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
