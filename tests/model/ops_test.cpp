// ops_test.cpp - each operation's semantics and error results (not mremap:
// see mremap_test.cpp), on every engine.
#include "scenario.h"

namespace rmapcheck::testing {
namespace {

using OpSemantics = Scenario;

TEST_P(OpSemantics, MmapCreatesAnUnfaultedVmaWithLinearPgoffAndAccount) {
  //   0123
  //   AAAA     <- rw, nothing touched
  run("mmap p0 0 4 rw => 0");
  const SnapVma a = vma("p0", 0);
  EXPECT_EQ(a.end, 4u);
  EXPECT_EQ(a.pgoff, 0u);
  EXPECT_EQ(a.flags, VM_READ | VM_WRITE | VM_ACCOUNT);
  EXPECT_EQ(a.anon_vma, 0u);
  EXPECT_TRUE(a.chain.empty());
}

TEST_P(OpSemantics, MmapFlagsFollowProtAndNoreserve) {
  run("mmap p0 0 2 r\nmmap p0 4 2 rw noreserve\nmmap p0 8 2 none\nmmap p0 12 2 rwx");
  EXPECT_EQ(vma("p0", 0).flags, VM_READ);
  EXPECT_EQ(vma("p0", 4).flags, VM_READ | VM_WRITE | VM_NORESERVE);
  EXPECT_EQ(vma("p0", 8).flags, 0u);
  EXPECT_EQ(vma("p0", 12).flags, VM_READ | VM_WRITE | VM_EXEC | VM_ACCOUNT);
  EXPECT_EQ(vma("p0", 12).pgoff, 12u);
}

TEST_P(OpSemantics, MmapOverlapIsEexistAndZeroLengthEinval) {
  //   012345
  //    AAA       <- existing; [3,5) overlaps it
  run("mmap p0 1 3 rw\nmmap p0 3 2 rw => EEXIST");
  EXPECT_EQ(apply(op_mmap("p0", 8, 0, Prot::RW)), Result::error(EINVAL));
  EXPECT_EQ(maps("p0"), "[1,4) rw-p");
}

TEST_P(OpSemantics, MunmapSplitsBothEndsAndKeepsAnonState) {
  //   01234567
  //   AAAAAAAA   -> munmap [3,5) ->  AAA  AAA (same anon_vma, same chain)
  run("mmap p0 0 8 rw\nwrite p0 0\nwrite p0 3\nwrite p0 7\nmunmap p0 3 2 => 0");
  EXPECT_EQ(maps("p0"), "[0,3) rw-p [5,8) rw-p");
  const SnapVma lo = vma("p0", 0), hi = vma("p0", 5);
  EXPECT_EQ(hi.pgoff, 5u);
  EXPECT_NE(lo.anon_vma, 0u);
  EXPECT_EQ(lo.anon_vma, hi.anon_vma);
  EXPECT_EQ(lo.chain, hi.chain);
  EXPECT_FALSE(pte("p0", 3).has_value());
  EXPECT_EQ(snap().folios.size(), 2u);  // the folio of page 3 was freed
}

TEST_P(OpSemantics, MunmapZeroLengthIsEinvalAndAHoleIsFine) {
  run("mmap p0 0 2 rw\nmunmap p0 10 4 => 0");
  EXPECT_EQ(apply(op_munmap("p0", 0, 0)), Result::error(EINVAL));
  EXPECT_EQ(maps("p0"), "[0,2) rw-p");
}

TEST_P(OpSemantics, MunmapOfTheLastVmaFreesTheAnonVma) {
  run("mmap p0 0 2 rw\nwrite p0 0\nmunmap p0 0 2");
  const Snapshot s = snap();
  EXPECT_TRUE(s.anon_vmas.empty());
  EXPECT_TRUE(s.folios.empty());
}

TEST_P(OpSemantics, ReadFaultMapsTheZeroPageWithoutAnonVma) {
  run("mmap p0 0 2 rw\nread p0 1 => 0");
  auto t = pte("p0", 1);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->kind, SnapPte::Kind::Zero);
  EXPECT_FALSE(t->writable);
  EXPECT_EQ(vma("p0", 0).anon_vma, 0u);
}

TEST_P(OpSemantics, WriteFaultMakesAnExclusiveFolioUnderANewRoot) {
  run("mmap p0 0 4 rw\nwrite p0 2 42 => 0\nread p0 2 => 42\nread p0 3 => 0");
  const Snapshot s = snap();
  auto f = folio_of("p0", 2);
  ASSERT_TRUE(f.has_value());
  EXPECT_TRUE(f->exclusive);
  EXPECT_EQ(f->mapcount, 1);
  EXPECT_EQ(f->index, 2u);
  const SnapVma v = vma("p0", 0);
  EXPECT_EQ(f->anon_vma, v.anon_vma);
  EXPECT_EQ(v.chain, std::vector<SnapId>{v.anon_vma});
  const SnapAnonVma& a = anon_vma(s, v.anon_vma);
  EXPECT_EQ(a.root, a.id);
  EXPECT_EQ(a.num_children, 1);
  EXPECT_EQ(a.num_active_vmas, 1);
  EXPECT_EQ(a.refcount, 1);
  EXPECT_TRUE(pte("p0", 2)->writable);
}

TEST_P(OpSemantics, AccessOutsideAVmaOrWithoutPermissionIsSigsegv) {
  run("mmap p0 0 1 r\nmmap p0 2 1 none\n"
      "read p0 1 => SIGSEGV\nwrite p0 1 => SIGSEGV\n"
      "write p0 0 => SIGSEGV\nread p0 0 => 0\n"
      "read p0 2 => SIGSEGV\nwrite p0 2 => SIGSEGV");
}

TEST_P(OpSemantics, MprotectSplitsAndWriteProtects) {
  //   0123
  //   AAAA   -> mprotect [1,2) r ->  A B AA
  run("mmap p0 0 4 rw\nwrite p0 1\nmprotect p0 1 1 r => 0");
  EXPECT_EQ(maps("p0"), "[0,1) rw-p [1,2) r--p [2,4) rw-p");
  EXPECT_FALSE(pte("p0", 1)->writable);
  EXPECT_EQ(vma("p0", 1).flags, VM_READ | VM_ACCOUNT);  // faulted: VM_ACCOUNT stays
  run("write p0 1 => SIGSEGV\nmprotect p0 1 1 rw => 0");
  EXPECT_EQ(maps("p0"), "[0,4) rw-p");
  EXPECT_TRUE(pte("p0", 1)->writable);  // an exclusive page is made writable again
}

TEST_P(OpSemantics, MprotectAddsAccountOnWriteAndDropsItWhenUnfaulted) {
  run("mmap p0 0 2 r\nmprotect p0 0 2 rw\nmmap p0 4 2 rw\nmprotect p0 4 2 r");
  EXPECT_EQ(vma("p0", 0).flags, VM_READ | VM_WRITE | VM_ACCOUNT);
  EXPECT_EQ(vma("p0", 4).flags, VM_READ);
  run("mmap p0 8 2 rw noreserve\nmprotect p0 8 2 r\nmprotect p0 8 2 rw");
  EXPECT_EQ(vma("p0", 8).flags, VM_READ | VM_WRITE | VM_NORESERVE);
}

TEST_P(OpSemantics, MprotectOverAHoleChangesWhatComesBeforeIt) {
  //   012345
  //   AA BB     mprotect [0,5) r: A changes, the hole at 2 stops the walk
  run("mmap p0 0 2 rw\nmmap p0 3 2 rw\nmprotect p0 0 5 r => ENOMEM");
  EXPECT_EQ(maps("p0"), "[0,2) r--p [3,5) rw-p");
  run("mprotect p0 3 4 r => ENOMEM");  // tail hole: applied, then ENOMEM
  EXPECT_EQ(maps("p0"), "[0,2) r--p [3,5) r--p");
  run("mprotect p0 2 2 rw => ENOMEM");  // hole at the start: nothing changes
  EXPECT_EQ(maps("p0"), "[0,2) r--p [3,5) r--p");
  EXPECT_EQ(apply(op_mprotect("p0", 0, 0, Prot::RW)), Result::ok());
  EXPECT_EQ(maps("p0"), "[0,2) r--p [3,5) r--p");
}

TEST_P(OpSemantics, MadviseOverHolesAppliesToEveryVmaThenEnomem) {
  run("mmap p0 0 2 rw\nmmap p0 3 2 rw\nwrite p0 0\nwrite p0 4\n"
      "madvise p0 0 6 dontneed => ENOMEM");
  EXPECT_FALSE(pte("p0", 0).has_value());
  EXPECT_FALSE(pte("p0", 4).has_value());
  EXPECT_NE(vma("p0", 0).anon_vma, 0u);  // DONTNEED keeps the anon state
  run("madvise p0 10 2 dontfork => ENOMEM\nmadvise p0 1 3 dontfork => ENOMEM");
  EXPECT_EQ(vma("p0", 1).flags & VM_DONTCOPY, VM_DONTCOPY);
  EXPECT_EQ(vma("p0", 3).flags & VM_DONTCOPY, VM_DONTCOPY);
  EXPECT_EQ(vma("p0", 0).flags & VM_DONTCOPY, 0u);
  EXPECT_EQ(apply(op_madvise("p0", 0, 0, Advice::DontNeed)), Result::ok());
}

TEST_P(OpSemantics, DontneedThenWriteGivesANewFolioUnderTheSameAnonVma) {
  run("mmap p0 0 2 rw\nwrite p0 1 7\nmadvise p0 1 1 dontneed => 0\nread p0 1 => 0\n"
      "write p0 1 9");
  const SnapVma v = vma("p0", 0);
  auto f = folio_of("p0", 1);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->anon_vma, v.anon_vma);
  EXPECT_EQ(f->index, 1u);
  EXPECT_EQ(f->value, 9u);
}

