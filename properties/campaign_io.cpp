// campaign_io.cpp - atomic report files, the stop signal, and the shard contract.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "properties/campaign.h"

namespace rmapcheck::props {

namespace {

volatile sig_atomic_t g_stop = 0;

extern "C" void on_stop_signal(int sig) {
  if (g_stop) {
    // Second signal: the user means it. Default action, re-raised.
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  g_stop = 1;
}

// In a worker or batch process: every SIGINT or SIGTERM is the same request
// (the terminal sends SIGINT to the whole process group, and the campaign
// passes its stop on with SIGTERM), so none of them kills; the process ends
// at its next case boundary and reports what it did.
extern "C" void on_worker_stop_signal(int) {
  g_stop = 1;
}

bool parse_u64(std::string_view s, std::uint64_t& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc{} && p == s.data() + s.size();
}

std::optional<std::uint64_t> env_u64(const char* name, std::string& error) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  std::uint64_t x = 0;
  if (!parse_u64(v, x)) {
    error = std::string(name) + "='" + v + "' is not a non-negative integer";
    return std::nullopt;
  }
  return x;
}

std::optional<ShardSpec> make_shard(std::uint64_t i, std::uint64_t n, std::string source,
                                    std::string& error) {
  if (n == 0 || i >= n) {
    error = source + ": shard index " + std::to_string(i) + " is not below the shard count " +
            std::to_string(n);
    return std::nullopt;
  }
  return ShardSpec{i, n, std::move(source)};
}

}  // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // an interrupted write() goes on writing
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

void install_worker_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_worker_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool stop_requested() {
  return g_stop != 0;
}
void request_stop() {
  g_stop = 1;
}

std::optional<ShardSpec> parse_shard(const std::string& text, std::string& error) {
  auto slash = text.find('/');
  std::uint64_t i = 0, n = 0;
  if (slash == std::string::npos || !parse_u64(std::string_view(text).substr(0, slash), i) ||
      !parse_u64(std::string_view(text).substr(slash + 1), n)) {
    error = "--shard '" + text + "' is not of the form I/N (0 <= I < N)";
    return std::nullopt;
  }
  return make_shard(i, n, "--shard", error);
}

std::optional<ShardSpec> shard_from_env(std::string& error) {
  error.clear();
  if (auto i = env_u64("GTEST_SHARD_INDEX", error)) {
    auto n = env_u64("GTEST_TOTAL_SHARDS", error);
    if (!n) {
      if (error.empty()) error = "GTEST_SHARD_INDEX is set but GTEST_TOTAL_SHARDS is not";
      return std::nullopt;
    }
    return make_shard(*i, *n, "GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS", error);
  }
  if (!error.empty()) return std::nullopt;
  if (auto i = env_u64("SLURM_ARRAY_TASK_ID", error)) {
    auto n = env_u64("SLURM_ARRAY_TASK_COUNT", error);
    if (!n) {
      if (error.empty()) error = "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not";
      return std::nullopt;
    }
    std::uint64_t min = env_u64("SLURM_ARRAY_TASK_MIN", error).value_or(0);
    if (!error.empty()) return std::nullopt;
    if (*i < min) {
      error = "SLURM_ARRAY_TASK_ID is below SLURM_ARRAY_TASK_MIN";
      return std::nullopt;
    }
    return make_shard(*i - min, *n, "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT", error);
  }
  if (!error.empty()) return std::nullopt;
  if (auto i = env_u64("JOB_COMPLETION_INDEX", error)) {
    auto n = env_u64("RMAPCHECK_SHARD_COUNT", error);
    if (!n) {
      if (error.empty()) {
        error =
            "JOB_COMPLETION_INDEX is set but RMAPCHECK_SHARD_COUNT is not "
            "(set it to the Indexed Job's spec.completions)";
      }
      return std::nullopt;
    }
    return make_shard(*i, *n, "JOB_COMPLETION_INDEX/RMAPCHECK_SHARD_COUNT", error);
  }
  return std::nullopt;
}

std::string report_file_name(const ShardSpec& s) {
  if (s.count == 1) return "report.json";
  return "report-shard-" + std::to_string(s.index) + "-of-" + std::to_string(s.count) + ".json";
}

}  // namespace rmapcheck::props
