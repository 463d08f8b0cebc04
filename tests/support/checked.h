// tests/support/checked.h - the one checker, for gtest scenarios.
//
// CheckedRun steps engines the test owns through rmapcheck::Checker, so a
// scenario test checks each op exactly as replay and the campaign do
// (results, `=> RESULT`, states, every invariant, transitions, leaks), and
// reports a failure as a gtest failure with the checker's description. The
// test keeps its engines and may look inside them between steps.
//
//   CheckedRun run({engine.get()});          one lane or several (lane 0 the reference)
//   Result r = run.apply(op [, expect]);     lane 0's result
//   run.finish();                            the exit epilogue: nothing may be left
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <vector>

#include "rmapcheck/checker.h"

namespace rmapcheck::testing {

class CheckedRun {
 public:
  explicit CheckedRun(std::vector<Engine*> engines)
      : engines_(std::move(engines)), checker_(std::make_unique<Checker>(engines_)) {}

  Result apply(const Op& op, const std::optional<Result>& expect = {}) {
    if (std::optional<CheckFailure> f = checker_->step(op, expect)) {
      ADD_FAILURE() << f->describe() << "state of " << checker_->name(0) << ":\n"
                    << format_snapshot(engines_[0]->snapshot());
      const Result r = checker_->result(0);
      // Go on from the engines' states as they are, so one failure is
      // reported once, not again at every later op.
      checker_ = std::make_unique<Checker>(engines_);
      return r;
    }
    return checker_->result(0);
  }

  // Every live process exits, each exit checked; nothing may be left.
  void finish() {
    std::vector<Op> ran;
    if (std::optional<CheckFailure> f = checker_->finish(ran))
      ADD_FAILURE() << "exit epilogue: " << f->describe();
  }

  const Checker& checker() const { return *checker_; }

 private:
  std::vector<Engine*> engines_;
  std::unique_ptr<Checker> checker_;
};

}  // namespace rmapcheck::testing
