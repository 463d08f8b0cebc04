// case_runner.cpp - one case through rc::detail::checkProperty (see case_runner.h).
#include "properties/case_runner.h"

#include <rapidcheck/detail/TestListener.h>

#include <unordered_map>

namespace rc::detail {
// Defined in librapidcheck (src/detail/ReproduceListener.cpp / Serialization)
// but not in its installed headers: the "reproduce=" string of RC_PARAMS.
std::string reproduceMapToString(const std::unordered_map<std::string, Reproduce>& reproduceMap);
std::unordered_map<std::string, Reproduce> stringToReproduceMap(const std::string& str);
}  // namespace rc::detail

namespace rmapcheck::props {

namespace {

constexpr const char* kPropertyId = "rmapcheck";

// Quiet listener: the campaign prints its own report. It keeps the record
// of the first execution of the case (the one the stats describe).
class CaseListener final : public rc::detail::TestListener {
 public:
  CaseListener(const CaseRecord& current, CaseRecord& first) : current_(current), first_(first) {}
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {
    if (!have_first_) {
      first_ = current_;
      have_first_ = true;
      first_end_ = std::chrono::steady_clock::now();
    }
  }
  void onShrinkTried(const rc::detail::CaseDescription&, bool accepted) override {
    if (accepted) ++accepted_;
  }
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
  std::size_t accepted() const { return accepted_; }
  std::chrono::steady_clock::time_point first_end() const { return first_end_; }

 private:
  const CaseRecord& current_;
  CaseRecord& first_;
  bool have_first_ = false;
  std::size_t accepted_ = 0;
  std::chrono::steady_clock::time_point first_end_{};
};

Trace to_trace(const std::vector<Op>& ops) {
  Trace t;
  t.file = "<shrunk>";
  for (const auto& op : ops) {
    TraceLine l;
    l.op = op;
    t.lines.push_back(std::move(l));
  }
  return t;
}

rc::detail::TestResult check_with(
    const PropertyConfig& pc, CaseRecord& current, CaseListener& listener, std::uint64_t seed,
    bool shrink, const std::unordered_map<std::string, rc::detail::Reproduce>& repro) {
  auto prop = rc::detail::toProperty([&pc, &current] { check_property(pc, current); });
  rc::detail::TestMetadata meta;
  meta.id = kPropertyId;
  meta.description = kPropertyId;
  rc::detail::TestParams params;
  params.seed = seed;
  params.maxSuccess = 1;
  params.maxSize = 100;
  params.disableShrinking = !shrink;
  return rc::detail::checkProperty(prop, meta, params, listener, repro);
}

}  // namespace

CaseOutcome run_case(const PropertyConfig& pc, std::uint64_t seed, bool shrink) {
  CaseOutcome out;
  out.seed = seed;
  CaseRecord current, first;
  CaseListener listener(current, first);
  auto result = check_with(pc, current, listener, seed, shrink, {});
  out.stats = first.stats;
  out.model_coverage = first.model_coverage;
  rc::detail::FailureResult failure;
  if (result.match(failure)) {
    out.failed = true;
    out.found_at = listener.first_end();
    out.original_length = first.ran.size();
    out.shrink_steps = listener.accepted();
    out.rc_message = failure.description;
    std::unordered_map<std::string, rc::detail::Reproduce> map{{kPropertyId, failure.reproduce}};
    out.reproduce = rc::detail::reproduceMapToString(map);
    // Run the minimal case once more so that `current` surely holds it.
    CaseRecord again_first;
    CaseListener again(current, again_first);
    check_with(pc, current, again, seed, shrink, map);
    out.shrunk = to_trace(current.ran);
    out.failure = current.failure;
    return out;
  }
  rc::detail::Error err;
  rc::detail::GaveUpResult gave_up;
  if (result.match(err)) {
    out.failed = true;
    out.rc_message = "RapidCheck error: " + err.description;
  } else if (result.match(gave_up)) {
    out.failed = true;
    out.rc_message = "RapidCheck gave up: " + gave_up.description;
  }
  return out;
}

std::optional<CaseOutcome> reproduce_case(const PropertyConfig& pc, const std::string& reproduce,
                                          std::string& error) {
  std::unordered_map<std::string, rc::detail::Reproduce> map;
  try {
    map = rc::detail::stringToReproduceMap(reproduce);
  } catch (const std::exception& e) {
    error = std::string("the reproduce string does not decode: ") + e.what();
    return std::nullopt;
  }
  if (map.find(kPropertyId) == map.end()) {
    error = "the reproduce string is not one of `rmapcheck campaign`";
    return std::nullopt;
  }
  CaseRecord current, first;
  CaseListener listener(current, first);
  auto result = check_with(pc, current, listener, 0, true, map);
  rc::detail::FailureResult failure;
  if (!result.match(failure)) {
    rc::detail::Error err;
    error = result.match(err) ? err.description : "the case does not fail";
    return std::nullopt;
  }
  CaseOutcome out;
  out.failed = true;
  out.reproduce = reproduce;
  out.rc_message = failure.description;
  out.shrunk = to_trace(current.ran);
  out.failure = current.failure;
  out.original_length = out.shrunk.lines.size();
  return out;
}

}  // namespace rmapcheck::props
