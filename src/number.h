// number.h - (internal to rmapcheck_core) the numbers of the trace language.
//
// A number is decimal ("12") or hex with a 0x prefix ("0xc"), unsigned, at
// most 64 bits. Used by the trace parser and by parse_result.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rmapcheck {

struct NumberParse {
  std::optional<std::uint64_t> value;
  std::string error;  // "bad number 'x': ..." or "number '...' overflows 64 bits"
};

NumberParse parse_number(std::string_view s);

}  // namespace rmapcheck
