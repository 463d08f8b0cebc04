// impl/engine.cpp - ImplEngine: make_impl_engine, Op dispatch, snapshot().
//
// apply() finds the process (ESRCH when it is not live), arms `failalloc`
// for the next op only, and calls the syscall-level function of impl/ that
// the kernel would run. snapshot() is the one place that scans the whole
// state: stored counters, tree contents in order with verify()'s verdict,
// folios, swap PTEs and slots (swap_map counts as stored); freed anon_vmas a
// folio still points to are reported as freed (the pool says so) and never
// dereferenced.
#include "rmapcheck/engine.h"

#include <fmt/core.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>

#include "impl/impl_engine.h"
#include "impl/internal.h"
#include "impl/swap_state.h"
#include "impl/vma.h"
#include "rmapcheck/snapshot_refill.h"

namespace rmapcheck {

namespace {

using namespace impl;

class ImplEngine final : public Engine {
 public:
  explicit ImplEngine(const EngineConfig& config)
      : k_(config.mutants), max_procs_(config.max_procs) {
    new_mm("p0");
  }
  ~ImplEngine() override {
    // Tear down in the kernel's order so the pools end empty; a mutant may
    // have left the state inconsistent, so faults are swallowed here.
    try {
      for (auto& [name, mm] : procs_) exit_mmap(mm.get());
    } catch (const EngineFault&) {
    }
  }
  ImplEngine(const ImplEngine&) = delete;
  ImplEngine& operator=(const ImplEngine&) = delete;

  EngineKind kind() const override { return EngineKind::Impl; }
  const Coverage& coverage() const override { return k_.cov; }

  Result apply(const Op& op) override {
    ++version_;
    // `failalloc` arms kernel_state's countdown for the next op; every impl
    // allocation site honours it (should_fail_alloc), in the kernel's order,
    // as the model's alloc_fails() does (docs/failure.md).
    if (op.kind == OpKind::FailAlloc) {
      k_.arm_failalloc(op.site, op.nth);
      return Result::ok();
    }
    Result r = op.kind == OpKind::Reclaim ? reclaim() : dispatch(op);
    k_.disarm_failalloc();  // for the next op only
    return r;
  }

  Snapshot snapshot() const override {
    Snapshot s;
    snapshot_into(s);
    return s;
  }
  void snapshot_into(Snapshot& out) const override;
  std::vector<std::string> leaks() const override;

  // For tests that look at the kernel objects (impl/impl_engine.h).
  kernel_state& kernel() { return k_; }
  const std::map<std::string, std::unique_ptr<mm_struct>>& procs() const { return procs_; }

 private:
  mm_struct* new_mm(const std::string& name) {
    auto mm = std::make_unique<mm_struct>();
    mm->name = name;
    mm->k = const_cast<kernel_state*>(&k_);
    mm_struct* raw = mm.get();
    procs_[name] = std::move(mm);
    return raw;
  }

  static Result from_errno(int err) { return err == 0 ? Result::ok() : Result::error(-err); }

  Result dispatch(const Op& op) {
    auto it = procs_.find(op.proc);
    if (it == procs_.end()) return Result::error(ESRCH);
    mm_struct* mm = it->second.get();
    switch (op.kind) {
      case OpKind::Mmap: {
        if (op.npages == 0) return Result::error(EINVAL);
        // MAP_FIXED_NOREPLACE: the trace never replaces a mapping.
        if (find_vma_intersection(mm, op.start, op.start + op.npages) != nullptr) {
          return Result::error(EEXIST);
        }
        vm_flags_t flags = mprotect_prot_flags(op.prot);
        if (op.noreserve) flags |= VM_NORESERVE;
        return from_errno(mmap_region(mm, op.start, op.npages, flags));
      }
      case OpKind::Munmap:
        return from_errno(do_vmi_munmap(mm, op.start, op.npages));
      case OpKind::Mprotect:
        return from_errno(do_mprotect_pkey(mm, op.start, op.npages, op.prot));
      case OpKind::Madvise:
        return from_errno(do_madvise(mm, op.start, op.npages, madv_behavior(op.advice)));
      case OpKind::Pageout:
        return from_errno(do_madvise(mm, op.start, op.npages, MADV_PAGEOUT));
      case OpKind::Mremap:
        return from_errno(
            do_mremap(mm, op.start, op.npages, op.new_start, op.new_npages, op.dontunmap));
      case OpKind::Read: {
        std::uint64_t v = 0;
        if (user_read(mm, op.start, &v) == Fault::Segv) return Result::segv();
        return Result::read_value(v);
      }
      case OpKind::Write:
        if (user_write(mm, op.start, op.value) == Fault::Segv) return Result::segv();
        return Result::ok();
      case OpKind::Fork:
        return fork(mm, op.child);
      case OpKind::Exit:
        exit_mmap(mm);
        procs_.erase(it);
        return Result::ok();
      case OpKind::Rmap:
        return rmap(mm, op.start);
      case OpKind::FailAlloc:
      case OpKind::Reclaim:
        break;
    }
    return Result::error(EINVAL);
  }

