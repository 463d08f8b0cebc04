// export_c.cpp - writes the C program: configuration, the ops, the predictions.
#include "export/export_c.h"

#include <fmt/format.h>
#include <sys/mman.h>

#include <algorithm>
#include <set>

#include "export/c_runtime.h"
#include "oracle/agent_protocol.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE 1
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED 2
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

namespace rmapcheck::exporter {
namespace {

// The oracle's window (oracle/agent_protocol.h), so that the two agree.
constexpr std::uint64_t kBase = oracle::kWindowBase;
constexpr std::uint64_t kPage = oracle::kPageSize;
// Free address space the program requires on each side of the window, so
// that no VMA of the trace can merge with anything outside it.
constexpr std::uint64_t kGuard = std::uint64_t{1} << 30;

std::string hex(std::uint64_t v, std::string_view suffix = "ul") {
  return fmt::format("{:#x}{}", v, suffix);
}
std::string addr(Page p) {
  return hex(kBase + p * kPage);
}
std::string len(Page n) {
  return hex(n * kPage);
}

// A C string literal: quotes, backslashes and anything not printable ASCII escaped.
std::string c_string(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\')
      out += fmt::format("\\{}", static_cast<char>(c));
    else if (c == '\n')
      out += "\\n";
    else if (c < 0x20 || c >= 0x7f)
      out += fmt::format("\\{:03o}", c);
    else
      out += static_cast<char>(c);
  }
  return out + "\"";
}

// Text for inside a /* */ comment.
std::string c_comment(std::string_view s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (out.size() >= 2 && out.compare(out.size() - 2, 2, "*/") == 0)
      out.insert(out.size() - 1, " ");
  }
  return out;
}

std::string prot_arg(Prot p) {
  std::uint64_t v = 0;
  std::string names;
  auto add = [&](std::uint64_t bit, const char* name) {
    v |= bit;
    names += names.empty() ? name : std::string("|") + name;
  };
  if (prot_read(p)) add(PROT_READ, "PROT_READ");
  if (prot_write(p)) add(PROT_WRITE, "PROT_WRITE");
  if (prot_exec(p)) add(PROT_EXEC, "PROT_EXEC");
  if (names.empty()) names = "PROT_NONE";
  return fmt::format("/*prot={}*/{}", names, hex(v));
}

std::string advice_arg(Advice a) {
  switch (a) {
    case Advice::DontNeed:
      return fmt::format("/*advice=MADV_DONTNEED*/{}", hex(MADV_DONTNEED));
    case Advice::DontFork:
      return fmt::format("/*advice=MADV_DONTFORK*/{}", hex(MADV_DONTFORK));
    case Advice::DoFork:
      return fmt::format("/*advice=MADV_DOFORK*/{}", hex(MADV_DOFORK));
    case Advice::WipeOnFork:
      return fmt::format("/*advice=MADV_WIPEONFORK*/{}", hex(MADV_WIPEONFORK));
    case Advice::KeepOnFork:
      return fmt::format("/*advice=MADV_KEEPONFORK*/{}", hex(MADV_KEEPONFORK));
  }
  return "0ul";
}

std::string proc_id(const std::string& name) {
  return "P_" + name;
}

struct Syscall {
  const char* name;
  int x86_64;  // the number, for headers that lack it
};
constexpr Syscall kMmap{"mmap", 9}, kMprotect{"mprotect", 10}, kMunmap{"munmap", 11},
    kMremap{"mremap", 25}, kMadvise{"madvise", 28}, kPidfdOpen{"pidfd_open", 434};

