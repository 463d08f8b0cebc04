// trace.h - the trace language: plain text, one operation per line.
//
//   # a comment; blank lines are ignored
//   mmap     P START NPAGES PROT [noreserve]      PROT: none | r | rw | rx | rwx
//   munmap   P START NPAGES
//   mprotect P START NPAGES PROT
//   madvise  P START NPAGES ADVICE                ADVICE: dontneed | dontfork | dofork
//                                                         | wipeonfork | keeponfork
//   mremap   P OLD OLDN NEW NEWN [dontunmap]      NEW == OLD: resize in place; else MAYMOVE|FIXED
//   read     P PAGE
//   write    P PAGE [VALUE]
//   fork     P CHILD
//   exit     P
//   rmap     P PAGE
//   failalloc [SITE] K                            the K-th allocation (at SITE) of the
//                                                 next op fails
//
// Any line may end with `=> RESULT` (see result.h): replay checks it.
// Numbers are decimal or 0x hex. Process `p0` exists at the start with an
// empty address space; `fork` names the child, which must not be live.
//
// Synopsis
//   TraceLine, Trace                 a parsed trace (ops, expectations, source lines)
//   parse_trace(text, file)          Trace, or diagnostics "file:line:col: message"
//   parse_ops(text, file)            the same without the liveness check: lines
//                                    out of a trace (a worker's message)
//   print_trace(trace)               canonical text; parse(print(t)) == t
//   format_op(op)                    one op in canonical form, no newline
//   load_trace_file(path)            reads and parses a file ("-": standard input)
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rmapcheck/op.h"
#include "rmapcheck/result.h"

namespace rmapcheck {

struct TraceLine {
  Op op;
  std::optional<Result> expect;  // from `=> RESULT`
  int line = 0;                  // 1-based source line; 0 when generated

  // Equality ignores the source line: a printed and re-parsed trace is equal.
  bool operator==(const TraceLine& o) const { return op == o.op && expect == o.expect; }
};

struct Trace {
  std::string file;  // where it came from, for messages ("<generated>" otherwise)
  std::vector<TraceLine> lines;
  bool operator==(const Trace& o) const { return lines == o.lines; }
};

struct Diagnostic {
  std::string file;
  int line = 0;  // 1-based
  int col = 0;   // 1-based
  std::string message;
  std::string to_string() const;  // "file:line:col: message"
};

struct ParseOutcome {
  std::optional<Trace> trace;  // set iff diagnostics is empty
  std::vector<Diagnostic> diagnostics;
};

// Parses a whole trace. Besides syntax it checks that every op names a
// process that is live at that point if every fork succeeds (p0, forked
// children, not yet exited) and that a fork's child is not live.
ParseOutcome parse_trace(std::string_view text, std::string_view file);
// Syntax and results only: the lines need not start from p0 alone (an op
// taken out of the middle of a trace, as a worker sends it back).
ParseOutcome parse_ops(std::string_view text, std::string_view file);

// Reads the file; an unreadable file is one diagnostic "file:0:0: ...".
// "-" reads standard input, named kStdinName in diagnostics.
ParseOutcome load_trace_file(const std::string& path);
inline constexpr std::string_view kStdinName = "<stdin>";

std::string format_op(const Op& op);
std::string format_line(const TraceLine& l);  // op, then " => RESULT" if expected
std::string print_trace(const Trace& t);      // one format_line per line, '\n'-terminated

}  // namespace rmapcheck