  // `reclaim`: memory.force_empty of the memcg every process is in (it names
  // no process; the result is always 0).
  Result reclaim() {
    std::vector<mm_struct*> mms;
    for (const auto& [name, mm] : procs_) mms.push_back(mm.get());
    mem_cgroup_force_empty(k_, mms);
    return Result::ok();
  }

  // copy_process -> dup_mm -> dup_mmap; a failed dup_mmap tears the
  // half-built child down (mmput -> exit_mmap).
  Result fork(mm_struct* parent, const std::string& child) {
    if (procs_.count(child) != 0) return Result::error(EEXIST);
    if (static_cast<int>(procs_.size()) >= max_procs_) return Result::error(EAGAIN);
    mm_struct* mm = new_mm(child);
    const int err = dup_mmap(mm, parent);
    if (err != 0) {
      exit_mmap(mm);
      procs_.erase(child);
      return Result::error(-err);
    }
    return Result::ok();
  }

  Result rmap(mm_struct* mm, Page page) {
    pte_t* pte = pte_offset_map(mm, page);
    // A swap PTE maps no folio here, even if its slot's folio sits in the
    // swap cache mapped by others.
    if (pte == nullptr || !pte->present || pte->page == nullptr) return Result::rmap({});
    std::vector<RmapHit> hits;
    for (const rmap_hit& h : folio_rmap_hits(k_, pte_folio(k_, pte->page, "rmap")))
      hits.push_back({h.mm->name, h.address});
    return Result::rmap(std::move(hits));
  }

  // The id of an anon_vma: its own while live; a freed one a folio or a VMA
  // still points to gets an id from its slot and generation (never
  // dereferenced: the pool says it is freed).
  SnapId anon_vma_id(const anon_vma* av) const {
    if (av == nullptr) return 0;
    if (k_.anon_vma_cachep.is_live(av)) return av->id;
    for (const auto& [ptr, id] : freed_) {
      if (ptr == av) return id;
    }
    const SnapId id = (SnapId{1} << 62) +
                      (static_cast<SnapId>(k_.anon_vma_cachep.slot_of(av)) << 24) +
                      k_.anon_vma_cachep.generation_of(av);
    freed_.emplace_back(av, id);
    return id;
  }

  // One mark per pool slot, valid for one walk (epoch), so a walk needs no
  // set and no clearing.
  struct Marks {
    std::vector<std::uint32_t> stamp;
    std::uint32_t epoch = 0;
    void begin(std::size_t capacity) {
      if (stamp.size() < capacity) stamp.resize(capacity, 0);
      if (++epoch == 0) {  // wrapped: start over
        std::fill(stamp.begin(), stamp.end(), 0);
        epoch = 1;
      }
    }
    bool mark(std::size_t slot) {  // true the first time in this walk
      if (stamp[slot] == epoch) return false;
      stamp[slot] = epoch;
      return true;
    }
  };

  // Counts the distinct live objects of `pool` that a walk reaches.
  template <class T>
  static bool reach(const Pool<T>& pool, Marks& m, const T* p, std::size_t& count) {
    if (p == nullptr || !pool.is_live(p)) return false;
    if (!m.mark(pool.slot_of(p))) return false;
    ++count;
    return true;
  }

  std::vector<std::string> leaks_by_sets() const;

