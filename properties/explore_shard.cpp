// explore_shard.cpp - shard reports and their merge (see explore_shard.h).
#include "properties/explore_shard.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

#include "rmapcheck/trace.h"

namespace rmapcheck::props {

namespace {

constexpr std::string_view kMagic = "rmapcheck explore shard v1";

std::string_view verdict_word(ExploreResult::Verdict v) {
  switch (v) {
    case ExploreResult::Verdict::Complete:
      return "complete";
    case ExploreResult::Verdict::Incomplete:
      return "incomplete";
    case ExploreResult::Verdict::Counterexample:
      return "counterexample";
  }
  return "?";
}

struct Shard {
  std::string file;
  std::map<std::string, std::string> head;
  std::vector<StateRecord> states;
  std::vector<Op> trace;
};

struct FpHash {
  std::size_t operator()(const std::pair<std::uint64_t, std::uint64_t>& k) const {
    return static_cast<std::size_t>(k.first * 0x9e3779b97f4a7c15ull ^ k.second);
  }
};

bool read_shard(const std::string& file, Shard& s, std::string& error) {
  std::ifstream in(file);
  if (!in) {
    error = file + ":0: cannot read the shard report";
    return false;
  }
  s.file = file;
  std::string line;
  int n = 0;
  auto bad = [&](const std::string& why) {
    error = fmt::format("{}:{}: {}", file, n, why);
    return false;
  };
  if (!std::getline(in, line) || ++n != 1 || line != kMagic)
    return bad("not an explore shard report (the first line is not '" + std::string(kMagic) + "')");
  bool in_states = false;
  std::string trace_text;
  while (std::getline(in, line)) {
    ++n;
    if (!in_states) {
      if (line == "states:") {
        in_states = true;
        continue;
      }
      const auto colon = line.find(": ");
      if (colon == std::string::npos) return bad("expected 'key: value' or 'states:'");
      const std::string key = line.substr(0, colon), value = line.substr(colon + 2);
      if (key == "trace") {
        trace_text += value + "\n";
      } else {
        s.head[key] = value;
      }
      continue;
    }
    std::istringstream ls(line);
    std::string hi, lo, outdeg;
    std::uint32_t depth = 0;
    if (!(ls >> hi >> lo >> depth >> outdeg)) return bad("expected 'HI LO DEPTH OUTDEG'");
    StateRecord r;
    try {
      r.fp.hi = std::stoull(hi, nullptr, 16);
      r.fp.lo = std::stoull(lo, nullptr, 16);
      r.outdeg = outdeg == "-" ? kNotExpanded : static_cast<std::uint32_t>(std::stoul(outdeg));
    } catch (const std::exception&) {
      return bad("a fingerprint or count that is not a number");
    }
    r.depth = depth;
    s.states.push_back(r);
  }
  for (const char* k : {"bounds", "depth", "shard", "verdict", "depth_done", "transitions"})
    if (!s.head.count(k)) return bad(std::string("the header has no '") + k + "'");
  if (!trace_text.empty()) {
    ParseOutcome p = parse_trace(trace_text, file);
    if (!p.trace)
      return bad("the counterexample trace does not parse: " + p.diagnostics[0].message);
    for (const TraceLine& l : p.trace->lines) s.trace.push_back(l.op);
  }
  return true;
}

}  // namespace

std::string shard_file_name(std::uint32_t index, std::uint32_t count) {
  return fmt::format("explore-shard-{}-of-{}.states", index, count);
}

std::string shard_file_text(const ExploreConfig& cfg, const ExploreResult& r) {
  std::string s = std::string(kMagic) + "\n";
  s += "bounds: " + bounds_text(cfg.bounds) + "\n";
  s += fmt::format("depth: {}\n", cfg.bounds.depth);
  s += fmt::format("store: {}\n", cfg.store == StoreKind::Fp128 ? "fp128" : "fp64");
  s += fmt::format("shard: {}/{}\n", cfg.shard_index, cfg.shard_count);
  s += fmt::format("prefix_depth: {}\n", r.prefix_depth);
  s += fmt::format("verdict: {}\n", verdict_word(r.verdict));
  s += fmt::format("depth_done: {}\n", r.depth_done);
  s += fmt::format("transitions: {}\n", r.transitions);
  if (!r.why_incomplete.empty()) s += "why: " + r.why_incomplete + "\n";
  if (r.verdict == ExploreResult::Verdict::Counterexample) {
    s += "headline: " + r.headline + "\n";
    for (const Op& op : r.trace) s += "trace: " + format_op(op) + "\n";
  }
  s += "states:\n";
  for (const StateRecord& st : r.records) {
    s += fmt::format("{:016x} {:016x} {} ", st.fp.hi, st.fp.lo, st.depth);
    s += st.outdeg == kNotExpanded ? std::string("-") : std::to_string(st.outdeg);
    s += "\n";
  }
  return s;
}

bool merge_shards(const std::vector<std::string>& files, MergedExplore& out, std::string& error) {
  std::vector<Shard> shards(files.size());
  for (std::size_t i = 0; i < files.size(); ++i)
    if (!read_shard(files[i], shards[i], error)) return false;
  if (shards.empty()) {
    error = "no shard reports given";
    return false;
  }
  const Shard& first = shards[0];
  std::uint32_t count = 0;
  std::vector<const Shard*> by_index;
  for (const Shard& s : shards) {
    for (const char* k : {"bounds", "depth", "store"}) {
      if (s.head.at(k) != first.head.at(k)) {
        error = fmt::format("{}: its {} ({}) differ from {}'s ({})", s.file, k, s.head.at(k),
                            first.file, first.head.at(k));
        return false;
      }
    }
    unsigned i = 0, n = 0;
    if (std::sscanf(s.head.at("shard").c_str(), "%u/%u", &i, &n) != 2 || n == 0 || i >= n) {
      error = s.file + ": 'shard: " + s.head.at("shard") + "' is not I/N with I < N";
      return false;
    }
    if (count == 0) {
      count = n;
      by_index.assign(n, nullptr);
    }
    if (n != count) {
      error = fmt::format("{}: shard {}/{} of another split than {}'s (of {})", s.file, i, n,
                          first.file, count);
      return false;
    }
    if (by_index[i] != nullptr) {
      error =
          fmt::format("{}: shard {}/{} is given twice (also {})", s.file, i, n, by_index[i]->file);
      return false;
    }
    by_index[i] = &s;
  }
  for (std::uint32_t i = 0; i < count; ++i) {
    if (by_index[i] == nullptr) {
      error = fmt::format("shard {}/{} is missing: a merge needs every shard", i, count);
      return false;
    }
  }
  out.bounds = first.head.at("bounds");
  out.depth = std::stoi(first.head.at("depth"));
  out.shards = count;
  ExploreResult& r = out.result;
  // A counterexample anywhere: the shortest, the lowest shard on a tie.
  const Shard* cx = nullptr;
  for (const Shard* s : by_index) {
    if (s->head.at("verdict") != "counterexample") continue;
    if (!cx || s->trace.size() < cx->trace.size()) cx = s;
  }
  if (cx) {
    r.verdict = ExploreResult::Verdict::Counterexample;
    r.depth_done = std::stoi(cx->head.at("depth_done"));
    r.trace = cx->trace;
    r.headline = cx->head.count("headline") ? cx->head.at("headline") : "";
    return true;
  }
  for (const Shard* s : by_index) {
    if (s->head.at("verdict") == "incomplete") {
      r.verdict = ExploreResult::Verdict::Incomplete;
      r.why_incomplete = s->head.count("why")
                             ? s->head.at("why") + " in shard " + s->head.at("shard")
                             : "shard " + s->head.at("shard");
      r.depth_done = std::stoi(s->head.at("depth_done"));
      return true;
    }
  }
  // The union, each state at its smallest depth, with a count from a shard that expanded it.
  std::unordered_map<std::pair<std::uint64_t, std::uint64_t>, StateRecord, FpHash> all;
  const bool wide = first.head.at("store") == "fp128";
  for (const Shard* s : by_index) {
    for (const StateRecord& st : s->states) {
      auto key = std::make_pair(wide ? st.fp.hi : 0, st.fp.lo);
      auto [it, fresh] = all.emplace(key, st);
      if (fresh) continue;
      it->second.depth = std::min(it->second.depth, st.depth);
      if (it->second.outdeg == kNotExpanded) it->second.outdeg = st.outdeg;
    }
  }
  std::vector<std::uint64_t> per_depth(static_cast<std::size_t>(out.depth) + 1, 0);
  for (const auto& [k, st] : all)
    if (st.depth < per_depth.size()) ++per_depth[st.depth];
  r.depth_done = out.depth;
  for (int d = 1; d <= out.depth; ++d) {
    if (per_depth[static_cast<std::size_t>(d)] == 0) {
      r.exhausted = true;
      r.depth_done = d;
      break;
    }
  }
  for (const auto& [k, st] : all) {
    if (st.depth >= static_cast<std::uint32_t>(r.depth_done)) continue;
    if (st.outdeg == kNotExpanded) {
      error = fmt::format(
          "a state at depth {} that no shard expanded: the shards are not of one run", st.depth);
      return false;
    }
    r.transitions += st.outdeg;
  }
  r.states = all.size();
  for (std::size_t d = 0; d < per_depth.size(); ++d) {
    DepthLine l;
    l.depth = static_cast<int>(d);
    l.new_states = per_depth[d];
    r.levels.push_back(l);
  }
  const double bits = wide ? 128 : 64;
  r.omission_probability =
      std::min(1.0, static_cast<double>(r.states) * static_cast<double>(r.transitions) /
                        std::pow(2.0, bits));
  return true;
}

}  // namespace rmapcheck::props
