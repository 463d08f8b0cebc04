// diagnostics_test.cpp - bad input gets "file:line:col: message", never a crash.
//
// One test per kind of mistake; the column is that of the offending token
// (1-based), or of the op name when an argument is missing.
#include <gtest/gtest.h>

#include <fstream>

#include "trace_test_util.h"

namespace rmapcheck {
namespace {

using test::first_diag;

TEST(Diagnostics, UnknownOperation) {
  EXPECT_EQ(first_diag("mmap p0 0 1 rw\n  mnap p0 0 1 rw\n"),
            "t.trace:2:3: unknown operation 'mnap' (expected mmap, munmap, mprotect, madvise, "
            "mremap, read, "
            "write, fork, exit, rmap, failalloc, pageout or reclaim)");
}

TEST(Diagnostics, MissingArgumentPointsAtTheOp) {
  EXPECT_EQ(first_diag("mmap p0 0 4"),
            "t.trace:1:1: missing PROT (mmap P START NPAGES PROT [noreserve])");
  EXPECT_EQ(first_diag("  fork p0"), "t.trace:1:3: missing CHILD (fork P CHILD)");
  EXPECT_EQ(first_diag("failalloc"), "t.trace:1:1: missing K (failalloc [SITE] K)");
  EXPECT_EQ(first_diag("exit"), "t.trace:1:1: missing P (exit P)");
}

TEST(Diagnostics, GarbageAfterTheOp) {
  EXPECT_EQ(first_diag("read p0 1 2"),
            "t.trace:1:11: unexpected '2' after the operation (read P PAGE)");
  EXPECT_EQ(
      first_diag("mmap p0 0 4 rw noreserve x"),
      "t.trace:1:26: unexpected 'x' after the operation (mmap P START NPAGES PROT [noreserve])");
  EXPECT_EQ(first_diag("mmap p0 0 4 rw fixed"),
            "t.trace:1:16: expected 'noreserve' or the end of the operation, got 'fixed'");
  EXPECT_EQ(first_diag("mremap p0 0 1 4 1 maymove"),
            "t.trace:1:19: expected 'dontunmap' or the end of the operation, got 'maymove'");
  EXPECT_EQ(first_diag("failalloc 1 2"),
            "t.trace:1:13: unexpected '2' after the operation (failalloc [SITE] K)");
}

TEST(Diagnostics, BadNumbers) {
  EXPECT_EQ(first_diag("read p0 12x"),
            "t.trace:1:9: bad number '12x': expected decimal or 0x hex digits");
  EXPECT_EQ(first_diag("read p0 -1"),
            "t.trace:1:9: bad number '-1': expected decimal or 0x hex digits");
  EXPECT_EQ(first_diag("read p0 0x"),
            "t.trace:1:9: bad number '0x': expected decimal or 0x hex digits");
  EXPECT_EQ(first_diag("write p0 0 18446744073709551616"),
            "t.trace:1:12: number '18446744073709551616' overflows 64 bits");
  EXPECT_EQ(first_diag("write p0 0 0x10000000000000000"),
            "t.trace:1:12: number '0x10000000000000000' overflows 64 bits");
}

TEST(Diagnostics, PagesOutsideTheWindow) {
  EXPECT_EQ(first_diag("read p0 1048576"),
            "t.trace:1:9: PAGE 1048576 is outside the window (pages 0..1048575)");
  EXPECT_EQ(first_diag("mmap p0 1048570 7 rw"),
            "t.trace:1:17: pages [1048570, 1048570+7) go beyond the window (1048576 pages)");
  EXPECT_EQ(first_diag("mremap p0 0 1 0x100000 1"),
            "t.trace:1:15: NEW 1048576 is outside the window (pages 0..1048575)");
  EXPECT_EQ(first_diag("munmap p0 0 99999999999999999999"),
            "t.trace:1:13: number '99999999999999999999' overflows 64 bits");
}

TEST(Diagnostics, BadNames) {
  EXPECT_EQ(first_diag("read P0 1"),
            "t.trace:1:6: bad process name 'P0': expected [a-z][a-z0-9_]*, at most 32 characters");
  EXPECT_EQ(
      first_diag("fork p0 9lives"),
      "t.trace:1:9: bad process name '9lives': expected [a-z][a-z0-9_]*, at most 32 characters");
}

TEST(Diagnostics, BadKeywords) {
  EXPECT_EQ(first_diag("mmap p0 0 1 wx"),
            "t.trace:1:13: bad PROT 'wx': expected none, r, rw, rx or rwx");
  EXPECT_EQ(first_diag("madvise p0 0 1 free"),
            "t.trace:1:16: bad ADVICE 'free': expected dontneed, dontfork, dofork, wipeonfork or "
            "keeponfork");
  EXPECT_EQ(first_diag("failalloc pte 1"),
            "t.trace:1:11: bad SITE 'pte': expected any, anon_vma, avc, vma, folio, pgtable, "
            "prealloc or swap");
  EXPECT_EQ(first_diag("failalloc 0"), "t.trace:1:11: failalloc K must be at least 1");
  EXPECT_EQ(first_diag("failalloc vma 4294967296"),
            "t.trace:1:15: failalloc K 4294967296 is too large (at most 4294967295)");
}

TEST(Diagnostics, ProcessesMustBeLive) {
  EXPECT_EQ(first_diag("read p1 0"),
            "t.trace:1:6: process 'p1' does not exist (only p0 and forked children do)");
  EXPECT_EQ(first_diag("fork p0 p1\nexit p1\nwrite p1 0"),
            "t.trace:3:7: process 'p1' is not live (it exited at line 2)");
  EXPECT_EQ(first_diag("fork p0 p1\nfork p0 p1"), "t.trace:2:9: fork child 'p1' is already live");
  EXPECT_EQ(first_diag("fork p0 p0"), "t.trace:1:9: fork child 'p0' is already live");
}

TEST(Diagnostics, BadExpectedResults) {
  EXPECT_EQ(first_diag("mmap p0 0 1 rw => ENOMEMS"),
            "t.trace:1:19: bad result 'ENOMEMS': expected 0, an errno name (ENOMEM, EINVAL, ...), "
            "SIGSEGV, a "
            "value (read) or {PROC:PAGE ...} (rmap)");
  EXPECT_EQ(first_diag("mmap p0 0 1 rw =>"), "t.trace:1:18: missing result after '=>'");
  EXPECT_EQ(first_diag("mmap p0 0 1 rw => 5"),
            "t.trace:1:19: only read returns a value: expected 0 or an errno name");
  EXPECT_EQ(first_diag("write p0 0 => 5"),
            "t.trace:1:15: only read returns a value: expected 0, an errno name or SIGSEGV");
  EXPECT_EQ(first_diag("mmap p0 0 1 rw => {}"), "t.trace:1:19: only rmap returns a {...} result");
  EXPECT_EQ(first_diag("rmap p0 0 => 0"),
            "t.trace:1:14: rmap returns {PROC:PAGE ...}, not a number");
  EXPECT_EQ(first_diag("rmap p0 0 => {p0:1"),
            "t.trace:1:14: missing '}' at the end of the rmap result");
  EXPECT_EQ(first_diag("rmap p0 0 => {p0}"), "t.trace:1:15: bad rmap hit 'p0': expected PROC:PAGE");
  EXPECT_EQ(first_diag("rmap p0 0 => {p0:1 p0:1}"),
            "t.trace:1:20: rmap hit 'p0:1' is listed twice");
  EXPECT_EQ(first_diag("rmap p0 0 => {p0:zz}"),
            "t.trace:1:18: bad number 'zz': expected decimal or 0x hex digits");
  EXPECT_EQ(first_diag("read p0 0 => 1 2"), "t.trace:1:16: unexpected '2' after the result");
  EXPECT_EQ(first_diag("  => 0"), "t.trace:1:3: missing operation before '=>'");
}

TEST(Diagnostics, BadBytes) {
  EXPECT_EQ(first_diag(std::string("read p0 1\nread p0\0 1\n", 21)),
            "t.trace:2:8: NUL byte in the trace");
  EXPECT_EQ(first_diag("read p0 1 # caf\xff\n"), "t.trace:1:16: invalid UTF-8 (byte 0xff)");
  EXPECT_EQ(first_diag("read p0 \xc3"), "t.trace:1:9: invalid UTF-8 (truncated sequence)");
  EXPECT_EQ(first_diag("read p0 1\x01"), "t.trace:1:10: control character 0x01 in the trace");
  EXPECT_EQ(first_diag("read p0 1 # " + std::string(5000, 'x')),
            "t.trace:1:4097: line is too long (5012 bytes; at most 4096)");
  // Valid UTF-8 in a comment is fine.
  EXPECT_TRUE(parse_trace("read p0 1 # caf\xc3\xa9 \xe2\x86\x92 ok\n", "t").trace.has_value());
}

TEST(Diagnostics, SeveralPerFileThenACap) {
  ParseOutcome p = parse_trace("read p0 x\nread p0 1\nmmap p0\nfrob\n", "t.trace");
  ASSERT_EQ(p.diagnostics.size(), 3u);
  EXPECT_EQ(p.diagnostics[0].line, 1);
  EXPECT_EQ(p.diagnostics[1].line, 3);
  EXPECT_EQ(p.diagnostics[2].line, 4);
  std::string many;
  for (int i = 0; i < 100; ++i) many += "bogus\n";
  p = parse_trace(many, "t.trace");
  ASSERT_EQ(p.diagnostics.size(), 21u);
  EXPECT_EQ(p.diagnostics.back().to_string(),
            "t.trace:21:1: too many errors (more than 20); stopping here");
}

TEST(Diagnostics, OneMistakeDoesNotCascade) {
  // The fork has a bad expectation, but p1 is still known to be live afterwards.
  ParseOutcome p = parse_trace("fork p0 p1 => nope\nread p1 0\nexit p1\n", "t.trace");
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.diagnostics[0].line, 1);
}

TEST(Diagnostics, UnreadableFile) {
  ParseOutcome p = load_trace_file("/nonexistent/x.trace");
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.diagnostics[0].to_string(),
            "/nonexistent/x.trace:0:0: cannot read the trace: No such file or directory");
  p = load_trace_file("/");
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.diagnostics[0].to_string(), "/:0:0: cannot read the trace: it is a directory");
}

TEST(Diagnostics, LoadsAFile) {
  const std::string path = ::testing::TempDir() + "rmapcheck_load_test.trace";
  std::ofstream(path) << "mmap p0 0 2 rw\nwrite p0 1 => 0\n";
  ParseOutcome p = load_trace_file(path);
  ASSERT_TRUE(p.trace.has_value());
  EXPECT_EQ(p.trace->file, path);
  EXPECT_EQ(p.trace->lines.size(), 2u);
}

}  // namespace
}  // namespace rmapcheck
