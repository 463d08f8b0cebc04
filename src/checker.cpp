// checker.cpp - the lock-step checker (see checker.h).
#include "rmapcheck/checker.h"

#include <algorithm>
#include <exception>

#include "rmapcheck/trace.h"

namespace rmapcheck {

namespace {

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
    out += names[i];
  }
  return out;
}

std::string result_list(const CheckFailure& f) {
  std::string out;
  for (std::size_t i = 0; i < f.results.size() && i < f.lanes.size(); ++i) {
    if (i > 0) out += ", ";
    out += f.lanes[i] + " " + format_result(f.results[i]);
  }
  return out;
}

}  // namespace

std::string CheckFailure::kind_name() const {
  switch (kind) {
    case Kind::ResultMismatch:
      return "result-mismatch";
    case Kind::UnexpectedResult:
      return "unexpected-result";
    case Kind::SnapshotMismatch:
      return "snapshot-mismatch";
    case Kind::Invariant:
      return "invariant";
    case Kind::EngineFault:
      return "engine-fault";
    case Kind::Leak:
      return "leak";
  }
  return "?";
}

std::string CheckFailure::headline() const {
  std::string h = "op " + std::to_string(index + 1) + " `" + format_op(op) + "`: ";
  switch (kind) {
    case Kind::ResultMismatch:
      return h + "results differ: " + result_list(*this);
    case Kind::UnexpectedResult:
      return h + "unexpected result: got " +
             (results.empty() ? std::string("?") : format_result(results[0])) + ", expected " +
             (expected ? format_result(*expected) : std::string("?"));
    case Kind::SnapshotMismatch:
      return h + "states differ (" + engine + "; result " +
             (results.empty() ? std::string("?") : format_result(results[0])) + " on both)";
    case Kind::Invariant:
      return h + std::to_string(violations.size()) + " invariant violation(s) in " + engine +
             (violations.empty() ? "" : ", first " + std::string(invariant_name(violations[0].id)));
    case Kind::EngineFault:
      return h + engine + " fault: " + message;
    case Kind::Leak:
      return h + std::to_string(leaks.size()) + " leaked object(s) in " + engine +
             (leaks.empty() ? "" : ", first " + leaks[0]);
  }
  return h;
}

std::string CheckFailure::describe() const {
  std::string d = headline() + "\n";
  if (kind == Kind::SnapshotMismatch) d += diff;
  for (const auto& v : violations) d += "  " + v.to_string() + "\n";
  for (const auto& l : leaks) d += "  leak: " + l + "\n";
  if (!d.empty() && d.back() != '\n') d += '\n';
  return d;
}

namespace {

// Snapshot buffers outlive a Checker. A campaign makes a checker per case,
// and a snapshot that starts empty grows its vectors again op by op; the
// thread keeps the last checker's buffers for the next (a few: one pair
// per lane).
constexpr std::size_t kSpareSnapshots = 8;
thread_local std::vector<Snapshot> spare_snapshots;

Snapshot spare_snapshot() {
  if (spare_snapshots.empty()) return {};
  Snapshot s = std::move(spare_snapshots.back());
  spare_snapshots.pop_back();
  return s;
}

}  // namespace

void Checker::add_lane(Engine* e, std::unique_ptr<Engine> owned, Snapshot* state) {
  Lane& l = lanes_.emplace_back();
  l.engine = e;
  l.owned = std::move(owned);
  l.name = std::string(engine_kind_name(e->kind()));
  l.scratch = spare_snapshot();
  if (state != nullptr) {
    l.state = std::move(*state);
  } else {
    l.state = spare_snapshot();
    e->snapshot_into(l.state);
  }
}

Checker::Checker(std::vector<std::unique_ptr<Engine>> engines) {
  for (auto& e : engines) {
    Engine* raw = e.get();
    add_lane(raw, std::move(e), nullptr);
  }
}

Checker::Checker(const std::vector<Engine*>& borrowed) {
  for (Engine* e : borrowed) add_lane(e, nullptr, nullptr);
}

Checker::Checker(const std::vector<Engine*>& borrowed, std::vector<Snapshot> states) {
  for (std::size_t i = 0; i < borrowed.size(); ++i)
    add_lane(borrowed[i], nullptr, i < states.size() ? &states[i] : nullptr);
}

