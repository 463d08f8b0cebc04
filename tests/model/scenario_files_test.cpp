// scenario_files_test.cpp - every file in tests/scenarios replays whole on
// every engine: each `=> RESULT` holds and every invariant holds after every
// op. (The tests named after each scenario assert the state at its
// `# check:` marks; the oracle replays the same files on the live kernel.)
#include <algorithm>
#include <filesystem>

#include "scenario.h"

namespace rmapcheck::testing {
namespace {

std::vector<std::string> scenario_names() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(scenario_dir()))
    if (entry.path().extension() == ".trace") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

using ScenarioFiles = Scenario;

TEST_P(ScenarioFiles, EveryFileReplaysWithItsExpectations) {
  const std::vector<std::string> names = scenario_names();
  ASSERT_GE(names.size(), 30u) << "tests/scenarios lost its files: " << scenario_dir();
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    engine_ = make_engine(GetParam(), config_);  // a fresh machine per file
    history_.clear();
    history_lines_ = 0;
    load(name);
    run_rest();
  }
}

RMAPCHECK_INSTANTIATE(ScenarioFiles);

}  // namespace
}  // namespace rmapcheck::testing
