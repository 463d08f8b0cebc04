// snapshot_refill.h - rebuilding a Snapshot in place, keeping its buffers.
//
// The checker keeps one Snapshot per lane from op to op and has the engine
// overwrite it (Engine::snapshot_into). Built from empty vectors, a snapshot
// costs an allocation for every process, PTE list, VMA chain, interval tree
// and walk, at every op, and freeing the previous one as many again; the
// state changes little from one op to the next, so refilling the previous
// snapshot's vectors allocates next to nothing.
//
// Refill<T> rebuilds one list from the front: next() returns the element
// at the cursor (the one the previous fill left there, or a new one at the
// end) and advances; when the Refill is destroyed the elements past the
// cursor are dropped. The element next() returns still holds the previous
// fill's values: the filler assigns every field (whole-value assignment for
// the flat records, SnapPte and SnapSlot), clears the vectors it appends to,
// and refills nested lists of records with a Refill of their own.
//
// Contract: a snapshot refilled from any earlier snapshot equals one built
// from empty (tests/checker/refill_test.cpp holds both engines to it).
#pragma once

#include <cstddef>
#include <vector>

namespace rmapcheck {

template <class T>
class Refill {
 public:
  explicit Refill(std::vector<T>& list) : list_(list) {}
  Refill(const Refill&) = delete;
  Refill& operator=(const Refill&) = delete;
  ~Refill() { list_.resize(n_); }

  T& next() {
    if (n_ == list_.size()) list_.emplace_back();
    return list_[n_++];
  }
  // The elements handed out so far (the list's final size).
  std::size_t size() const { return n_; }

 private:
  std::vector<T>& list_;
  std::size_t n_ = 0;
};

}  // namespace rmapcheck
