// results_test.cpp - the text form of results (what follows `=>`).
#include <gtest/gtest.h>

#include <cerrno>

#include "rmapcheck/result.h"

namespace rmapcheck {
namespace {

Result parsed(std::string_view text, OpKind kind) {
  ResultParse p = parse_result(text, kind);
  EXPECT_TRUE(p.result.has_value()) << text << ": " << p.error;
  return p.result.value_or(Result::segv());
}

TEST(Results, EveryKind) {
  EXPECT_EQ(parsed("0", OpKind::Mmap), Result::ok());
  EXPECT_EQ(parsed(" ENOMEM ", OpKind::Mmap), Result::error(ENOMEM));
  EXPECT_EQ(parsed("eexist", OpKind::Mmap), Result::error(EEXIST));
  EXPECT_EQ(parsed("SIGSEGV", OpKind::Write), Result::segv());
  EXPECT_EQ(parsed("0", OpKind::Read), Result::read_value(0));
  EXPECT_EQ(parsed("0x2a", OpKind::Read), Result::read_value(42));
  EXPECT_EQ(parsed("{}", OpKind::Rmap), Result::rmap({}));
  EXPECT_EQ(parsed("{ p1:3 p0:0x3 }", OpKind::Rmap), Result::rmap({{"p0", 3}, {"p1", 3}}));
  EXPECT_EQ(parsed("ESRCH", OpKind::Rmap), Result::error(ESRCH));
  EXPECT_EQ(parsed("E99", OpKind::Fork), Result::error(99));
}

TEST(Results, Format) {
  EXPECT_EQ(format_result(Result::ok()), "0");
  EXPECT_EQ(format_result(Result::error(EAGAIN)), "EAGAIN");
  EXPECT_EQ(format_result(Result::error(99)), "E99");
  EXPECT_EQ(format_result(Result::segv()), "SIGSEGV");
  EXPECT_EQ(format_result(Result::read_value(7)), "7");
  EXPECT_EQ(format_result(Result::rmap({{"p1", 3}, {"p0", 3}, {"p0", 3}})), "{p0:3 p1:3}");
  EXPECT_EQ(format_result(Result::rmap({})), "{}");
}

TEST(Results, ErrnoNames) {
  for (int e : {ENOMEM, EINVAL, EEXIST, EFAULT, ESRCH, EAGAIN, EPERM, EBUSY})
    EXPECT_EQ(errno_from_name(errno_name(e)), e);
  EXPECT_FALSE(errno_from_name("ENOPE").has_value());
  EXPECT_FALSE(errno_from_name("E0").has_value());
}

// docs/trace-language.md: E<number> is any errno 1..4095, named or not, the
// number written as anywhere in a trace (decimal or 0x hex); print writes
// the name when there is one.
TEST(Results, ErrnoByNumber) {
  EXPECT_EQ(parsed("E12", OpKind::Mmap), Result::error(ENOMEM));
  EXPECT_EQ(format_result(parsed("E12", OpKind::Mmap)), "ENOMEM");
  EXPECT_EQ(parsed("e99", OpKind::Mmap), Result::error(99));
  EXPECT_EQ(parsed("E0x63", OpKind::Mmap), Result::error(99));
  EXPECT_EQ(parsed("E4095", OpKind::Mmap), Result::error(4095));
  for (const char* bad : {"E0", "E4096", "E99999999999999999999", "E12x"}) {
    ResultParse p = parse_result(bad, OpKind::Mmap);
    EXPECT_FALSE(p.result.has_value()) << bad;
    EXPECT_EQ(p.error,
              "bad errno '" + std::string(bad) + "': E<number> takes an errno from 1 to 4095");
  }
}

// Only read and write make a user access, so only they can fault.
TEST(Results, OnlyAnAccessFaults) {
  EXPECT_EQ(parsed("SIGSEGV", OpKind::Read), Result::segv());
  EXPECT_EQ(parsed("sigsegv", OpKind::Write), Result::segv());
  for (OpKind k : {OpKind::Mmap, OpKind::Munmap, OpKind::Mprotect, OpKind::Madvise, OpKind::Mremap,
                   OpKind::Fork, OpKind::Exit, OpKind::Rmap}) {
    ResultParse p = parse_result("SIGSEGV", k);
    EXPECT_FALSE(p.result.has_value()) << op_kind_name(k);
    EXPECT_EQ(p.error, "only read and write can fault: " + std::string(op_kind_name(k)) +
                           " never returns SIGSEGV");
  }
}

TEST(Results, ErrorColumnIsTheOffendingToken) {
  ResultParse p = parse_result("  {p0:1 Q:2}", OpKind::Rmap);
  EXPECT_FALSE(p.result.has_value());
  EXPECT_EQ(p.error, "bad process name 'Q' in rmap hit");
  EXPECT_EQ(p.error_col, 8u);
  p = parse_result("{p0:1048576}", OpKind::Rmap);
  EXPECT_EQ(p.error, "page 1048576 in rmap hit is outside the window (pages 0..1048575)");
  EXPECT_EQ(p.error_col, 4u);
}

}  // namespace
}  // namespace rmapcheck
