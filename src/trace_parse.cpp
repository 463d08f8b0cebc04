// trace_parse.cpp - the trace language parser (trace.h).
//
// One line at a time: check the bytes (length, NUL, UTF-8, control
// characters), cut the comment, split `OP ARGS => RESULT`, parse the op and
// its arguments, check process liveness, parse the expected result. The first
// problem of a line becomes its diagnostic, at the column of the offending
// token; the parser then goes on with the next line so that one run reports
// several problems (at most kMaxDiagnostics).
//
// Keywords (op names, PROT, ADVICE, SITE, flags, errno names) are accepted in
// any case; process names are not, since they are case-sensitive identifiers.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "number.h"
#include "rmapcheck/trace.h"

namespace rmapcheck {
namespace {

constexpr std::size_t kMaxLineBytes = 4096;
constexpr std::size_t kMaxDiagnostics = 20;
constexpr std::uintmax_t kMaxFileBytes = 64u << 20;

struct Token {
  std::string_view text;
  int col = 0;  // 1-based
};

// A problem on one line: message and 1-based column.
struct Problem {
  std::string message;
  int col = 0;
};

std::string lower(std::string_view s) {
  std::string l{s};
  for (char& c : l)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return l;
}

std::string_view usage(OpKind k) {
  switch (k) {
    case OpKind::Mmap:
      return "mmap P START NPAGES PROT [noreserve]";
    case OpKind::Munmap:
      return "munmap P START NPAGES";
    case OpKind::Mprotect:
      return "mprotect P START NPAGES PROT";
    case OpKind::Madvise:
      return "madvise P START NPAGES ADVICE";
    case OpKind::Mremap:
      return "mremap P OLD OLDN NEW NEWN [dontunmap]";
    case OpKind::Read:
      return "read P PAGE";
    case OpKind::Write:
      return "write P PAGE [VALUE]";
    case OpKind::Fork:
      return "fork P CHILD";
    case OpKind::Exit:
      return "exit P";
    case OpKind::Rmap:
      return "rmap P PAGE";
    case OpKind::FailAlloc:
      return "failalloc [SITE] K";
    case OpKind::Pageout:
      return "pageout P START NPAGES";
    case OpKind::Reclaim:
      return "reclaim";
  }
  return "?";
}

// "0x1f": a byte for a message.
std::string hex_byte(unsigned char c) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", c);
  return hex;
}

// The first problem in the raw bytes of a line, if any. Every byte of every
// trace goes through here: a message is formatted only when there is one.
std::optional<Problem> check_bytes(std::string_view line) {
  if (line.size() > kMaxLineBytes)
    return Problem{"line is too long (" + std::to_string(line.size()) + " bytes; at most " +
                       std::to_string(kMaxLineBytes) + ")",
                   static_cast<int>(kMaxLineBytes) + 1};
  std::size_t i = 0;
  while (i < line.size()) {
    const auto c = static_cast<unsigned char>(line[i]);
    const int col = static_cast<int>(i) + 1;
    if (c == 0) return Problem{"NUL byte in the trace", col};
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t') || c == 0x7f)
        return Problem{"control character " + hex_byte(c) + " in the trace", col};
      ++i;
      continue;
    }
    // UTF-8: the lead byte says how many continuation bytes follow; reject
    // overlong forms (0xc0, 0xc1, 0xe0 0x80.., 0xf0 0x80..) and > U+10FFFF.
    std::size_t extra = 0;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      extra = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;  // no UTF-16 surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return Problem{"invalid UTF-8 (byte " + hex_byte(c) + ")", col};
    }
    for (std::size_t k = 1; k <= extra; ++k) {
      if (i + k >= line.size()) return Problem{"invalid UTF-8 (truncated sequence)", col};
      const auto cc = static_cast<unsigned char>(line[i + k]);
      const unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xbf;
      if (cc < l || cc > h)
        return Problem{"invalid UTF-8 (bad sequence after byte " + hex_byte(c) + ")", col};
    }
    i += extra + 1;
  }
  return std::nullopt;
}

std::vector<Token> tokenize(std::string_view text, int col0) {
  std::vector<Token> toks;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ' || text[i] == '\t') {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\t') ++j;
    toks.push_back({text.substr(i, j - i), col0 + static_cast<int>(i)});
    i = j;
  }
  return toks;
}

