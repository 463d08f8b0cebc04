// number.cpp - decimal and 0x-hex numbers of the trace language (number.h).
#include "number.h"

namespace rmapcheck {

NumberParse parse_number(std::string_view s) {
  NumberParse r;
  const std::string text{s};
  std::uint64_t base = 10;
  std::string_view digits = s;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    digits = s.substr(2);
  }
  if (digits.empty()) {
    r.error = "bad number '" + text + "': expected decimal or 0x hex digits";
    return r;
  }
  std::uint64_t v = 0;
  bool overflow = false;
  for (char c : digits) {
    std::uint64_t d = 0;
    if (c >= '0' && c <= '9') {
      d = static_cast<std::uint64_t>(c - '0');
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      d = static_cast<std::uint64_t>(c - 'a' + 10);
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      d = static_cast<std::uint64_t>(c - 'A' + 10);
    } else {
      r.error = "bad number '" + text + "': expected decimal or 0x hex digits";
      return r;
    }
    // Keep scanning after an overflow so that "12x" is reported as bad, not as too big.
    if (v > (UINT64_MAX - d) / base) overflow = true;
    v = v * base + d;
  }
  if (overflow) {
    r.error = "number '" + text + "' overflows 64 bits";
    return r;
  }
  r.value = v;
  return r;
}

}  // namespace rmapcheck
