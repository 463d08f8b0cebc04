// commands.cpp - the RapidCheck command classes and the property body.
#include "properties/commands.h"

namespace rmapcheck::props {

namespace {

// Draws through RapidCheck so the choice is recorded and shrinkable (towards
// 0, the plain choice), or not shrinkable (the family of an op: shrinking it
// would turn a fork into an mmap, which never helps a counterexample).
class RcChooser final : public Chooser {
 public:
  explicit RcChooser(bool shrink) : shrink_(shrink) {}
  std::uint32_t below(std::uint32_t n) override {
    if (n <= 1) return 0;
    auto g = rc::gen::inRange<std::uint32_t>(0, n);
    return shrink_ ? *g : *rc::gen::noShrink(g);
  }

 private:
  bool shrink_;
};

}  // namespace

void StepCommand::checkPreconditions(const GenState& s) const {
  RC_PRE(op_allowed(s, op_));
}

void ProcCommand::checkPreconditions(const GenState& s) const {
  // Forks stay below max_live so they never fail with EAGAIN, and the last
  // live process never exits, so every later op has someone to act on.
  RC_PRE(op_allowed(s, op_));
}

void StepCommand::run(const GenState&, DualSut& sut) const {
  auto& rec = sut.record;
  rec.ran.push_back(op_);
  auto failure = sut.runner.step(op_);
  rec.stats = sut.runner.stats();
  rec.model_coverage = sut.runner.model().coverage();
  if (failure) {
    std::string why = failure->describe();
    rec.failure = std::move(failure);
    RC_FAIL(why);
  }
}

void StepCommand::show(std::ostream& os) const {
  os << format_op(op_);
}

CommandSP command_for(Op op) {
  switch (op.kind) {
    case OpKind::Mmap:
    case OpKind::Munmap:
    case OpKind::Mremap:
      return std::make_shared<LayoutCommand>(std::move(op));
    case OpKind::Mprotect:
    case OpKind::Madvise:
    case OpKind::Pageout:
      return std::make_shared<ProtectCommand>(std::move(op));
    case OpKind::Fork:
    case OpKind::Exit:
      return std::make_shared<ProcCommand>(std::move(op));
    case OpKind::Read:
    case OpKind::Write:
    case OpKind::Rmap:
    case OpKind::FailAlloc:
    case OpKind::Reclaim:
      break;
  }
  return std::make_shared<AccessCommand>(std::move(op));
}

rc::Gen<CommandSP> gen_command(const GenState& s, const GenConfig& cfg) {
  // gen::inRange scales with the size; the nominal size (100) makes every
  // choice uniform whatever size the command sequence was drawn at.
  return rc::gen::resize(100, rc::gen::exec([s, cfg]() -> CommandSP {
                           RcChooser family(false);
                           OpKind kind = pick_kind(s, cfg, family);
                           RcChooser ch(true);
                           Op op;
                           switch (kind) {
                             case OpKind::Mmap:
                             case OpKind::Munmap:
                             case OpKind::Mremap:
                               op = gen_layout(kind, s, cfg, ch);
                               break;
                             case OpKind::Mprotect:
                             case OpKind::Madvise:
                             case OpKind::Pageout:
                               op = gen_protect(kind, s, cfg, ch);
                               break;
                             case OpKind::Fork:
                             case OpKind::Exit:
                               op = gen_procs(kind, s, cfg, ch);
                               break;
                             default:
                               op = gen_access(kind, s, cfg, ch);
                               break;
                           }
                           return command_for(std::move(op));
                         }));
}

void check_property(const PropertyConfig& pc, CaseRecord& record) {
  record = CaseRecord{};
  const GenState initial = GenState::initial(pc.gen);
  const GenConfig cfg = pc.gen;
  int size = static_cast<int>(pc.max_ops > 0 ? pc.max_ops - 1 : 0);
  auto cmds = *rc::gen::resize(size, rc::state::gen::commands(initial, [cfg](const GenState& s) {
                                 return gen_command(s, cfg);
                               }));
  if (!pc.isolate) {
    DualSut sut(pc, record);
    rc::state::runAll(cmds, initial, sut);
    // The epilogue: every live process exits; nothing may be left.
    std::vector<Op> exits;
    auto failure = sut.runner.finish(exits);
    record.ran.insert(record.ran.end(), exits.begin(), exits.end());
    record.stats = sut.runner.stats();
    if (failure) {
      std::string why = failure->describe();
      record.failure = std::move(failure);
      RC_FAIL(why);
    }
    return;
  }
  // Isolated: the ops run in a child process, so that a crashing engine is
  // a failure RapidCheck can shrink rather than the end of the campaign.
  std::vector<Op> ops;
  ops.reserve(cmds.size());
  for (const auto& c : cmds) ops.push_back(static_cast<const StepCommand&>(*c).op());
  DualOutcome out = run_dual_isolated(ops, pc.impl, pc.factory);
  std::size_t ran =
      out.failure && out.failure->index < ops.size() ? out.failure->index + 1 : ops.size();
  record.ran.assign(ops.begin(), ops.begin() + static_cast<std::ptrdiff_t>(ran));
  record.ran.insert(record.ran.end(), out.epilogue.begin(), out.epilogue.end());
  record.stats = out.stats;
  record.model_coverage = out.model_coverage;
  if (out.failure) {
    std::string why = out.failure->describe();
    record.failure = std::move(out.failure);
    RC_FAIL(why);
  }
}

}  // namespace rmapcheck::props
