// tests/impl/swap_test.cpp - reclaim, swap PTEs and swap-in on the kernel's own objects
// (impl/swapfile.cpp, swap_state.cpp, vmscan.cpp, memory.cpp do_swap_page).
//
// Each scenario runs model and impl in lock-step (the checker compares them
// and every invariant after each op) and then looks at the impl's swap_map,
// swap cache, folios and PTEs. Notation: F a folio, S a slot; "swap(S, excl)"
// a swap PTE carrying the exclusive bit.
#include <gtest/gtest.h>

#include "impl/swap_state.h"
#include "machine.h"

namespace rmapcheck::impl::test {
namespace {

unsigned count_of(const kernel_state& k, const pte_t* pte) {
  return __swap_count(k, pte->swp);
}

// The swap_map alone, no page tables: the stored count and the cache bit
// move exactly at folio_alloc_swap, swap_duplicate, swap_free and
// folio_free_swap, and a slot is freed when both are gone.
TEST(SwapMap, CountsAndTheCacheBit) {
  kernel_state k{MutantSet{}};
  folio* f = k.folio_cachep.alloc();
  f->refcount = 1;  // the caller's
  ASSERT_EQ(folio_alloc_swap(k, f), 0);
  const swp_entry_t s = f->swap;
  ASSERT_NE(s.val, 0u);  // offset 0 is the header
  EXPECT_EQ(k.si.swap_map[s.val], SWAP_HAS_CACHE);
  EXPECT_EQ(swap_cache_get_folio(k, s), f);
  EXPECT_EQ(f->refcount, 2);  // + the swap cache's
  swap_duplicate(k, s);
  swap_duplicate(k, s);
  EXPECT_EQ(k.si.swap_map[s.val], SWAP_HAS_CACHE | 2);
  EXPECT_FALSE(folio_free_swap(k, f));  // two swap PTEs hold the slot
  swap_free(k, s);
  swap_free(k, s);
  EXPECT_EQ(k.si.swap_map[s.val], SWAP_HAS_CACHE);  // the cache alone keeps it
  EXPECT_EQ(k.si.inuse_pages, 1);
  EXPECT_TRUE(folio_free_swap(k, f));
  EXPECT_EQ(k.si.swap_map[s.val], 0);
  EXPECT_EQ(k.si.inuse_pages, 0);
  EXPECT_EQ(f->swap.val, 0u);
  EXPECT_EQ(f->refcount, 1);
  EXPECT_EQ(k.cov.count(Branch::SwapSlotFreed), 1u);

  // The next allocation reuses the freed offset; an injected failure of the
  // `swap` site leaves the folio untouched.
  ASSERT_EQ(folio_alloc_swap(k, f), 0);
  EXPECT_EQ(f->swap, s);
  folio* g = k.folio_cachep.alloc();
  g->refcount = 1;
  k.arm_failalloc(AllocSite::Swap, 1);
  EXPECT_EQ(folio_alloc_swap(k, g), -ENOMEM);
  EXPECT_EQ(g->swap.val, 0u);
  EXPECT_EQ(g->refcount, 1);
  EXPECT_EQ(k.si.inuse_pages, 1);
}

//   0123
//   F...   p0 wrote page 0: F exclusive, writable. pageout [0,4): page 0
//          becomes swap(S, excl), F is freed, S stores 7 with count 1; the
//          zero-page and empty PTEs are skipped. The read comes back through
//          the SWP_SYNCHRONOUS_IO bypass: a new exclusive folio, writable on
//          a read fault, and S is freed.
TEST(Pageout, PageoutAndReadBack) {
  Machine m;
  m.run("mmap p0 0 4 rw\nwrite p0 0 7\nread p0 1 => 0\npageout p0 0 4 => 0");
  pte_t* pte = m.pte("p0", 0);
  ASSERT_NE(pte, nullptr);
  ASSERT_TRUE(is_swap_pte(*pte));
  EXPECT_TRUE(pte->swp_exclusive);
  EXPECT_EQ(count_of(m.k, pte), 1u);
  EXPECT_EQ(m.k.si.contents[pte->swp.val], 7u);
  EXPECT_EQ(swap_cache_get_folio(m.k, pte->swp), nullptr);
  EXPECT_EQ(m.k.folio_cachep.live_count(), 0u);
  EXPECT_TRUE(m.pte("p0", 1)->present);  // the zero page stays
  EXPECT_EQ(m.k.cov.count(Branch::SwapOutExclusive), 1u);

  m.run("read p0 0 => 7");
  folio* f = m.folio_at("p0", 0);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(m.pte("p0", 0)->write);
  EXPECT_TRUE(f->anon_exclusive);
  EXPECT_EQ(folio_anon_vma(f), m.vma("p0", 0)->anon_vma);
  EXPECT_FALSE(folio_test_swapcache(f));
  EXPECT_EQ(m.k.si.inuse_pages, 0);
  EXPECT_EQ(m.k.cov.count(Branch::SwapInBypass), 1u);
  EXPECT_EQ(m.k.cov.count(Branch::SwapInWritableOnRead), 1u);
  EXPECT_EQ(m.check(), "");
}

//   01
//   F.     p0 and a share F after fork (mapcount 2): MADV_PAGEOUT does not
//          interfere with other mappings, so nothing is swapped.
TEST(Pageout, SharedFolioIsSkipped) {
  Machine m;
  m.run("mmap p0 0 2 rw\nwrite p0 0 5\nfork p0 a\npageout p0 0 2 => 0");
  EXPECT_TRUE(m.pte("p0", 0)->present);
  EXPECT_EQ(m.folio_at("p0", 0)->mapcount, 2);
  EXPECT_EQ(m.k.si.inuse_pages, 0);
  EXPECT_EQ(m.k.cov.count(Branch::PageoutSkipShared), 1u);
}

// pageout, fork: both sides hold swap(S), count 2, and the exclusive bit is
// cleared in both (copy_nonpresent_pte). a's read misses the cache: a new
// folio F cached for S, under the ROOT anon_vma (p0's: F is not exclusive),
// read-only. p0's write hits F, cannot reuse it (a maps it too): a copy.
// a's write then frees the swap cache (no swap PTE left) and reuses F.
TEST(SwapIn, PageoutForkThenEachSidesFault) {
  Machine m;
  m.run("mmap p0 0 1 rw\nwrite p0 0 5\npageout p0 0 1\nfork p0 a");
  const swp_entry_t s = m.pte("p0", 0)->swp;
  EXPECT_EQ(m.pte("a", 0)->swp, s);
  EXPECT_FALSE(m.pte("p0", 0)->swp_exclusive);
  EXPECT_FALSE(m.pte("a", 0)->swp_exclusive);
  EXPECT_EQ(__swap_count(m.k, s), 2u);

  m.run("read a 0 => 5");
  folio* f = m.folio_at("a", 0);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->swap, s);
  EXPECT_FALSE(f->anon_exclusive);
  EXPECT_FALSE(m.pte("a", 0)->write);
  EXPECT_EQ(folio_anon_vma(f), m.vma("p0", 0)->anon_vma);  // the root
  EXPECT_NE(folio_anon_vma(f), m.vma("a", 0)->anon_vma);
  EXPECT_EQ(__swap_count(m.k, s), 1u);
  EXPECT_EQ(m.k.cov.count(Branch::SwapInCacheMiss), 1u);