TEST_P(OpSemantics, ForkSkipsDontcopyAndEmptiesWipeonfork) {
  //   0123456
  //   AA BB CC    B dontfork, C wipeonfork, all written
  run("mmap p0 0 2 rw\nmmap p0 3 2 rw\nmmap p0 6 2 rw\n"
      "write p0 0\nwrite p0 3\nwrite p0 6 5\n"
      "madvise p0 3 2 dontfork\nmadvise p0 6 2 wipeonfork\nfork p0 c => 0");
  EXPECT_EQ(maps("c"), "[0,2) rw-p [6,8) rw-p");
  EXPECT_EQ(vma("c", 6).anon_vma, 0u);
  EXPECT_FALSE(pte("c", 6).has_value());
  EXPECT_EQ(vma("c", 6).flags & VM_WIPEONFORK, VM_WIPEONFORK);
  run("read c 6 => 0\nread p0 6 => 5");
}

TEST_P(OpSemantics, ForkOfAnUnfaultedVmaCopiesNoPtes) {
  run("mmap p0 0 2 rw\nread p0 0\nfork p0 c");
  EXPECT_FALSE(pte("c", 0).has_value());  // vma_needs_copy: no anon_vma, no copy
  EXPECT_TRUE(pte("p0", 0).has_value());
}

