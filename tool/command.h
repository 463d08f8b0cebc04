// command.h - how a subcommand of the `rmapcheck` tool registers itself.
//
// Each subcommand lives in its own tool/cmd_<name>.cpp and defines one
// static CommandRegistrar. main.cpp builds the CLI11 app from the registry,
// in name order, so adding a command touches no other file.
// Its own names live in namespace <name>_cmd (and an anonymous one inside
// it): the tool builds as unity files (RMAPCHECK_UNITY), where two commands'
// `setup` or `reg` would otherwise meet in one translation unit.
//
//   static rmapcheck::tool::CommandRegistrar reg{"replay", "Run a trace", &setup_replay};
//
// setup(sub) declares the options on the CLI11 subcommand and returns the
// function that runs it; its return value is the process exit status
// (0 success, 1 a check failed, 2 usage or input error).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace rmapcheck::tool {

using CommandRun = std::function<int()>;
using CommandSetup = std::function<CommandRun(CLI::App& sub)>;

struct CommandSpec {
  std::string name;
  std::string description;
  CommandSetup setup;
};

std::vector<CommandSpec>& command_registry();

struct CommandRegistrar {
  CommandRegistrar(std::string name, std::string description, CommandSetup setup) {
    command_registry().push_back({std::move(name), std::move(description), std::move(setup)});
  }
};

}  // namespace rmapcheck::tool
