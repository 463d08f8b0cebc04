// impl/pool.hpp - template bodies of impl/pool.h (included at its bottom).
#pragma once

#include <cstddef>
#include <string>

namespace rmapcheck::impl {

template <class T>
Pool<T>::Pool(std::string_view type_name, std::size_t objects_per_chunk)
    : type_name_(type_name), per_chunk_(objects_per_chunk == 0 ? 1 : objects_per_chunk) {}

template <class T>
Pool<T>::~Pool() {
  for (auto& chunk : chunks_) {
    for (std::size_t i = 0; i < per_chunk_; ++i) {
      Slot& s = chunk[i];
      if (s.state == State::Live) object_of(&s)->~T();
      // Hand the memory back to ASan's view before delete[] releases it.
      ASAN_UNPOISON_MEMORY_REGION(s.body, sizeof(T));
    }
  }
}

// Like kmem_cache_grow: a new chunk's slots join the free list in order.
template <class T>
void Pool<T>::grow() {
  const std::size_t base = capacity();
  if (base + per_chunk_ > UINT32_MAX) {
    throw EngineFault("pool of " + type_name_ + " exceeds 2^32 slots");
  }
  std::unique_ptr<Slot[]> chunk(new Slot[per_chunk_]);
  for (std::size_t i = 0; i < per_chunk_; ++i) {
    Slot& s = chunk[i];
    s.generation = 0;
    s.state = State::Free;
    s.index = static_cast<std::uint32_t>(base + i);
    s.freed_by_len = 0;
    s.freed_by = nullptr;
    s.next_free = nullptr;
    std::memset(s.body, kPoisonFree, sizeof(T));
    ASAN_POISON_MEMORY_REGION(s.body, sizeof(T));
    if (free_tail_ != nullptr) {
      free_tail_->next_free = &s;
    } else {
      free_head_ = &s;
    }
    free_tail_ = &s;
  }
  chunk_index_.emplace(reinterpret_cast<const unsigned char*>(chunk.get()), chunks_.size());
  chunks_.push_back(std::move(chunk));
}

template <class T>
template <class... Args>
T* Pool<T>::alloc(Args&&... args) {
  if (free_head_ == nullptr) grow();
  Slot* s = free_head_;
  free_head_ = s->next_free;
  if (free_head_ == nullptr) free_tail_ = nullptr;
  s->next_free = nullptr;
  ASAN_UNPOISON_MEMORY_REGION(s->body, sizeof(T));
  try {
    ::new (static_cast<void*>(s->body)) T(std::forward<Args>(args)...);
  } catch (...) {
    // Put the slot back at the head: the failed construction never happened.
    ASAN_POISON_MEMORY_REGION(s->body, sizeof(T));
    s->next_free = free_head_;
    free_head_ = s;
    if (free_tail_ == nullptr) free_tail_ = s;
    throw;
  }
  s->state = State::Live;
  ++live_;
  ++allocs_;
  return object_of(s);
}

template <class T>
void Pool<T>::free(T* p, std::string_view op) {
  if (p == nullptr) fault("free of a null", nullptr, op);
  Slot* s = const_cast<Slot*>(locate(p, op));
  if (s->state != State::Live) fault("double free", s, op);
  object_of(s)->~T();
  std::memset(s->body, kPoisonFree, sizeof(T));
  ASAN_POISON_MEMORY_REGION(s->body, sizeof(T));
  s->state = State::Free;
  s->freed_by = op.data();
  s->freed_by_len = static_cast<std::uint32_t>(op.size());
  ++s->generation;
  s->next_free = nullptr;
  if (free_tail_ != nullptr) {
    free_tail_->next_free = s;
  } else {
    free_head_ = s;
  }
  free_tail_ = s;
  --live_;
  ++frees_;
}

template <class T>
const typename Pool<T>::Slot* Pool<T>::locate(const T* p,
                                              [[maybe_unused]] std::string_view op) const {
#ifndef NDEBUG
  // Is p the body of one of our slots? Find the chunk that starts at or before p.
  const auto* addr = reinterpret_cast<const unsigned char*>(p);
  auto it = chunk_index_.upper_bound(addr);
  bool ours = false;
  if (it != chunk_index_.begin()) {
    --it;
    const std::ptrdiff_t off = addr - it->first;
    const auto body_off = static_cast<std::ptrdiff_t>(offsetof(Slot, body));
    const auto slot_size = static_cast<std::ptrdiff_t>(sizeof(Slot));
    ours = off >= body_off && off < slot_size * static_cast<std::ptrdiff_t>(per_chunk_) &&
           (off - body_off) % slot_size == 0;
  }
  if (!ours) {
    throw EngineFault(std::string(op) + ": pointer " +
                      std::to_string(reinterpret_cast<std::uintptr_t>(p)) + " is not a " +
                      type_name_ + " of this pool");
  }
#endif
  return slot_from(p);
}

template <class T>
void Pool<T>::check(const T* p, std::string_view op) const {
  if (p == nullptr) fault("use of a null", nullptr, op);
  const Slot* s = locate(p, op);
  if (s->state != State::Live) [[unlikely]]
    fault("use after free", s, op);
}

template <class T>
PoolHandle<T> Pool<T>::handle(T* p) const {
  check(p, "handle");
  return PoolHandle<T>{p, slot_from(p)->generation};
}

template <class T>
void Pool<T>::check(const PoolHandle<T>& h, std::string_view op) const {
  if (h.ptr == nullptr) fault("use of a null", nullptr, op);
  const Slot* s = locate(h.ptr, op);
  if (s->generation != h.generation || s->state != State::Live) [[unlikely]] {
    // The slot may hold a newer object now; the handle's object is dead.
    fault("use after free", s, op);
  }
}

template <class T>
bool Pool<T>::is_live(const T* p) const noexcept {
  return p != nullptr && slot_from(p)->state == State::Live;
}

template <class T>
template <class F>
void Pool<T>::for_each_live(F&& f) const {
  for (const auto& chunk : chunks_) {
    for (std::size_t i = 0; i < per_chunk_; ++i) {
      Slot& s = chunk[i];
      if (s.state == State::Live) f(*object_of(&s));
    }
  }
}

template <class T>
std::size_t Pool<T>::slot_of(const T* p) const noexcept {
  return slot_from(p)->index;
}

template <class T>
std::uint32_t Pool<T>::generation_of(const T* p) const noexcept {
  return slot_from(p)->generation;
}

template <class T>
void Pool<T>::fault(const char* what, const Slot* s, std::string_view op) const {
  std::string msg = std::string(what) + " of " + type_name_;
  if (s != nullptr) {
    msg += " (slot " + std::to_string(s->index) + ", generation " + std::to_string(s->generation);
    if (s->state == State::Free && s->freed_by_len != 0) {
      msg += ", freed by " + std::string(s->freed_by, s->freed_by_len);
    }
    msg += ")";
  }
  msg += " in " + std::string(op);
  throw EngineFault(msg);
}

}  // namespace rmapcheck::impl
