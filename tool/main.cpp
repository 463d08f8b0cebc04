// main.cpp - the `rmapcheck` command-line tool: dispatch to subcommands.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <map>
#include <memory>

#include "command.h"

namespace rmapcheck::tool {
std::vector<CommandSpec>& command_registry() {
  static std::vector<CommandSpec> registry;
  return registry;
}
}  // namespace rmapcheck::tool

int main(int argc, char** argv) {
  using namespace rmapcheck::tool;
  CLI::App app{"rmapcheck: an executable, checked specification of Linux anon rmap"};
  app.require_subcommand(1);
  auto specs = command_registry();
  std::sort(specs.begin(), specs.end(),
            [](const CommandSpec& a, const CommandSpec& b) { return a.name < b.name; });
  std::map<CLI::App*, CommandRun> runs;
  for (auto& spec : specs) {
    CLI::App* sub = app.add_subcommand(spec.name, spec.description);
    runs[sub] = spec.setup(*sub);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    // --help is success; every other parse error is a usage error (exit 2).
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
