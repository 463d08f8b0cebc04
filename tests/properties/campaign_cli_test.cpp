// campaign_cli_test.cpp - `rmapcheck campaign` as a user runs it: shards
// taken from the CI/cluster environment, --time, and SIGINT. Each test runs
// the real binary (RMAPCHECK_BIN) in a scratch directory and reads the JSON
// report it leaves behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "properties/campaign.h"

extern char** environ;

namespace rmapcheck::props {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using Env = std::map<std::string, std::string>;

const char* const kShardVars[] = {"GTEST_SHARD_INDEX",    "GTEST_TOTAL_SHARDS",
                                  "SLURM_ARRAY_TASK_ID",  "SLURM_ARRAY_TASK_COUNT",
                                  "SLURM_ARRAY_TASK_MIN", "JOB_COMPLETION_INDEX",
                                  "RMAPCHECK_SHARD_COUNT"};

bool is_shard_var(const std::string& entry) {
  for (const char* v : kShardVars) {
    if (entry.rfind(std::string(v) + "=", 0) == 0) return true;
  }
  return false;
}

// Starts `rmapcheck ARGS` with this process's environment minus every shard
// variable, plus `env`; stdout and stderr go to `log`.
pid_t spawn(const std::vector<std::string>& args, const Env& env, const fs::path& log) {
  std::vector<std::string> envs;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!is_shard_var(*e)) envs.emplace_back(*e);
  }
  for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
  std::vector<std::string> argv_s{RMAPCHECK_BIN};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid == 0) {
    std::FILE* f = std::fopen(log.c_str(), "w");
    if (f != nullptr) {
      dup2(fileno(f), 1);
      dup2(fileno(f), 2);
    }
    std::vector<char*> argv, envp;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run(const std::vector<std::string>& args, const Env& env, const fs::path& log) {
  return wait_exit(spawn(args, env, log));
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CampaignCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("rmapcheck-cli-" + std::to_string(getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  fs::path dir_;
};

// The same small campaign, shard 1 of 2, told by --shard or by the
// environment of each scheduler: the reports must be byte-identical (and
// named report-shard-1-of-2.json), and "timing" names the variables used.
TEST_F(CampaignCli, ShardsFromTheEnvironmentMatchTheShardOption) {
  const std::vector<std::string> base{"campaign", "--seed",       "11",        "--cases",
                                      "12",       "--keep-going", "--max-ops", "20"};
  auto with = [&](const std::string& name, std::vector<std::string> extra, bool det) {
    std::vector<std::string> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    a.push_back("--out");
    a.push_back((dir_ / name).string());
    if (det) a.push_back("--deterministic-report");
    return a;
  };
  const fs::path file = "report-shard-1-of-2.json";
  int rc = run(with("flag", {"--shard", "1/2"}, true), {}, dir_ / "flag.log");
  ASSERT_TRUE(rc == 0 || rc == 1) << slurp(dir_ / "flag.log");
  const std::string expected = slurp(dir_ / "flag" / file);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(json::parse(expected)["config"]["shard"], json::parse(R"({"index":1,"count":2})"));

  struct Case {
    std::string name;
    Env env;
    std::string source;
  };
  const std::vector<Case> cases{
      {"gtest",
       {{"GTEST_SHARD_INDEX", "1"}, {"GTEST_TOTAL_SHARDS", "2"}},
       "GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS"},
      // Slurm numbers array tasks from --array's first index: 5..6 here.
      {"slurm",
       {{"SLURM_ARRAY_TASK_ID", "6"},
        {"SLURM_ARRAY_TASK_MIN", "5"},
        {"SLURM_ARRAY_TASK_COUNT", "2"}},
       "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT"},
      {"k8s",
       {{"JOB_COMPLETION_INDEX", "1"}, {"RMAPCHECK_SHARD_COUNT", "2"}},
       "JOB_COMPLETION_INDEX/RMAPCHECK_SHARD_COUNT"},
  };
  for (const auto& c : cases) {
    rc = run(with(c.name, {}, true), c.env, dir_ / (c.name + ".log"));
    EXPECT_TRUE(rc == 0 || rc == 1) << c.name << ": " << slurp(dir_ / (c.name + ".log"));
    EXPECT_EQ(slurp(dir_ / c.name / file), expected) << c.name;
    // With timing, the report says where the shard came from.
    rc = run(with(c.name + "-t", {}, false), c.env, dir_ / (c.name + "-t.log"));
    EXPECT_TRUE(rc == 0 || rc == 1);
    json rep = json::parse(slurp(dir_ / (c.name + "-t") / file));
    EXPECT_EQ(rep["timing"]["shard_source"], c.source) << c.name;
  }
}

TEST_F(CampaignCli, ABadShardEnvironmentIsAUsageErrorThatNamesTheVariable) {
  const std::vector<std::string> args{"campaign",           "--seed", "1", "--cases", "1", "--out",
                                      (dir_ / "o").string()};
  EXPECT_EQ(run(args, {{"GTEST_SHARD_INDEX", "2"}, {"GTEST_TOTAL_SHARDS", "2"}}, dir_ / "a.log"),
            2);
  EXPECT_NE(slurp(dir_ / "a.log")
                .find("GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS: shard index 2 is not below"),
            std::string::npos)
      << slurp(dir_ / "a.log");
  EXPECT_EQ(run(args, {{"JOB_COMPLETION_INDEX", "0"}}, dir_ / "b.log"), 2);
  EXPECT_NE(slurp(dir_ / "b.log").find("RMAPCHECK_SHARD_COUNT is not"), std::string::npos);
  EXPECT_EQ(
      run(args, {{"SLURM_ARRAY_TASK_ID", "x"}, {"SLURM_ARRAY_TASK_COUNT", "2"}}, dir_ / "c.log"),
      2);
  EXPECT_NE(slurp(dir_ / "c.log").find("SLURM_ARRAY_TASK_ID='x' is not a non-negative integer"),
            std::string::npos);
  // Sharded by the environment, a campaign needs an explicit seed.
  EXPECT_EQ(run({"campaign", "--cases", "1", "--out", (dir_ / "o").string()},
                {{"GTEST_SHARD_INDEX", "0"}, {"GTEST_TOTAL_SHARDS", "2"}}, dir_ / "d.log"),
            2);
  EXPECT_NE(slurp(dir_ / "d.log").find("needs an explicit --seed"), std::string::npos);
}

// --time bounds the campaign by the clock: it ends by itself, passes, and
// its report records the time limit instead of a case count.
TEST_F(CampaignCli, TimeLimitEndsTheCampaign) {
  int rc = run({"campaign", "--seed", "3", "--time", "1", "--out", (dir_ / "o").string()}, {},
               dir_ / "log");
  ASSERT_EQ(rc, 0) << slurp(dir_ / "log");
  json rep = json::parse(slurp(dir_ / "o" / "report.json"));
  EXPECT_EQ(rep["config"]["time_limit"], 1.0);
  EXPECT_TRUE(rep["config"]["cases"].is_null());
  EXPECT_EQ(rep["result"], "pass");
  EXPECT_GT(rep["cases"].get<std::uint64_t>(), 0u);
  EXPECT_NE(slurp(dir_ / "log").find("PASSED (seed 3)"), std::string::npos);
}

bool has_temp_files(const fs::path& dir) {
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().filename().string().find(".tmp.") != std::string::npos) return true;
  }
  return false;
}

// Waits until `log` holds `text` (or the process ended); false on timeout.
bool wait_for(const fs::path& log, const std::string& text, pid_t pid, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (slurp(log).find(text) != std::string::npos) return true;
    if (waitpid(pid, nullptr, WNOHANG) != 0) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// SIGINT ends a long campaign after its current case, with exit status 130
// and a complete report saying "interrupted"; no temporary file is left.
TEST_F(CampaignCli, SigintWritesTheReportAndExits130) {
  for (const char* jobs : {"1", "2"}) {
    const fs::path out = dir_ / (std::string("o") + jobs), log = dir_ / (std::string("log") + jobs);
    pid_t pid =
        spawn({"campaign", "--seed", "5", "--time", "600", "--jobs", jobs, "--out", out.string()},
              {}, log);
    ASSERT_TRUE(wait_for(log, "campaign: seed 5", pid, 60)) << slurp(log);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    kill(pid, SIGINT);
    EXPECT_EQ(wait_exit(pid), 130) << slurp(log);
    json rep = json::parse(slurp(out / "report.json"));
    EXPECT_EQ(rep["result"], "interrupted");
    EXPECT_LT(rep["timing"]["seconds"].get<double>(), 600.0);
    EXPECT_FALSE(has_temp_files(out));
    EXPECT_NE(slurp(log).find("INTERRUPTED (seed 5)"), std::string::npos) << slurp(log);
  }
}

// SIGINT after a counterexample was found (--keep-going runs on): the
// counterexample trace and the report are both written whole, and the
// trace still fails with the mutant when replayed.
TEST_F(CampaignCli, SigintAfterACounterexampleSavesItWhole) {
  const fs::path out = dir_ / "o", log = dir_ / "log";
  // Seed 1 kills this mutant in its first cases (see `rmapcheck mutants`);
  // the first progress line (10 s) comes well after that.
  pid_t pid = spawn({"campaign", "--seed", "1", "--time", "600", "--keep-going", "--mutant",
                     "cve-2022-42703-children-only", "--out", out.string()},
                    {}, log);
  ASSERT_TRUE(wait_for(log, "s left", pid, 120)) << slurp(log);
  kill(pid, SIGINT);
  EXPECT_EQ(wait_exit(pid), 1) << slurp(log);
  json rep = json::parse(slurp(out / "report.json"));
  ASSERT_EQ(rep["result"], "counterexample") << rep.dump(2);
  const fs::path trace = out / rep["counterexample"]["file"].get<std::string>();
  auto parsed = load_trace_file(trace.string());
  ASSERT_TRUE(parsed.trace) << slurp(trace);
  EXPECT_EQ(parsed.trace->lines.size(), rep["counterexample"]["length"].get<std::size_t>());
  std::vector<Op> ops;
  for (const auto& l : parsed.trace->lines) ops.push_back(l.op);
  EngineConfig mutated;
  mutated.mutants = MutantSet::of(*mutant_from_name("cve-2022-42703-children-only"));
  EXPECT_TRUE(run_dual_isolated(ops, mutated).failure);
  EXPECT_FALSE(run_dual_isolated(ops, {}).failure) << "the counterexample fails unmutated too";
  EXPECT_FALSE(has_temp_files(out));
}

// Every saved counterexample has its C program next to its trace (export-c):
// the same name with .c, written whole, the trace's ops in it, the same as
// export-c of the saved trace, and the log says where it is.
TEST_F(CampaignCli, ACounterexampleIsSavedWithItsCProgram) {
  const fs::path out = dir_ / "o", log = dir_ / "log";
  // Seed 1 kills this mutant at case 17 (docs/campaigns.md).
  ASSERT_EQ(run({"campaign", "--seed", "1", "--cases", "40", "--mutant", "cve-2022-42703", "--out",
                 out.string()},
                {}, log),
            1)
      << slurp(log);
  json rep = json::parse(slurp(out / "report.json"));
  const fs::path trace = out / rep["counterexample"]["file"].get<std::string>();
  fs::path program = trace;
  program.replace_extension(".c");
  ASSERT_TRUE(fs::exists(program)) << slurp(log);
  const std::string text = slurp(program);
  EXPECT_EQ(text.rfind("/*\n * Generated by `rmapcheck export-c` from " + trace.string(), 0), 0u)
      << text.substr(0, 200);
  auto parsed = load_trace_file(trace.string());
  ASSERT_TRUE(parsed.trace) << slurp(trace);
  for (const auto& l : parsed.trace->lines)
    EXPECT_NE(text.find(format_op(l.op)), std::string::npos) << format_op(l.op);
  EXPECT_NE(slurp(log).find("C program written to " + program.string()), std::string::npos)
      << slurp(log);
  // It is what `rmapcheck export-c` makes of the saved trace, byte for byte
  // (so its line numbers are the file's).
  const fs::path again = dir_ / "again.c";
  ASSERT_EQ(run({"export-c", trace.string(), "-o", again.string()}, {}, dir_ / "export.log"), 0)
      << slurp(dir_ / "export.log");
  EXPECT_EQ(slurp(again), text);
  EXPECT_FALSE(has_temp_files(out));
}

// shard_from_env in-process: precedence and the "nothing set" case.
class ShardEnv : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : kShardVars) {
      if (const char* x = std::getenv(v)) saved_[v] = x;
      unsetenv(v);
    }
  }
  void TearDown() override {
    for (const char* v : kShardVars) unsetenv(v);
    for (const auto& [k, v] : saved_) setenv(k.c_str(), v.c_str(), 1);
  }
  Env saved_;
};

