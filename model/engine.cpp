// engine.cpp - the reference model as an Engine: make_model_engine().
//
// apply() checks the process, dispatches to the syscall's model function
// (`reclaim` names none: it reclaims every process), and frees what the op
// left unused. `failalloc` is answered 0 and arms
// State::fail for the next op only (alloc_fails() in anon_vma.cpp; the
// failure semantics of each op: docs/failure.md). leaks() lists what no
// live process reaches.
#include "rmapcheck/engine.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "model/ops.h"

namespace rmapcheck {

namespace {

using namespace model;

class ModelEngine final : public Engine {
 public:
  explicit ModelEngine(const EngineConfig& config) {
    state_.max_procs = config.max_procs;
    state_.procs["p0"].name = "p0";
  }
  EngineKind kind() const override { return EngineKind::Model; }
  Snapshot snapshot() const override {
    Snapshot snap;
    snapshot_into(snap);
    return snap;
  }
  void snapshot_into(Snapshot& out) const override {
    bool complete = false;
    build_snapshot(state_, out, &complete);
    reach_version_ = version_;
    reach_complete_ = complete;
  }
  const Coverage& coverage() const override { return state_.cov; }
  // The model is plain values: a copy is the same state.
  std::unique_ptr<Engine> clone() const override { return std::make_unique<ModelEngine>(*this); }

  Result apply(const Op& op) override {
    ++version_;
    if (op.kind == OpKind::FailAlloc) {
      state_.fail = FailPlan{op.nth > 0, op.site, op.nth, 0};
      return Result::ok();
    }
    Result r = Result::error(ESRCH);
    if (op.kind == OpKind::Reclaim) {
      r = reclaim_all(state_);
    } else if (auto it = state_.procs.find(op.proc); it != state_.procs.end()) {
      r = dispatch(it->second, op);
    }
    state_.fail = FailPlan{};  // for the next op only
    free_unmapped_folios(state_);
    forget_freed_anon_vmas();
    return r;
  }

  // Reachable from a live process: its VMAs (always), the anon_vmas of
  // their chains and anon_vma pointers with their roots and parents, the
  // folios its PTEs map, the slots its swap PTEs hold and the folios those
  // slots cache. Everything else allocated is a leak (a slot only a mapped
  // folio's swap cache holds is reached through that folio).
  std::vector<std::string> leaks() const override {
    // The snapshot of this same state reached everything: nothing leaked.
    if (reach_version_ == version_ && reach_complete_) return {};
    std::vector<Id> avs, folios, slots, todo;
    for (const auto& [name, p] : state_.procs) {
      for (const auto& [id, v] : p.vmas) {
        todo.insert(todo.end(), v.chain.begin(), v.chain.end());
        if (v.anon_vma != 0) todo.push_back(v.anon_vma);
      }
      for (const auto& [page, pte] : p.ptes) {
        if (pte.maps_folio()) folios.push_back(pte.folio);
        if (pte.is_swap()) slots.push_back(pte.slot);
      }
    }
    for (Id slot : slots) folios.push_back(cached_folio(state_, slot));
    for (const auto& [id, f] : state_.folios) {
      if (f.swap != 0 && std::find(folios.begin(), folios.end(), id) != folios.end())
        slots.push_back(f.swap);
    }
    std::sort(folios.begin(), folios.end());
    std::sort(slots.begin(), slots.end());
    while (!todo.empty()) {
      const Id av = todo.back();
      todo.pop_back();
      if (std::find(avs.begin(), avs.end(), av) != avs.end()) continue;
      avs.push_back(av);
      auto it = state_.anon_vmas.find(av);
      if (it == state_.anon_vmas.end()) continue;
      todo.push_back(it->second.root);
      todo.push_back(it->second.parent);
    }
    std::sort(avs.begin(), avs.end());
    std::vector<std::string> out;
    for (const auto& [id, a] : state_.anon_vmas)
      if (!a.freed && !std::binary_search(avs.begin(), avs.end(), id))
        out.push_back("model: anon_vma #" + std::to_string(id) + " reached by no process");
    for (const auto& [id, f] : state_.folios)
      if (!std::binary_search(folios.begin(), folios.end(), id))
        out.push_back("model: folio #" + std::to_string(id) + " mapped by no process");
    for (const auto& [id, x] : state_.slots)
      if (!std::binary_search(slots.begin(), slots.end(), id))
        out.push_back("model: swap slot $" + std::to_string(id) + " held by no process");
    return out;
  }

 private:
  Result dispatch(Proc& p, const Op& op) {
    State& s = state_;
    switch (op.kind) {
      case OpKind::Mmap:
        return mmap_region(s, p, op.start, op.npages, op.prot, op.noreserve);
      case OpKind::Munmap:
        if (op.npages == 0) return Result::error(EINVAL);  // do_vmi_munmap: end == start
        if (int err = do_munmap(s, p, op.start, op.start + op.npages)) return Result::error(-err);
        return Result::ok();
      case OpKind::Mprotect:
        return do_mprotect(s, p, op.start, op.npages, op.prot);
      case OpKind::Madvise:
        return do_madvise(s, p, op.start, op.npages, op.advice);
      case OpKind::Mremap:
        return do_mremap(s, p, op);
      case OpKind::Read:
        return handle_read(s, p, op.start);
      case OpKind::Write:
        return handle_write(s, p, op.start, op.value);
      case OpKind::Fork:
        return dup_mmap(s, op.proc, op.child);
      case OpKind::Exit:
        exit_mmap(s, op.proc);
        return Result::ok();
      case OpKind::Rmap:
        return rmap(p, op.start);
      case OpKind::Pageout:
        return madvise_pageout(s, p, op.start, op.npages);
      case OpKind::FailAlloc:
      case OpKind::Reclaim:
        break;
    }
    return Result::error(EINVAL);
  }

  // `rmap P PAGE`: the walk for the anon folio P maps at PAGE, if any (a
  // swap PTE maps none, even when its slot's folio sits in the swap cache).
  Result rmap(Proc& p, Page page) const {
    auto it = p.ptes.find(page);
    if (it == p.ptes.end() || !it->second.maps_folio()) return Result::rmap({});
    return Result::rmap(rmap_walk_anon(state_, it->second.folio));
  }

  // A freed anon_vma is kept only while a folio still names it (never, in
  // a correct model), so the state does not grow with history.
  void forget_freed_anon_vmas() {
    for (auto it = state_.anon_vmas.begin(); it != state_.anon_vmas.end();) {
      bool named = false;
      for (const auto& [fid, f] : state_.folios) named = named || f.anon_vma == it->first;
      it = it->second.freed && !named ? state_.anon_vmas.erase(it) : std::next(it);
    }
  }

  State state_;
  std::uint64_t version_ = 0;  // apply() calls
  mutable std::uint64_t reach_version_ = ~std::uint64_t{0};
  mutable bool reach_complete_ = false;  // build_snapshot's verdict at reach_version_
};

}  // namespace

std::unique_ptr<Engine> make_model_engine(const EngineConfig& config) {
  return std::make_unique<ModelEngine>(config);
}

}  // namespace rmapcheck
