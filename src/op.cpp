// op.cpp - names of the trace vocabulary, Op constructors and static validity.
//
// Every name table here is the single source of truth for the trace language
// (trace_parse.cpp, trace_print.cpp) and for reports: the enumerations and
// their names must stay in the same order.
#include "rmapcheck/op.h"

#include <array>
#include <string>
#include <utility>

namespace rmapcheck {
namespace {

constexpr std::array<std::string_view, 5> kProtNames = {"none", "r", "rw", "rx", "rwx"};
constexpr std::array<std::string_view, 5> kAdviceNames = {"dontneed", "dontfork", "dofork",
                                                          "wipeonfork", "keeponfork"};
constexpr std::array<std::string_view, 8> kSiteNames = {"any",   "anon_vma", "avc",      "vma",
                                                        "folio", "pgtable",  "prealloc", "swap"};
constexpr std::array<std::string_view, kOpKindCount> kOpNames = {
    "mmap", "munmap", "mprotect", "madvise",   "mremap",  "read",   "write",
    "fork", "exit",   "rmap",     "failalloc", "pageout", "reclaim"};

template <typename Enum, std::size_t N>
std::optional<Enum> lookup(const std::array<std::string_view, N>& names, std::string_view s) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == s) return static_cast<Enum>(i);
  return std::nullopt;
}

template <std::size_t N>
std::string_view name_of(const std::array<std::string_view, N>& names, std::size_t i) {
  return i < N ? names[i] : std::string_view{"?"};
}

// [start, start+n) lies inside the window; a zero-length range still needs
// its start inside (the kernel decides what a zero length means).
bool range_in_window(Page start, Page n) {
  return start < kWindowPages && n <= kWindowPages - start;
}

std::string range_text(Page start, Page n) {
  return "[" + std::to_string(start) + ", " + std::to_string(start) + "+" + std::to_string(n) + ")";
}

}  // namespace

bool prot_read(Prot p) {
  return p != Prot::None;
}
bool prot_write(Prot p) {
  return p == Prot::RW || p == Prot::RWX;
}
bool prot_exec(Prot p) {
  return p == Prot::RX || p == Prot::RWX;
}
std::string_view prot_name(Prot p) {
  return name_of(kProtNames, static_cast<std::size_t>(p));
}
std::optional<Prot> prot_from_name(std::string_view s) {
  return lookup<Prot>(kProtNames, s);
}

std::string_view advice_name(Advice a) {
  return name_of(kAdviceNames, static_cast<std::size_t>(a));
}
std::optional<Advice> advice_from_name(std::string_view s) {
  return lookup<Advice>(kAdviceNames, s);
}

std::string_view alloc_site_name(AllocSite s) {
  return name_of(kSiteNames, static_cast<std::size_t>(s));
}
std::optional<AllocSite> alloc_site_from_name(std::string_view s) {
  return lookup<AllocSite>(kSiteNames, s);
}

std::string_view op_kind_name(OpKind k) {
  return name_of(kOpNames, static_cast<std::size_t>(k));
}
std::optional<OpKind> op_kind_from_name(std::string_view s) {
  return lookup<OpKind>(kOpNames, s);
}

Op op_mmap(std::string p, Page start, Page n, Prot prot, bool noreserve) {
  Op op;
  op.kind = OpKind::Mmap;
  op.proc = std::move(p);
  op.start = start;
  op.npages = n;
  op.prot = prot;
  op.noreserve = noreserve;
  return op;
}

Op op_munmap(std::string p, Page start, Page n) {
  Op op;
  op.kind = OpKind::Munmap;
  op.proc = std::move(p);
  op.start = start;
  op.npages = n;
  return op;
}

Op op_mprotect(std::string p, Page start, Page n, Prot prot) {
  Op op = op_munmap(std::move(p), start, n);
  op.kind = OpKind::Mprotect;
  op.prot = prot;
  return op;
}

Op op_madvise(std::string p, Page start, Page n, Advice a) {
  Op op = op_munmap(std::move(p), start, n);
  op.kind = OpKind::Madvise;
  op.advice = a;
  return op;
}

Op op_mremap(std::string p, Page old_start, Page old_n, Page new_start, Page new_n,
             bool dontunmap) {
  Op op = op_munmap(std::move(p), old_start, old_n);
  op.kind = OpKind::Mremap;
  op.new_start = new_start;
  op.new_npages = new_n;
  op.dontunmap = dontunmap;
  return op;
}

