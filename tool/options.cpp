// options.cpp - the shared checks of flag values (options.h).
#include "options.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>

#include "version.h"  // generated at build time (tool/version.cmake)

namespace rmapcheck::tool {
namespace {

// Decimal digits, or 0x and hex digits; nullopt on anything else or overflow.
std::optional<std::uint64_t> parse_unsigned(const std::string& s) {
  std::string_view digits = s;
  unsigned base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
  }
  if (digits.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : digits) {
    unsigned d = 0;
    if (c >= '0' && c <= '9') {
      d = static_cast<unsigned>(c - '0');
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      d = static_cast<unsigned>(c - 'a' + 10);
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      d = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    if (v > (kMaxU64 - d) / base) return std::nullopt;
    v = v * base + d;
  }
  return v;
}

}  // namespace

CLI::Validator integer_in(std::uint64_t lo, std::uint64_t hi) {
  const std::string range = fmt::format("{}..{}", lo, hi);
  return CLI::Validator(
      [lo, hi, range](std::string& s) -> std::string {
        auto v = parse_unsigned(s);
        if (!v || *v < lo || *v > hi) return fmt::format("'{}' is not an integer in {}", s, range);
        s = std::to_string(*v);  // what CLI11 converts: plain decimal
        return "";
      },
      "INT in " + range);
}

CLI::Validator seconds_in(double lo, double hi) {
  const std::string range = fmt::format("{}..{}", lo, hi);
  return CLI::Validator(
      [lo, hi, range](std::string& s) -> std::string {
        const char* begin = s.c_str();
        char* end = nullptr;
        errno = 0;
        const double v = std::strtod(begin, &end);
        if (s.empty() || end != begin + s.size() || errno != 0 || !std::isfinite(v) || v < lo ||
            v > hi)
          return fmt::format("'{}' is not a number of seconds in {}", s, range);
        return "";
      },
      "SECONDS in " + range);
}

CLI::Validator non_empty() {
  return CLI::Validator(
      [](std::string& s) -> std::string { return s.empty() ? "the value is empty" : ""; }, "TEXT");
}

namespace {

// Creates and removes a file in `dir`: permission bits do not stop root, a
// read-only or pseudo file system does. "" or strerror.
std::string probe_create_in(const std::filesystem::path& dir) {
  std::string probe = (dir / ".rmapcheck-write-probe-XXXXXX").string();
  const int fd = mkstemp(probe.data());
  if (fd < 0) return std::strerror(errno);
  close(fd);
  unlink(probe.c_str());
  return "";
}

}  // namespace

std::string probe_out_dir(const std::string& flag, const std::string& dir) {
  namespace fs = std::filesystem;
  const std::string what = flag + " " + dir + ": ";
  if (dir.empty()) return what + "empty directory name";
  // The nearest part of the path that exists must be a directory.
  const fs::path target(dir);
  fs::path p = target;
  for (;;) {
    std::error_code ec;
    const fs::file_status st = fs::status(p, ec);
    if (fs::exists(st)) {
      if (!fs::is_directory(st)) {
        return p == target ? what + "it exists and is not a directory"
                           : what + p.string() + " is not a directory";
      }
      break;
    }
    const fs::path parent = p.parent_path();
    if (parent.empty() || parent == p) {
      p = parent.empty() ? fs::path(".") : parent;
      break;
    }
    p = parent;
  }
  // Permission bits do not stop root: create a file there to know.
  if (auto e = probe_create_in(p); !e.empty())
    return what + "cannot create files in " + (p == target ? "it" : p.string()) + ": " + e;
  return "";
}

std::string probe_out_file(const std::string& path) {
  namespace fs = std::filesystem;
  if (path.empty()) return "empty file name";
  std::error_code ec;
  if (fs::is_directory(path, ec)) return "it is a directory";
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const fs::file_status st = fs::status(dir, ec);
  if (!fs::exists(st)) return dir.string() + ": " + std::strerror(ENOENT);
  if (!fs::is_directory(st)) return dir.string() + " is not a directory";
  if (auto e = probe_create_in(dir); !e.empty()) return dir.string() + ": " + e;
  return "";
}

std::string version_text() {
  std::string v = "rmapcheck " RMAPCHECK_VERSION;
  const std::string describe = RMAPCHECK_GIT_DESCRIBE;
  if (!describe.empty()) v += " (git " + describe + ")";
  return v;
}

}  // namespace rmapcheck::tool
