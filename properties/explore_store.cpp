// explore_store.cpp - the visited-state set (see explore_store.h).
#include "properties/explore_store.h"

namespace rmapcheck::props {

namespace {

constexpr std::size_t kInitialSlots = 1u << 16;

// A fingerprint of all zeros marks an empty slot; a state that hashes to it
// is stored as 1 (one more way to collide, at 2^-64).
Fingerprint nonzero(Fingerprint fp, StoreKind k) {
  if (k == StoreKind::Fp64) fp.hi = 0;
  if (fp.hi == 0 && fp.lo == 0) fp.lo = 1;
  return fp;
}

std::size_t words(StoreKind k) {
  return k == StoreKind::Fp128 ? 2 : 1;
}

}  // namespace

std::uint64_t bytes_per_state(StoreKind k) {
  // Slots at 3/8 load (just grown), plus 8 bytes of trail. The exact store
  // holds the bytes themselves: the figure is a floor, and the explorer
  // counts what it holds as it goes.
  switch (k) {
    case StoreKind::Fp64:
      return 8 * 8 / 3 + 8;
    case StoreKind::Fp128:
      return 16 * 8 / 3 + 8;
    case StoreKind::Exact:
      return 128 + 8;
  }
  return 0;
}

StateStore::StateStore(StoreKind kind) : kind_(kind) {
  if (kind_ != StoreKind::Exact) {
    slots_.assign(kInitialSlots * words(kind_), 0);
    mask_ = kInitialSlots - 1;
  }
}

std::size_t StateStore::slot_of(const Fingerprint& fp) const {
  return static_cast<std::size_t>(fp.lo ^ (fp.lo >> 29)) & mask_;
}

bool StateStore::contains(const Fingerprint& raw, const std::string& bytes) const {
  if (kind_ == StoreKind::Exact) return exact_.count(bytes) != 0;
  const Fingerprint fp = nonzero(raw, kind_);
  const std::size_t w = words(kind_);
  for (std::size_t i = slot_of(fp);; i = (i + 1) & mask_) {
    const std::uint64_t* s = &slots_[i * w];
    if (s[0] == 0 && (w == 1 || s[1] == 0)) return false;
    if (s[0] == fp.lo && (w == 1 || s[1] == fp.hi)) return true;
  }
}

bool StateStore::insert(const Fingerprint& raw, const std::string& bytes) {
  if (kind_ == StoreKind::Exact) {
    if (!exact_.insert(bytes).second) return false;
    ++size_;
    exact_bytes_ += bytes.size() + 64;  // the string, its heap block and the set's node
    return true;
  }
  if ((size_ + 1) * 4 > (mask_ + 1) * 3) grow();
  const Fingerprint fp = nonzero(raw, kind_);
  const std::size_t w = words(kind_);
  for (std::size_t i = slot_of(fp);; i = (i + 1) & mask_) {
    std::uint64_t* s = &slots_[i * w];
    if (s[0] == 0 && (w == 1 || s[1] == 0)) {
      s[0] = fp.lo;
      if (w == 2) s[1] = fp.hi;
      ++size_;
      return true;
    }
    if (s[0] == fp.lo && (w == 1 || s[1] == fp.hi)) return false;
  }
}

void StateStore::grow() {
  const std::size_t w = words(kind_);
  std::vector<std::uint64_t> old;
  old.swap(slots_);
  const std::size_t n = (mask_ + 1) * 2;
  slots_.assign(n * w, 0);
  mask_ = n - 1;
  for (std::size_t i = 0; i < old.size(); i += w) {
    if (old[i] == 0 && (w == 1 || old[i + 1] == 0)) continue;
    Fingerprint fp{w == 2 ? old[i + 1] : 0, old[i]};
    for (std::size_t j = slot_of(fp);; j = (j + 1) & mask_) {
      std::uint64_t* s = &slots_[j * w];
      if (s[0] == 0 && (w == 1 || s[1] == 0)) {
        s[0] = fp.lo;
        if (w == 2) s[1] = fp.hi;
        break;
      }
    }
  }
}

std::uint64_t StateStore::memory() const {
  if (kind_ == StoreKind::Exact) return exact_bytes_;
  return slots_.size() * sizeof(std::uint64_t);
}

}  // namespace rmapcheck::props
