// result.cpp - Result values and their text form (what follows `=>` in a trace).
#include "rmapcheck/result.h"

#include <algorithm>
#include <array>
#include <cerrno>

#include "number.h"

namespace rmapcheck {
namespace {

struct ErrnoName {
  int err;
  std::string_view name;
};
constexpr std::array<ErrnoName, 8> kErrnos = {{{ENOMEM, "ENOMEM"},
                                               {EINVAL, "EINVAL"},
                                               {EEXIST, "EEXIST"},
                                               {EFAULT, "EFAULT"},
                                               {ESRCH, "ESRCH"},
                                               {EAGAIN, "EAGAIN"},
                                               {EPERM, "EPERM"},
                                               {EBUSY, "EBUSY"}}};

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

std::string upper(std::string_view s) {
  std::string u{s};
  for (char& c : u)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return u;
}

ResultParse fail(std::string msg, std::size_t col) {
  ResultParse p;
  p.error = std::move(msg);
  p.error_col = col;
  return p;
}

// "{p0:3 p1:0x4}" starting at text[pos] == '{'.
ResultParse parse_hits(std::string_view text, std::size_t pos, std::size_t& end) {
  std::vector<RmapHit> hits;
  std::size_t i = pos + 1;
  for (;;) {
    while (i < text.size() && is_space(text[i])) ++i;
    if (i >= text.size()) return fail("missing '}' at the end of the rmap result", pos);
    if (text[i] == '}') {
      end = i + 1;
      break;
    }
    std::size_t tok = i;
    while (i < text.size() && !is_space(text[i]) && text[i] != '}') ++i;
    std::string_view hit = text.substr(tok, i - tok);
    std::size_t colon = hit.find(':');
    if (colon == std::string_view::npos)
      return fail("bad rmap hit '" + std::string(hit) + "': expected PROC:PAGE", tok);
    std::string_view name = hit.substr(0, colon);
    if (!valid_proc_name(name))
      return fail("bad process name '" + std::string(name) + "' in rmap hit", tok);
    std::string_view num = hit.substr(colon + 1);
    NumberParse n = parse_number(num);
    if (!n.value) return fail(n.error, tok + colon + 1);
    if (*n.value >= kWindowPages)
      return fail("page " + std::string(num) + " in rmap hit is outside the window (pages 0.." +
                      std::to_string(kWindowPages - 1) + ")",
                  tok + colon + 1);
    RmapHit h{std::string(name), *n.value};
    if (std::find(hits.begin(), hits.end(), h) != hits.end())
      return fail("rmap hit '" + std::string(hit) + "' is listed twice", tok);
    hits.push_back(std::move(h));
  }
  ResultParse p;
  p.result = Result::rmap(std::move(hits));
  return p;
}

}  // namespace

Result Result::rmap(std::vector<RmapHit> hits) {
  std::sort(hits.begin(), hits.end());
  hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
  Result r;
  r.kind = Kind::Rmap;
  r.hits = std::move(hits);
  return r;
}

std::string_view errno_name(int err) {
  for (const auto& e : kErrnos)
    if (e.err == err) return e.name;
  return {};
}

std::optional<int> errno_from_name(std::string_view s) {
  for (const auto& e : kErrnos)
    if (e.name == s) return e.err;
  // "E<number>": how format_result prints an errno without a name, and a
  // spelling of any errno (E12 is ENOMEM); the number as anywhere in a trace.
  if (s.size() >= 2 && s[0] == 'E' && s[1] >= '0' && s[1] <= '9') {
    NumberParse n = parse_number(s.substr(1));
    if (n.value && *n.value >= 1 && *n.value <= static_cast<std::uint64_t>(kMaxErrno))
      return static_cast<int>(*n.value);
  }
  return std::nullopt;
}

std::string format_result(const Result& r) {
  switch (r.kind) {
    case Result::Kind::Ok:
      return "0";
    case Result::Kind::Errno: {
      std::string_view n = errno_name(r.err);
      return n.empty() ? "E" + std::to_string(r.err) : std::string(n);
    }
    case Result::Kind::Segv:
      return "SIGSEGV";
    case Result::Kind::Value:
      return std::to_string(r.value);
    case Result::Kind::Rmap: {
      std::string s = "{";
      for (std::size_t i = 0; i < r.hits.size(); ++i) {
        if (i) s += ' ';
        s += r.hits[i].proc + ":" + std::to_string(r.hits[i].page);
      }
      return s + "}";
    }
  }
  return "?";
}

ResultParse parse_result(std::string_view text, OpKind kind) {
  std::size_t i = 0;
  while (i < text.size() && is_space(text[i])) ++i;
  if (i >= text.size()) return fail("missing result after '=>'", i);
  const std::size_t start = i;
  ResultParse p;
  std::size_t end = 0;
  if (text[i] == '{') {
    if (kind != OpKind::Rmap) return fail("only rmap returns a {...} result", start);
    p = parse_hits(text, i, end);
    if (!p.result) return p;
  } else {
    end = i;
    while (end < text.size() && !is_space(text[end])) ++end;
    std::string_view tok = text.substr(start, end - start);
    const std::string up = upper(tok);
    if (up == "SIGSEGV") {
      // Only a user access faults; mmap, fork, rmap ... make none.
      if (kind != OpKind::Read && kind != OpKind::Write)
        return fail("only read and write can fault: " + std::string(op_kind_name(kind)) +
                        " never returns SIGSEGV",
                    start);
      p.result = Result::segv();
    } else if (auto e = errno_from_name(up)) {
      p.result = Result::error(*e);
    } else if (up.size() >= 2 && up[0] == 'E' && up[1] >= '0' && up[1] <= '9') {
      return fail("bad errno '" + std::string(tok) + "': E<number> takes an errno from 1 to " +
                      std::to_string(kMaxErrno),
                  start);
    } else if (tok[0] >= '0' && tok[0] <= '9') {
      NumberParse n = parse_number(tok);
      if (!n.value) return fail(n.error, start);
      if (kind == OpKind::Read) {
        p.result = Result::read_value(*n.value);
      } else if (kind == OpKind::Rmap) {
        return fail("rmap returns {PROC:PAGE ...}, not a number", start);
      } else if (*n.value != 0) {
        return fail(kind == OpKind::Write
                        ? "only read returns a value: expected 0, an errno name or SIGSEGV"
                        : "only read returns a value: expected 0 or an errno name",
                    start);
      } else {
        p.result = Result::ok();
      }
    } else {
      return fail("bad result '" + std::string(tok) +
                      "': expected 0, an errno name (ENOMEM, EINVAL, ...), SIGSEGV, a value (read) "
                      "or {PROC:PAGE ...} (rmap)",
                  start);
    }
  }
  while (end < text.size() && is_space(text[end])) ++end;
  if (end < text.size()) {
    std::size_t e = end;
    while (e < text.size() && !is_space(text[e])) ++e;
    return fail("unexpected '" + std::string(text.substr(end, e - end)) + "' after the result",
                end);
  }
  return p;
}

}  // namespace rmapcheck
