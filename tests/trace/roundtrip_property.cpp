// roundtrip_property.cpp - the printer and the parser are inverse.
//
//   parse(print(t)) == t                      for every generated trace t
//   parse(noisy(t)) == t                      the same trace written sloppily:
//                                             tabs, upper case, hex, comments,
//                                             explicit defaults
//   print(parse(text)) is a fixed point       printing again changes nothing
//
// Generated traces respect process liveness (fork names a child that is not
// live, nothing runs on an exited process), like every trace the parser
// accepts.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "rmapcheck/coverage.h"
#include "rmapcheck/trace.h"

namespace rmapcheck {
namespace {

// Small pages most of the time (where traces live), anywhere in the window sometimes.
Page gen_page() {
  return *rc::gen::weightedOneOf<Page>({{4, rc::gen::inRange<Page>(0, 64)},
                                        {1, rc::gen::inRange<Page>(0, kWindowPages)},
                                        {1, rc::gen::just(kWindowPages - 1)}});
}

Page gen_count(Page start) {
  const Page room = kWindowPages - start;  // >= 1
  return *rc::gen::weightedOneOf<Page>(
      {{4, rc::gen::inRange<Page>(0, std::min<Page>(room, 16) + 1)},
       {1, rc::gen::inRange<Page>(0, room + 1)},
       {1, rc::gen::just(room)}});
}

std::string gen_name() {
  return *rc::gen::weightedOneOf<std::string>(
      {{6, rc::gen::map(rc::gen::inRange(0, 8), [](int i) { return "p" + std::to_string(i); })},
       {1, rc::gen::element<std::string>("child", "a_b", "z9", std::string(32, 'q'))}});
}

Result gen_result(OpKind kind) {
  const Result err = Result::error(*rc::gen::weightedOneOf<int>(
      {{4, rc::gen::element(ENOMEM, EINVAL, EEXIST, EFAULT, ESRCH, EAGAIN, EPERM, EBUSY)},
       {1, rc::gen::inRange(1, 200)}}));
  const int pick = *rc::gen::inRange(0, 4);
  if (pick == 0) return err;
  // Only a user access faults (parse_result refuses SIGSEGV elsewhere).
  if (pick == 1 && (kind == OpKind::Read || kind == OpKind::Write)) return Result::segv();
  if (kind == OpKind::Read) return Result::read_value(*rc::gen::arbitrary<std::uint64_t>());
  if (kind == OpKind::Rmap) {
    std::vector<RmapHit> hits;
    const int n = *rc::gen::inRange(0, 4);
    for (int i = 0; i < n; ++i) hits.push_back({gen_name(), gen_page()});
    return Result::rmap(std::move(hits));
  }
  return Result::ok();
}

Op gen_op(std::vector<std::string>& live) {
  auto kind = static_cast<OpKind>(*rc::gen::inRange(0, kOpKindCount));
  if (live.empty() && kind != OpKind::Reclaim) kind = OpKind::FailAlloc;
  if (kind == OpKind::Reclaim) return op_reclaim();
  if (kind == OpKind::FailAlloc) {
    auto site = static_cast<AllocSite>(*rc::gen::inRange(0, kAllocSiteCount));
    auto nth = *rc::gen::weightedOneOf<std::uint32_t>(
        {{4, rc::gen::inRange<std::uint32_t>(1, 5)}, {1, rc::gen::just(UINT32_MAX)}});
    return op_failalloc(site, nth);
  }
  const std::size_t who = *rc::gen::inRange<std::size_t>(0, live.size());
  const std::string p = live[who];
  const auto prot = static_cast<Prot>(*rc::gen::inRange(0, 5));
  switch (kind) {
    case OpKind::Mmap: {
      Page s = gen_page();
      return op_mmap(p, s, gen_count(s), prot, *rc::gen::arbitrary<bool>());
    }
    case OpKind::Munmap: {
      Page s = gen_page();
      return op_munmap(p, s, gen_count(s));
    }
    case OpKind::Mprotect: {
      Page s = gen_page();
      return op_mprotect(p, s, gen_count(s), prot);
    }
    case OpKind::Madvise: {
      Page s = gen_page();
      return op_madvise(p, s, gen_count(s), static_cast<Advice>(*rc::gen::inRange(0, 5)));
    }
    case OpKind::Pageout: {
      Page s = gen_page();
      return op_pageout(p, s, gen_count(s));
    }
    case OpKind::Mremap: {
      Page s = gen_page();
      Page n = gen_count(s);
      Page ns = *rc::gen::arbitrary<bool>() ? s : gen_page();
      return op_mremap(p, s, n, ns, gen_count(ns), *rc::gen::arbitrary<bool>());
    }
    case OpKind::Read:
      return op_read(p, gen_page());
    case OpKind::Rmap:
      return op_rmap(p, gen_page());
    case OpKind::Write: {
      auto v = *rc::gen::weightedOneOf<std::uint64_t>(
          {{2, rc::gen::just<std::uint64_t>(1)}, {3, rc::gen::arbitrary<std::uint64_t>()}});
      return op_write(p, gen_page(), v);
    }
    case OpKind::Fork: {
      std::string child = gen_name();
      for (int i = 0; std::find(live.begin(), live.end(), child) != live.end(); ++i)
        child = "c" + std::to_string(i);
      live.push_back(child);
      return op_fork(p, child);
    }
    case OpKind::Exit:
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(who));
      return op_exit(p);
    case OpKind::FailAlloc:
    case OpKind::Reclaim:
      break;
  }
  return op_exit(p);
}

Trace gen_trace() {
  Trace t;
  t.file = "<generated>";
  std::vector<std::string> live{"p0"};
  const int n = *rc::gen::inRange(0, 40);
  for (int i = 0; i < n; ++i) {
    TraceLine l;
    l.op = gen_op(live);
    if (*rc::gen::inRange(0, 3) == 0) l.expect = gen_result(l.op.kind);
    t.lines.push_back(std::move(l));
  }
  return t;
}

// --- the same trace, written the way a person might -------------------------

std::string space() {
  return *rc::gen::element<std::string>(" ", "  ", "\t", " \t ");
}

std::string number(std::uint64_t v) {
  if (*rc::gen::arbitrary<bool>()) return std::to_string(v);
  char buf[32];
  std::snprintf(buf, sizeof buf, *rc::gen::arbitrary<bool>() ? "0x%llx" : "0X%llX",
                static_cast<unsigned long long>(v));
  return buf;
}

std::string keyword(std::string_view w) {
  std::string s{w};
  if (*rc::gen::arbitrary<bool>())
    for (char& c : s)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

std::string noisy_op(const Op& op) {
  std::vector<std::string> t{keyword(op_kind_name(op.kind))};
  if (op_names_proc(op.kind)) t.push_back(op.proc);
  switch (op.kind) {
    case OpKind::Mmap:
    case OpKind::Mprotect:
    case OpKind::Munmap:
    case OpKind::Madvise:
    case OpKind::Mremap:
    case OpKind::Pageout:
      t.push_back(number(op.start));
      t.push_back(number(op.npages));
      if (op.kind == OpKind::Mmap || op.kind == OpKind::Mprotect)
        t.push_back(keyword(prot_name(op.prot)));
      if (op.kind == OpKind::Madvise) t.push_back(keyword(advice_name(op.advice)));
      if (op.noreserve) t.push_back(keyword("noreserve"));
      if (op.kind == OpKind::Mremap) {
        t.push_back(number(op.new_start));
        t.push_back(number(op.new_npages));
        if (op.dontunmap) t.push_back(keyword("dontunmap"));
      }
      break;
    case OpKind::Read:
    case OpKind::Rmap:
      t.push_back(number(op.start));
      break;
    case OpKind::Write:
      t.push_back(number(op.start));
      if (op.value != 1 || *rc::gen::arbitrary<bool>()) t.push_back(number(op.value));
      break;
    case OpKind::Fork:
      t.push_back(op.child);
      break;
    case OpKind::Exit:
    case OpKind::Reclaim:
      break;
    case OpKind::FailAlloc:
      if (op.site != AllocSite::Any || *rc::gen::arbitrary<bool>())
        t.push_back(keyword(alloc_site_name(op.site)));
      t.push_back(number(op.nth));
      break;
  }
  std::string s = *rc::gen::element<std::string>("", " ", "\t");
  for (std::size_t i = 0; i < t.size(); ++i) s += (i ? space() : "") + t[i];
  return s;
}

std::string noisy_result(const Result& r) {
  switch (r.kind) {
    case Result::Kind::Value:
      return number(r.value);
    case Result::Kind::Rmap: {
      std::string s = "{" + *rc::gen::element<std::string>("", " ");
      for (std::size_t i = r.hits.size(); i-- > 0;)  // any order is accepted
        s += r.hits[i].proc + ":" + number(r.hits[i].page) + (i ? space() : "");
      return s + "}";
    }
    default:
      return keyword(format_result(r));
  }
}

std::string noisy_trace(const Trace& t) {
  std::string s;
  for (const TraceLine& l : t.lines) {
    if (*rc::gen::inRange(0, 4) == 0)
      s += *rc::gen::element<std::string>("\n", "# a comment => 0\n", "  \t\n");
    s += noisy_op(l.op);
    if (l.expect)
      s += *rc::gen::element<std::string>(" => ", "=>", " =>\t") + noisy_result(*l.expect);
    if (*rc::gen::inRange(0, 4) == 0) s += *rc::gen::element<std::string>(" # why", "#", "\t");
    s += *rc::gen::element<std::string>("\n", "\r\n");
  }
  return s;
}

RC_GTEST_PROP(TraceRoundTrip, ParseOfPrintIsIdentity, ()) {
  const Trace t = gen_trace();
  for (const TraceLine& l : t.lines) RC_ASSERT(!op_invalid_reason(l.op).has_value());
  const std::string text = print_trace(t);
  ParseOutcome p = parse_trace(text, "<printed>");
  RC_ASSERT(p.diagnostics.empty());
  RC_ASSERT(*p.trace == t);
}

RC_GTEST_PROP(TraceRoundTrip, SloppyTextParsesToTheSameTrace, ()) {
  const Trace t = gen_trace();
  const std::string text = noisy_trace(t);
  RC_LOG() << text;
  ParseOutcome p = parse_trace(text, "<noisy>");
  RC_ASSERT(p.diagnostics.empty());
  RC_ASSERT(*p.trace == t);
  // print(parse(text)) is canonical: printing what it parses to gives it back.
  const std::string once = print_trace(*p.trace);
  RC_ASSERT(once == print_trace(t));
  RC_ASSERT(print_trace(*parse_trace(once, "<again>").trace) == once);
}

}  // namespace
}  // namespace rmapcheck
