// trace_print.cpp - the canonical text form of traces (trace.h).
//
// Canonical: single spaces, lower-case keywords, decimal numbers, optional
// parts left out when they have their default (write VALUE 1, failalloc SITE
// any). parse_trace(print_trace(t)) == t for every trace of valid ops.
#include <string>

#include "rmapcheck/trace.h"

namespace rmapcheck {
namespace {

std::string num(std::uint64_t v) {
  return std::to_string(v);
}

}  // namespace

std::string Diagnostic::to_string() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + message;
}

std::string format_op(const Op& op) {
  std::string s{op_kind_name(op.kind)};
  auto add = [&s](std::string_view part) {
    s += ' ';
    s += part;
  };
  if (op_names_proc(op.kind)) add(op.proc);
  switch (op.kind) {
    case OpKind::Mmap:
      add(num(op.start)), add(num(op.npages)), add(prot_name(op.prot));
      if (op.noreserve) add("noreserve");
      break;
    case OpKind::Munmap:
    case OpKind::Pageout:
      add(num(op.start)), add(num(op.npages));
      break;
    case OpKind::Reclaim:
      break;
    case OpKind::Mprotect:
      add(num(op.start)), add(num(op.npages)), add(prot_name(op.prot));
      break;
    case OpKind::Madvise:
      add(num(op.start)), add(num(op.npages)), add(advice_name(op.advice));
      break;
    case OpKind::Mremap:
      add(num(op.start)), add(num(op.npages)), add(num(op.new_start)), add(num(op.new_npages));
      if (op.dontunmap) add("dontunmap");
      break;
    case OpKind::Read:
    case OpKind::Rmap:
      add(num(op.start));
      break;
    case OpKind::Write:
      add(num(op.start));
      if (op.value != 1) add(num(op.value));
      break;
    case OpKind::Fork:
      add(op.child);
      break;
    case OpKind::Exit:
      break;
    case OpKind::FailAlloc:
      if (op.site != AllocSite::Any) add(alloc_site_name(op.site));
      add(num(op.nth));
      break;
  }
  return s;
}

std::string format_line(const TraceLine& l) {
  std::string s = format_op(l.op);
  if (l.expect) s += " => " + format_result(*l.expect);
  return s;
}

std::string print_trace(const Trace& t) {
  std::string s;
  for (const TraceLine& l : t.lines) s += format_line(l) + "\n";
  return s;
}

}  // namespace rmapcheck
