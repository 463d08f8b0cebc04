// main.cpp - the `rmapcheck` command-line tool: dispatch to subcommands.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <memory>

#include "command.h"
#include "options.h"

namespace rmapcheck::tool {
std::vector<CommandSpec>& command_registry() {
  static std::vector<CommandSpec> registry;
  return registry;
}
}  // namespace rmapcheck::tool

int main(int argc, char** argv) {
  using namespace rmapcheck::tool;
  CLI::App app{"rmapcheck: an executable, checked specification of Linux anon rmap", "rmapcheck"};
  app.require_subcommand(1);
  app.set_version_flag("--version", version_text(), "print the version and exit");
  auto specs = command_registry();
  std::sort(specs.begin(), specs.end(),
            [](const CommandSpec& a, const CommandSpec& b) { return a.name < b.name; });
  std::map<CLI::App*, CommandRun> runs;
  std::string names;
  for (auto& spec : specs) {
    CLI::App* sub = app.add_subcommand(spec.name, spec.description);
    runs[sub] = spec.setup(*sub);
    names += (names.empty() ? "" : ", ") + spec.name;
  }
  // A first word that is no flag and no command is a mistyped command: name
  // it (CLI11 alone says only that an argument was not expected).
  if (argc > 1 && argv[1][0] != '-' &&
      std::none_of(specs.begin(), specs.end(),
                   [&](const CommandSpec& s) { return s.name == argv[1]; })) {
    std::fprintf(stderr, "rmapcheck: unknown command '%s' (commands: %s)\n\n%s", argv[1],
                 names.c_str(), app.help().c_str());
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    // --help and --version are success; every other parse error is a usage error (exit 2).
    return rc == 0 ? 0 : 2;
  }
  for (auto& [sub, run] : runs) {
    if (sub->parsed()) {
      try {
        return run();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "rmapcheck %s: internal error: %s\n", sub->get_name().c_str(),
                     e.what());
        return 3;
      }
    }
  }
  return 2;
}
