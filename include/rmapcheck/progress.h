// progress.h - the one progress reporter of every run that can take more
// than a few seconds: `campaign`, `mutants`, `oracle --random`, `replay` of
// long traces (and any later long-running command).
//
// On a terminal (ProgressStyle::Bar, stderr a tty) one line redrawn in place
// at most every 0.25 s:
//   [#########.....................] 1200 of 4000 cases  40000 ops  16000 ops/s  7s left  NOTE
// Otherwise (ProgressStyle::Lines: a log, a pipe, CI) one line every 10 s:
//   campaign: 1200 of 4000 cases, 40000 ops, 16000 ops/s, 7s left, NOTE
// Time left: from the rate so far when the total is known, else from the
// time limit. Everything goes to stderr, so stdout stays the command's
// output. Nothing is shown before `delay` seconds, so a short run prints no
// progress at all.
//
// Synopsis
//   progress_style_for_stderr()    Bar on a terminal, else Lines
//   Progress p(config);            starts the clock
//   p.update(done, ops)            shows the figures when the interval is up
//   p.update(done, ops, true)      shows them now
//   p.set_note(text)               appended to the figures (e.g. the mutant running)
//   p.clear()                      erases the bar before other output to the terminal
//   p.finish()                     the final figures ("done in 3.0s" for the time left)
//                                  if any were shown (or final_line); ends the bar
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace rmapcheck {

enum class ProgressStyle { Off, Lines, Bar };

// Bar when stderr is a terminal, else Lines.
ProgressStyle progress_style_for_stderr();

struct ProgressConfig {
  std::string label;                   // the line prefix: "campaign", "oracle", ...
  std::string unit = "cases";          // what `done` counts
  std::optional<std::uint64_t> total;  // `done` at the end, when known
  double seconds = 0;                  // otherwise the time limit (0: none)
  ProgressStyle style = ProgressStyle::Lines;
  std::string ops_unit = "ops";  // what `ops` counts, shown with its rate; "": the rate of `unit`
  double delay = 0;              // seconds before anything is shown
  bool final_line = false;       // finish() shows the final figures even if nothing was shown
};

class Progress {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Progress(ProgressConfig config, Clock::time_point start = Clock::now());
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void update(std::uint64_t done, std::uint64_t ops = 0, bool force = false);
  void set_note(std::string note);
  void clear();
  void finish();

 private:
  void show(Clock::time_point now, bool final = false);

  ProgressConfig c_;
  Clock::time_point start_, last_;
  std::uint64_t done_ = 0, ops_ = 0;
  std::string note_;
  bool shown_ = false;        // anything shown yet
  bool bar_on_line_ = false;  // the bar is on the terminal's current line
  bool finished_ = false;
};

}  // namespace rmapcheck