Checker::~Checker() {
  for (Lane& l : lanes_) {
    for (Snapshot* s : {&l.scratch, &l.state}) {
      if (spare_snapshots.size() < kSpareSnapshots) spare_snapshots.push_back(std::move(*s));
    }
  }
}

bool Checker::any_stopped() const {
  for (const Lane& l : lanes_)
    if (l.stopped) return true;
  return false;
}

std::vector<std::string> Checker::live_procs() const {
  std::vector<std::string> live;
  for (const Lane& l : lanes_) {
    if (!active(l)) continue;
    for (const SnapProc& p : l.state.procs) live.push_back(p.name);
    break;
  }
  return live;
}

std::optional<CheckFailure> Checker::step(const Op& op, const std::optional<Result>& expect) {
  CheckFailure f;
  f.index = index_++;
  f.op = op;
  ++stats_.ops;
  ++stats_.by_kind[static_cast<std::size_t>(op.kind)];

  // 1. Apply on every lane still compared, and take its state: into the
  // lane's scratch snapshot, the state before the last step, refilled in
  // place (Engine::snapshot_into); a passing step swaps the two.
  std::vector<std::string> faulted;
  for (std::size_t i = 0; i < lanes_.size(); ++i) {
    Lane& l = lanes_[i];
    if (!active(l)) continue;
    if (phase_) *phase_ = static_cast<std::uint32_t>(i);
    try {
      l.result = l.engine->apply(op);
      l.engine->snapshot_into(l.scratch);
    } catch (const LaneUnsupported& e) {
      l.stopped = e.what();
      l.stopped_at = f.index;
    } catch (const EngineFault& e) {
      faulted.push_back(l.name);
      if (f.message.empty()) f.message = e.what();
    } catch (const std::exception& e) {
      faulted.push_back(l.name);
      if (f.message.empty()) f.message = std::string("exception: ") + e.what();
    }
  }
  if (phase_) *phase_ = kCheckingPhase;
  auto after = [this](std::size_t i) -> const Snapshot& { return lanes_[i].scratch; };
  std::vector<std::size_t>& on = on_;  // the lanes compared at this op
  on.clear();
  for (std::size_t i = 0; i < lanes_.size(); ++i)
    if (active(lanes_[i])) on.push_back(i);
  // The failure's lanes and results, filled only when there is one (a
  // passing step allocates nothing here).
  const auto failed = [&](CheckFailure::Kind kind, bool with_results = true) {
    f.kind = kind;
    for (std::size_t i : on) {
      f.lanes.push_back(lanes_[i].name);
      if (with_results) f.results.push_back(lanes_[i].result);
    }
  };
  if (!faulted.empty()) {
    failed(CheckFailure::Kind::EngineFault, false);
    f.engine = join_names(faulted);
    return f;
  }
  if (on.empty()) return std::nullopt;  // every lane stopped: nothing to compare
  const std::size_t ref = on.front();

  // 2. Results, and the expectation.
  for (std::size_t i : on) {
    if (lanes_[i].result != lanes_[ref].result) {
      failed(CheckFailure::Kind::ResultMismatch);
      f.engine = lanes_[ref].name + " and " + lanes_[i].name;
      f.other = lanes_[i].name;
      return f;
    }
  }
  if (expect && *expect != lanes_[ref].result) {
    failed(CheckFailure::Kind::UnexpectedResult);
    f.engine = join_names(f.lanes);
    f.expected = expect;
    return f;
  }

  // 3. States: each lane against the reference, on what both show.
  std::vector<char>& same_as_ref = same_as_ref_;
  same_as_ref.assign(lanes_.size(), 0);
  for (std::size_t i : on) {
    if (i == ref) continue;
    const Visibility common = after(ref).visible & after(i).visible;
    bool equal;
    std::string diff;
    if (common == Visibility::all()) {
      equal = after(ref) == after(i);
      if (!equal) diff = diff_snapshots(after(ref), after(i), lanes_[ref].name, lanes_[i].name);
    } else {
      Snapshot a = after(ref), b = after(i);
      restrict_to(a, common);
      restrict_to(b, common);
      equal = a == b;
      if (!equal) diff = diff_snapshots(a, b, lanes_[ref].name, lanes_[i].name);
    }
    if (!equal) {
      failed(CheckFailure::Kind::SnapshotMismatch);
      f.engine = lanes_[ref].name + " and " + lanes_[i].name;
      f.other = lanes_[i].name;
      f.diff = std::move(diff);
      // Name the broken invariants of the other lane too when there are
      // any: they say which side is wrong faster than the diff does.
      if (after(i).visible == Visibility::all()) {
        f.violations = check_invariants(after(i));
        for (Violation& v : check_transition(lanes_[i].state, op, after(i)))
          f.violations.push_back(std::move(v));
      }
      return f;
    }
    same_as_ref[i] = common == Visibility::all();
  }

  // 4-5. Invariants, on every lane that shows everything; a lane whose state
  // equals the reference's is covered by the reference's check. The state
  // invariants are a pure function of the state: a state equal to the one
  // they passed on at the last step (an op that changed nothing, about a
  // third of a campaign's) passes them again and is not re-checked. The
  // transition invariants depend on the op too and always run.
  for (std::size_t i : on) {
    if (after(i).visible != Visibility::all() || same_as_ref[i]) continue;
    Lane& l = lanes_[i];
    std::vector<Violation> vs;
    if (!l.state_checked || !(after(i) == l.state)) vs = check_invariants(after(i));
    for (Violation& v : check_transition(lanes_[i].state, op, after(i))) vs.push_back(std::move(v));
    if (vs.empty()) continue;
    std::vector<std::string> who{lanes_[i].name};
    if (i == ref) {
      for (std::size_t j : on)
        if (same_as_ref[j]) who.push_back(lanes_[j].name);
    }
    if (f.violations.empty()) {
      f.violations = std::move(vs);
      f.engine = join_names(who);
    }
  }
  if (!f.violations.empty()) {
    failed(CheckFailure::Kind::Invariant);
    return f;
  }

  // 6. Leaks: what no live process reaches; with no process left, nothing.
  std::vector<std::string> leaky;
  for (std::size_t i : on) {
    std::vector<std::string> leaks = lanes_[i].engine->leaks();
    const Snapshot& s = after(i);
    if (s.procs.empty()) {
      for (const auto& a : s.anon_vmas)
        leaks.push_back("anon_vma #" + std::to_string(a.id) + " left after the last exit");
      for (const auto& x : s.folios)
        leaks.push_back("folio #" + std::to_string(x.id) + " left after the last exit");
    }
    if (leaks.empty()) continue;
    leaky.push_back(lanes_[i].name);
    if (f.leaks.empty()) f.leaks = std::move(leaks);
  }
  if (!leaky.empty()) {
    failed(CheckFailure::Kind::Leak);
    f.engine = join_names(leaky);
    return f;
  }

  for (std::size_t i : on) {
    std::swap(lanes_[i].state, lanes_[i].scratch);
    // Checked when it showed everything and was no copy of the reference's.
    lanes_[i].state_checked = lanes_[i].state.visible == Visibility::all() && !same_as_ref[i];
  }
  return std::nullopt;
}