TEST_F(ShardEnv, NothingSetMeansNoShardAndNoError) {
  std::string error = "stale";
  EXPECT_FALSE(shard_from_env(error));
  EXPECT_EQ(error, "");
}

TEST_F(ShardEnv, GoogleTestWinsOverSlurmWhichWinsOverKubernetes) {
  setenv("JOB_COMPLETION_INDEX", "3", 1);
  setenv("RMAPCHECK_SHARD_COUNT", "4", 1);
  std::string error;
  auto s = shard_from_env(error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->index, 3u);
  EXPECT_EQ(s->count, 4u);
  setenv("SLURM_ARRAY_TASK_ID", "2", 1);
  setenv("SLURM_ARRAY_TASK_COUNT", "3", 1);
  s = shard_from_env(error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->index, 2u);
  EXPECT_EQ(s->source, "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT");
  setenv("GTEST_SHARD_INDEX", "0", 1);
  setenv("GTEST_TOTAL_SHARDS", "5", 1);
  s = shard_from_env(error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->count, 5u);
  EXPECT_EQ(s->source, "GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS");
}

TEST_F(ShardEnv, SlurmIndexIsCountedFromTheArrayMinimum) {
  setenv("SLURM_ARRAY_TASK_ID", "10", 1);
  setenv("SLURM_ARRAY_TASK_MIN", "8", 1);
  setenv("SLURM_ARRAY_TASK_COUNT", "4", 1);
  std::string error;
  auto s = shard_from_env(error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->index, 2u);
  setenv("SLURM_ARRAY_TASK_MIN", "11", 1);
  EXPECT_FALSE(shard_from_env(error));
  EXPECT_EQ(error, "SLURM_ARRAY_TASK_ID is below SLURM_ARRAY_TASK_MIN");
}

}  // namespace
}  // namespace rmapcheck::props
