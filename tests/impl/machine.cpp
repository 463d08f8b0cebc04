// tests/impl/machine.cpp - see machine.h.
#include "machine.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <set>

#include "rmapcheck/trace.h"

namespace rmapcheck::impl::test {

Machine::Machine(MutantSet m)
    : model_(make_engine(EngineKind::Model)),
      impl_(make_impl_engine(EngineConfig{m})),
      k(impl_kernel(*impl_)),
      mutated_(m.any()),
      checker_(std::make_unique<Checker>(std::vector<Engine*>{model_.get(), impl_.get()})) {}

void Machine::run(const std::string& text) {
  // The parser checks process names against the forks before them, so the
  // history is parsed again and only the new lines are run.
  const std::size_t done = history_lines_;
  history_ += text + "\n";
  ParseOutcome po = parse_trace(history_, "<test>");
  ASSERT_TRUE(po.trace.has_value()) << po.diagnostics.front().to_string();
  history_lines_ = po.trace->lines.size();
  for (std::size_t i = done; i < po.trace->lines.size(); ++i) {
    const TraceLine& l = po.trace->lines[i];
    if (failure_) {
      // A mutant broke lock-step: the impl goes on alone, so the test can
      // look at what the mutant made of the rest.
      impl_->apply(l.op);
      continue;
    }
    std::optional<CheckFailure> f = checker_->step(l.op, l.expect);
    if (!f) continue;
    if (!mutated_) {
      ADD_FAILURE() << f->describe();
      return;
    }
    failure_ = std::move(f);
  }
}

vm_area_struct* Machine::vma(const std::string& proc, Page page) {
  mm_struct* mm = impl_mm(*impl_, proc);
  return mm == nullptr ? nullptr : vma_lookup(mm, page);
}

folio* Machine::folio_at(const std::string& proc, Page page) {
  mm_struct* mm = impl_mm(*impl_, proc);
  pte_t* pte = mm == nullptr ? nullptr : pte_offset_map(mm, page);
  return pte != nullptr && pte->present ? pte->page : nullptr;
}

pte_t* Machine::pte(const std::string& proc, Page page) {
  mm_struct* mm = impl_mm(*impl_, proc);
  return mm == nullptr ? nullptr : pte_offset_map(mm, page);
}

std::string Machine::check() const {
  std::map<const anon_vma*, long> active, children, below;
  std::set<const anon_vma*> live;
  for (const mm_struct* m : impl_mms(*impl_)) {
    for (const vm_area_struct& v : m->mm_mt) {
      if (v.anon_vma != nullptr) active[v.anon_vma]++;
    }
  }
  std::string err;
  k.anon_vma_cachep.for_each_live([&](const anon_vma& av) {
    if (!av.rb_root.empty()) live.insert(&av);
    const std::string v = anon_vma_interval_tree_verify(av.rb_root);
    if (!v.empty()) err += "tree of #" + std::to_string(av.id) + ": " + v + "\n";
  });
  k.anon_vma_cachep.for_each_live([&](const anon_vma& av) {
    if (live.count(&av) != 0) children[av.parent]++;
    if (av.root != &av) below[av.root]++;
  });
  k.anon_vma_cachep.for_each_live([&](const anon_vma& av) {
    const long want_ref = (live.count(&av) != 0 ? 1 : 0) + (av.root == &av ? below[&av] : 0);
    if (av.num_active_vmas != active[&av] || av.num_children != children[&av] ||
        av.refcount != want_ref) {
      err += "#" + std::to_string(av.id) + " counters active " +
             std::to_string(av.num_active_vmas) + "/" + std::to_string(active[&av]) + " children " +
             std::to_string(av.num_children) + "/" + std::to_string(children[&av]) + " refcount " +
             std::to_string(av.refcount) + "/" + std::to_string(want_ref) + "\n";
    }
  });
  return err;
}

}  // namespace rmapcheck::impl::test
