// campaign_report.cpp - totals, the JSON report, the merge of shard reports,
// and the text summary.
#include <fmt/format.h>

#include <algorithm>
#include <ostream>
#include <set>

#include "properties/campaign.h"

namespace rmapcheck::props {

using json = nlohmann::ordered_json;

void CampaignTotals::add(const CaseOutcome& c) {
  ++cases;
  ops += c.stats.ops;
  for (std::size_t k = 0; k < by_kind.size(); ++k) by_kind[k] += c.stats.by_kind[k];
  coverage += c.model_coverage;
}

CampaignTotals& CampaignTotals::operator+=(const CampaignTotals& o) {
  cases += o.cases;
  ops += o.ops;
  for (std::size_t k = 0; k < by_kind.size(); ++k) by_kind[k] += o.by_kind[k];
  coverage += o.coverage;
  return *this;
}

namespace {

json counts_json(const CampaignTotals& t) {
  json ops = json::object(), branches = json::object(), alloc = json::object();
  for (int k = 0; k < kOpKindCount; ++k) {
    ops[std::string(op_kind_name(static_cast<OpKind>(k)))] = t.by_kind[static_cast<std::size_t>(k)];
  }
  for (int b = 0; b < kBranchCount; ++b) {
    branches[std::string(branch_name(static_cast<Branch>(b)))] =
        t.coverage.branch[static_cast<std::size_t>(b)];
  }
  // From 1: a failure is counted at the site it hit, never under "any".
  for (int s = 1; s < kAllocSiteCount; ++s) {
    alloc[std::string(alloc_site_name(static_cast<AllocSite>(s)))] =
        t.coverage.alloc_failed[static_cast<std::size_t>(s)];
  }
  return json{{"ops", ops}, {"branches", branches}, {"alloc_failed", alloc}};
}

}  // namespace

json counterexample_json(const Counterexample& c, bool with_seconds) {
  json j{{"case_index", c.case_index},
         {"case_seed", c.case_seed},
         {"length", c.length},
         {"original_length", c.original_length},
         {"failure_kind", c.failure_kind},
         {"failure_op", c.failure_op},
         {"headline", c.headline},
         {"details", c.details},
         {"reproduce", c.reproduce},
         // next to the report: the name only, so --out does not change the bytes
         {"file", c.file.substr(c.file.find_last_of('/') + 1)},
         {"trace", c.trace}};
  if (with_seconds) j["seconds_to_failure"] = c.seconds_to_failure;
  return j;
}

Counterexample counterexample_from_json(const json& j) {
  Counterexample c;
  c.case_index = j.at("case_index").get<std::uint64_t>();
  c.case_seed = j.at("case_seed").get<std::uint64_t>();
  c.length = j.at("length").get<std::size_t>();
  c.original_length = j.at("original_length").get<std::size_t>();
  c.failure_kind = j.at("failure_kind").get<std::string>();
  c.failure_op = j.at("failure_op").get<std::size_t>();
  c.headline = j.at("headline").get<std::string>();
  c.details = j.at("details").get<std::string>();
  c.reproduce = j.at("reproduce").get<std::string>();
  c.file = j.at("file").get<std::string>();
  c.trace = j.at("trace").get<std::string>();
  c.seconds_to_failure = j.value("seconds_to_failure", 0.0);
  return c;
}

json campaign_report(const CampaignOptions& o, const CampaignResult& r, bool with_timing) {
  json config{{"seed", o.seed},
              {"cases", o.cases ? json(*o.cases) : json(nullptr)},
              {"time_limit", o.cases ? json(nullptr) : json(o.seconds)},
              {"max_ops", o.prop.max_ops},
              {"weights", format_weights(o.prop.gen.weights)},
              {"window", o.prop.gen.window},
              {"max_live", o.prop.gen.max_live},
              {"mutant", o.mutant ? json(std::string(mutant_info(*o.mutant).name)) : json(nullptr)},
              {"shard", json{{"index", o.shard.index}, {"count", o.shard.count}}}};
  json rep{{"report", "rmapcheck-campaign"}, {"version", 1}, {"config", config}};
  rep["result"] = r.counterexample ? "counterexample" : r.interrupted ? "interrupted" : "pass";
  rep["cases"] = r.totals.cases;
  rep["operations"] = r.totals.ops;
  const json counts = counts_json(r.totals);
  for (auto& [k, v] : counts.items()) rep[k] = v;
  if (r.counterexample) {
    rep["counterexample"] = counterexample_json(*r.counterexample, false);
  } else {
    rep["counterexample"] = nullptr;
  }
  if (with_timing) {
    rep["timing"] = json{
        {"seconds", r.seconds},
        {"ops_per_second", r.seconds > 0 ? static_cast<double>(r.totals.ops) / r.seconds : 0.0},
        {"jobs", o.jobs},
        {"shard_source", o.shard.source},
        {"seconds_to_failure",
         r.counterexample ? json(r.counterexample->seconds_to_failure) : json(nullptr)}};
  }
  return rep;
}

CampaignTotals totals_from_report(const json& rep) {
  CampaignTotals t;
  t.cases = rep.at("cases").get<std::uint64_t>();
  t.ops = rep.at("operations").get<std::uint64_t>();
  for (int k = 0; k < kOpKindCount; ++k) {
    t.by_kind[static_cast<std::size_t>(k)] =
        rep.at("ops").value(std::string(op_kind_name(static_cast<OpKind>(k))), std::uint64_t{0});
  }
  for (int b = 0; b < kBranchCount; ++b) {
    t.coverage.branch[static_cast<std::size_t>(b)] =
        rep.at("branches")
            .value(std::string(branch_name(static_cast<Branch>(b))), std::uint64_t{0});
  }
  for (int s = 0; s < kAllocSiteCount; ++s) {
    t.coverage.alloc_failed[static_cast<std::size_t>(s)] =
        rep.at("alloc_failed")
            .value(std::string(alloc_site_name(static_cast<AllocSite>(s))), std::uint64_t{0});
  }
  return t;
}

std::optional<json> merge_reports(const std::vector<json>& reports, std::string& error) {
  if (reports.empty()) {
    error = "no reports to merge";
    return std::nullopt;
  }
  try {
    json base_config = reports[0].at("config");
    base_config.erase("shard");
    const std::uint64_t count =
        reports[0].at("config").at("shard").at("count").get<std::uint64_t>();
    std::set<std::uint64_t> indices;
    CampaignTotals sum;
    std::optional<json> best_cx;
    bool interrupted = false, timing = true;
    double seconds = 0, rate = 0;
    std::int64_t jobs = 0;
    for (std::size_t i = 0; i < reports.size(); ++i) {
      const json& r = reports[i];
      if (r.value("report", "") != "rmapcheck-campaign") {
        error = fmt::format("report {} is not an rmapcheck campaign report", i + 1);
        return std::nullopt;
      }
      json c = r.at("config");
      const json shard = c.at("shard");
      c.erase("shard");
      if (c != base_config || shard.at("count").get<std::uint64_t>() != count) {
        error = fmt::format("report {} comes from a different campaign (config differs: {} vs {})",
                            i + 1, c.dump(), base_config.dump());
        return std::nullopt;
      }
      if (!indices.insert(shard.at("index").get<std::uint64_t>()).second) {
        error = fmt::format("report {} repeats shard {}", i + 1,
                            shard.at("index").get<std::uint64_t>());
        return std::nullopt;
      }
      sum += totals_from_report(r);
      interrupted = interrupted || r.at("result") == "interrupted";
      const json& cx = r.at("counterexample");
      if (!cx.is_null() && (!best_cx || cx.at("case_index").get<std::uint64_t>() <
                                            best_cx->at("case_index").get<std::uint64_t>())) {
        best_cx = cx;
      }
      if (r.contains("timing")) {
        seconds = std::max(seconds, r["timing"].at("seconds").get<double>());
        rate += r["timing"].at("ops_per_second").get<double>();
        jobs += r["timing"].at("jobs").get<std::int64_t>();
      } else {
        timing = false;
      }
    }
    json config = reports[0].at("config");
    if (indices.size() == count) {
      // Every shard is here: the merge is the unsharded campaign.
      config["shard"] = json{{"index", 0}, {"count", 1}};
    } else {
      std::vector<std::uint64_t> missing;
      for (std::uint64_t i = 0; i < count; ++i)
        if (indices.count(i) == 0) missing.push_back(i);
      config["shard"] = json{{"indices", indices}, {"count", count}, {"missing", missing}};
    }
    json rep{{"report", "rmapcheck-campaign"}, {"version", 1}, {"config", config}};
    rep["result"] = best_cx                   ? "counterexample"
                    : indices.size() != count ? "incomplete"
                    : interrupted             ? "interrupted"
                                              : "pass";
    rep["cases"] = sum.cases;
    rep["operations"] = sum.ops;
    const json counts = counts_json(sum);
    for (auto& [k, v] : counts.items()) rep[k] = v;
    rep["counterexample"] = best_cx ? *best_cx : json(nullptr);
    if (timing) {
      rep["timing"] = json{{"seconds", seconds},
                           {"ops_per_second", rate},
                           {"jobs", jobs},
                           {"shard_source", "merged"},
                           {"seconds_to_failure", nullptr}};
    }
    return rep;
  } catch (const json::exception& e) {
    error = std::string("malformed report: ") + e.what();
    return std::nullopt;
  }
}

void print_summary(std::ostream& os, const CampaignTotals& t, double seconds) {
  os << fmt::format("cases {}, operations {}", t.cases, t.ops);
  if (seconds > 0) {
    os << fmt::format(" in {:.1f} s ({:.0f} ops/s, {:.1f} cases/s)", seconds,
                      static_cast<double>(t.ops) / seconds, static_cast<double>(t.cases) / seconds);
  }
  os << "\noperations run, by kind:\n";
  for (int k = 0; k < kOpKindCount; ++k) {
    os << fmt::format("  {:<12} {:>12}\n", op_kind_name(static_cast<OpKind>(k)),
                      t.by_kind[static_cast<std::size_t>(k)]);
  }
  os << "kernel branches taken (the model's coverage, summed over cases):\n";
  int zero = 0;
  for (int b = 0; b < kBranchCount; ++b) {
    auto n = t.coverage.branch[static_cast<std::size_t>(b)];
    if (n == 0) ++zero;
    os << fmt::format("  {:<28} {:>12}{}\n", branch_name(static_cast<Branch>(b)), n,
                      n == 0 ? "   <- never reached" : "");
  }
  os << "injected allocation failures taken, by site (failalloc):\n ";
  int zero_sites = 0;
  for (int s = 1; s < kAllocSiteCount; ++s) {  // "any" failures count at the site they hit
    auto n = t.coverage.alloc_failed[static_cast<std::size_t>(s)];
    if (n == 0) ++zero_sites;
    os << fmt::format(" {}={}", alloc_site_name(static_cast<AllocSite>(s)), n);
  }
  os << "\n";
  if (zero > 0)
    os << fmt::format("{} branch(es) never reached: the campaign did not test them\n", zero);
  if (zero_sites > 0) os << fmt::format("{} allocation site(s) never failed\n", zero_sites);
}

}  // namespace rmapcheck::props
