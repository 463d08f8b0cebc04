// robustness_property.cpp - any bytes at all get diagnostics or a trace, never a crash.
//
//   for every text: parse_trace returns either a trace or diagnostics (not
//   both), every diagnostic points inside the text (line >= 1, col >= 1),
//   and there are at most 21 (20 plus the "too many errors" one).
// Texts are drawn from trace-like tokens and raw bytes, so both the
// syntax paths and the byte checks are reached.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "rmapcheck/trace.h"

namespace rmapcheck {
namespace {

std::string gen_text() {
  const auto pieces =
      *rc::gen::container<std::vector<std::string>>(rc::gen::weightedOneOf<std::string>(
          {{6, rc::gen::element<std::string>(
                   "mmap", "munmap", "mprotect", "madvise", "mremap", "read", "write", "fork",
                   "exit", "rmap", "failalloc", "p0", "p1", "q", "0", "1", "4", "0x10", "1048575",
                   "1048576", "99999999999999999999", "rw", "rwx", "none", "dontneed", "wipeonfork",
                   "noreserve", "dontunmap", "any", "avc", "=>", "{p0:1}", "{", "}", "ENOMEM",
                   "SIGSEGV", "#", "\n", "\r\n")},
           {3, rc::gen::element<std::string>(" ", "\t", "\n")},
           {1, rc::gen::container<std::string>(rc::gen::arbitrary<char>())}}));
  std::string s;
  for (const std::string& p : pieces) s += p;
  return s;
}

RC_GTEST_PROP(TraceRobustness, AnyTextGetsATraceOrDiagnostics, ()) {
  const std::string text = gen_text();
  ParseOutcome p = parse_trace(text, "f");
  RC_ASSERT(p.trace.has_value() == p.diagnostics.empty());
  RC_ASSERT(p.diagnostics.size() <= 21u);
  int lines = 1;
  for (char c : text) lines += c == '\n';
  for (const Diagnostic& d : p.diagnostics) {
    RC_ASSERT(d.line >= 1);
    RC_ASSERT(d.line <= lines);
    RC_ASSERT(d.col >= 1);
    RC_ASSERT(d.to_string().rfind("f:", 0) == 0);
  }
  if (p.trace) {
    // Whatever parsed is valid and survives a round trip.
    for (const TraceLine& l : p.trace->lines) RC_ASSERT(!op_invalid_reason(l.op).has_value());
    RC_ASSERT(*parse_trace(print_trace(*p.trace), "g").trace == *p.trace);
  }
}

}  // namespace
}  // namespace rmapcheck
