// trace_fuzzer.cpp - the libFuzzer harness over the trace language and both engines.
//
// For every input (arbitrary bytes):
//   (a) parse_trace() must return, without crashing or hanging, either a
//       trace or diagnostics (never both, never neither), each diagnostic at
//       a 1-based line and column with a message, at most 20 and a "too many
//       errors" line; every op of a trace must satisfy op_invalid_reason()
//       == nullopt (the engines' precondition, op.h);
//   (b) for a trace that parses: print it, parse the printed text, and
//       require the same lines (ops and `=> RESULT`s), and that printing the
//       reparsed trace gives the same text (print is a fixed point);
//   (c) replay its first 64 ops (RMAPCHECK_FUZZ_MAX_OPS) on the model and
//       the impl in lock-step with props::run_dual (properties/harness.h),
//       which runs the one checker (rmapcheck/checker.h): equal results,
//       equal canonical snapshots, no invariant violation, no leak after
//       every op, then every live process exits and nothing may be left.
// The `=> RESULT`s of the input are not checked against the engines: the
// fuzzer writes them at random, and the model is the spec.
//
// Any disagreement prints a readable report and aborts, so that libFuzzer
// saves the input as a crash. See docs/fuzzing.md.
//
// RMAPCHECK_FUZZ_MUTANTS=name[,name...] switches historical bugs back on in
// the impl (docs/mutants.md), to see the harness catch them; unset, the impl
// is the real one.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "properties/harness.h"
#include "rmapcheck/engine.h"
#include "rmapcheck/mutants.h"
#include "rmapcheck/trace.h"

namespace {

using namespace rmapcheck;

// Bounds on the work per input, so that an execution stays in the
// milliseconds: longer inputs are rejected (not added to the corpus), and
// only the first 64 ops of a trace are replayed (every prefix of a
// trace that parses is a trace that parses).
// RMAPCHECK_FUZZ_MAX_OPS overrides the op cap.
constexpr std::size_t kMaxInputBytes = 16384;
constexpr std::size_t kDefaultMaxOps = 64;
// parse_trace() reports at most this many problems, then one "too many errors".
constexpr std::size_t kMaxDiagnostics = 20;

// The impl's configuration, from RMAPCHECK_FUZZ_MUTANTS (LLVMFuzzerInitialize).
EngineConfig g_impl_config;
std::size_t g_max_ops = kDefaultMaxOps;  // RMAPCHECK_FUZZ_MAX_OPS

[[noreturn]] void fail(const std::string& what, std::string_view input, const std::string& detail) {
  std::fprintf(stderr, "\n==== trace_fuzzer: %s ====\n%s", what.c_str(), detail.c_str());
  if (!detail.empty() && detail.back() != '\n') std::fputc('\n', stderr);
  std::fprintf(stderr, "---- input (%zu bytes) ----\n", input.size());
  std::fwrite(input.data(), 1, input.size(), stderr);
  std::fprintf(stderr, "\n---- end of input ----\n");
  std::fflush(stderr);
  std::abort();
}

std::string diagnostics_text(const ParseOutcome& p) {
  std::string s;
  for (const Diagnostic& d : p.diagnostics) s += d.to_string() + "\n";
  return s;
}

// (a) the parser's contract on any bytes.
void check_parse_outcome(const ParseOutcome& p, std::string_view input) {
  if (p.trace.has_value() == !p.diagnostics.empty())
    fail("parse_trace returned a trace and diagnostics, or neither", input, diagnostics_text(p));
  if (p.diagnostics.size() > kMaxDiagnostics + 1)
    fail("parse_trace returned more than " + std::to_string(kMaxDiagnostics + 1) + " diagnostics",
         input, diagnostics_text(p));
  for (const Diagnostic& d : p.diagnostics)
    if (d.line < 1 || d.col < 1 || d.message.empty())
      fail("a diagnostic without a 1-based line and column or a message", input,
           diagnostics_text(p));
  if (!p.trace) return;
  for (const TraceLine& l : p.trace->lines)
    if (auto why = op_invalid_reason(l.op))
      fail("parse_trace accepted an invalid op", input,
           "line " + std::to_string(l.line) + ": " + format_op(l.op) + ": " + *why);
}

// (b) print, reparse, print again.
void check_round_trip(const Trace& t, std::string_view input) {
  const std::string printed = print_trace(t);
  ParseOutcome again = parse_trace(printed, "<printed>");
  if (!again.trace)
    fail("the printed trace does not parse", input,
         "printed:\n" + printed + diagnostics_text(again));
  if (!(*again.trace == t))
    fail("parse(print(t)) != t", input,
         "printed:\n" + printed + "reprinted:\n" + print_trace(*again.trace));
  const std::string reprinted = print_trace(*again.trace);
  if (reprinted != printed)
    fail("print(parse(print(t))) != print(t)", input,
         "printed:\n" + printed + "reprinted:\n" + reprinted);
}

// (c) model and impl in lock-step, then the exit epilogue.
void check_replay(const Trace& t, std::string_view input) {
  Trace capped;
  capped.file = t.file;
  const std::size_t n = t.lines.size() < g_max_ops ? t.lines.size() : g_max_ops;
  capped.lines.assign(t.lines.begin(), t.lines.begin() + static_cast<std::ptrdiff_t>(n));
  props::DualOutcome out = props::run_dual(capped, g_impl_config);
  if (!out.failure) return;
  std::string ran = print_trace(capped);
  for (const Op& op : out.epilogue) ran += format_op(op) + "   # epilogue\n";
  fail("model/impl " + out.failure->kind_name(), input,
       out.failure->describe() + "---- ops replayed ----\n" + ran);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  if (const char* max_ops = std::getenv("RMAPCHECK_FUZZ_MAX_OPS")) {
    char* end = nullptr;
    const unsigned long v = std::strtoul(max_ops, &end, 10);
    if (end == max_ops || *end != '\0' || v < 1 || v > 100000) {
      std::fprintf(stderr, "trace_fuzzer: RMAPCHECK_FUZZ_MAX_OPS: expected 1..100000, got '%s'\n",
                   max_ops);
      std::exit(2);
    }
    g_max_ops = v;
  }
  const char* env = std::getenv("RMAPCHECK_FUZZ_MUTANTS");
  std::string_view names = env ? env : "";
  while (!names.empty()) {
    const std::size_t comma = names.find(',');
    const std::string_view name = names.substr(0, comma);
    names = comma == std::string_view::npos ? std::string_view{} : names.substr(comma + 1);
    if (name.empty()) continue;
    auto m = mutant_from_name(name);
    if (!m) {
      std::fprintf(stderr, "trace_fuzzer: RMAPCHECK_FUZZ_MUTANTS: unknown mutant '%.*s'\n",
                   static_cast<int>(name.size()), name.data());
      std::exit(2);
    }
    g_impl_config.mutants.set(*m);
    std::fprintf(stderr, "trace_fuzzer: mutant %.*s is on in the impl\n",
                 static_cast<int>(name.size()), name.data());
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > kMaxInputBytes) return -1;  // not kept in the corpus
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  ParseOutcome p = parse_trace(input, "<fuzz>");
  check_parse_outcome(p, input);
  if (!p.trace) return 0;
  check_round_trip(*p.trace, input);
  check_replay(*p.trace, input);
  return 0;
}
