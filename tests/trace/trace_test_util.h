// trace_test_util.h - small helpers shared by the trace-language tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "rmapcheck/trace.h"

namespace rmapcheck::test {

// Parses text that must be valid; fails the test otherwise.
inline Trace parse_ok(std::string_view text) {
  ParseOutcome p = parse_trace(text, "t.trace");
  std::string all;
  for (const Diagnostic& d : p.diagnostics) all += d.to_string() + "\n";
  EXPECT_TRUE(p.trace.has_value()) << all;
  return p.trace ? *p.trace : Trace{};
}

// The one op of a one-line valid trace.
inline Op parse_op(std::string_view text) {
  Trace t = parse_ok(text);
  EXPECT_EQ(t.lines.size(), 1u) << text;
  return t.lines.empty() ? Op{} : t.lines[0].op;
}

// The first diagnostic of an invalid trace, as "file:line:col: message".
inline std::string first_diag(std::string_view text) {
  ParseOutcome p = parse_trace(text, "t.trace");
  EXPECT_FALSE(p.trace.has_value()) << text;
  return p.diagnostics.empty() ? "(no diagnostic)" : p.diagnostics[0].to_string();
}

}  // namespace rmapcheck::test
