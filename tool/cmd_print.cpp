// cmd_print.cpp - `rmapcheck print FILE...`: a trace in canonical form.
//
// Canonical form (trace.h): comments and blank lines dropped, single spaces,
// lower-case keywords, decimal numbers, defaults left out. Bad input prints
// every diagnostic "file:line:col: message" to stderr and exits 2.
#include <cstdio>

#include "command.h"
#include "rmapcheck/trace.h"

namespace rmapcheck::tool {
namespace print_cmd {
namespace {

CommandRun setup_print(CLI::App& sub) {
  auto files = std::make_shared<std::vector<std::string>>();
  sub.add_option("files", *files, "trace files")->required();
  return [files]() {
    int rc = 0;
    for (const std::string& f : *files) {
      ParseOutcome p = load_trace_file(f);
      if (!p.trace) {
        for (const Diagnostic& d : p.diagnostics)
          std::fprintf(stderr, "%s\n", d.to_string().c_str());
        rc = 2;
        continue;
      }
      if (files->size() > 1) std::printf("# %s\n", f.c_str());
      std::fputs(print_trace(*p.trace).c_str(), stdout);
    }
    return rc;
  };
}

const CommandRegistrar reg{"print", "Print trace files in canonical form", &setup_print};

}  // namespace
}  // namespace print_cmd
}  // namespace rmapcheck::tool
