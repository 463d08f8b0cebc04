// campaign_export.h - every saved counterexample gets its C program next to it.
//
//   write_counterexample_c("out/counterexample-1-17.trace", log)
//     writes out/counterexample-1-17.c: that file's trace exported by export_c()
//     (export/export_c.h), a standalone program that replays it on the live
//     kernel and checks the model after every op; atomically (tmp + rename).
//     It reads the trace back from the file, so that the program's line
//     numbers are the file's and `rmapcheck export-c` of it gives the same
//     bytes. Logs one line either way: where it went, or why it could not be
//     written.
#pragma once

#include <iosfwd>
#include <string>

namespace rmapcheck::props {

// The name of the C program next to a trace: ".trace" replaced by ".c"
// (".c" appended when the name does not end in ".trace").
std::string c_program_path(const std::string& trace_path);

void write_counterexample_c(const std::string& trace_path, std::ostream& log);

}  // namespace rmapcheck::props