// The agent side of one op: the straight-line call in execute()'s switch.
// Adds the syscalls it uses to `used`.
std::string agent_case(const Op& op, std::set<std::pair<int, std::string>>& used) {
  auto use = [&](const Syscall& s) { used.insert({s.x86_64, s.name}); };
  switch (op.kind) {
    case OpKind::Mmap: {
      use(kMmap);
      use(kMunmap);  // mmap_reply() cleans up a misplaced mapping
      std::string flags = "MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE";
      std::uint64_t f = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;
      if (op.noreserve) {
        flags += "|MAP_NORESERVE";
        f |= MAP_NORESERVE;
      }
      return fmt::format(
          "\t\tres = syscall(__NR_mmap, /*addr=*/{}, /*len=*/{}, {}, /*flags={}*/{}, "
          "/*fd=*/(intptr_t)-1, /*offset=*/0ul);\n"
          "\t\tmmap_reply(r, res, /*want=*/{}, /*len=*/{});\n",
          addr(op.start), len(op.npages), prot_arg(op.prot), flags, hex(f), addr(op.start),
          len(op.npages));
    }
    case OpKind::Munmap:
      use(kMunmap);
      return fmt::format(
          "\t\tres = syscall(__NR_munmap, /*addr=*/{}, /*len=*/{});\n\t\tsys_reply(r, res);\n",
          addr(op.start), len(op.npages));
    case OpKind::Mprotect:
      use(kMprotect);
      return fmt::format(
          "\t\tres = syscall(__NR_mprotect, /*addr=*/{}, /*len=*/{}, {});\n\t\tsys_reply(r, "
          "res);\n",
          addr(op.start), len(op.npages), prot_arg(op.prot));
    case OpKind::Madvise:
      use(kMadvise);
      return fmt::format(
          "\t\tres = syscall(__NR_madvise, /*addr=*/{}, /*len=*/{}, {});\n\t\tsys_reply(r, "
          "res);\n",
          addr(op.start), len(op.npages), advice_arg(op.advice));
    case OpKind::Mremap: {
      use(kMremap);
      // As the oracle: NEW == OLD resizes in place (flags 0, or DONTUNMAP
      // alone for the kernel to judge); otherwise a fixed move.
      std::uint64_t f = 0;
      std::string names;
      if (op.new_start != op.start) {
        f = MREMAP_MAYMOVE | MREMAP_FIXED;
        names = "MREMAP_MAYMOVE|MREMAP_FIXED";
      }
      if (op.dontunmap) {
        f |= MREMAP_DONTUNMAP;
        names += names.empty() ? "MREMAP_DONTUNMAP" : "|MREMAP_DONTUNMAP";
      }
      return fmt::format(
          "\t\tres = syscall(__NR_mremap, /*old_address=*/{}, /*old_size=*/{}, /*new_size=*/{}, "
          "/*flags={}*/{}, /*new_address=*/{});\n\t\tsys_reply(r, res);\n",
          addr(op.start), len(op.npages), len(op.new_npages), names, hex(f), addr(op.new_start));
    }
    case OpKind::Read:
      return fmt::format("\t\tguarded_access(r, /*addr=*/{}, /*store=*/0, /*value=*/0);\n",
                         addr(op.start));
    case OpKind::Write:
      return fmt::format("\t\tguarded_access(r, /*addr=*/{}, /*store=*/1, /*value=*/{});\n",
                         addr(op.start), hex(op.value, "ull"));
    case OpKind::Fork:
      return fmt::format("\t\tagent_fork(r, /*child=*/{});\n", proc_id(op.child));
    case OpKind::Exit:
      return "\t\t_exit(0);\n";
    case OpKind::Rmap:
    case OpKind::FailAlloc:
    case OpKind::Pageout:  // cannot_replay
    case OpKind::Reclaim:
      break;
  }
  return "";
}

// The controller side of one op, in main().
std::string controller_call(const Op& op, std::size_t n) {
  switch (op.kind) {
    case OpKind::Read:
      return fmt::format("\trun_read(/*op=*/{}, /*proc=*/{});\n", n, proc_id(op.proc));
    case OpKind::Fork:
      return fmt::format("\tfork_proc(/*op=*/{}, /*parent=*/{}, /*child=*/{});\n", n,
                         proc_id(op.proc), proc_id(op.child));
    case OpKind::Exit:
      return fmt::format("\texit_proc(/*op=*/{}, /*proc=*/{});\n", n, proc_id(op.proc));
    case OpKind::Rmap:
      return fmt::format("\trmap_query(/*proc=*/{}, /*page=*/{});\n", proc_id(op.proc), op.start);
    default:
      return fmt::format("\trun(/*op=*/{}, /*proc=*/{});\n", n, proc_id(op.proc));
  }
}

// The expected state as adjacent string literals, one line each.
std::string state_literal(const std::vector<std::string>& lines) {
  if (lines.empty()) return "\t      \"\"";
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i)
    out += fmt::format("{}\t      {}", i ? "\n" : "", c_string(lines[i] + "\n"));
  return out;
}