std::optional<CheckFailure> Checker::finish(std::vector<Op>& ran) {
  for (const std::string& name : live_procs()) {
    ran.push_back(op_exit(name));
    if (auto f = step(ran.back())) return f;
  }
  return std::nullopt;
}

std::optional<std::vector<EngineKind>> parse_lane_list(std::string_view list, std::string& error) {
  if (list == "both") return std::vector<EngineKind>{EngineKind::Model, EngineKind::Impl};
  std::vector<EngineKind> kinds;
  std::size_t pos = 0;
  while (pos <= list.size()) {
    const std::size_t comma = std::min(list.find(',', pos), list.size());
    const std::string_view item = list.substr(pos, comma - pos);
    std::optional<EngineKind> k;
    if (item == "model") k = EngineKind::Model;
    if (item == "impl") k = EngineKind::Impl;
    if (item == "kernel") k = EngineKind::Kernel;
    if (!k) {
      error = "'" + std::string(item) + "' is not a lane (model, impl, kernel or both)";
      return std::nullopt;
    }
    for (EngineKind seen : kinds) {
      if (seen == *k) {
        error = "lane '" + std::string(item) + "' named twice";
        return std::nullopt;
      }
    }
    kinds.push_back(*k);
    pos = comma + 1;
  }
  return kinds;
}

}  // namespace rmapcheck
