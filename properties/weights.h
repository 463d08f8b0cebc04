// weights.h - how often the generator picks each operation family.
//
// A campaign user tunes the mix with `--weights op=N,...` (names are the
// trace language's operation names: mmap munmap mprotect madvise mremap read
// write fork exit rmap failalloc). A weight of 0 disables the family.
//
// Synopsis
//   Weights                 one non-negative weight per OpKind
//   Weights::defaults()     the mix tuned to reach the hard states (see generator.h)
//   parse_weights(text, w)  applies "op=N,..." on top of w; error message or nullopt
//   format_weights(w)       "mmap=6,munmap=2,..." in OpKind order (reports, reproduce lines)
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rmapcheck/op.h"

namespace rmapcheck::props {

struct Weights {
  std::array<std::uint32_t, kOpKindCount> w{};

  static Weights defaults();
  std::uint32_t get(OpKind k) const { return w[static_cast<std::size_t>(k)]; }
  void set(OpKind k, std::uint32_t v) { w[static_cast<std::size_t>(k)] = v; }
  std::uint32_t total() const;
  bool operator==(const Weights&) const = default;
};

std::optional<std::string> parse_weights(std::string_view text, Weights& w);
std::string format_weights(const Weights& w);

}  // namespace rmapcheck::props
