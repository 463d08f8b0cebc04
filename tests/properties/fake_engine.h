// fake_engine.h - a trivial engine for testing the harness and the shrinker
// without the model or the impl (tests only; never shipped as an engine).
//
// It knows processes and the values written to pages, nothing of VMAs:
// every op on a live process returns 0, `read` returns the last value
// written (1 when none), `rmap` returns no hits. Its snapshot lists the live
// processes only, which every invariant accepts.
//
// A planted bug makes the fake "impl" answer `rmap` with EINVAL in a process
// at fork depth >= 3 (a great-grandchild of p0): the smallest failing trace
// is then exactly  fork p0 A; fork A B; fork B C; rmap C PAGE.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "rmapcheck/engine.h"

namespace rmapcheck::testing {

class FakeEngine final : public Engine {
 public:
  FakeEngine(EngineKind kind, bool planted_bug) : kind_(kind), bug_(planted_bug) {
    depth_["p0"] = 0;
  }
  EngineKind kind() const override { return kind_; }
  Result apply(const Op& op) override {
    if (op.kind == OpKind::FailAlloc) return Result::ok();
    auto it = depth_.find(op.proc);
    if (it == depth_.end()) return Result::error(3 /* ESRCH */);
    switch (op.kind) {
      case OpKind::Fork:
        depth_[op.child] = it->second + 1;
        return Result::ok();
      case OpKind::Exit:
        depth_.erase(it);
        return Result::ok();
      case OpKind::Write:
        values_[{op.proc, op.start}] = op.value;
        return Result::ok();
      case OpKind::Read: {
        auto v = values_.find({op.proc, op.start});
        return Result::read_value(v == values_.end() ? 1 : v->second);
      }
      case OpKind::Rmap:
        if (bug_ && it->second >= 3) return Result::error(22 /* EINVAL */);
        return Result::rmap({});
      default:
        return Result::ok();
    }
  }
  Snapshot snapshot() const override {
    Snapshot s;
    for (const auto& [name, depth] : depth_) {
      SnapProc p;
      p.name = name;
      s.procs.push_back(p);
    }
    return s;
  }
  const Coverage& coverage() const override { return coverage_; }

 private:
  EngineKind kind_;
  bool bug_;
  std::map<std::string, int> depth_;
  std::map<std::pair<std::string, Page>, std::uint64_t> values_;
  Coverage coverage_;
};

// An EngineFactory (properties/harness.h) whose impl carries the planted bug
// when `bug` is set.
inline auto fake_factory(bool bug) {
  return [bug](EngineKind k, const EngineConfig&) -> std::unique_ptr<Engine> {
    return std::make_unique<FakeEngine>(k, bug && k == EngineKind::Impl);
  };
}

}  // namespace rmapcheck::testing
