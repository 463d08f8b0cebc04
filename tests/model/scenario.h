// scenario.h - a fixture that runs trace text on an engine and checks every
// invariant after every op, plus readable accessors over the Snapshot.
//
// Synopsis
//   Scenario                  TEST_P fixture over rmapcheck::EngineKind
//   run(text)                 parses the trace text, applies each op through
//                             the one checker (tests/support/checked.h): an
//                             op with `=> RESULT` must return it, every
//                             invariant, transition and leak check holds;
//                             TearDown runs the exit epilogue
//   apply(op)                 the same for one Op built in code
//   load(name)                tests/scenarios/<name>.trace (directory from
//                             RMAPCHECK_SCENARIO_DIR); a comment line
//                             `# check: LABEL` marks where a test looks
//   run_to(label) / run_rest()  applies the loaded ops above that mark / all
//                             that are left, exactly like run()
//   maps(proc)                "[0,4) rw-p [4,8) rwxp": the VMA layout
//   vma(proc, start)          the SnapVma starting there (fails the test if none)
//   pte(proc, page)           the SnapPte or nullptr
//   folio_of(proc, page)      the SnapFolio a PTE maps, or nullptr
//   RMAPCHECK_ENGINE_KINDS    Model, plus Impl when the impl library is built
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rmapcheck/engine.h"
#include "rmapcheck/invariants.h"
#include "rmapcheck/trace.h"
#include "tests/support/checked.h"

namespace rmapcheck::testing {

class Scenario : public ::testing::TestWithParam<EngineKind> {
 protected:
  void SetUp() override { engine_ = make_engine(GetParam(), config_); }
  void TearDown() override;

  std::vector<Result> run(std::string_view text);
  void load(std::string_view name);
  void run_to(std::string_view label);
  void run_rest();
  Result apply(const Op& op);
  // Through the one checker: invariants, transitions, leaks, `expect`; no history.
  Result apply_checked(const Op& op, const std::optional<Result>& expect = {});

  Snapshot snap() const { return engine_->snapshot(); }
  std::string maps(std::string_view proc) const;
  SnapVma vma(std::string_view proc, Page start) const;
  std::optional<SnapPte> pte(std::string_view proc, Page page) const;
  std::optional<SnapFolio> folio_of(std::string_view proc, Page page) const;
  const SnapAnonVma& anon_vma(const Snapshot& s, SnapId id) const;
  bool is_model() const { return GetParam() == EngineKind::Model; }
  std::uint64_t count(Branch b) const { return engine_->coverage().count(b); }

  EngineConfig config_;
  std::unique_ptr<Engine> engine_;
  std::string history_;            // every op run so far, as trace text
  std::size_t history_lines_ = 0;  // how many ops that is

 private:
  Result run_line(const TraceLine& line, std::string_view file);
  std::unique_ptr<CheckedRun> run_;
  const Engine* run_engine_ = nullptr;  // the engine run_ checks
  void run_loaded_below(int source_line);

  Trace loaded_;                                    // the file load() read
  std::size_t loaded_next_ = 0;                     // its first op not run yet
  std::vector<std::pair<std::string, int>> marks_;  // `# check:` label, line
};

// The scenario files every test loads from (tests/scenarios).
std::string scenario_dir();

std::string engine_param_name(const ::testing::TestParamInfo<EngineKind>& info);

}  // namespace rmapcheck::testing

#define RMAPCHECK_ENGINE_KINDS \
  ::testing::Values(::rmapcheck::EngineKind::Model, ::rmapcheck::EngineKind::Impl)

#define RMAPCHECK_INSTANTIATE(suite)                               \
  INSTANTIATE_TEST_SUITE_P(Engines, suite, RMAPCHECK_ENGINE_KINDS, \
                           ::rmapcheck::testing::engine_param_name)
