// cmd_campaign_merge.cpp - `rmapcheck campaign-merge REPORT...`: one report
// from the reports of the shards of a campaign (docs/campaigns.md).
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "campaign_cli.h"
#include "command.h"
#include "options.h"

namespace rmapcheck::tool {

std::vector<CLI::Option*> add_generator_options(CLI::App& sub, GeneratorFlags& f) {
  return {sub.add_option("--max-ops", f.max_ops,
                         "operations per case at most (the command count; default 60)")
              ->check(integer_in(1, kMaxOps)),
          sub.add_option("--weights", f.weights,
                         "operation mix, e.g. fork=20,exit=10,failalloc=0 (names of the trace "
                         "language; unnamed ones keep their defaults)")};
}

std::string finish_generator_options(const GeneratorFlags& f, props::CampaignOptions& opts) {
  if (!f.weights.empty()) {
    if (auto err = props::parse_weights(f.weights, opts.prop.gen.weights)) return *err;
  }
  opts.prop.max_ops = f.max_ops;
  opts.command_line = "--max-ops " + std::to_string(f.max_ops) + " --weights " +
                      props::format_weights(opts.prop.gen.weights);
  if (opts.mutant) opts.command_line += " --mutant " + std::string(mutant_info(*opts.mutant).name);
  return "";
}

std::string ensure_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return dir + ": " + ec.message();
  return "";
}

int merge_reports_main(const std::vector<std::string>& files, const std::string& out_dir,
                       bool deterministic) {
  if (!out_dir.empty()) {
    if (auto e = probe_out_dir("--out", out_dir); !e.empty()) {
      std::cerr << "rmapcheck campaign-merge: " << e << "\n";
      return 2;
    }
  }
  std::vector<nlohmann::ordered_json> reports;
  for (const auto& f : files) {
    std::ifstream in(f);
    if (!in) {
      std::cerr << "rmapcheck campaign-merge: " << f << ": cannot read: " << std::strerror(errno)
                << "\n";
      return 2;
    }
    try {
      reports.push_back(nlohmann::ordered_json::parse(in));
    } catch (const std::exception& e) {
      std::cerr << "rmapcheck campaign-merge: " << f << ": not a JSON report: " << e.what() << "\n";
      return 2;
    }
  }
  std::string error;
  auto merged = props::merge_reports(reports, error);
  if (!merged) {
    std::cerr << "rmapcheck campaign-merge: " << error << "\n";
    return 2;
  }
  if (deterministic) merged->erase("timing");
  std::string text = merged->dump(2) + "\n";
  if (out_dir.empty()) {
    std::cout << text;
  } else {
    if (auto e = ensure_dir(out_dir); !e.empty()) {
      std::cerr << "rmapcheck campaign-merge: " << e << "\n";
      return 2;
    }
    std::string path = out_dir + "/report.json";
    if (!write_file_atomic(path, text, error)) {
      std::cerr << "rmapcheck campaign-merge: " << error << "\n";
      return 2;
    }
    double seconds =
        merged->contains("timing") ? (*merged)["timing"]["seconds"].get<double>() : 0.0;
    props::print_summary(std::cout, props::totals_from_report(*merged), seconds);
    std::cout << "merged " << files.size() << " report(s) into " << path << ": "
              << (*merged)["result"].get<std::string>() << "\n";
  }
  // A merge that lacks shards, or holds an interrupted one, is not the
  // campaign that was asked for: never a pass.
  const auto& shard = (*merged)["config"]["shard"];
  if (shard.contains("missing")) {
    std::string missing;
    for (const auto& m : shard["missing"]) missing += (missing.empty() ? "" : ", ") + m.dump();
    std::cerr << "rmapcheck campaign-merge: incomplete: " << shard["missing"].size() << " of "
              << shard["count"].get<std::uint64_t>() << " shards missing (shard " << missing
              << ")\n";
  }
  if ((*merged)["result"] == "interrupted")
    std::cerr << "rmapcheck campaign-merge: incomplete: a shard was interrupted\n";
  return (*merged)["result"] == "pass" ? 0 : 1;
}

namespace campaign_merge_cmd {
namespace {

CommandRun setup_merge(CLI::App& sub) {
  struct Opts {
    std::vector<std::string> files;
    std::string out;
    bool deterministic = false;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("reports", o->files, "report.json files of the shards of one campaign")
      ->required();
  sub.add_option("--out", o->out, "write DIR/report.json (default: print the merged JSON)");
  sub.add_flag("--deterministic-report", o->deterministic,
               "leave out the wall-clock \"timing\" section");
  return [o] { return merge_reports_main(o->files, o->out, o->deterministic); };
}

CommandRegistrar reg{"campaign-merge", "Merge the JSON reports of campaign shards into one",
                     &setup_merge};

}  // namespace
}  // namespace campaign_merge_cmd
}  // namespace rmapcheck::tool
