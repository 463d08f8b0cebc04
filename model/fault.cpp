// fault.cpp - read and write accesses: the page-fault paths of mm/memory.c (docs/kernel/faults.md).
#include "model/ops.h"

namespace rmapcheck::model {

namespace {

// A fault either completes or returns VM_FAULT_OOM (an allocation failed).
enum class FaultResult { Done, Oom };

// folio_alloc + folio_add_new_anon_rmap(folio, vma, addr, RMAP_EXCLUSIVE):
// a new exclusive folio under vma->anon_vma at the page's linear index; 0
// when the folio cannot be allocated.
Id new_exclusive_folio(State& s, const Vma& v, Page page, std::uint64_t value) {
  if (alloc_fails(s, AllocSite::Folio)) return 0;
  Folio f;
  f.id = s.new_id();
  f.anon_vma = v.anon_vma;
  f.index = v.linear_index(page);
  f.exclusive = true;
  f.value = value;
  s.folios[f.id] = f;
  return f.id;
}

// pte_alloc: the page table of `page`, allocated if missing; false when it
// cannot be.
bool pte_alloc(State& s, Proc& p, Page page) {
  if (p.pte_tables.count(table_of(page))) return true;
  if (alloc_fails(s, AllocSite::PageTable)) return false;
  p.pte_tables.insert(table_of(page));
  return true;
}

// do_anonymous_page on a missing PTE: the page table first; a read maps
// the zero page (no anon_vma_prepare); a write prepares the anon_vma, then
// allocates a new exclusive folio and maps it writable. A failure leaves
// what came before it: an allocated page table, a prepared anon_vma.
FaultResult do_anonymous_page(State& s, Proc& p, Vma& v, Page page, bool write) {
  if (!pte_alloc(s, p, page)) return FaultResult::Oom;
  if (!write) {
    p.ptes[page] = Pte{true, 0, false};
    s.hit(Branch::ZeroPageRead);
    return FaultResult::Done;
  }
  if (anon_vma_prepare(s, p, v) != 0) return FaultResult::Oom;  // vmf_anon_prepare
  const Id f = new_exclusive_folio(s, v, page, 0);
  if (f == 0) return FaultResult::Oom;
  p.ptes[page] = Pte{false, f, true};
  s.hit(Branch::NewAnonFolio);
  return FaultResult::Done;
}

// wp_page_copy: a private copy (zero-filled for the zero page) under
// vma->anon_vma; the old folio loses one mapping (folio_remove_rmap_pte).
// A failure leaves the old PTE as it was (and a prepared anon_vma).
FaultResult wp_page_copy(State& s, Proc& p, Vma& v, Page page) {
  const bool from_zero = p.ptes.at(page).zero;
  if (anon_vma_prepare(s, p, v) != 0) return FaultResult::Oom;  // vmf_anon_prepare
  Pte& pte = p.ptes.at(page);
  const std::uint64_t old_value = pte.zero ? 0 : s.folios.at(pte.folio).value;
  const Id copy = new_exclusive_folio(s, v, page, old_value);
  if (copy == 0) return FaultResult::Oom;
  p.ptes[page] = Pte{false, copy, true};
  free_unmapped_folios(s);
  s.hit(from_zero ? Branch::CowCopyZeroPage : Branch::CowCopy);
  return FaultResult::Done;
}

// do_wp_page on a present read-only PTE of a writable private VMA.
FaultResult do_wp_page(State& s, Proc& p, Vma& v, Page page) {
  Pte& pte = p.ptes.at(page);
  if (!pte.zero) {
    Folio& f = s.folios.at(pte.folio);
    if (f.exclusive) {  // PageAnonExclusive: wp_page_reuse (unreachable here, see coverage.h)
      pte.writable = true;
      return FaultResult::Done;
    }
    // wp_can_reuse_anon_folio: with no swap cache, GUP pin or LRU batch,
    // refcount == mapcount, so "refcount 1" is "mapped exactly once".
    if (mapcount(s, f.id) == 1) {
      s.hit(Branch::CowReuseSoleMapper);
      f.anon_vma = v.anon_vma;  // folio_move_anon_rmap; index unchanged
      f.exclusive = true;
      pte.writable = true;
      return FaultResult::Done;
    }
  }
  return wp_page_copy(s, p, v, page);
}

// handle_mm_fault -> handle_pte_fault.
FaultResult handle_mm_fault(State& s, Proc& p, Vma& v, Page page, bool write) {
  auto it = p.ptes.find(page);
  if (it == p.ptes.end()) return do_anonymous_page(s, p, v, page, write);
  if (write && !it->second.writable) return do_wp_page(s, p, v, page);
  return FaultResult::Done;
}

// The user access faults until it can complete. VM_FAULT_OOM from a user
// fault is not an error the program sees: do_user_addr_fault calls
// pagefault_out_of_memory() and returns, and the instruction is retried.
// An injected failure fires once, so the retry succeeds; what the failed
// attempt did stays (docs/failure.md).
void fault_until_done(State& s, Proc& p, Vma& v, Page page, bool write) {
  while (handle_mm_fault(s, p, v, page, write) == FaultResult::Oom) {
  }
}

// x86 access_error(): a read needs any of VM_READ|VM_WRITE|VM_EXEC.
bool may_read(const Vma& v) {
  return (v.flags & (VM_READ | VM_WRITE | VM_EXEC)) != 0;
}

}  // namespace

// A load: a missing PTE is a read fault (do_anonymous_page maps the zero
// page, with no anon_vma_prepare); the value is the page's contents.
Result handle_read(State& s, Proc& p, Page page) {
  Vma* v = vma_containing(p, page);
  if (!v || !may_read(*v)) return Result::segv();
  if (!p.ptes.count(page)) fault_until_done(s, p, *v, page, false);
  const Pte& pte = p.ptes.at(page);
  return Result::read_value(pte.zero ? 0 : s.folios.at(pte.folio).value);
}

// A store: VM_WRITE needed (else SIGSEGV); fault if the PTE is missing or
// read-only; then the value is stored in the (now exclusive) folio.
Result handle_write(State& s, Proc& p, Page page, std::uint64_t value) {
  Vma* v = vma_containing(p, page);
  if (!v || !(v->flags & VM_WRITE)) return Result::segv();
  fault_until_done(s, p, *v, page, true);
  s.folios.at(p.ptes.at(page).folio).value = value;
  return Result::ok();
}

}  // namespace rmapcheck::model
