// progress.cpp - the progress reporter (progress.h).
#include "rmapcheck/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace rmapcheck {
namespace {

double since(Progress::Clock::time_point t0, Progress::Clock::time_point t1) {
  return std::chrono::duration<double>(t1 - t0).count();
}

std::string done_in(double seconds) {
  return fmt::format("done in {:.1f}s", seconds);
}

}  // namespace

ProgressStyle progress_style_for_stderr() {
  return isatty(STDERR_FILENO) != 0 ? ProgressStyle::Bar : ProgressStyle::Lines;
}

Progress::Progress(ProgressConfig config, Clock::time_point start)
    : c_(std::move(config)), start_(start), last_(start) {}

Progress::~Progress() {
  finish();
}

void Progress::update(std::uint64_t done, std::uint64_t ops, bool force) {
  if (c_.style == ProgressStyle::Off) return;
  done_ = done;
  ops_ = ops;
  const auto now = Clock::now();
  if (!force) {
    if (since(start_, now) < c_.delay) return;
    const double interval = c_.style == ProgressStyle::Bar ? 0.25 : 10.0;
    if (since(last_, now) < interval) return;
  }
  show(now);
}

void Progress::set_note(std::string note) {
  note_ = std::move(note);
}

void Progress::clear() {
  if (!bar_on_line_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  bar_on_line_ = false;
}

void Progress::finish() {
  if (c_.style == ProgressStyle::Off || finished_) return;
  finished_ = true;
  if (shown_ || c_.final_line) show(Clock::now(), true);
  if (bar_on_line_) std::fputs("\n", stderr);
  std::fflush(stderr);
  bar_on_line_ = false;
}

void Progress::show(Clock::time_point now, bool final) {
  last_ = now;
  shown_ = true;
  const double t = since(start_, now);
  const bool ops = !c_.ops_unit.empty();
  const double rate = t > 0 ? static_cast<double>(ops ? ops_ : done_) / t : 0;
  std::string left = "?";
  if (final) {
    left.clear();
  } else if (c_.total) {
    if (done_ > 0)
      left = fmt::format("{:.0f}", t * static_cast<double>(*c_.total - std::min(*c_.total, done_)) /
                                       static_cast<double>(done_));
  } else if (c_.seconds > 0) {
    left = fmt::format("{:.0f}", std::max(0.0, c_.seconds - t));
  }
  const std::string count = c_.total ? fmt::format("{} of {} {}", done_, *c_.total, c_.unit)
                                     : fmt::format("{} {}", done_, c_.unit);
  const std::string& rate_unit = ops ? c_.ops_unit : c_.unit;
  if (c_.style == ProgressStyle::Bar) {
    double frac = -1;
    if (c_.total)
      frac = *c_.total ? static_cast<double>(done_) / static_cast<double>(*c_.total) : 1.0;
    else if (c_.seconds > 0)
      frac = t / c_.seconds;
    std::string bar;
    if (frac >= 0) {
      const auto filled = static_cast<std::size_t>(std::clamp(frac, 0.0, 1.0) * 30);
      bar = "[" + std::string(filled, '#') + std::string(30 - filled, '.') + "] ";
    }
    std::string line = "\r" + bar + count;
    if (ops) line += fmt::format("  {} {}", ops_, c_.ops_unit);
    line += fmt::format("  {:.0f} {}/s  {}", rate, rate_unit, final ? done_in(t) : left + "s left");
    if (!note_.empty()) line += "  " + note_;
    std::fputs((line + "\033[K").c_str(), stderr);
    bar_on_line_ = true;
  } else {
    std::string line = c_.label + ": " + count;
    if (ops) line += fmt::format(", {} {}", ops_, c_.ops_unit);
    line += fmt::format(", {:.0f} {}/s, {}", rate, rate_unit, final ? done_in(t) : left + "s left");
    if (!note_.empty()) line += ", " + note_;
    std::fputs((line + "\n").c_str(), stderr);
  }
  std::fflush(stderr);
}

}  // namespace rmapcheck
