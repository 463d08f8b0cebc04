// cmd_export_c.cpp - `rmapcheck export-c TRACE [-o FILE]`: the trace as a
// standalone C program that replays it on the live kernel and checks the
// model's prediction after every op (export/export_c.h, docs/guide/export-c.md).
//
//   rmapcheck export-c t.trace > t.c          the program on stdout
//   rmapcheck export-c t.trace -o t.c         written atomically (tmp + rename)
//
// -o is checked before anything else is done. A `=> RESULT` the model
// contradicts is a warning (the program checks the model's answer).
// Exit status: 0 written, 2 usage or input error (bad trace: every
// diagnostic "file:line:col: message"; unreadable trace; -o not writable).
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "command.h"
#include "export/export_c.h"
#include "options.h"
#include "properties/campaign.h"
#include "rmapcheck/trace.h"

namespace rmapcheck::tool {
namespace export_c_cmd {
namespace {

struct ExportArgs {
  std::string trace;
  std::string out;
  std::string mispredict;  // tests only: "N" (the result of op N) or "N:state"
};

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "rmapcheck export-c: %s\n", msg.c_str());
  return 2;
}

int run(const ExportArgs& a) {
  if (!a.out.empty()) {
    if (std::string why = probe_out_file(a.out); !why.empty())
      return usage_error(fmt::format("cannot write -o {}: {}", a.out, why));
  }
  exporter::ExportOptions opt;
  if (!a.mispredict.empty()) {
    const std::size_t colon = a.mispredict.find(':');
    const std::string num = a.mispredict.substr(0, colon);
    const std::string what = colon == std::string::npos ? "result" : a.mispredict.substr(colon + 1);
    char* end = nullptr;
    opt.mispredict_op = std::strtoull(num.c_str(), &end, 10);
    if (num.empty() || *end != '\0' || opt.mispredict_op == 0 ||
        (what != "result" && what != "state"))
      return usage_error("--test-mispredict takes N or N:result or N:state (N >= 1)");
    opt.mispredict_state = what == "state";
  }
  ParseOutcome p = load_trace_file(a.trace);
  if (!p.trace) {
    for (const Diagnostic& d : p.diagnostics) std::fprintf(stderr, "%s\n", d.to_string().c_str());
    return 2;
  }
  opt.source_name = p.trace->file;  // "<stdin>" for -, as the diagnostics say
  exporter::ExportResult r = exporter::export_c(*p.trace, opt);
  if (opt.mispredict_op > r.replayed_ops)
    return usage_error(fmt::format("--test-mispredict {}: the program replays only {} op(s)",
                                   opt.mispredict_op, r.replayed_ops));
  for (const std::string& w : r.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  if (a.out.empty()) {
    std::fputs(r.program.c_str(), stdout);
    return 0;
  }
  std::string error;
  if (!write_file_atomic(a.out, r.program, error)) return usage_error("cannot write " + error);
  const std::size_t total = p.trace->lines.size();
  if (r.stop)
    std::printf("wrote %s: ops 1..%zu of %zu replayed and checked; the rest NOT (%s)\n",
                a.out.c_str(), r.replayed_ops, total, r.stop->c_str());
  else
    std::printf("wrote %s: all %zu ops replayed and checked\n", a.out.c_str(), total);
  return 0;
}

CommandRun setup(CLI::App& sub) {
  auto a = std::make_shared<ExportArgs>();
  sub.add_option("trace", a->trace, "the trace file")->required();
  sub.add_option("-o,--output", a->out, "write the C program here (default: stdout)");
  // Tests only: a wrong prediction, so that the program must report a mismatch.
  sub.add_option("--test-mispredict", a->mispredict)->group("");
  return [a] { return run(*a); };
}

const CommandRegistrar reg{
    "export-c",
    "Write a trace as a standalone C program that replays it on the live kernel and checks the "
    "model's prediction after every op",
    &setup};

}  // namespace
}  // namespace export_c_cmd
}  // namespace rmapcheck::tool
