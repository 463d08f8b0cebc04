// tests/impl/machine.cpp - see machine.h.
#include "machine.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <set>

#include "rmapcheck/trace.h"

namespace rmapcheck::impl::test {

Machine::Machine(MutantSet m) : k(m) {
  mm("p0");
}

Machine::~Machine() {
  for (auto& [name, mm] : procs) exit_mmap(mm.get());
}

mm_struct* Machine::mm(const std::string& name) {
  auto& slot = procs[name];
  if (!slot) {
    slot = std::make_unique<mm_struct>();
    slot->name = name;
    slot->k = &k;
  }
  return slot.get();
}

namespace {
Result from_errno(int err) {
  return err == 0 ? Result::ok() : Result::error(-err);
}
}  // namespace

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
    const Op& op = l.op;
    Result r;
    if (op.kind == OpKind::FailAlloc) {
      k.fail_armed = true;
      k.fail_site = op.site;
      k.fail_nth = op.nth;
      k.fail_seen = 0;
      continue;
    }
    mm_struct* m = mm(op.proc);
    switch (op.kind) {
      case OpKind::Mmap: {
        vm_flags_t f = mprotect_prot_flags(op.prot) | (op.noreserve ? VM_NORESERVE : 0);
        r = from_errno(mmap_region(m, op.start, op.npages, f));
        break;
      }
      case OpKind::Munmap:
        r = from_errno(do_vmi_munmap(m, op.start, op.npages));
        break;
      case OpKind::Mprotect:
        r = from_errno(do_mprotect_pkey(m, op.start, op.npages, op.prot));
        break;
      case OpKind::Madvise:
        r = from_errno(do_madvise(m, op.start, op.npages, op.advice));
        break;
      case OpKind::Mremap:
        r = from_errno(
            do_mremap(m, op.start, op.npages, op.new_start, op.new_npages, op.dontunmap));
        break;
      case OpKind::Read: {
        std::uint64_t v = 0;
        r = user_read(m, op.start, &v) == Fault::Segv ? Result::segv() : Result::read_value(v);
        break;
      }
      case OpKind::Write:
        r = user_write(m, op.start, op.value) == Fault::Segv ? Result::segv() : Result::ok();
        break;
      case OpKind::Fork: {
        mm_struct* child = mm(op.child);
        const int err = dup_mmap(child, m);
        if (err != 0) {
          exit_mmap(child);
          procs.erase(op.child);
        }
        r = from_errno(err);
        break;
      }
      case OpKind::Exit:
        exit_mmap(m);
        procs.erase(op.proc);
        break;
      case OpKind::Rmap: {
        pte_t* pte = pte_offset_map(m, op.start);
        std::vector<RmapHit> hits;
        if (pte != nullptr && pte->present && pte->page != nullptr) {
          for (const rmap_hit& h : folio_rmap_hits(k, pte->page))
            hits.push_back({h.mm->name, h.address});
        }
        r = Result::rmap(hits);
        break;
      }
      case OpKind::FailAlloc:
        break;
    }
    k.fail_armed = false;
    if (l.expect) {
      EXPECT_EQ(format_result(r), format_result(*l.expect)) << format_op(op);
    }
  }
}

vm_area_struct* Machine::vma(const std::string& proc, Page page) {
  return vma_lookup(mm(proc), page);
}

folio* Machine::folio_at(const std::string& proc, Page page) {
  pte_t* pte = pte_offset_map(mm(proc), page);
  return pte != nullptr && pte->present ? pte->page : nullptr;
}

std::string Machine::check() const {
  std::map<const anon_vma*, long> active, children, below;
  std::set<const anon_vma*> live;
  for (const auto& [name, m] : procs) {
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
