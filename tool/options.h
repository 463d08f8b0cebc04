// options.h - what every subcommand's options share: the one validator of
// numeric flags, the check of an output directory, and the version string.
//
// Numeric flags (--seed, --cases, --time, --jobs, ...) all go through
// integer_in() or seconds_in(), so a bad value gets the same usage error
// (exit 2) whatever the command:
//   --cases: '-1' is not an integer in 1..1000000000000
//   --time: '0.01' is not a number of seconds in 1..31536000
// An integer is decimal digits or 0x hex digits, nothing else: no sign, no
// exponent, no octal (CLI11 alone would read "-1" as 2^64-1 and "010" as 8).
//
// Synopsis
//   integer_in(lo, hi)        CLI11 check: an unsigned integer in [lo, hi]
//   seconds_in(lo, hi)        CLI11 check: a finite number in [lo, hi]
//   non_empty()               CLI11 check: the value is not ""
//   probe_out_dir(flag, dir)  "" when DIR is (or can be made) a directory we
//                             can write in; else the usage message
//   probe_out_file(path)      "" when PATH (-o of draw and export-c) can be
//                             written atomically; else why not
//   version_text()            "rmapcheck 0.1 (git v0.1-12-gabcdef0)"
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace rmapcheck::tool {

// The ranges the commands share.
constexpr std::uint64_t kMaxU64 = UINT64_MAX;
constexpr std::uint64_t kMaxCases = 1000000000000;    // 10^12 cases
constexpr double kMinSeconds = 1;                     // shorter cannot promise one case
constexpr double kMaxSeconds = 365.0 * 24 * 60 * 60;  // a year
constexpr std::uint64_t kMaxJobs = 256;
constexpr std::uint64_t kMaxOps = 100000;

CLI::Validator integer_in(std::uint64_t lo, std::uint64_t hi);
CLI::Validator seconds_in(double lo, double hi);
CLI::Validator non_empty();

// Checks, before any work starts, that files can be written in `dir`: a
// path that is a file, a path under a file, or a directory this process
// cannot create files in (probed by creating and removing one) is refused.
// Does not create `dir` itself. Returns "" or "FLAG DIR: why".
std::string probe_out_dir(const std::string& flag, const std::string& dir);

// Checks, before any work starts, that `path` can be written as
// write_file_atomic() writes it (a temporary file beside it, then rename):
// it is not a directory, and its directory exists and takes a new file
// (probed, as probe_out_dir does). Returns "" or why not, e.g.
// "it is a directory", "no-such-dir: No such file or directory".
std::string probe_out_file(const std::string& path);

std::string version_text();

}  // namespace rmapcheck::tool