// Reads the arguments of one op, left to right; every reader returns false
// after recording the problem.
class ArgReader {
 public:
  ArgReader(const std::vector<Token>& toks, OpKind kind) : toks_(toks), kind_(kind) {}

  const std::optional<Problem>& problem() const { return problem_; }
  bool at_end() const { return pos_ >= toks_.size(); }
  const Token& peek() const { return toks_[pos_]; }
  int last_col() const { return toks_[pos_ - 1].col; }

  bool next(const char* what, Token& t) {
    if (at_end())
      return fail("missing " + std::string(what) + " (" + std::string(usage(kind_)) + ")",
                  toks_[0].col);
    t = toks_[pos_++];
    return true;
  }

  bool proc(const char* what, std::string& out) {
    Token t;
    if (!next(what, t)) return false;
    if (!valid_proc_name(t.text))
      return fail("bad process name '" + std::string(t.text) +
                      "': expected [a-z][a-z0-9_]*, at most 32 characters",
                  t.col);
    out = std::string(t.text);
    return true;
  }

  bool number(const char* what, std::uint64_t& out) {
    Token t;
    if (!next(what, t)) return false;
    NumberParse n = parse_number(t.text);
    if (!n.value) return fail(n.error, t.col);
    out = *n.value;
    return true;
  }

  // A page (START, OLD, NEW, PAGE): inside the window.
  bool page(const char* what, Page& out) {
    if (!number(what, out)) return false;
    if (out >= kWindowPages)
      return fail(std::string(what) + " " + std::to_string(out) +
                      " is outside the window (pages 0.." + std::to_string(kWindowPages - 1) + ")",
                  last_col());
    return true;
  }

  // A page count following `start`: the range must end inside the window.
  bool count(const char* what, Page start, Page& out) {
    if (!number(what, out)) return false;
    if (out > kWindowPages - start)
      return fail("pages [" + std::to_string(start) + ", " + std::to_string(start) + "+" +
                      std::to_string(out) + ") go beyond the window (" +
                      std::to_string(kWindowPages) + " pages)",
                  last_col());
    return true;
  }

  template <typename T>
  bool keyword(const char* what, std::optional<T> (*from_name)(std::string_view),
               const char* choices, T& out) {
    Token t;
    if (!next(what, t)) return false;
    auto v = from_name(lower(t.text));
    if (!v)
      return fail(
          "bad " + std::string(what) + " '" + std::string(t.text) + "': expected " + choices,
          t.col);
    out = *v;
    return true;
  }

  // An optional trailing flag word ("noreserve", "dontunmap").
  bool flag(const char* word, bool& out) {
    if (at_end()) return true;
    const Token& t = toks_[pos_];
    if (lower(t.text) != word)
      return fail("expected '" + std::string(word) + "' or the end of the operation, got '" +
                      std::string(t.text) + "'",
                  t.col);
    ++pos_;
    out = true;
    return true;
  }

  bool finish() {
    if (at_end()) return true;
    return fail("unexpected '" + std::string(toks_[pos_].text) + "' after the operation (" +
                    std::string(usage(kind_)) + ")",
                toks_[pos_].col);
  }

  bool fail(std::string msg, int col) {
    if (!problem_) problem_ = Problem{std::move(msg), col};
    return false;
  }

 private:
  const std::vector<Token>& toks_;
  OpKind kind_;
  std::size_t pos_ = 1;  // toks_[0] is the op name
  std::optional<Problem> problem_;
};

constexpr const char* kProtChoices = "none, r, rw, rx or rwx";
constexpr const char* kAdviceChoices = "dontneed, dontfork, dofork, wipeonfork or keeponfork";
constexpr const char* kSiteChoices = "any, anon_vma, avc, vma, folio, pgtable, prealloc or swap";