  kernel_state k_;
  int max_procs_;
  std::map<std::string, std::unique_ptr<mm_struct>> procs_;
  std::uint64_t version_ = 0;  // apply() calls; the leak verdict below is for one version
  mutable std::uint64_t reach_version_ = ~std::uint64_t{0};
  mutable bool reach_complete_ = false;  // every live object reached and no slot
                                         // or cached folio left unheld, at reach_version_
  mutable std::vector<std::pair<const anon_vma*, SnapId>> freed_;
  mutable Marks vma_marks_, avc_marks_, av_marks_, folio_marks_;
  mutable std::vector<const anon_vma*> todo_;
};

// One walk over the whole state builds the snapshot and, on the side,
// counts the distinct live objects it reaches (mm_mt -> vmas -> avcs ->
// anon_vmas, their roots and parents; PTEs -> folios). When every pool's
// live count is reached, nothing leaked and leaks() has nothing to look at.
void ImplEngine::snapshot_into(Snapshot& s) const {
  // Every list is refilled in place (rmapcheck/snapshot_refill.h): the
  // checker hands back the snapshot of the previous op.
  s.visible = Visibility::all();
  freed_.clear();
  vma_marks_.begin(k_.vm_area_cachep.capacity());
  avc_marks_.begin(k_.anon_vma_chain_cachep.capacity());
  av_marks_.begin(k_.anon_vma_cachep.capacity());
  folio_marks_.begin(k_.folio_cachep.capacity());
  std::size_t vmas = 0, avcs = 0, avs = 0, folios = 0;
  todo_.clear();
  {
    Refill<SnapProc> procs(s.procs);
    for (const auto& [name, mm] : procs_) {
      SnapProc& p = procs.next();
      p.name = name;
      {
        Refill<SnapVma> list(p.vmas);
        for (const vm_area_struct& vma : mm->mm_mt) {
          reach(k_.vm_area_cachep, vma_marks_, &vma, vmas);
          SnapVma& v = list.next();
          v.start = vma.vm_start;
          v.end = vma.vm_end;
          v.pgoff = vma.vm_pgoff;
          v.flags = vma.vm_flags;
          v.anon_vma = anon_vma_id(vma.anon_vma);
          v.chain.clear();
          todo_.push_back(vma.anon_vma);
          for (const anon_vma_chain& avc : vma.anon_vma_chain) {
            reach(k_.anon_vma_chain_cachep, avc_marks_, &avc, avcs);
            v.chain.push_back(anon_vma_id(avc.anon_vma));
            todo_.push_back(avc.anon_vma);
          }
        }
      }
      p.ptes.clear();
      for (Page t = 0; t < mm->pmd.size(); ++t) {
        const pte_table* table = mm->pmd[t].get();
        if (table == nullptr) continue;
        table->for_each_used([&](Page i, const pte_t& pte) {
          SnapPte& sp = p.ptes.emplace_back();
          sp.page = t * PTRS_PER_PTE + i;
          if (!pte.present) {
            // The slot's engine id is its offset; the snapshot lists the
            // slots from swap_map below, so a PTE naming a free slot is seen
            // (I-SWAPCOUNT).
            sp.kind = SnapPte::Kind::Swap;
            sp.slot = pte.swp.val;
            sp.swp_exclusive = pte.swp_exclusive;
            return;
          }
          // A PTE on a freed folio (a mutant's) is a use after free: the
          // pool says so (EngineFault) rather than the snapshot reading poison.
          if (pte.page != nullptr) k_.folio_cachep.check(pte.page, "snapshot");
          sp.kind = pte.page == nullptr ? SnapPte::Kind::Zero : SnapPte::Kind::Folio;
          sp.folio = pte.page == nullptr ? 0 : pte.page->id;
          sp.writable = pte.write;
          reach(k_.folio_cachep, folio_marks_, pte.page, folios);
        });
      }
    }
  }
  while (!todo_.empty()) {
    const anon_vma* av = todo_.back();
    todo_.pop_back();
    if (!reach(k_.anon_vma_cachep, av_marks_, av, avs)) continue;
    todo_.push_back(av->root);
    todo_.push_back(av->parent);
  }
  // The swap device: every allocated offset is a slot, its count the STORED
  // swap_map count (I-SWAPCOUNT holds it to the swap PTEs), its cached
  // folio from the swap table; the swap cache reaches its folios.
  bool swap_sound = true;
  const swap_info_struct& si = k_.si;
  s.slots.clear();
  for (std::uint32_t off = 1; off < si.swap_map.size(); ++off) {
    const swap_map_t m = si.swap_map[off];
    if (m == 0) continue;
    const folio* cached = si.swap_table[off];
    SnapSlot& slot = s.slots.emplace_back();
    slot.id = off;
    slot.count = static_cast<long>(swap_count(m));
    slot.cached = cached == nullptr ? 0 : cached->id;
    slot.value = si.contents[off];
    reach(k_.folio_cachep, folio_marks_, cached, folios);
    if (slot.count == 0 && (cached == nullptr || cached->mapcount == 0)) swap_sound = false;
  }
  reach_version_ = version_;
  reach_complete_ = vmas == k_.vm_area_cachep.live_count() &&
                    avcs == k_.anon_vma_chain_cachep.live_count() &&
                    avs == k_.anon_vma_cachep.live_count() &&
                    folios == k_.folio_cachep.live_count() && swap_sound;

  // Freed anon_vmas go at the end of the list, once the folios have named
  // them all: the list's Refill outlives the folios'.
  std::optional<Refill<SnapAnonVma>> anon_vmas(std::in_place, s.anon_vmas);
  k_.anon_vma_cachep.for_each_live([&](const anon_vma& av) {
    SnapAnonVma& a = anon_vmas->next();
    a.id = av.id;
    a.freed = false;
    a.root = anon_vma_id(av.root);
    a.parent = anon_vma_id(av.parent);
    a.refcount = av.refcount;
    a.num_children = av.num_children;
    a.num_active_vmas = av.num_active_vmas;
    a.tree.clear();
    av.rb_root.for_each([&](const anon_vma_chain& avc) {
      a.tree.push_back({avc.vma->vm_mm->name, avc.vma->vm_start});
    });
    a.tree_error = anon_vma_interval_tree_verify(av.rb_root);
  });
  {
    Refill<SnapFolio> list(s.folios);
    k_.folio_cachep.for_each_live([&](const folio& f) {
      SnapFolio& sf = list.next();
      sf.id = f.id;
      sf.anon_vma = anon_vma_id(folio_anon_vma(&f));
      sf.index = f.index;
      sf.mapcount = f.mapcount;
      sf.exclusive = f.anon_exclusive;
      sf.value = f.value;
      sf.swap = f.swap.val;
      // The impl's own walk (rmap_walk_anon over the interval tree), which
      // I-REACH holds to the page tables; never through a freed anon_vma
      // (I-MAPPING reports that, and the pool would fault on it).
      std::vector<RmapHit>& walk = sf.walk ? *sf.walk : sf.walk.emplace();
      walk.clear();
      const anon_vma* av = folio_anon_vma(&f);
      if (av != nullptr && k_.anon_vma_cachep.is_live(av) && k_.anon_vma_cachep.is_live(av->root))
        folio_rmap_hits(const_cast<kernel_state&>(k_), const_cast<folio*>(&f),
                        [&](const rmap_hit& h) {
                          walk.push_back({h.mm->name, h.address});
                        });
    });
  }
  // Freed anon_vmas still pointed to, in pointer order (as the std::map of
  // an earlier version listed them; canonicalize() renames them anyway).
  std::sort(freed_.begin(), freed_.end());
  for (const auto& [ptr, id] : freed_) {
    SnapAnonVma& a = anon_vmas->next();
    a = SnapAnonVma{};
    a.id = id;
    a.freed = true;
  }
  anon_vmas.reset();
  canonicalize(s);
}

std::vector<std::string> ImplEngine::leaks() const {
  // The snapshot of this same state reached every live object: no leak.
  if (reach_version_ == version_ && reach_complete_) return {};
  return leaks_by_sets();
}

// Every live pool object must be reachable from some mm: mm_mt -> vmas ->
// anon_vma_chain -> avcs -> anon_vmas (and vma->anon_vma), each anon_vma's
// root and parent, and the page tables' PTEs -> folios. Page tables belong
// to their mm (unique_ptr) and cannot leak. Freed objects a live one still
// points to are the snapshot's business (I-MAPPING, freed anon_vmas), not
// leaks, and are never dereferenced here.
std::vector<std::string> ImplEngine::leaks_by_sets() const {
  std::set<const vm_area_struct*> vmas;
  std::set<const anon_vma_chain*> avcs;
  std::set<const anon_vma*> avs;
  std::set<const folio*> folios;
  std::vector<const anon_vma*> todo;
  for (const auto& [name, mm] : procs_) {
    for (const vm_area_struct& vma : mm->mm_mt) {
      vmas.insert(&vma);
      if (vma.anon_vma != nullptr) todo.push_back(vma.anon_vma);
      for (const anon_vma_chain& avc : vma.anon_vma_chain) {
        avcs.insert(&avc);
        todo.push_back(avc.anon_vma);
      }
    }
    for (const auto& table : mm->pmd) {
      if (table == nullptr) continue;
      table->for_each_used([&](Page, const pte_t& pte) {
        if (pte.present && pte.page != nullptr) folios.insert(pte.page);
      });
    }
  }
  std::vector<std::string> out;
  // The swap device: a slot must be held by a swap PTE (its count) or by a
  // cached folio; a cached folio no PTE maps must have a count on its slot
  // (else free_swap_cache / __try_to_reclaim_swap should have dropped it).
  const swap_info_struct& si = k_.si;
  for (std::uint32_t off = 1; off < si.swap_map.size(); ++off) {
    const swap_map_t m = si.swap_map[off];
    if (m == 0) continue;
    const folio* cached = si.swap_table[off];
    if (cached != nullptr) folios.insert(cached);
    if (swap_count(m) != 0) continue;
    if (cached == nullptr) {
      out.push_back(fmt::format("impl: swap slot {} held by nothing (no count, no cache)", off));
    } else if (cached->mapcount == 0) {
      out.push_back(fmt::format(
          "impl: folio #{} unmapped in the swap cache for slot {}, which no swap PTE holds",
          cached->id, off));
    }
  }
  while (!todo.empty()) {
    const anon_vma* av = todo.back();
    todo.pop_back();
    if (av == nullptr || !k_.anon_vma_cachep.is_live(av) || !avs.insert(av).second) continue;
    todo.push_back(av->root);
    todo.push_back(av->parent);
  }
  k_.vm_area_cachep.for_each_live([&](const vm_area_struct& v) {
    if (!vmas.count(&v))
      out.push_back(fmt::format("impl: vm_area_struct [{},{}) (slot {}) in no mm", v.vm_start,
                                v.vm_end, k_.vm_area_cachep.slot_of(&v)));
  });
  k_.anon_vma_chain_cachep.for_each_live([&](const anon_vma_chain& avc) {
    if (!avcs.count(&avc))
      out.push_back(fmt::format("impl: anon_vma_chain (slot {}) on no VMA's list",
                                k_.anon_vma_chain_cachep.slot_of(&avc)));
  });
  k_.anon_vma_cachep.for_each_live([&](const anon_vma& av) {
    if (!avs.count(&av))
      out.push_back(fmt::format("impl: anon_vma #{} (refcount {}) reached by no process", av.id,
                                av.refcount));
  });
  k_.folio_cachep.for_each_live([&](const folio& f) {
    if (!folios.count(&f))
      out.push_back(
          fmt::format("impl: folio #{} mapped by no process and not in the swap cache", f.id));
  });
  return out;
}

}  // namespace

std::unique_ptr<Engine> make_impl_engine(const EngineConfig& config) {
  return std::make_unique<ImplEngine>(config);
}

namespace impl {

namespace {
ImplEngine& as_impl(const Engine& e) {
  auto* impl = dynamic_cast<ImplEngine*>(const_cast<Engine*>(&e));
  if (impl == nullptr) throw std::invalid_argument("not the impl engine");
  return *impl;
}
}  // namespace

kernel_state& impl_kernel(Engine& e) {
  return as_impl(e).kernel();
}

mm_struct* impl_mm(const Engine& e, const std::string& name) {
  const auto& procs = as_impl(e).procs();
  auto it = procs.find(name);
  return it == procs.end() ? nullptr : it->second.get();
}

std::vector<mm_struct*> impl_mms(const Engine& e) {
  std::vector<mm_struct*> out;
  for (const auto& [name, mm] : as_impl(e).procs()) out.push_back(mm.get());
  return out;
}

}  // namespace impl

}  // namespace rmapcheck
