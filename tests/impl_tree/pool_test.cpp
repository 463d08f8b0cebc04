// Pools: a use after free or a double free is reported at once, naming the
// type, the slot and the operations involved; generations tell a reused slot
// from the object that used to live there; live counts support leak checks;
// injected allocation failures return nullptr exactly when armed.
#include "impl/pool.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rmapcheck::impl {
namespace {

struct Obj {
  int value = 0;
  std::string name;  // non-trivial: the pool must run destructors
  explicit Obj(int v) : value(v), name("obj" + std::to_string(v)) {}
};

std::string fault_of(auto&& f) {
  try {
    f();
  } catch (const EngineFault& e) {
    return e.what();
  }
  return "(no fault)";
}

TEST(Pool, DoubleFreeIsReportedWithTypeSlotAndOps) {
  Pool<Obj> pool("anon_vma");
  Obj* a = pool.alloc(1);
  pool.free(a, "unlink_anon_vmas");
  const auto msg = fault_of([&] { pool.free(a, "exit_mmap"); });
  EXPECT_EQ(
      msg,
      "double free of anon_vma (slot 0, generation 1, freed by unlink_anon_vmas) in exit_mmap");
  EXPECT_EQ(pool.live_count(), 0u);
}

TEST(Pool, UseAfterFreeIsReportedWithTypeSlotAndOps) {
  Pool<Obj> pool("anon_vma_chain");
  Obj* a = pool.alloc(1);
  Obj* b = pool.alloc(2);
  pool.check(b, "rmap_walk_anon");  // live: fine
  pool.free(b, "unlink_anon_vmas");
  const auto msg = fault_of([&] { pool.check(b, "rmap_walk_anon"); });
  EXPECT_EQ(msg,
            "use after free of anon_vma_chain (slot 1, generation 1, freed by unlink_anon_vmas) "
            "in rmap_walk_anon");
  pool.check(a, "rmap_walk_anon");
}

TEST(Pool, HeaderIs32Bytes) {
  EXPECT_EQ(Pool<Obj>::header_bytes(), 32u);
  EXPECT_EQ(Pool<char>::header_bytes(), 32u);
}

TEST(Pool, NullIsReported) {
  Pool<Obj> pool("anon_vma");
  EXPECT_EQ(fault_of([&] { pool.check(nullptr, "folio_lock_anon_vma_read"); }),
            "use of a null of anon_vma in folio_lock_anon_vma_read");
  EXPECT_EQ(fault_of([&] { pool.free(nullptr, "put_anon_vma"); }),
            "free of a null of anon_vma in put_anon_vma");
}

#ifndef NDEBUG
TEST(Pool, ForeignPointerIsReportedInDebugBuilds) {
  Pool<Obj> pool("anon_vma");
  Pool<Obj> other("anon_vma");
  Obj* mine = pool.alloc(1);
  Obj* theirs = other.alloc(2);
  EXPECT_NE(fault_of([&] {
              pool.check(theirs, "anon_vma_clone");
            }).find("is not a anon_vma of this pool"),
            std::string::npos);
  pool.check(mine, "anon_vma_clone");
}
#endif

// One slot per chunk so the freed slot is the next one handed out: the raw
// pointer now points at a live object, but the handle knows it is not its own.
TEST(Pool, HandleSeesThroughSlotReuse) {
  Pool<Obj> pool("anon_vma", 1);
  Obj* a = pool.alloc(1);
  const auto h = pool.handle(a);
  EXPECT_EQ(pool.generation_of(a), 0u);
  pool.free(a, "put_anon_vma");
  Obj* b = pool.alloc(2);
  ASSERT_EQ(b, a);  // the same slot again
  EXPECT_EQ(pool.generation_of(b), 1u);
  EXPECT_EQ(pool.slot_of(b), 0u);
  pool.check(b, "reuse");  // the raw pointer cannot tell
  EXPECT_EQ(fault_of([&] { pool.check(h, "anon_vma_lock_read"); }),
            "use after free of anon_vma (slot 0, generation 1) in anon_vma_lock_read");
  EXPECT_EQ(pool.get(pool.handle(b), "x")->value, 2);
}

// Free slots are handed out first-in first-out (a quarantine): a slot just
// freed goes behind every other free slot, so a stale raw pointer to it stays
// detectable for as long as possible.
//   chunk of 4: alloc 0 1 | free 0 | alloc -> 2, 3, then 0 again, then a new chunk
TEST(Pool, FreedSlotsAreReusedInFifoOrder) {
  Pool<Obj> pool("anon_vma", 4);
  Obj* s0 = pool.alloc(0);
  pool.alloc(1);
  pool.free(s0, "t");
  EXPECT_EQ(pool.slot_of(pool.alloc(2)), 2u);
  EXPECT_EQ(pool.slot_of(pool.alloc(3)), 3u);
  EXPECT_EQ(pool.alloc(4), s0);  // only now is slot 0 reused
  EXPECT_EQ(pool.capacity(), 4u);
  EXPECT_EQ(pool.slot_of(pool.alloc(5)), 4u);  // a new chunk
  EXPECT_EQ(pool.capacity(), 8u);
}

TEST(Pool, LiveCountAndIterationFindLeaks) {
  Pool<Obj> pool("anon_vma_chain", 3);
  std::vector<Obj*> objs;
  for (int i = 0; i < 7; ++i) objs.push_back(pool.alloc(i));
  pool.free(objs[1], "t");
  pool.free(objs[5], "t");
  EXPECT_EQ(pool.live_count(), 5u);
  EXPECT_EQ(pool.total_allocs(), 7u);
  EXPECT_EQ(pool.total_frees(), 2u);
  std::vector<int> seen;
  pool.for_each_live([&](const Obj& o) { seen.push_back(o.value); });
  EXPECT_EQ(seen, (std::vector<int>{0, 2, 3, 4, 6}));
  // Objects still live when the pool dies are destroyed (ASan's leak check
  // would flag their strings otherwise).
}

// A constructor that throws leaves the pool as it was.
struct Throws {
  explicit Throws(bool t) {
    if (t) throw std::runtime_error("ctor");
  }
};
TEST(Pool, ThrowingConstructorGivesTheSlotBack) {
  Pool<Throws> pool("throws", 2);
  EXPECT_THROW(pool.alloc(true), std::runtime_error);
  EXPECT_EQ(pool.live_count(), 0u);
  Throws* t = pool.alloc(false);
  EXPECT_EQ(pool.slot_of(t), 0u);
}

// g++ says it builds with ASan by __SANITIZE_ADDRESS__, clang by
// __has_feature(address_sanitizer).
#if defined(__SANITIZE_ADDRESS__)
#define POOL_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_TEST_ASAN 1
#endif
#endif

#if defined(POOL_TEST_ASAN)
// Under ASan the freed body is poisoned: even an access that skips check()
// is caught, by ASan itself.
TEST(PoolDeathTest, AsanCatchesUncheckedUseAfterFree) {
  Pool<Obj> pool("anon_vma");
  Obj* a = pool.alloc(1);
  pool.free(a, "t");
  volatile int* v = &a->value;
  EXPECT_DEATH((void)*v, "use-after-poison");
}
#else
// Without ASan the body is filled with POISON_FREE (0x6b) for anyone who looks.
TEST(Pool, FreedBodyIsPoisoned) {
  Pool<Obj> pool("anon_vma");
  Obj* a = pool.alloc(1);
  pool.free(a, "t");
  const auto* bytes = reinterpret_cast<const unsigned char*>(a);
  for (std::size_t i = 0; i < sizeof(Obj); ++i) ASSERT_EQ(bytes[i], kPoisonFree) << "byte " << i;
}
#endif

}  // namespace
}  // namespace rmapcheck::impl