std::string check_call(std::size_t n, int line, const std::string& text, const std::string& result,
                       const std::vector<std::string>& state) {
  return fmt::format("\tcheck(/*op=*/{}, /*line=*/{}, {}, /*result=*/{},\n{});\n", n, line,
                     c_string(text), c_string(result), state_literal(state));
}

// What the program does at the first op it cannot replay; nullopt when it can.
std::optional<std::string> cannot_replay(const Op& op, const Engine& model,
                                         const EngineConfig& config) {
  if (op.kind == OpKind::FailAlloc)
    return "failalloc: this kernel has no fault injection, so one chosen allocation cannot be "
           "made to fail";
  if (op.kind == OpKind::Pageout || op.kind == OpKind::Reclaim)
    return fmt::format(
        "{}: swapping needs a swap device and a memory cgroup of the program's own, which the "
        "oracle sets up (docs/conformance.md) and this program does not",
        op_kind_name(op.kind));
  if (op.kind == OpKind::Fork &&
      model.snapshot().procs.size() >= static_cast<std::size_t>(config.max_procs))
    return fmt::format("fork beyond the model's limit of {} live processes", config.max_procs);
  return std::nullopt;
}

}  // namespace

ExportResult export_c(const Trace& trace, const ExportOptions& options) {
  ExportResult out;
  const std::string source = options.source_name.empty() ? trace.file : options.source_name;
  auto line_of = [](const TraceLine& l, std::size_t i) {
    return l.line > 0 ? l.line : static_cast<int>(i + 1);
  };

  // 1. The model's prediction of every op it can be compared on.
  EngineConfig config;
  std::vector<std::unique_ptr<Engine>> lanes;
  lanes.push_back(make_engine(EngineKind::Model, config));
  Checker checker(std::move(lanes));
  Engine* model = &checker.engine(0);
  const std::vector<std::string> initial = observable_state(checker.state(0));
  std::vector<OpPrediction> predictions;
  std::size_t stop_at = trace.lines.size();  // 0-based index of the first op not replayed
  for (std::size_t i = 0; i < trace.lines.size(); ++i) {
    const TraceLine& l = trace.lines[i];
    if (auto why = cannot_replay(l.op, *model, config)) {
      out.stop = *why;
      stop_at = i;
      break;
    }
    std::optional<CheckFailure> broken;
    OpPrediction p = predict_op(checker, l.op, broken);
    if (broken) {
      // The model itself failed a check: say so, and predict nothing from here.
      out.warnings.push_back(fmt::format("{}:{}: the model fails a check here: {}", source,
                                         line_of(l, i), broken->headline()));
      stop_at = i;
      out.stop = "the model failed a check at this op: " + broken->headline();
      break;
    }
    if (l.expect && *l.expect != p.result)
      out.warnings.push_back(fmt::format(
          "{}:{}: the model answers {} where the trace expects {}; the program checks the "
          "model's answer",
          source, line_of(l, i), format_result(p.result), format_result(*l.expect)));
    if (options.mispredict_op == i + 1) {
      if (options.mispredict_state)
        p.state.push_back("mispredicted: a line no kernel shows");
      else
        p.result = Result::error(999);  // prints as E999
    }
    predictions.push_back(std::move(p));
  }
  out.replayed_ops = stop_at;

  // 2. The processes, in name order: the order of the state lines.
  std::set<std::string> names{"p0"};
  std::set<OpKind> kinds;
  for (std::size_t i = 0; i < stop_at; ++i) {
    const Op& op = trace.lines[i].op;
    names.insert(op.proc);
    if (op.kind == OpKind::Fork) names.insert(op.child);
    kinds.insert(op.kind);
  }
  auto uses = [&](std::initializer_list<OpKind> ks) {
    return std::any_of(ks.begin(), ks.end(), [&](OpKind k) { return kinds.count(k) != 0; });
  };

  // 3. execute() and main(), which decide what else is needed.
  std::set<std::pair<int, std::string>> syscalls{{kPidfdOpen.x86_64, kPidfdOpen.name}};
  std::string cases, calls;
  bool any_res = false, any_r = false;
  for (std::size_t i = 0; i < stop_at; ++i) {
    const TraceLine& l = trace.lines[i];
    const std::size_t n = i + 1;
    const std::string text = format_op(l.op);
    if (l.op.kind != OpKind::Rmap) {
      std::string body = agent_case(l.op, syscalls);
      any_res = any_res || body.find("res = ") != std::string::npos;
      any_r = any_r || l.op.kind != OpKind::Exit;
      cases += fmt::format("\tcase {}: /* {} */\n{}{}", n, c_comment(text), body,
                           l.op.kind == OpKind::Exit ? "" : "\t\tbreak;\n");
    }
    calls +=
        fmt::format("\n\t/* op {}, line {}: {} */\n", n, line_of(l, i), c_comment(format_line(l)));
    calls += controller_call(l.op, n);
    calls += check_call(n, line_of(l, i), text, format_result(predictions[i].result),
                        predictions[i].state);
  }
  if (out.stop) {
    const TraceLine& l = trace.lines[stop_at];
    calls += fmt::format("\n\t/* op {}, line {}: {}\n\t *   NOT REPLAYED: {}.\n", stop_at + 1,
                         line_of(l, stop_at), c_comment(format_line(l)), c_comment(*out.stop));
    calls += "\t *   From here on nothing is replayed or checked:\n";
    for (std::size_t i = stop_at + 1; i < trace.lines.size(); ++i)
      calls += fmt::format("\t * op {}, line {}: {}\n", i + 1, line_of(trace.lines[i], i),
                           c_comment(format_line(trace.lines[i])));
    calls += "\t */\n";
    calls += fmt::format("\tpartial(/*op=*/{}, /*line=*/{}, {}, {});\n", stop_at + 1,
                         line_of(l, stop_at), c_string(format_op(l.op)), c_string(*out.stop));
  } else {
    calls += "\n\tdone();\n";
  }

  // 4. The file, top to bottom.
  std::string& c = out.program;
  c += "/*\n";
  c += fmt::format(" * Generated by `rmapcheck export-c` from {} ({} ops).\n", c_comment(source),
                   trace.lines.size());
  if (out.stop)
    c += fmt::format(
        " * Ops 1..{0} are replayed and checked. Op {1} (line {2}) cannot be replayed:\n"
        " *   {3}.\n"
        " * The program stops there and says so; op {1} and the {4} op(s) after it\n"
        " * are only comments below: NOT checked.\n",
        stop_at, stop_at + 1, line_of(trace.lines[stop_at], stop_at), c_comment(*out.stop),
        trace.lines.size() - stop_at - 1);
  else
    c += " * Every op is replayed and checked.\n";
  c += R"( * Re-export rather than edit: the expected values are the model's.
 *
 * The program replays the trace on the running kernel the way `rmapcheck
 * oracle` does: each trace process is a real process (fork), stepped in
 * trace order by this one over pipes; page N of the trace is at address
 * WINDOW + N * 4096, with free guard gaps on both sides. After every op it
 * checks what rmapcheck's model predicted:
 *   - the op's result: 0, an errno, SIGSEGV, the value read, the rmap hits;
 *   - every live process's VMAs in the window (/proc/PID/maps: start, end,
 *     perms; the kernel merges neighbours, and so does the model);
 *   - every present page (/proc/PID/pagemap): the zero page, or a frame;
 *     frames are numbered by first appearance (processes by name, pages in
 *     order), so which pages share a frame is compared up to renaming;
 *   - rmap P PAGE has no syscall: as in the oracle, the kernel's answer is
 *     every (process, page) that maps the anon frame P maps at PAGE.
 * Not compared here (`rmapcheck oracle` does): mapcounts, AnonExclusive,
 * page contents beyond what `read` returns, vm_flags beyond r/w/x, and the
 * anon_vma forest.
 *
 * Build and run as root (page frame numbers need CAP_SYS_ADMIN):
 *     cc -O2 -Wall -o prog prog.c && ./prog
 * Exit status: 0 the kernel matched the model after every op replayed
 * (the last line says whether that is every op of the trace); 1 a mismatch,
 * printed first as `op N "OP": expected ..., kernel ...`; 3 the program's own
 * machinery failed; 77 it cannot run here (not root, the window is not free).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

)";
  for (const auto& [nr, name] : syscalls)
    c += fmt::format("#ifndef __NR_{0}\n#define __NR_{0} {1}\n#endif\n", name, nr);
  c += R"(#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef PR_SET_THP_DISABLE
