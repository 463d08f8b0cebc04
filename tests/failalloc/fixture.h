// fixture.h - the FailScenario fixture: trace text with injected allocation
// failures, run on one engine with every check after every op.
//
// Synopsis
//   FailScenario            TEST_P fixture over rmapcheck::EngineKind
//   run(text)               parses the text after what ran so far and applies
//                           the new ops: each `=> RESULT` must hold, and after
//                           every op every invariant holds and leaks() is empty
//   maps()                  format_maps of the current state
//   pte(proc, page)         the SnapPte there, or nullopt
//   folio_of(proc, page)    the SnapFolio that PTE maps, or nullopt
//   failed(site)            how many injected failures the engine took there
//   same_as_without_failures()  the state equals a fresh engine's after the
//                           same ops with every `failalloc` line left out
//   exit_all()              every live process exits; then nothing is held
//   FAILALLOC_ENGINE_KINDS  Model, plus Impl when the impl library is built
//
// Contract: TearDown exits every live process and expects leaks() empty,
// i.e. every pool of the impl empty.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "rmapcheck/engine.h"
#include "tests/support/checked.h"

namespace rmapcheck::failalloc_testing {

class FailScenario : public ::testing::TestWithParam<EngineKind> {
 protected:
  void SetUp() override { engine_ = make_engine(GetParam()); }
  void TearDown() override;

  void run(std::string_view text);
  std::string maps() const { return format_maps(engine_->snapshot()); }
  std::optional<SnapPte> pte(std::string_view proc, Page page) const;
  std::optional<SnapFolio> folio_of(std::string_view proc, Page page) const;
  std::uint64_t failed(AllocSite site) const {
    return engine_->coverage().alloc_failed[static_cast<std::size_t>(site)];
  }
  void same_as_without_failures() const;
  void exit_all();

  Result apply_checked(const Op& op, const std::optional<Result>& expect = {});

  std::unique_ptr<Engine> engine_;
  testing::CheckedRun& checked();
  std::unique_ptr<testing::CheckedRun> run_;
  const Engine* run_engine_ = nullptr;  // the engine run_ checks
  std::string history_;
};

std::string engine_param_name(const ::testing::TestParamInfo<EngineKind>& info);

}  // namespace rmapcheck::failalloc_testing

#define FAILALLOC_ENGINE_KINDS \
  ::testing::Values(::rmapcheck::EngineKind::Model, ::rmapcheck::EngineKind::Impl)
