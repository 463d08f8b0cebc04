// campaign_cli.h - what `campaign`, `campaign-merge` and `mutants` share:
// the generator options and the report merge.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "properties/campaign.h"

namespace rmapcheck::tool {

// --max-ops and --weights, applied to opts.prop by finish_generator_options().
struct GeneratorFlags {
  std::size_t max_ops = 60;
  std::string weights;
};
// Returns the options added.
std::vector<CLI::Option*> add_generator_options(CLI::App& sub, GeneratorFlags& f);
// Returns an error message ("" when fine); fills opts.prop and opts.command_line.
std::string finish_generator_options(const GeneratorFlags& f, props::CampaignOptions& opts);

// `campaign-merge` and `campaign --merge` (the one implementation of both):
// exit status 0 pass, 1 counterexample or an incomplete campaign (a shard
// missing or interrupted), 2 bad input or an unwritable --out.
// out_dir "" prints the merged JSON instead of writing DIR/report.json.
int merge_reports_main(const std::vector<std::string>& files, const std::string& out_dir,
                       bool deterministic);

// Creates the directory; "" on success, else the message.
std::string ensure_dir(const std::string& dir);

}  // namespace rmapcheck::tool
