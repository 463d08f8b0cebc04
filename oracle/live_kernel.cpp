// live_kernel.cpp - ops to system calls in the agents; observation after.
#include "live_kernel.h"

#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <optional>
#include <set>

#include "rmapcheck/trace.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

namespace rmapcheck::oracle {
namespace {

std::uint64_t addr_of(Page p) {
  return kWindowBase + p * kPageSize;
}
std::uint64_t len_of(Page n) {
  return n * kPageSize;
}

std::uint64_t prot_bits(Prot p) {
  switch (p) {
    case Prot::None:
      return PROT_NONE;
    case Prot::R:
      return PROT_READ;
    case Prot::RW:
      return PROT_READ | PROT_WRITE;
    case Prot::RX:
      return PROT_READ | PROT_EXEC;
    case Prot::RWX:
      return PROT_READ | PROT_WRITE | PROT_EXEC;
  }
  return PROT_NONE;
}

std::uint64_t advice_bits(Advice a) {
  switch (a) {
    case Advice::DontNeed:
      return MADV_DONTNEED;
    case Advice::DontFork:
      return MADV_DONTFORK;
    case Advice::DoFork:
      return MADV_DOFORK;
    case Advice::WipeOnFork:
      return MADV_WIPEONFORK;
    case Advice::KeepOnFork:
      return MADV_KEEPONFORK;
  }
  return MADV_NORMAL;
}

Result from_reply(const Reply& r) {
  if (r.status == kSegv) return Result::segv();
  if (r.status != 0) return Result::error(r.status);
  return Result::ok();
}

// Joins the BPF dump into a raw kernel snapshot: VMAs by (pid, start).
void add_forest(Snapshot& o, const std::map<std::string, AgentHandle>& live, const ProbeDump& d) {
  std::map<pid_t, const std::string*> name_of;
  for (const auto& [name, h] : live) name_of[h.pid] = &name;
  std::map<std::pair<std::string, Page>, const ProbeVma*> by_start;
  const std::uint64_t base_page = kWindowBase / kPageSize;
  for (const ProbeVma& v : d.vmas) {
    auto it = name_of.find(v.tgid);
    if (it == name_of.end()) continue;  // another oracle's agent
    by_start[{*it->second, (v.start - kWindowBase) / kPageSize}] = &v;
  }
  for (SnapProc& p : o.procs)
    for (SnapVma& v : p.vmas) {
      auto it = by_start.find({p.name, v.start});
      if (it == by_start.end()) continue;  // left at none: the diff shows it
      v.pgoff = it->second->pgoff - base_page;
      v.anon_vma = it->second->anon_vma;
      v.chain = it->second->chain;
    }
  for (const ProbeAnonVma& a : d.anon_vmas) {
    SnapAnonVma x;
    x.id = a.ptr;
    x.root = a.root;
    x.parent = a.parent;
    x.refcount = a.refcount;
    x.num_children = a.num_children;
    x.num_active_vmas = a.num_active_vmas;
    o.anon_vmas.push_back(x);
  }
}

}  // namespace

LiveKernel::LiveKernel(const KernelFiles& files, LiveKernelOptions options)
    : files_(files), options_(options), agents_(options.cpu, options.swap) {}

Result LiveKernel::pageout(const std::string& proc, Page start, Page npages) {
  if (!options_.swap)
    throw Unsupported("pageout: no swap on this machine (" + options_.no_swap_reason + ")");
  if (!agents_.is_live(proc)) return Result::error(ESRCH);
  const AgentHandle& h = agents_.live().at(proc);
  // What MADV_PAGEOUT must reclaim (mm/madvise.c,
  // madvise_cold_or_pageout_pte_range): a present PTE of an anon folio
  // mapped once; the zero page, swap PTEs and shared folios are skipped.
  // It also skips a folio that is not on the LRU at that moment (in a
  // per-CPU batch: lru_add_drain() drains only this CPU's, hence one CPU)
  // and reclaim may fail a folio it cannot lock: such misses are the
  // kernel's non-determinism, retried below.
  std::vector<std::uint64_t> before = read_pagemap(proc, h, start, npages);
  std::vector<Page> must;
  for (Page i = 0; i < npages; ++i) {
    if (!reclaimable(files_, before[i])) continue;
    const std::uint64_t pfn = before[i] & kPmFrameMask;
    std::uint64_t count = 0;
    if (pread(files_.kpagecount(), &count, 8, static_cast<off_t>(pfn * 8)) != 8)
      throw ObserveError("read /proc/kpagecount");
    if (count == 1) must.push_back(i);
  }
  Request q;
  q.cmd = Cmd::Madvise;
  q.a = addr_of(start);
  q.b = len_of(npages);
  q.c = MADV_PAGEOUT;
  const Reply first = agents_.request(proc, q);
  if (first.status != 0 && first.status != ENOMEM) return from_reply(first);
  for (int attempt = 1;; ++attempt) {
    std::vector<std::uint64_t> after = read_pagemap(proc, h, start, npages);
    std::vector<Page> left;
    for (Page i : must)
      if ((after[i] & kPmFrameMask) == (before[i] & kPmFrameMask) && (after[i] >> kPmPresent & 1))
        left.push_back(start + i);
    if (left.empty()) break;
    if (attempt >= kPageoutTries) {
      std::string pages;
      for (Page p : left) pages += fmt::format(" {}", p);
      throw Unsupported(fmt::format(
          "pageout: not reproducible: after {} MADV_PAGEOUTs {} still maps, present, pages it "
          "maps alone:{}",
          attempt, proc, pages));
    }
    agents_.request(proc, q);
  }
  return from_reply(first);
}

Result LiveKernel::reclaim() {
  if (!options_.swap)
    throw Unsupported("reclaim: no swap on this machine (" + options_.no_swap_reason + ")");
  std::string left;
  for (reclaim_passes_ = 1; reclaim_passes_ <= kReclaimTries; ++reclaim_passes_) {
    // The stat flush first (swap_setup.h); from the fourth pass on, wait
    // out the periodic flush too (flush_memcg_stats_dwork, every 2 s).
    if (reclaim_passes_ > 3) usleep(2100 * 1000);
    options_.swap->reclaim_pass(true);
    left.clear();
    for (const auto& [name, h] : agents_.live())
      for (const SnapVma& v : window_vmas(name, h)) {
        std::vector<std::uint64_t> e = read_pagemap(name, h, v.start, v.end - v.start);
        for (Page i = 0; i < e.size(); ++i)
          if (reclaimable(files_, e[i])) left += fmt::format(" {}:{}", name, v.start + i);
      }
    if (left.empty()) return Result::ok();
  }
  reclaim_passes_ = kReclaimTries;
  throw Unsupported(fmt::format(
      "reclaim: not reproducible: after {} passes of memory.force_empty still present:{}",
      kReclaimTries, left));
}

Snapshot LiveKernel::observe_raw() {
  Snapshot o = observe_kernel(agents_, files_, options_.vm_flags);
  if (options_.probe) {
    std::vector<pid_t> pids;
    for (const auto& [name, h] : agents_.live()) pids.push_back(h.pid);
    add_forest(o, agents_.live(), options_.probe->dump(pids));
    if (options_.folio_mapping) add_folio_mapping(o);
  } else {
    o.visible.bits &= ~static_cast<std::uint32_t>(Shown::Forest);
  }
  return o;
}

void LiveKernel::add_folio_mapping(Snapshot& o) {
  std::vector<std::uint64_t> pfns;
  for (const SnapFolio& f : o.folios) pfns.push_back(f.id);  // raw: ids are PFNs
  if (pfns.empty()) {
    if (folio_mapping_reason_.empty())
      o.visible.bits |= static_cast<std::uint32_t>(Shown::FolioMapping);
    return;
  }
  std::string why;
  std::optional<std::vector<ProbeFolio>> got = options_.probe->folios(pfns, why);
  if (!got) {
    // Once not shown, never again in this lane: a lane's visibility must not
    // flicker from op to op.
    folio_mapping_reason_ = why;
    return;
  }
  if (!folio_mapping_reason_.empty()) return;
  const std::uint64_t base_page = kWindowBase / kPageSize;
  for (std::size_t i = 0; i < o.folios.size(); ++i) {
    o.folios[i].anon_vma = (*got)[i].mapping;
    o.folios[i].index = (*got)[i].index - base_page;
  }
  o.visible.bits |= static_cast<std::uint32_t>(Shown::FolioMapping);
}

Snapshot LiveKernel::observe() {
  Snapshot o = observe_raw();
  canonicalize(o);
  return o;
}

Result LiveKernel::apply(const Op& op) {
  if (op.kind == OpKind::FailAlloc)
    throw Unsupported("failalloc: the live kernel cannot be made to fail one chosen allocation");
  // reclaim names no process; the result is always 0 (or the op is not
  // reproducible).
  if (op.kind == OpKind::Reclaim) return reclaim();
  if (!agents_.is_live(op.proc)) return Result::error(ESRCH);
  if (op.kind == OpKind::Pageout) return pageout(op.proc, op.start, op.npages);
  Request q;
  switch (op.kind) {
    case OpKind::Mmap:
      q.cmd = Cmd::Mmap;
      q.a = addr_of(op.start);
      q.b = len_of(op.npages);
      q.c = prot_bits(op.prot);
      q.d = MAP_FIXED_NOREPLACE | (op.noreserve ? MAP_NORESERVE : 0);
      break;
    case OpKind::Munmap:
      q.cmd = Cmd::Munmap;
      q.a = addr_of(op.start);
      q.b = len_of(op.npages);
      break;
    case OpKind::Mprotect:
      q.cmd = Cmd::Mprotect;
      q.a = addr_of(op.start);
      q.b = len_of(op.npages);
      q.c = prot_bits(op.prot);
      break;
    case OpKind::Madvise:
      q.cmd = Cmd::Madvise;
      q.a = addr_of(op.start);
      q.b = len_of(op.npages);
      q.c = advice_bits(op.advice);
      break;
    case OpKind::Mremap:
      q.cmd = Cmd::Mremap;
      q.a = addr_of(op.start);
      q.b = len_of(op.npages);
      q.c = addr_of(op.new_start);
      q.d = len_of(op.new_npages);
      if (op.new_start == op.start)
        q.e = op.dontunmap ? MREMAP_DONTUNMAP : 0;  // in place; the kernel judges DONTUNMAP
      else
        q.e = MREMAP_MAYMOVE | MREMAP_FIXED | (op.dontunmap ? MREMAP_DONTUNMAP : 0);
      break;
    case OpKind::Read: {
      q.cmd = Cmd::Read;
      q.a = addr_of(op.start);
      Reply r = agents_.request(op.proc, q);
      return r.status == 0 ? Result::read_value(r.value) : from_reply(r);
    }
    case OpKind::Write:
      q.cmd = Cmd::Write;
      q.a = addr_of(op.start);
      q.e = op.value;
      break;
    case OpKind::Fork: {
      if (agents_.is_live(op.child))
        throw Unsupported(fmt::format("fork: child {} is already live", op.child));
      if (static_cast<int>(agents_.live().size()) >= options_.max_procs)
        throw Unsupported(
            fmt::format("fork beyond {} live processes (the model's limit)", options_.max_procs));
      int status = agents_.fork(op.proc, op.child);
      return status == 0 ? Result::ok() : Result::error(status);
    }
    case OpKind::Exit:
      agents_.exit(op.proc);
      return Result::ok();
    case OpKind::Rmap: {
      const Snapshot o = observe_raw();
      SnapId frame = 0;
      if (const SnapProc* p = o.find_proc(op.proc))
        for (const SnapPte& pte : p->ptes)
          if (pte.page == op.start && pte.kind == SnapPte::Kind::Folio) frame = pte.folio;
      std::vector<RmapHit> hits;
      if (frame != 0)
        for (const SnapProc& p : o.procs)
          for (const SnapPte& pte : p.ptes)
            if (pte.kind == SnapPte::Kind::Folio && pte.folio == frame)
              hits.push_back({p.name, pte.page});
      std::sort(hits.begin(), hits.end());
      Result r;
      r.kind = Result::Kind::Rmap;
      r.hits = std::move(hits);
      return r;
    }
    case OpKind::FailAlloc:
    case OpKind::Pageout:
    case OpKind::Reclaim:
      break;
  }
  return from_reply(agents_.request(op.proc, q));
}

}  // namespace rmapcheck::oracle
