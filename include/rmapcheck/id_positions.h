// id_positions.h - where an id sits in an ascending list of ids, in one load.
//
// Both engines number their objects upwards from 1, so the ids listed in a
// state are small next to their count: a table indexed by id answers
// "where is id X in the list" at once. When the largest id is large next to
// the list (more than kSlack + 8 per listed id) a binary search answers
// instead. Of repeated ids the first position wins. The table lives with
// the object and is cleared entry by entry, so an IdPositions kept from one
// snapshot to the next allocates nothing once it has grown.
//
//   ids.clear(); ids.push_back(...) in ascending order; ids.index();
//   ids.find(id) -> position, or IdPositions::npos; ids[k] -> the k-th id
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace rmapcheck {

class IdPositions {
 public:
  static constexpr std::size_t npos = ~std::size_t{0};

  void clear() {
    for (std::uint64_t id : ids_)  // only what the last index() set
      if (id < table_.size()) table_[id] = 0;
    ids_.clear();
    direct_ = false;
  }
  void push_back(std::uint64_t id) { ids_.push_back(id); }
  // Builds the table once every id is in.
  void index() {
    const std::uint64_t top = ids_.empty() ? 0 : ids_.back();
    direct_ = top <= kSlack + 8 * ids_.size();
    if (!direct_) return;
    if (table_.size() <= top) table_.resize(top + 1, 0);
    for (std::size_t i = ids_.size(); i-- > 0;)  // backwards: the first of repeats wins
      table_[ids_[i]] = static_cast<std::uint32_t>(i + 1);
  }
  [[gnu::always_inline]] std::size_t find(std::uint64_t id) const {
    if (direct_) return id < table_.size() && table_[id] != 0 ? std::size_t{table_[id]} - 1 : npos;
    const auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
    return it != ids_.end() && *it == id ? static_cast<std::size_t>(it - ids_.begin()) : npos;
  }
  std::size_t size() const { return ids_.size(); }
  std::uint64_t operator[](std::size_t k) const { return ids_[k]; }

 private:
  static constexpr std::uint64_t kSlack = 4096;  // table entries allowed beyond 8 per id

  bool direct_ = false;
  std::vector<std::uint64_t> ids_;    // ascending
  std::vector<std::uint32_t> table_;  // by id: position + 1, 0 when not listed
};

}  // namespace rmapcheck
