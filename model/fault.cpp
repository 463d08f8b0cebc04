// fault.cpp - read and write accesses: the page-fault paths of mm/memory.c (kernel-spec §2.3).
#include "model/ops.h"

namespace rmapcheck::model {

namespace {

// folio_add_new_anon_rmap(folio, vma, addr, RMAP_EXCLUSIVE): a new exclusive
// folio under vma->anon_vma at the page's linear index.
Id new_exclusive_folio(State& s, const Vma& v, Page page, std::uint64_t value) {
  (void)alloc_fails(s, AllocSite::Folio);
  Folio f;
  f.id = s.new_id();
  f.anon_vma = v.anon_vma;
  f.index = v.linear_index(page);
  f.exclusive = true;
  f.value = value;
  s.folios[f.id] = f;
  return f.id;
}

// do_anonymous_page, write fault: anon_vma_prepare, new exclusive folio,
// writable PTE.
void do_anonymous_page_write(State& s, Proc& p, Vma& v, Page page) {
  anon_vma_prepare(s, p, v);
  (void)alloc_fails(s, AllocSite::PageTable);
  p.ptes[page] = Pte{false, new_exclusive_folio(s, v, page, 0), true};
  s.hit(Branch::NewAnonFolio);
}

// wp_page_copy: a private copy under vma->anon_vma (zero-filled for the
// zero page); the old folio loses one mapping (folio_remove_rmap_pte).
void wp_page_copy(State& s, Proc& p, Vma& v, Page page) {
  Pte& pte = p.ptes.at(page);
  const std::uint64_t old_value = pte.zero ? 0 : s.folios.at(pte.folio).value;
  s.hit(pte.zero ? Branch::CowCopyZeroPage : Branch::CowCopy);
  anon_vma_prepare(s, p, v);  // vmf_anon_prepare: needed after a zero-page read
  const Id copy = new_exclusive_folio(s, v, page, old_value);
  p.ptes[page] = Pte{false, copy, true};
  free_unmapped_folios(s);
}

// do_wp_page on a present read-only PTE of a writable private VMA.
void do_wp_page(State& s, Proc& p, Vma& v, Page page) {
  Pte& pte = p.ptes.at(page);
  if (!pte.zero) {
    Folio& f = s.folios.at(pte.folio);
    if (f.exclusive) {  // PageAnonExclusive: wp_page_reuse
      s.hit(Branch::CowReuseExclusive);
      pte.writable = true;
      return;
    }
    // wp_can_reuse_anon_folio: with no swap cache, GUP pin or LRU batch,
    // refcount == mapcount, so "refcount 1" is "mapped exactly once".
    if (mapcount(s, f.id) == 1) {
      s.hit(Branch::CowReuseSoleMapper);
      f.anon_vma = v.anon_vma;  // folio_move_anon_rmap; index unchanged
      f.exclusive = true;
      pte.writable = true;
      return;
    }
  }
  wp_page_copy(s, p, v, page);
}

// x86 access_error(): a read needs any of VM_READ|VM_WRITE|VM_EXEC.
bool may_read(const Vma& v) { return (v.flags & (VM_READ | VM_WRITE | VM_EXEC)) != 0; }

}  // namespace

// A load: a missing PTE is a read fault (do_anonymous_page maps the zero
// page, with no anon_vma_prepare); the value is the page's contents.
Result handle_read(State& s, Proc& p, Page page) {
  Vma* v = vma_containing(p, page);
  if (!v || !may_read(*v)) return Result::segv();
  auto it = p.ptes.find(page);
  if (it == p.ptes.end()) {
    (void)alloc_fails(s, AllocSite::PageTable);
    p.ptes[page] = Pte{true, 0, false};
    s.hit(Branch::ZeroPageRead);
    return Result::read_value(0);
  }
  return Result::read_value(it->second.zero ? 0 : s.folios.at(it->second.folio).value);
}

// A store: VM_WRITE needed (else SIGSEGV); fault if the PTE is missing or
// read-only; then the value is stored in the (now exclusive) folio.
Result handle_write(State& s, Proc& p, Page page, std::uint64_t value) {
  Vma* v = vma_containing(p, page);
  if (!v || !(v->flags & VM_WRITE)) return Result::segv();
  auto it = p.ptes.find(page);
  if (it == p.ptes.end())
    do_anonymous_page_write(s, p, *v, page);
  else if (!it->second.writable)
    do_wp_page(s, p, *v, page);
  s.folios.at(p.ptes.at(page).folio).value = value;
  return Result::ok();
}

}  // namespace rmapcheck::model