TEST_P(OpSemantics, ExitUnmapsEverythingAndOpsOnItAreEsrch) {
  run("mmap p0 0 2 rw\nwrite p0 0\nfork p0 c\nexit p0 => 0");
  EXPECT_EQ(snap().find_proc("p0"), nullptr);
  EXPECT_EQ(apply(op_read("p0", 0)), Result::error(ESRCH));
  EXPECT_EQ(apply(op_mmap("p0", 0, 1, Prot::RW)), Result::error(ESRCH));
  EXPECT_EQ(apply(op_fork("p0", "d")), Result::error(ESRCH));
  EXPECT_EQ(folio_of("c", 0)->mapcount, 1);
}

TEST_P(OpSemantics, ForkBeyondMaxProcsIsEagain) {
  config_.max_procs = 2;
  engine_ = make_engine(GetParam(), config_);
  run("fork p0 a => 0\nfork p0 b => EAGAIN\nexit a\nfork p0 c => 0");
}

TEST_P(OpSemantics, FailallocReturnsZero) {
  EXPECT_EQ(apply(op_failalloc(AllocSite::AnonVma, 1)), Result::ok());
  run("mmap p0 0 1 rw\nwrite p0 0 => 0");
}

TEST_P(OpSemantics, RmapFindsEveryMapperOfTheFolio) {
  run("mmap p0 0 2 rw\nwrite p0 1\nfork p0 a\nfork a b\nread p0 0\n"
      "rmap p0 1 => {a:1 b:1 p0:1}\nrmap p0 0 => {}\nrmap p0 5 => {}\n"
      "write a 1\nrmap p0 1 => {b:1 p0:1}\nrmap a 1 => {a:1}");
}

RMAPCHECK_INSTANTIATE(OpSemantics);

}  // namespace
}  // namespace rmapcheck::testing
