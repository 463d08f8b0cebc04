// cmd_explore_merge.cpp - `rmapcheck explore-merge FILE|DIR...`: the shard
// reports of `rmapcheck explore --shard I/N` combined into the completeness
// line the unsharded search gives (docs/explore.md#sharding).
//
// Exit status as explore's: 0 COMPLETE, 1 a shard found a counterexample,
// 2 usage or unreadable/inconsistent reports (file:line: why), 4 INCOMPLETE.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "command.h"
#include "properties/explore_shard.h"
#include "rmapcheck/trace.h"

namespace rmapcheck::tool {
namespace explore_merge_cmd {
namespace {

int run(const std::vector<std::string>& args) {
  std::vector<std::string> files;
  for (const std::string& a : args) {
    std::error_code ec;
    if (std::filesystem::is_directory(a, ec)) {
      std::vector<std::string> in_dir;
      for (const auto& e : std::filesystem::directory_iterator(a, ec)) {
        const std::string name = e.path().filename().string();
        if (name.rfind("explore-shard-", 0) == 0 && name.size() > 7 &&
            name.compare(name.size() - 7, 7, ".states") == 0)
          in_dir.push_back(e.path().string());
      }
      if (in_dir.empty()) {
        std::cerr << "rmapcheck explore-merge: " << a << ": no explore-shard-*.states in it\n";
        return 2;
      }
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else {
      files.push_back(a);
    }
  }
  props::MergedExplore m;
  std::string error;
  if (!props::merge_shards(files, m, error)) {
    std::cerr << "rmapcheck explore-merge: " << error << "\n";
    return 2;
  }
  const props::ExploreResult& r = m.result;
  std::cout << fmt::format("explore-merge: {} shards, {} reports\n", m.shards, files.size());
  if (r.verdict == props::ExploreResult::Verdict::Complete) {
    for (const props::DepthLine& l : r.levels)
      std::cout << fmt::format("depth {}: {} new states\n", l.depth,
                               props::thousands(l.new_states));
  }
  std::cout << props::completeness_line(r, m.bounds, m.depth) << "\n";
  if (r.verdict == props::ExploreResult::Verdict::Complete)
    std::cout << fmt::format(
        "probability that a state was missed (fingerprint collision): at most {:.2g}\n",
        r.omission_probability);
  if (r.verdict == props::ExploreResult::Verdict::Counterexample) {
    for (const Op& op : r.trace) std::cout << "    " << format_op(op) << "\n";
    return 1;
  }
  return r.verdict == props::ExploreResult::Verdict::Incomplete ? 4 : 0;
}

CommandRun setup(CLI::App& sub) {
  auto files = std::make_shared<std::vector<std::string>>();
  sub.add_option("reports", *files,
                 "shard reports (explore-shard-I-of-N.states) or directories holding them")
      ->required();
  return [files] { return run(*files); };
}

CommandRegistrar reg{"explore-merge", "Combine the shard reports of `explore --shard I/N`", &setup};

}  // namespace
}  // namespace explore_merge_cmd
}  // namespace rmapcheck::tool
