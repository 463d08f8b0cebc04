// fingerprint.h - state identity for exhaustive exploration (rmapcheck explore).
//
// Two states are the same state when their canonical snapshots are equal
// after the processes are renamed canonically: process names are labels
// (no operation's outcome depends on a name, only on which process it
// names), so states that differ only in the names are explored once. This
// is symmetry reduction over process names; anon_vmas and folios are
// already renamed by canonicalize().
//
// Synopsis
//   canonicalize_symmetric(s)   rename processes p0..pN-1 in an order that
//                               does not depend on their names, canonicalize
//   encode_state(s, extra, out) the binary form of a canonical snapshot:
//                               every field, no text; equal bytes iff equal
//                               snapshots (and equal `extra` words)
//   Fingerprint, fingerprint(bytes)   128 bits of a hash of that form
//
// Contract
//   - canonicalize_symmetric is O(n log n) in the processes (times the size
//     of a process's layout): it sorts by a name-free signature and breaks
//     ties by the old names. Two states equal up to renaming get the same
//     result unless they have processes with equal signatures whose names
//     sort differently: then they are explored twice. That costs states,
//     never soundness (a state is only ever identified with a renaming of
//     itself). docs/guide/explore.md.
//   - encode_state is injective on canonical snapshots: every field is
//     written with its length, so different snapshots give different bytes.
//   - fingerprint() is a 128-bit hash (two independent 64-bit streams of
//     multiply-xorshift mixing); collisions are possible and the explorer
//     prints their probability; the exact store compares the bytes.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

#include "rmapcheck/snapshot.h"

namespace rmapcheck {

void canonicalize_symmetric(Snapshot& s);

void encode_state(const Snapshot& s, std::initializer_list<std::uint64_t> extra, std::string& out);

struct Fingerprint {
  std::uint64_t hi = 0, lo = 0;
  bool operator==(const Fingerprint&) const = default;
};

Fingerprint fingerprint(const std::string& bytes);

}  // namespace rmapcheck