Op op_read(std::string p, Page page) {
  Op op;
  op.kind = OpKind::Read;
  op.proc = std::move(p);
  op.start = page;
  return op;
}

Op op_write(std::string p, Page page, std::uint64_t value) {
  Op op = op_read(std::move(p), page);
  op.kind = OpKind::Write;
  op.value = value;
  return op;
}

Op op_fork(std::string p, std::string child) {
  Op op;
  op.kind = OpKind::Fork;
  op.proc = std::move(p);
  op.child = std::move(child);
  return op;
}

Op op_exit(std::string p) {
  Op op;
  op.kind = OpKind::Exit;
  op.proc = std::move(p);
  return op;
}

Op op_rmap(std::string p, Page page) {
  Op op = op_read(std::move(p), page);
  op.kind = OpKind::Rmap;
  return op;
}

Op op_failalloc(AllocSite site, std::uint32_t nth) {
  Op op;
  op.kind = OpKind::FailAlloc;
  op.site = site;
  op.nth = nth;
  return op;
}

Op op_pageout(std::string p, Page start, Page n) {
  Op op = op_munmap(std::move(p), start, n);
  op.kind = OpKind::Pageout;
  return op;
}

Op op_reclaim() {
  Op op;
  op.kind = OpKind::Reclaim;
  return op;
}

bool op_names_proc(OpKind k) {
  return k != OpKind::FailAlloc && k != OpKind::Reclaim;
}

bool valid_proc_name(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  if (s[0] < 'a' || s[0] > 'z') return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

std::optional<std::string> op_invalid_reason(const Op& op) {
  const Op defaults;
  std::string kind{op_kind_name(op.kind)};
  if (static_cast<int>(op.kind) >= kOpKindCount) return "unknown op kind";
  if (!op_names_proc(op.kind)) {
    if (!op.proc.empty()) return kind + " names no process";
  } else if (!valid_proc_name(op.proc)) {
    return "bad process name '" + op.proc + "'";
  }
  // Which fields each kind uses; every other one must keep its default so
  // that Op equality compares exactly what the trace text shows.
  const bool uses_range = op.kind == OpKind::Mmap || op.kind == OpKind::Munmap ||
                          op.kind == OpKind::Mprotect || op.kind == OpKind::Madvise ||
                          op.kind == OpKind::Mremap || op.kind == OpKind::Pageout;
  const bool uses_page =
      op.kind == OpKind::Read || op.kind == OpKind::Write || op.kind == OpKind::Rmap;
  const bool uses_prot = op.kind == OpKind::Mmap || op.kind == OpKind::Mprotect;
  if (op.kind != OpKind::Fork && !op.child.empty()) return kind + " has no child";
  if (op.kind == OpKind::Fork && !valid_proc_name(op.child))
    return "bad child name '" + op.child + "'";
  if (!uses_range && !uses_page && op.start != 0) return kind + " has no start page";
  if (!uses_range && op.npages != 0) return kind + " has no page count";
  if (op.kind != OpKind::Mremap && (op.new_start != 0 || op.new_npages != 0 || op.dontunmap))
    return kind + " has no mremap fields";
  if (!uses_prot && op.prot != defaults.prot) return kind + " has no protection";
  if (op.kind != OpKind::Madvise && op.advice != defaults.advice) return kind + " has no advice";
  if (op.kind != OpKind::Mmap && op.noreserve) return kind + " has no noreserve flag";
  if (op.kind != OpKind::Write && op.value != defaults.value) return kind + " has no value";
  if (op.kind != OpKind::FailAlloc && (op.site != defaults.site || op.nth != 0))
    return kind + " has no allocation site";
  if (static_cast<int>(op.prot) > static_cast<int>(Prot::RWX)) return "bad protection";
  if (static_cast<int>(op.advice) > static_cast<int>(Advice::KeepOnFork)) return "bad advice";
  if (static_cast<int>(op.site) >= static_cast<int>(kSiteNames.size()))
    return "bad allocation site";

  if (uses_range && !range_in_window(op.start, op.npages))
    return "range " + range_text(op.start, op.npages) + " is not inside the window";
  if (op.kind == OpKind::Mremap && !range_in_window(op.new_start, op.new_npages))
    return "range " + range_text(op.new_start, op.new_npages) + " is not inside the window";
  if (uses_page && op.start >= kWindowPages)
    return "page " + std::to_string(op.start) + " is not inside the window";
  if (op.kind == OpKind::FailAlloc && op.nth < 1) return "failalloc K must be at least 1";
  return std::nullopt;
}

}  // namespace rmapcheck
