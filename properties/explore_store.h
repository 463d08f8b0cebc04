// explore_store.h - the explorer's set of visited states (see explore.h).
//
// Three kinds: a 64-bit or a 128-bit fingerprint in an open-addressed table
// (8 or 16 bytes a slot, grown at 3/4 load, so between 3/8 and 3/4 full),
// or the exact binary form of every state (encode_state) in a hash set.
// The fingerprint tables can miss a state when two states share a
// fingerprint; the explorer prints the probability. Lookups are safe from
// several threads while no insert runs (the explorer inserts only between
// levels).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "properties/explore.h"
#include "rmapcheck/fingerprint.h"

namespace rmapcheck::props {

class StateStore {
 public:
  explicit StateStore(StoreKind kind);
  StoreKind kind() const { return kind_; }
  bool contains(const Fingerprint& fp, const std::string& bytes) const;
  // True when new.
  bool insert(const Fingerprint& fp, const std::string& bytes);
  std::uint64_t size() const { return size_; }
  std::uint64_t memory() const;  // bytes held

 private:
  std::size_t slot_of(const Fingerprint& fp) const;
  void grow();

  StoreKind kind_;
  std::uint64_t size_ = 0;
  std::vector<std::uint64_t> slots_;  // Fp64: 1 word a slot, Fp128: 2; all-zero = empty
  std::size_t mask_ = 0;
  std::unordered_set<std::string> exact_;
  std::uint64_t exact_bytes_ = 0;
};

}  // namespace rmapcheck::props