// Parses the arguments of `kind` into op; false with r.problem() set on error.
bool parse_args(ArgReader& r, OpKind kind, Op& op) {
  op.kind = kind;
  switch (kind) {
    case OpKind::Mmap:
      return r.proc("P", op.proc) && r.page("START", op.start) &&
             r.count("NPAGES", op.start, op.npages) &&
             r.keyword("PROT", prot_from_name, kProtChoices, op.prot) &&
             r.flag("noreserve", op.noreserve) && r.finish();
    case OpKind::Munmap:
    case OpKind::Pageout:
      return r.proc("P", op.proc) && r.page("START", op.start) &&
             r.count("NPAGES", op.start, op.npages) && r.finish();
    case OpKind::Reclaim:
      return r.finish();
    case OpKind::Mprotect:
      return r.proc("P", op.proc) && r.page("START", op.start) &&
             r.count("NPAGES", op.start, op.npages) &&
             r.keyword("PROT", prot_from_name, kProtChoices, op.prot) && r.finish();
    case OpKind::Madvise:
      return r.proc("P", op.proc) && r.page("START", op.start) &&
             r.count("NPAGES", op.start, op.npages) &&
             r.keyword("ADVICE", advice_from_name, kAdviceChoices, op.advice) && r.finish();
    case OpKind::Mremap:
      return r.proc("P", op.proc) && r.page("OLD", op.start) &&
             r.count("OLDN", op.start, op.npages) && r.page("NEW", op.new_start) &&
             r.count("NEWN", op.new_start, op.new_npages) && r.flag("dontunmap", op.dontunmap) &&
             r.finish();
    case OpKind::Read:
    case OpKind::Rmap:
      return r.proc("P", op.proc) && r.page("PAGE", op.start) && r.finish();
    case OpKind::Write:
      if (!(r.proc("P", op.proc) && r.page("PAGE", op.start))) return false;
      if (!r.at_end() && !r.number("VALUE", op.value)) return false;
      return r.finish();
    case OpKind::Fork:
      return r.proc("P", op.proc) && r.proc("CHILD", op.child) && r.finish();
    case OpKind::Exit:
      return r.proc("P", op.proc) && r.finish();
    case OpKind::FailAlloc: {
      // failalloc [SITE] K: a leading word that is not a number is the SITE.
      if (!r.at_end()) {
        const char c = r.peek().text[0];
        if (!(c >= '0' && c <= '9') &&
            !r.keyword("SITE", alloc_site_from_name, kSiteChoices, op.site))
          return false;
      }
      std::uint64_t k = 0;
      if (!r.number("K", k)) return false;
      if (k < 1) return r.fail("failalloc K must be at least 1", r.last_col());
      if (k > UINT32_MAX)
        return r.fail("failalloc K " + std::to_string(k) + " is too large (at most " +
                          std::to_string(UINT32_MAX) + ")",
                      r.last_col());
      op.nth = static_cast<std::uint32_t>(k);
      return r.finish();
    }
  }
  return r.fail("unknown operation", 1);
}

class Parser {
 public:
  Parser(std::string_view file, bool liveness) : file_(file), liveness_(liveness) {
    live_["p0"] = 0;
  }

  ParseOutcome run(std::string_view text) {
    Trace trace;
    trace.file = file_;
    // A UTF-8 byte-order mark (some Windows editors write one) is not part of line 1.
    if (text.substr(0, 3) == "\xef\xbb\xbf") text.remove_prefix(3);
    int line_no = 0;
    std::size_t pos = 0;
    while (pos < text.size() && !stopped_) {
      std::size_t nl = text.find('\n', pos);
      std::string_view line =
          text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      pos = nl == std::string_view::npos ? text.size() : nl + 1;
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF files
      if (auto tl = parse_line(line_no, line)) trace.lines.push_back(std::move(*tl));
    }
    ParseOutcome out;
    out.diagnostics = std::move(diags_);
    if (out.diagnostics.empty()) out.trace = std::move(trace);
    return out;
  }

 private:
  void report(int line, int col, std::string msg) {
    if (stopped_) return;
    if (diags_.size() >= kMaxDiagnostics) {
      diags_.push_back(
          {file_, line, col,
           "too many errors (more than " + std::to_string(kMaxDiagnostics) + "); stopping here"});
      stopped_ = true;
      return;
    }
    diags_.push_back({file_, line, col, std::move(msg)});
  }

