// campaign_export.cpp - the C program of a counterexample, next to its trace.
#include "properties/campaign_export.h"

#include <ostream>

#include "export/export_c.h"
#include "properties/campaign.h"
#include "rmapcheck/trace.h"

namespace rmapcheck::props {

std::string c_program_path(const std::string& trace_path) {
  const std::string ext = ".trace";
  if (trace_path.size() > ext.size() &&
      trace_path.compare(trace_path.size() - ext.size(), ext.size(), ext) == 0)
    return trace_path.substr(0, trace_path.size() - ext.size()) + ".c";
  return trace_path + ".c";
}

void write_counterexample_c(const std::string& trace_path, std::ostream& log) {
  const std::string path = c_program_path(trace_path);
  ParseOutcome p = load_trace_file(trace_path);
  if (!p.trace) {
    log << "rmapcheck campaign: cannot export " << trace_path
        << " to C: " << p.diagnostics.front().to_string() << "\n";
    return;
  }
  exporter::ExportOptions opt;
  opt.source_name = trace_path;
  std::string error;
  if (!write_file_atomic(path, exporter::export_c(*p.trace, opt).program, error)) {
    log << "rmapcheck campaign: cannot write the C program: " << error << "\n";
    return;
  }
  log << "C program written to " << path << "; as root: cc -O2 -o prog " << path
      << " && ./prog (the live kernel against the model)\n";
}

}  // namespace rmapcheck::props
