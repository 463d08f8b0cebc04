// explore_moves.cpp - the bounded universe of moves (see explore.h), and how it is printed.
#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "properties/explore.h"

namespace rmapcheck::props {

namespace {

bool has(const ExploreBounds& b, OpKind k) {
  return std::find(b.ops.begin(), b.ops.end(), k) != b.ops.end();
}

// The allocation sites a failalloc names one by one (`any` would repeat
// them: its K-th allocation is one of theirs).
constexpr AllocSite kNamedSites[] = {
    AllocSite::AnonVma,   AllocSite::AnonVmaChain, AllocSite::Vma, AllocSite::Folio,
    AllocSite::PageTable, AllocSite::Prealloc,     AllocSite::Swap};

// Ops that can allocate: arming a failure before any other (exit, rmap)
// changes nothing.
bool may_allocate(OpKind k) {
  return k != OpKind::Exit && k != OpKind::Rmap;
}

}  // namespace

std::vector<Move> explore_moves(const ExploreBounds& b) {
  std::vector<Move> plain;
  const Page w = b.pages;
  auto ranges = [&](auto&& each) {
    for (Page s = 0; s < w; ++s)
      for (Page n = 1; s + n <= w; ++n) each(s, n);
  };
  auto add = [&](Op op) { plain.push_back(Move{std::move(op), std::nullopt}); };
  for (OpKind k : b.ops) {
    switch (k) {
      case OpKind::Mmap:
        ranges([&](Page s, Page n) {
          for (Prot p : b.prots)
            for (bool nr : {false, true})
              if (!nr || b.noreserve) add(op_mmap("", s, n, p, nr));
        });
        break;
      case OpKind::Munmap:
        ranges([&](Page s, Page n) { add(op_munmap("", s, n)); });
        break;
      case OpKind::Mprotect:
        ranges([&](Page s, Page n) {
          for (Prot p : b.prots) add(op_mprotect("", s, n, p));
        });
        break;
      case OpKind::Madvise: {
        std::vector<Advice> advices = b.advices;
        if (advices.empty()) advices.assign(std::begin(kAllAdvices), std::end(kAllAdvices));
        ranges([&](Page s, Page n) {
          for (Advice a : advices) add(op_madvise("", s, n, a));
        });
        break;
      }
      case OpKind::Mremap:
        ranges([&](Page s, Page n) {
          ranges([&](Page ns, Page nn) {
            for (bool du : {false, true})
              if (!du || b.dontunmap) add(op_mremap("", s, n, ns, nn, du));
          });
        });
        break;
      case OpKind::Read:
        for (Page p = 0; p < w; ++p) add(op_read("", p));
        break;
      case OpKind::Write:
        for (Page p = 0; p < w; ++p)
          for (int v = 1; v <= b.values; ++v) add(op_write("", p, static_cast<std::uint64_t>(v)));
        break;
      case OpKind::Fork:
        add(op_fork("", ""));
        break;
      case OpKind::Exit:
        add(op_exit(""));
        break;
      case OpKind::Rmap:
        for (Page p = 0; p < w; ++p) add(op_rmap("", p));
        break;
      case OpKind::Pageout:
        ranges([&](Page s, Page n) { add(op_pageout("", s, n)); });
        break;
      case OpKind::Reclaim:
        add(op_reclaim());
        break;
      case OpKind::FailAlloc:
        break;  // below: a prefix of the others
    }
  }
  std::vector<Move> moves = plain;
  if (has(b, OpKind::FailAlloc)) {
    std::vector<AllocSite> sites(b.fail_sites);
    if (sites.empty()) sites.assign(std::begin(kNamedSites), std::end(kNamedSites));
    for (AllocSite site : sites)
      for (std::uint32_t k = 1; k <= b.fail_nth; ++k)
        for (const Move& m : plain)
          if (may_allocate(m.op.kind)) moves.push_back(Move{m.op, op_failalloc(site, k)});
  }
  return moves;
}

std::string bounds_text(const ExploreBounds& b) {
  std::string ops;
  if (b.all_ops) {
    ops = "all";
  } else {
    for (OpKind k : b.ops) ops += (ops.empty() ? "" : ",") + std::string(op_kind_name(k));
  }
  std::string prots;
  if (b.all_prots) {
    prots = "all";
  } else {
    for (Prot p : b.prots) prots += (prots.empty() ? "" : ",") + std::string(prot_name(p));
  }
  std::string s = fmt::format("W={} pages, P<={} processes, ops={}, prots={}, values={}", b.pages,
                              b.procs, ops, prots, b.values);
  if (!b.advices.empty()) {
    std::string a;
    for (Advice x : b.advices) a += (a.empty() ? "" : ",") + std::string(advice_name(x));
    s += fmt::format(", advices={}", a);
  }
  if (b.max_forks >= 0) s += fmt::format(", forks<={}", b.max_forks);
  if (has(b, OpKind::FailAlloc)) s += fmt::format(", failalloc K<={}", b.fail_nth);
  return s;
}

}  // namespace rmapcheck::props