  std::optional<TraceLine> parse_line(int line_no, std::string_view line) {
    if (auto p = check_bytes(line)) {
      report(line_no, p->col, p->message);
      return std::nullopt;
    }
    std::string_view body = line.substr(0, line.find('#'));
    std::size_t arrow = body.find("=>");
    std::string_view op_text = body.substr(0, arrow);
    std::vector<Token> toks = tokenize(op_text, 1);
    if (toks.empty()) {
      if (arrow != std::string_view::npos)
        report(line_no, static_cast<int>(arrow) + 1, "missing operation before '=>'");
      return std::nullopt;
    }
    auto kind = op_kind_from_name(lower(toks[0].text));
    if (!kind) {
      report(line_no, toks[0].col,
             "unknown operation '" + std::string(toks[0].text) +
                 "' (expected mmap, munmap, mprotect, madvise, mremap, read, write, fork, exit, "
                 "rmap, failalloc, pageout or reclaim)");
      return std::nullopt;
    }
    TraceLine tl;
    tl.line = line_no;
    ArgReader reader(toks, *kind);
    if (!parse_args(reader, *kind, tl.op)) {
      report(line_no, reader.problem()->col, reader.problem()->message);
      return std::nullopt;
    }
    // The op is well-formed: its effect on liveness counts even if the
    // line has another problem, so one mistake does not cascade.
    std::optional<Problem> live_problem =
        liveness_ ? apply_liveness(tl.op, toks, line_no) : std::nullopt;
    if (live_problem) {
      report(line_no, live_problem->col, live_problem->message);
      return std::nullopt;
    }
    if (arrow != std::string_view::npos) {
      const std::size_t rstart = arrow + 2;
      ResultParse rp = parse_result(body.substr(rstart), *kind);
      if (!rp.result) {
        report(line_no, static_cast<int>(rstart + rp.error_col) + 1, rp.error);
        return std::nullopt;
      }
      tl.expect = std::move(rp.result);
    }
    return tl;
  }

  std::optional<Problem> not_live(const std::string& name, int col) const {
    auto it = live_.find(name);
    if (it == live_.end())
      return Problem{"process '" + name + "' does not exist (only p0 and forked children do)", col};
    if (it->second < 0)
      return Problem{"process '" + name + "' is not live (it exited at line " +
                         std::to_string(-it->second) + ")",
                     col};
    return std::nullopt;
  }

  std::optional<Problem> apply_liveness(const Op& op, const std::vector<Token>& toks, int line_no) {
    if (!op_names_proc(op.kind)) return std::nullopt;
    std::optional<Problem> p = not_live(op.proc, toks[1].col);
    if (op.kind == OpKind::Fork) {
      auto it = live_.find(op.child);
      const bool child_live = it != live_.end() && it->second >= 0;
      if (!p && child_live)
        p = Problem{"fork child '" + op.child + "' is already live", toks[2].col};
      if (!child_live) live_[op.child] = 0;
    } else if (op.kind == OpKind::Exit && !p) {
      live_[op.proc] = -line_no;
    }
    return p;
  }

  std::string file_;
  bool liveness_ = true;
  std::vector<Diagnostic> diags_;
  bool stopped_ = false;
  // name -> 0 while live, -N once it exited at line N.
  std::map<std::string, int, std::less<>> live_;
};

}  // namespace

ParseOutcome parse_trace(std::string_view text, std::string_view file) {
  Parser p(file, true);
  return p.run(text);
}

ParseOutcome parse_ops(std::string_view text, std::string_view file) {
  Parser p(file, false);
  return p.run(text);
}

ParseOutcome load_trace_file(const std::string& path) {
  const bool from_stdin = path == "-";
  const std::string name = from_stdin ? std::string(kStdinName) : path;
  auto unreadable = [&](const std::string& why) {
    ParseOutcome out;
    out.diagnostics.push_back({name, 0, 0, "cannot read the trace: " + why});
    return out;
  };
  std::error_code ec;
  if (!from_stdin && std::filesystem::is_directory(path, ec))
    return unreadable("it is a directory");
  std::ifstream file;
  if (!from_stdin) {
    file.open(path, std::ios::binary);
    if (!file) return unreadable(std::strerror(errno));
  }
  std::istream& in = from_stdin ? std::cin : file;
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxFileBytes)
      return unreadable("it is larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB");
  }
  if (in.bad()) return unreadable("read error");
  return parse_trace(text, name);
}

}  // namespace rmapcheck
