// result.h - what an operation returns, as the kernel defines it.
//
// Synopsis
//   RmapHit   one mapping found by an rmap query: (process, page)
//   Result    0 | an errno | SIGSEGV | a value read | the hits of an rmap query
//   format_result / parse_result   the text form used after `=>` in traces
//
// Contract: an engine returns, for the same state and Op, exactly the Result
// the kernel returns. `read` always yields Kind::Value (or Segv / an errno),
// `write` Kind::Ok, Kind::Segv or Kind::Errno, `rmap` Kind::Rmap with hits
// sorted by (proc, page) or an errno, every other op Kind::Ok or Kind::Errno
// (only a user access faults; parse_result refuses SIGSEGV for the others).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rmapcheck/op.h"

namespace rmapcheck {

struct RmapHit {
  std::string proc;
  Page page = 0;
  auto operator<=>(const RmapHit&) const = default;
};

struct Result {
  enum class Kind : std::uint8_t { Ok, Errno, Segv, Value, Rmap };
  Kind kind = Kind::Ok;
  int err = 0;                // Kind::Errno: a positive errno (ENOMEM, EINVAL, ...)
  std::uint64_t value = 0;    // Kind::Value: the value read
  std::vector<RmapHit> hits;  // Kind::Rmap: sorted, no duplicates

  bool operator==(const Result&) const = default;

  static Result ok() { return {}; }
  static Result error(int e) {
    Result r;
    r.kind = Kind::Errno;
    r.err = e;
    return r;
  }
  static Result segv() {
    Result r;
    r.kind = Kind::Segv;
    return r;
  }
  static Result read_value(std::uint64_t v) {
    Result r;
    r.kind = Kind::Value;
    r.value = v;
    return r;
  }
  static Result rmap(std::vector<RmapHit> hits);  // sorts and deduplicates
};

// Errno names the trace language knows: ENOMEM EINVAL EEXIST EFAULT ESRCH
// EAGAIN EPERM EBUSY. Unknown numbers print as "E<number>"; errno_from_name
// takes "E<number>" for any errno 1..kMaxErrno (the kernel's MAX_ERRNO),
// named or not ("E12" is ENOMEM), the number decimal or 0x hex.
inline constexpr int kMaxErrno = 4095;
std::string_view errno_name(int err);
std::optional<int> errno_from_name(std::string_view s);

// Text form: "0", "ENOMEM", "SIGSEGV", a decimal or 0x value (read),
// "{p0:3 p1:3}" (rmap; "{}" when the page maps no anon folio).
std::string format_result(const Result& r);

// Parses the text after `=>`, given the op it belongs to (a bare number
// means a value for `read` and must be 0 otherwise). Returns an error
// message on failure.
struct ResultParse {
  std::optional<Result> result;
  std::string error;
  std::size_t error_col = 0;  // 0-based offset into `text` of the error
};
ResultParse parse_result(std::string_view text, OpKind kind);

}  // namespace rmapcheck
