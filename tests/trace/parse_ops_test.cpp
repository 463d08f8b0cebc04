// parse_ops_test.cpp - every operation of the trace language, parsed and printed.
//
// Each test parses the text form of one op, compares with the Op built by the
// constructor of op.h, and checks that format_op gives the canonical text back.
#include <gtest/gtest.h>

#include "rmapcheck/coverage.h"
#include "trace_test_util.h"

namespace rmapcheck {
namespace {

using test::parse_ok;
using test::parse_op;

void expect_op(std::string_view text, const Op& want, std::string_view canonical) {
  Op got = parse_op(text);
  EXPECT_EQ(got, want) << text;
  EXPECT_EQ(format_op(got), canonical) << text;
  EXPECT_FALSE(op_invalid_reason(got).has_value()) << *op_invalid_reason(got);
}

TEST(ParseOps, Mmap) {
  expect_op("mmap p0 0 4 rw", op_mmap("p0", 0, 4, Prot::RW), "mmap p0 0 4 rw");
  expect_op("mmap p0 0x10 2 none noreserve", op_mmap("p0", 16, 2, Prot::None, true),
            "mmap p0 16 2 none noreserve");
  expect_op("MMAP p0 1 1 RWX", op_mmap("p0", 1, 1, Prot::RWX), "mmap p0 1 1 rwx");
  // EINVAL is the kernel's call
  expect_op("mmap p0 3 0 r", op_mmap("p0", 3, 0, Prot::R), "mmap p0 3 0 r");
}

TEST(ParseOps, MunmapMprotectMadvise) {
  expect_op("munmap p0 4 1", op_munmap("p0", 4, 1), "munmap p0 4 1");
  expect_op("mprotect p0 2 3 rx", op_mprotect("p0", 2, 3, Prot::RX), "mprotect p0 2 3 rx");
  expect_op("madvise p0 0 8 dontneed", op_madvise("p0", 0, 8, Advice::DontNeed),
            "madvise p0 0 8 dontneed");
  expect_op("madvise p0 0 8 dontfork", op_madvise("p0", 0, 8, Advice::DontFork),
            "madvise p0 0 8 dontfork");
  expect_op("madvise p0 0 8 dofork", op_madvise("p0", 0, 8, Advice::DoFork),
            "madvise p0 0 8 dofork");
  expect_op("madvise p0 0 8 WipeOnFork", op_madvise("p0", 0, 8, Advice::WipeOnFork),
            "madvise p0 0 8 wipeonfork");
  expect_op("madvise p0 0 8 keeponfork", op_madvise("p0", 0, 8, Advice::KeepOnFork),
            "madvise p0 0 8 keeponfork");
}

TEST(ParseOps, Mremap) {
  expect_op("mremap p0 0 4 0 8", op_mremap("p0", 0, 4, 0, 8), "mremap p0 0 4 0 8");
  expect_op("mremap p0 20 4 4 4 dontunmap", op_mremap("p0", 20, 4, 4, 4, true),
            "mremap p0 20 4 4 4 dontunmap");
}

TEST(ParseOps, ReadWriteRmap) {
  expect_op("read p0 7", op_read("p0", 7), "read p0 7");
  expect_op("write p0 7", op_write("p0", 7), "write p0 7");
  expect_op("write p0 7 1", op_write("p0", 7), "write p0 7");  // VALUE 1 is the default
  expect_op("write p0 7 0xff", op_write("p0", 7, 255), "write p0 7 255");
  expect_op("write p0 7 18446744073709551615", op_write("p0", 7, UINT64_MAX),
            "write p0 7 18446744073709551615");
  expect_op("rmap p0 1048575", op_rmap("p0", kWindowPages - 1), "rmap p0 1048575");
}

TEST(ParseOps, ForkExit) {
  Trace t = parse_ok("fork p0 child_1\nexit child_1\nexit p0\n");
  ASSERT_EQ(t.lines.size(), 3u);
  EXPECT_EQ(t.lines[0].op, op_fork("p0", "child_1"));
  EXPECT_EQ(t.lines[1].op, op_exit("child_1"));
  EXPECT_EQ(t.lines[2].op, op_exit("p0"));
  EXPECT_EQ(format_op(t.lines[0].op), "fork p0 child_1");
  EXPECT_EQ(format_op(t.lines[1].op), "exit child_1");
}

TEST(ParseOps, FailAlloc) {
  expect_op("failalloc 1", op_failalloc(AllocSite::Any, 1), "failalloc 1");
  expect_op("failalloc any 2", op_failalloc(AllocSite::Any, 2), "failalloc 2");
  expect_op("failalloc anon_vma 1", op_failalloc(AllocSite::AnonVma, 1), "failalloc anon_vma 1");
  expect_op("failalloc avc 3", op_failalloc(AllocSite::AnonVmaChain, 3), "failalloc avc 3");
  expect_op("failalloc vma 1", op_failalloc(AllocSite::Vma, 1), "failalloc vma 1");
  expect_op("failalloc folio 1", op_failalloc(AllocSite::Folio, 1), "failalloc folio 1");
  expect_op("failalloc pgtable 1", op_failalloc(AllocSite::PageTable, 1), "failalloc pgtable 1");
  expect_op("failalloc prealloc 4294967295", op_failalloc(AllocSite::Prealloc, UINT32_MAX),
            "failalloc prealloc 4294967295");
}

TEST(ParseOps, CommentsBlankLinesSpacingAndLineNumbers) {
  // Comments, blank lines, tabs, CRLF and an expectation before a comment.
  Trace t = parse_ok(
      "# a trace\n"
      "\n"
      "  mmap\tp0   0 4 rw   # four pages\r\n"
      "write p0 1 => 0 # the store succeeds\n"
      "read p0 1=>1\n");
  ASSERT_EQ(t.lines.size(), 3u);
  EXPECT_EQ(t.lines[0].line, 3);
  EXPECT_EQ(t.lines[1].line, 4);
  EXPECT_EQ(t.lines[2].line, 5);
  EXPECT_EQ(t.lines[1].expect, Result::ok());
  EXPECT_EQ(t.lines[2].expect, Result::read_value(1));
  EXPECT_EQ(print_trace(t), "mmap p0 0 4 rw\nwrite p0 1 => 0\nread p0 1 => 1\n");
}

TEST(ParseOps, ProcessLivenessFollowsForkAndExit) {
  // A name may be forked again once its process has exited.
  Trace t = parse_ok("fork p0 a\nexit a\nfork p0 a\nfork a b\nexit p0\nread b 0\n");
  EXPECT_EQ(t.lines.size(), 6u);
}

TEST(ParseOps, EmptyTraceIsValid) {
  EXPECT_TRUE(parse_ok("").lines.empty());
  EXPECT_TRUE(parse_ok("# nothing\n\n").lines.empty());
}

TEST(OpValidity, RejectsWhatCannotBePrinted) {
  Op read = op_read("p0", 1);
  read.npages = 3;  // a read has no count: the text could not show it
  EXPECT_TRUE(op_invalid_reason(read).has_value());
  EXPECT_TRUE(op_invalid_reason(op_failalloc(AllocSite::Any, 0)).has_value());
  EXPECT_TRUE(op_invalid_reason(op_mmap("P0", 0, 1, Prot::R)).has_value());
  EXPECT_TRUE(op_invalid_reason(op_mmap("p0", kWindowPages - 1, 2, Prot::R)).has_value());
  EXPECT_FALSE(op_invalid_reason(op_mmap("p0", kWindowPages - 1, 1, Prot::R)).has_value());
  EXPECT_TRUE(op_invalid_reason(op_mremap("p0", 0, 1, kWindowPages, 1)).has_value());
  EXPECT_TRUE(op_invalid_reason(op_fork("p0", "")).has_value());
}

TEST(OpNames, RoundTripEveryEnumerator) {
  for (int i = 0; i < kOpKindCount; ++i) {
    auto k = static_cast<OpKind>(i);
    EXPECT_EQ(op_kind_from_name(op_kind_name(k)), k);
  }
  for (Prot p : {Prot::None, Prot::R, Prot::RW, Prot::RX, Prot::RWX})
    EXPECT_EQ(prot_from_name(prot_name(p)), p);
  for (int i = 0; i < kAllocSiteCount; ++i) {
    auto s = static_cast<AllocSite>(i);
    EXPECT_EQ(alloc_site_from_name(alloc_site_name(s)), s);
  }
  EXPECT_TRUE(prot_write(Prot::RWX));
  EXPECT_FALSE(prot_write(Prot::RX));
  EXPECT_TRUE(prot_read(Prot::R));
  EXPECT_FALSE(prot_read(Prot::None));
  EXPECT_TRUE(prot_exec(Prot::RX));
}

TEST(ProcNames, Grammar) {
  EXPECT_TRUE(valid_proc_name("p0"));
  EXPECT_TRUE(valid_proc_name("a_b9"));
  EXPECT_TRUE(valid_proc_name(std::string(32, 'x')));
  EXPECT_FALSE(valid_proc_name(std::string(33, 'x')));
  EXPECT_FALSE(valid_proc_name(""));
  EXPECT_FALSE(valid_proc_name("0p"));
  EXPECT_FALSE(valid_proc_name("_p"));
  EXPECT_FALSE(valid_proc_name("P0"));
  EXPECT_FALSE(valid_proc_name("p-0"));
}

}  // namespace
}  // namespace rmapcheck
