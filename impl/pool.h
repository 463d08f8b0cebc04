// impl/pool.h - slab-like object pools that catch use after free and double free at once.
//
// What it is for: the kernel allocates anon_vma and anon_vma_chain from slab
// caches (anon_vma_cachep, anon_vma_chain_cachep) and, with slub_debug,
// poisons freed objects. The historical bugs rmapcheck reintroduces as
// mutants are mostly use-after-free; a plain `new`/`delete` would let them
// corrupt the heap silently. A Pool<T> instead keeps every object in a slot
// with a header, so touching a freed object is reported at once with the
// object's type, its slot and the operation that was running.
//
// Synopsis
//   Pool<T>(type_name, objects_per_chunk = 64)
//     alloc(args...) -> T*          construct in a free slot; never nullptr (allocation
//                                   failures are injected by the caller: kernel_state)
//     free(p, op)                   destroy, poison, bump the slot generation
//     check(p, op)                  p must be a live object of this pool
//     handle(p) -> PoolHandle<T>    {pointer, generation}: survives slot reuse
//     check(h, op) / get(h, op)     h's object must still be the live one
//     live_count(), capacity(), total_allocs(), total_frees(), header_bytes()
//     for_each_live(f)              every live object, in slot order
//   slot_of(p), generation_of(p)    for messages and tests
//
// Contract
//   - Faults throw rmapcheck::EngineFault whose message names the type, the
//     slot, the generation, the operation `op` and, for a use after free, the
//     operation that freed it: "use after free of anon_vma (slot 3, gen 2,
//     freed by unlink_anon_vmas) in rmap_walk_anon".
//   - `op` strings must outlive the pool (pass string literals): the header
//     keeps the freeing op's name.
//   - Chunks are never returned before the pool dies, so a dangling pointer
//     always points at a header we can read. Freed slots are reused FIFO (a
//     quarantine, like KASAN's), so a stale raw pointer stays detectable for
//     as long as possible; handles detect it forever (the generation).
//   - Deterministic: same alloc/free sequence, same slots.
//   - The pool destroys objects still live when it dies (no leak report: use
//     live_count() for leak checks).
//   - Debug builds (no NDEBUG) also check that p points into one of this
//     pool's slots at all (O(log chunks)); release builds compare the header's
//     state and generation only.
//   - Under ASan, freed slot bodies are poisoned so any access to them is an
//     ASan report, not just our check.
//
// Cost: a 32-byte header per object (generation, state, slot number, freeing
// op, free-list link; more only if alignof(T) > 32), slot rounded up to
// alignof(T); alloc/free O(1); check O(1) (debug: O(log chunks)).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rmapcheck/engine_fault.h"

#if defined(__has_include)
#if __has_include(<sanitizer/asan_interface.h>)
#include <sanitizer/asan_interface.h>
#endif
#endif
#ifndef ASAN_POISON_MEMORY_REGION
#define ASAN_POISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

namespace rmapcheck::impl {

// The byte freed objects are filled with (the kernel's POISON_FREE).
inline constexpr unsigned char kPoisonFree = 0x6b;

template <class T>
struct PoolHandle {
  T* ptr = nullptr;
  std::uint32_t generation = 0;
  explicit operator bool() const noexcept { return ptr != nullptr; }
  friend bool operator==(const PoolHandle&, const PoolHandle&) = default;
};

template <class T>
class Pool {
 public:
  explicit Pool(std::string_view type_name, std::size_t objects_per_chunk = 64);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  template <class... Args>
  T* alloc(Args&&... args);
  void free(T* p, std::string_view op = "free");

  void check(const T* p, std::string_view op) const;
  PoolHandle<T> handle(T* p) const;
  void check(const PoolHandle<T>& h, std::string_view op) const;
  T* get(const PoolHandle<T>& h, std::string_view op) const {
    check(h, op);
    return h.ptr;
  }
  bool is_live(const T* p) const noexcept;  // no throw; p must be from this pool

  std::size_t live_count() const noexcept { return live_; }
  std::size_t capacity() const noexcept { return chunks_.size() * per_chunk_; }
  std::uint64_t total_allocs() const noexcept { return allocs_; }
  std::uint64_t total_frees() const noexcept { return frees_; }
  std::string_view type_name() const noexcept { return type_name_; }
  // Bytes in front of each object (32 on x86-64 unless alignof(T) > 32).
  static constexpr std::size_t header_bytes() noexcept { return offsetof(Slot, body); }

  template <class F>
  void for_each_live(F&& f) const;

  std::size_t slot_of(const T* p) const noexcept;
  std::uint32_t generation_of(const T* p) const noexcept;

 private:
  enum class State : std::uint32_t {
    Free = 0x46524545u /* "FREE" */,
    Live = 0x4c495645u /* "LIVE" */
  };
  // 32 bytes in front of every object. The freeing op is kept as pointer +
  // length (not a string_view) so the header stays at 32 bytes.
  struct Slot {
    std::uint32_t generation;  // bumped by every free
    State state;
    std::uint32_t index;  // slot number in the pool, for messages
    std::uint32_t freed_by_len;
    const char* freed_by;  // the op that freed it last (for messages)
    Slot* next_free;       // free-list link (only while Free)
    alignas(T) unsigned char body[sizeof(T)];
  };

  static Slot* slot_from(const T* p) noexcept {
    auto* bytes = reinterpret_cast<const unsigned char*>(p) - offsetof(Slot, body);
    return reinterpret_cast<Slot*>(const_cast<unsigned char*>(bytes));
  }
  static T* object_of(Slot* s) noexcept { return std::launder(reinterpret_cast<T*>(s->body)); }
  void grow();
  [[noreturn]] void fault(const char* what, const Slot* s, std::string_view op) const;
  const Slot* locate(const T* p,
                     [[maybe_unused]] std::string_view op) const;  // throws if not a slot of ours

  std::string type_name_;
  std::size_t per_chunk_;
  std::vector<std::unique_ptr<Slot[]>> chunks_;
  std::map<const unsigned char*, std::size_t> chunk_index_;  // chunk start -> chunk number
  Slot* free_head_ = nullptr;  // FIFO: alloc takes the head, free appends at the tail
  Slot* free_tail_ = nullptr;
  std::size_t live_ = 0;
  std::uint64_t allocs_ = 0;
  std::uint64_t frees_ = 0;
};

}  // namespace rmapcheck::impl

#include "impl/pool.hpp"
