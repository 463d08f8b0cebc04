// commands.h - the RapidCheck stateful property: one command class per
// operation family, all sharing a base whose run() checks model vs impl.
//
// RapidCheck has no per-step hook, so the check after every op lives in
// StepCommand::run(): it steps the DualRunner (harness.h) and RC_FAILs with
// the failure's description. The RapidCheck "model" is the generator's
// GenState (generator.h): commands are generated from it, and its apply()
// keeps it in step, so shrinking (which drops commands and re-checks
// preconditions) always yields a trace the parser accepts.
//
// Long sequences come from the command count: commands_gen() resizes
// rc::state::gen::commands to max_ops, and each command is drawn at the
// nominal size, so the global size never skews the op mix.
//
// Synopsis
//   PropertyConfig            generator config, impl config, max_ops, engine factory
//   DualSut                   the system under test: a DualRunner + what ran
//   StepCommand               base: preconditions, apply, run (the check), show
//   LayoutCommand ProtectCommand ProcCommand AccessCommand   the families
//   command_for(op)           wraps an Op in its family's command
//   gen_command(state, cfg)   Gen of one command valid in state
//   check_property(pc)        the property body: generate, run, fail on the first bad step
#pragma once

#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <memory>
#include <optional>
#include <ostream>
#include <vector>

#include "properties/generator.h"
#include "properties/harness.h"

namespace rmapcheck::props {

struct PropertyConfig {
  GenConfig gen;
  EngineConfig impl;         // the mutants go here
  std::size_t max_ops = 60;  // commands per case: 1..max_ops
  bool isolate = true;       // run each execution in a child (run_dual_isolated)
  // After ddmin: search the shrunk trace's own bound for a shorter one
  // (explore_shrink.h), at most this many transitions; 0: no search.
  std::uint64_t search_budget = 1500000;
  EngineFactory factory = default_engine_factory();
};

// What one execution of the property did (the last execution wins).
struct CaseRecord {
  std::vector<Op> ran;  // ops run, up to and including a failing one
  std::optional<StepFailure> failure;
  RunStats stats;
  Coverage model_coverage;
};

struct DualSut {
  DualSut(const PropertyConfig& pc, CaseRecord& rec) : runner(pc.impl, pc.factory), record(rec) {}
  DualRunner runner;
  CaseRecord& record;
};

class StepCommand : public rc::state::Command<GenState, DualSut> {
 public:
  explicit StepCommand(Op op) : op_(std::move(op)) {}
  void checkPreconditions(const GenState& s) const override;
  void apply(GenState& s) const override { s.apply(op_); }
  void run(const GenState& s, DualSut& sut) const override;
  void show(std::ostream& os) const override;
  const Op& op() const { return op_; }

 protected:
  Op op_;
};

// mmap, munmap, mremap (gen_layout.cpp)
class LayoutCommand final : public StepCommand {
  using StepCommand::StepCommand;
};
// mprotect, madvise (gen_protect.cpp)
class ProtectCommand final : public StepCommand {
  using StepCommand::StepCommand;
};
// fork, exit (gen_procs.cpp): the process-tree preconditions
class ProcCommand final : public StepCommand {
 public:
  using StepCommand::StepCommand;
  void checkPreconditions(const GenState& s) const override;
};
// read, write, rmap, failalloc (gen_access.cpp)
class AccessCommand final : public StepCommand {
  using StepCommand::StepCommand;
};

using CommandSP = std::shared_ptr<const StepCommand::CommandType>;
CommandSP command_for(Op op);
rc::Gen<CommandSP> gen_command(const GenState& s, const GenConfig& cfg);

void check_property(const PropertyConfig& pc, CaseRecord& record);

}  // namespace rmapcheck::props