  m.run("write p0 0 9");
  EXPECT_NE(m.folio_at("p0", 0), f);  // hit, then COW copy
  EXPECT_EQ(m.k.cov.count(Branch::SwapInCacheHit), 1u);
  EXPECT_EQ(f->mapcount, 1);
  EXPECT_EQ(f->swap, s);  // still cached: a maps it
  EXPECT_EQ(__swap_count(m.k, s), 0u);

  m.run("read a 0 => 5\nread p0 0 => 9\nwrite a 0 6");
  EXPECT_EQ(m.folio_at("a", 0), f);  // reused
  EXPECT_TRUE(f->anon_exclusive);
  EXPECT_FALSE(folio_test_swapcache(f));
  EXPECT_EQ(m.k.si.inuse_pages, 0);
  EXPECT_EQ(m.k.cov.count(Branch::CowReuseFreedSwapCache), 1u);
  EXPECT_EQ(m.check(), "");
}

// pageout, fork, the child exits: p0's swap PTE lost its exclusive bit at
// the fork, but its slot's count is 1 again, so the read takes the bypass
// and the new folio is exclusive and writable all the same.
TEST(SwapIn, ForkChildExitSwapInInTheParent) {
  Machine m;
  m.run("mmap p0 0 1 rw\nwrite p0 0 5\npageout p0 0 1\nfork p0 a\nexit a");
  EXPECT_FALSE(m.pte("p0", 0)->swp_exclusive);
  EXPECT_EQ(count_of(m.k, m.pte("p0", 0)), 1u);
  EXPECT_EQ(m.k.cov.count(Branch::ZapSwapPte), 1u);
  m.run("read p0 0 => 5");
  EXPECT_TRUE(m.pte("p0", 0)->write);
  EXPECT_TRUE(m.folio_at("p0", 0)->anon_exclusive);
  EXPECT_EQ(m.k.si.inuse_pages, 0);
}

//   01
//   SS     both pages swapped out; DONTNEED of page 0 frees its slot (a read
//          then maps the zero page); DONTNEED of page 1 empties the page
//          table, which goes (swap PTEs occupy it like present ones).
TEST(Zap, DontneedOfSwapPtes) {
  Machine m;
  m.run("mmap p0 0 2 rw\nwrite p0 0 5\nwrite p0 1 6\npageout p0 0 2 => 0");
  EXPECT_EQ(m.k.si.inuse_pages, 2);
  m.run("madvise p0 0 1 dontneed => 0");
  EXPECT_EQ(m.k.si.inuse_pages, 1);
  EXPECT_TRUE(is_swap_pte(*m.pte("p0", 1)));
  m.run("madvise p0 1 1 dontneed => 0");
  EXPECT_EQ(m.pte("p0", 1), nullptr);  // the table is gone
  EXPECT_EQ(m.k.si.inuse_pages, 0);
  m.run("read p0 0 => 0\nread p0 1 => 0");
}

//   0 .. 10
//   S        p0's swap PTE moves to page 10 (same slot); the slot's folio,
//            cached by a's swap-in, keeps index 0, which is the linear index
//            of page 10 in the moved VMA (pgoff 0): p0's read hits it.
TEST(Mremap, MovesSwapPtesAndTheCachedFolioStillFits) {
  Machine m;
  m.run("mmap p0 0 2 rw\nwrite p0 0 5\npageout p0 0 2\nfork p0 a\nread a 0 => 5");
  folio* f = m.folio_at("a", 0);
  m.run("mremap p0 0 2 10 2 => 0");
  ASSERT_TRUE(is_swap_pte(*m.pte("p0", 10)));
  EXPECT_EQ(m.pte("p0", 10)->swp, f->swap);
  EXPECT_EQ(m.vma("p0", 10)->vm_pgoff, 0u);
  EXPECT_EQ(f->index, 0u);
  EXPECT_EQ(m.k.cov.count(Branch::MremapMoveSwapPte), 1u);
  m.run("read p0 10 => 5");
  EXPECT_EQ(m.folio_at("p0", 10), f);  // a hit, no ksm_might_need_to_copy copy
  EXPECT_EQ(f->mapcount, 2);
}

// reclaim unmaps a folio three processes share (through the rmap walk): one
// slot, count 3, no exclusive bit. Each process swaps it in: a misses (F
// cached under the root), b and p0 hit the same F. When the slot's count
// is 0 and F is still mapped, F stays cached; once nothing maps it, it goes.
TEST(Reclaim, SharedFolioAndTheSwapInInEachProcess) {
  Machine m;
  m.run("mmap p0 0 1 rw\nwrite p0 0 5\nfork p0 a\nfork p0 b\nreclaim => 0");
  const swp_entry_t s = m.pte("p0", 0)->swp;
  EXPECT_EQ(m.pte("a", 0)->swp, s);
  EXPECT_EQ(m.pte("b", 0)->swp, s);
  EXPECT_EQ(__swap_count(m.k, s), 3u);
  EXPECT_EQ(m.k.folio_cachep.live_count(), 0u);
  EXPECT_EQ(m.k.cov.count(Branch::ReclaimShared), 1u);
  m.run("read a 0 => 5\nread b 0 => 5\nread p0 0 => 5");
  folio* f = m.folio_at("a", 0);
  EXPECT_EQ(m.folio_at("b", 0), f);
  EXPECT_EQ(m.folio_at("p0", 0), f);
  EXPECT_EQ(f->mapcount, 3);
  EXPECT_EQ(__swap_count(m.k, s), 0u);
  EXPECT_EQ(f->swap, s);  // has_cache only
  m.run("exit a\nexit b\nmunmap p0 0 1 => 0");
  EXPECT_EQ(m.k.folio_cachep.live_count(), 0u);
  EXPECT_EQ(m.k.si.inuse_pages, 0);
  EXPECT_EQ(m.k.cov.count(Branch::SwapCacheDropped), 1u);
}

// A swap-in leaves an unmapped folio in the swap cache when its process
// unmaps it while others still hold the slot; reclaim writes it out again
// and frees it; the others' reads then miss.
TEST(Reclaim, UnmappedCachedFolio) {
  Machine m;
  m.run("mmap p0 0 1 rw\nwrite p0 0 5\npageout p0 0 1\nfork p0 a\nread a 0\nmunmap a 0 1");
  const swp_entry_t s = m.pte("p0", 0)->swp;
  folio* f = swap_cache_get_folio(m.k, s);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->mapcount, 0);
  EXPECT_EQ(f->refcount, 1);  // the cache's
  m.run("reclaim");
  EXPECT_EQ(swap_cache_get_folio(m.k, s), nullptr);
  EXPECT_EQ(m.k.folio_cachep.live_count(), 0u);
  m.run("read p0 0 => 5");
  EXPECT_EQ(m.k.si.inuse_pages, 0);
}

// failalloc swap: the folio gets no slot, stays mapped and unchanged.
TEST(FailAlloc, NoSwapSlotLeavesTheFolioMapped) {
  Machine m;
  m.run("mmap p0 0 2 rw\nwrite p0 0 5\nwrite p0 1 6\nfailalloc swap 2\npageout p0 0 2 => 0");
  EXPECT_TRUE(is_swap_pte(*m.pte("p0", 0)));
  EXPECT_TRUE(m.pte("p0", 1)->present);
  EXPECT_TRUE(m.pte("p0", 1)->write);
  EXPECT_EQ(m.k.si.inuse_pages, 1);
}

}  // namespace
}  // namespace rmapcheck::impl::test