#define PR_SET_THP_DISABLE 41
#endif
#ifndef PR_SET_CHILD_SUBREAPER
#define PR_SET_CHILD_SUBREAPER 36
#endif

)";
  c += fmt::format(
      "/* Page 0 of the window: where `rmapcheck oracle` puts it. */\n"
      "#define WINDOW {}ull\n#define WINDOW_END {}ull\n#define PAGE {}ull\n"
      "/* Free on both sides of the window: nothing outside can merge with it. */\n"
      "#define GUARD {}ull\n\n",
      hex(kBase, ""), hex(kBase + kWindowPages * kPage, ""), hex(kPage, ""), hex(kGuard, ""));
  c += "#define EXIT_MISMATCH 1\n#define EXIT_MACHINERY 3\n#define EXIT_CANNOT_RUN 77\n\n";
  c += fmt::format("static const char trace_file[] = {};\n", c_string(source));
  c += fmt::format("#define NOPS {}\n\n", trace.lines.size());
  c += "/* The trace's processes, in name order: the order of the state lines. */\n";
  c += fmt::format("#define NPROCS {}\n", names.size());
  std::string ids, quoted;
  for (const std::string& n : names) {
    ids += (ids.empty() ? "" : ", ") + proc_id(n);
    quoted += (quoted.empty() ? "" : ", ") + c_string(n);
  }
  c += fmt::format("enum {{ {} }};\n", ids);
  c += fmt::format("static const char* const proc_name[NPROCS] = {{{}}};\n", quoted);
  c += "#define FIRST P_p0 /* the process the trace starts with */\n";
  // errno_name(), for set_result() in kRuntimeRequest.
  std::string errno_fn;
  errno_fn += "\n/* The errno names of the trace language. */\n";
  errno_fn += "static const char* errno_name(int e)\n{\n\tswitch (e) {\n";
  for (int e = 1; e < 4096; ++e)
    if (!errno_name(e).empty())
      errno_fn += fmt::format("\tcase {0}:\n\t\treturn \"{0}\";\n", errno_name(e));
  errno_fn += "\t}\n\treturn NULL;\n}\n";

  const bool syscall_ops = uses({OpKind::Mmap, OpKind::Munmap, OpKind::Mprotect, OpKind::Madvise,
                                 OpKind::Mremap, OpKind::Write});
  c += kRuntimeAgent;
  c += kRuntimeFaults;
  if (uses({OpKind::Read, OpKind::Write})) c += kRuntimeGuardedAccess;
  if (uses({OpKind::Mmap})) c += kRuntimeMmapReply;
  if (uses({OpKind::Munmap, OpKind::Mprotect, OpKind::Madvise, OpKind::Mremap}))
    c += kRuntimeSysReply;
  if (uses({OpKind::Fork})) c += kRuntimeAgentFork;
  c += kRuntimeController;
  if (syscall_ops || uses({OpKind::Read, OpKind::Fork})) c += errno_fn + kRuntimeRequest;
  if (syscall_ops) c += kRuntimeRun;
  if (uses({OpKind::Read})) c += kRuntimeRunRead;
  if (uses({OpKind::Fork})) c += kRuntimeForkProc;
  if (uses({OpKind::Exit})) c += kRuntimeExitProc;
  c += kRuntimeObserve;
  if (uses({OpKind::Rmap})) c += kRuntimeRmap;
  c += kRuntimeSetup;
  if (out.stop)
    c += kRuntimePartial;
  else
    c += kRuntimeDone;

  c += "\n/* The agent side of every op, in the process the op names. */\n";
  c += "static void execute(int op, struct reply* r)\n{\n";
  if (any_res) c += "\tlong res;\n\n";
  if (!any_r) c += "\t(void)r;\n";
  c += "\tswitch (op) {\n" + cases;
  c += "\tdefault:\n\t\t_exit(4); /* not an op of this process: a bug of the program */\n\t}\n}\n";

  c += "\nint main(void)\n{\n\tsetup();\n";
  c += "\t/* The start: p0, live, with nothing in the window. */\n";
  c += check_call(0, 0, "(the start)", "0", initial);
  c += calls;
  c += "}\n";
  return out;
}

}  // namespace rmapcheck::exporter
