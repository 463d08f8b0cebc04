// agents_test.cpp - scenarios on real agent processes (needs root and Linux).
//
// These check the oracle's machinery against facts of docs/kernel/observing-the-kernel.md, so a
// broken agent or observer shows up here rather than as a false divergence.
#include <gtest/gtest.h>

#include <cerrno>

#include "oracle/live_kernel.h"
#include "oracle/oracle.h"

namespace rmapcheck::oracle {
namespace {

class OracleAgents : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = check_environment();
    if (!why.empty()) GTEST_SKIP() << why;
    files_ = std::make_unique<KernelFiles>();
    LiveKernelOptions o;
    o.cpu = pick_agent_cpu();
    kernel_ = std::make_unique<LiveKernel>(*files_, o);
  }
  const SnapProc& proc(const Snapshot& o, const std::string& name) {
    if (const SnapProc* p = o.find_proc(name)) return *p;
    throw std::runtime_error("no proc " + name);
  }
  const SnapFolio& folio(const Snapshot& o, const SnapPte& pte) {
    if (const SnapFolio* f = o.find_folio(pte.folio)) return *f;
    throw std::runtime_error("no folio");
  }
  std::unique_ptr<KernelFiles> files_;
  std::unique_ptr<LiveKernel> kernel_;
};

//   0123
//   W...     <- p0 writes page 0, forks p1; then p1 writes page 0
// Right after fork both map one frame with mapcount 2, not exclusive; the
// child's write gives it a new exclusive frame, the parent keeps the old one
// with mapcount 1 but still not exclusive
// (docs/kernel/observing-the-kernel.md#cow-through-pagemap).
TEST_F(OracleAgents, ForkSharesThenCowCopies) {
  EXPECT_EQ(kernel_->apply(op_mmap("p0", 0, 4, Prot::RW)), Result::ok());
  EXPECT_EQ(kernel_->apply(op_write("p0", 0, 7)), Result::ok());
  EXPECT_EQ(kernel_->apply(op_fork("p0", "p1")), Result::ok());
  Snapshot o = kernel_->observe();
  ASSERT_EQ(o.procs.size(), 2u);
  const SnapPte& shared = proc(o, "p1").ptes.at(0);
  EXPECT_EQ(shared.folio, proc(o, "p0").ptes.at(0).folio);
  EXPECT_EQ(folio(o, shared).mapcount, 2);
  EXPECT_FALSE(folio(o, shared).exclusive);
  EXPECT_EQ(kernel_->apply(op_rmap("p1", 0)), Result::rmap({{"p0", 0}, {"p1", 0}}));

  EXPECT_EQ(kernel_->apply(op_write("p1", 0, 9)), Result::ok());
  o = kernel_->observe();
  const SnapFolio& parent = folio(o, proc(o, "p0").ptes.at(0));
  const SnapFolio& child = folio(o, proc(o, "p1").ptes.at(0));
  EXPECT_NE(parent.id, child.id);
  EXPECT_EQ(parent.mapcount, 1);
  EXPECT_FALSE(parent.exclusive);
  EXPECT_TRUE(child.exclusive);
  EXPECT_EQ(parent.value, 7u);
  EXPECT_EQ(child.value, 9u);
  EXPECT_EQ(kernel_->apply(op_read("p0", 0)), Result::read_value(7));
}

// A read of an untouched page maps the zero page; a bad access is SIGSEGV
// and the agent lives on; observing never faults a page in.
TEST_F(OracleAgents, ZeroPageSegvAndSideEffectFreeObservation) {
  EXPECT_EQ(kernel_->apply(op_mmap("p0", 0, 3, Prot::RW)), Result::ok());
  EXPECT_EQ(kernel_->apply(op_read("p0", 1)), Result::read_value(0));
  EXPECT_EQ(kernel_->apply(op_read("p0", 5)), Result::segv());
  EXPECT_EQ(kernel_->apply(op_mprotect("p0", 2, 1, Prot::R)), Result::ok());
  EXPECT_EQ(kernel_->apply(op_write("p0", 2, 1)), Result::segv());
  for (int i = 0; i < 3; ++i) {
    Snapshot o = kernel_->observe();
    const SnapProc& p = proc(o, "p0");
    ASSERT_EQ(p.ptes.size(), 1u);
    EXPECT_EQ(p.ptes[0].kind, SnapPte::Kind::Zero);
    ASSERT_EQ(p.vmas.size(), 2u);
    EXPECT_EQ(p.vmas[1].flags & kRwx, VM_READ);
  }
}

// mmap is fixed-noreplace; mremap in place with DONTUNMAP is EINVAL and a
// move of an unmapped source EFAULT
// (docs/kernel/observing-the-kernel.md#results-a-model-must-reproduce); ops on an exited
// or unknown process are ESRCH.
TEST_F(OracleAgents, SyscallErrorsBecomeErrnos) {
  EXPECT_EQ(kernel_->apply(op_mmap("p0", 0, 4, Prot::RW)), Result::ok());
  EXPECT_EQ(kernel_->apply(op_mmap("p0", 2, 4, Prot::RW)), Result::error(EEXIST));
  EXPECT_EQ(kernel_->apply(op_mremap("p0", 0, 2, 0, 2, true)), Result::error(EINVAL));
  EXPECT_EQ(kernel_->apply(op_mremap("p0", 8, 2, 12, 2)), Result::error(EFAULT));
  EXPECT_EQ(kernel_->apply(op_fork("p0", "p1")), Result::ok());
  EXPECT_EQ(kernel_->apply(op_exit("p1")), Result::ok());
  EXPECT_EQ(kernel_->apply(op_read("p1", 0)), Result::error(ESRCH));
  EXPECT_EQ(kernel_->live_count(), 1u);
  EXPECT_THROW(kernel_->apply(op_failalloc(AllocSite::Any, 1)), Unsupported);
}

// Smaps flags that maps cannot show: MAP_NORESERVE gives nr and no ac;
// MADV_DONTFORK gives dc (docs/kernel/observing-the-kernel.md#invisible-flags-and-pgoff).
TEST_F(OracleAgents, VmFlagsComeFromSmaps) {
  EXPECT_EQ(kernel_->apply(op_mmap("p0", 0, 2, Prot::RW, true)), Result::ok());
  EXPECT_EQ(kernel_->apply(op_mmap("p0", 4, 2, Prot::RW)), Result::ok());
  EXPECT_EQ(kernel_->apply(op_madvise("p0", 4, 1, Advice::DontFork)), Result::ok());
  Snapshot o = kernel_->observe();
  const SnapProc& p = proc(o, "p0");
  ASSERT_EQ(p.vmas.size(), 3u);
  EXPECT_EQ(p.vmas[0].flags, VM_READ | VM_WRITE | VM_NORESERVE);
  EXPECT_EQ(p.vmas[1].flags, VM_READ | VM_WRITE | VM_ACCOUNT | VM_DONTCOPY);
  EXPECT_EQ(p.vmas[2].flags, VM_READ | VM_WRITE | VM_ACCOUNT);
}

// The BPF probe, where it loads: a child's VMA after fork has its own
// anon_vma whose parent and root is the parent's (docs/kernel/observing-the-kernel.md, BPF dump B).
TEST_F(OracleAgents, ForestShowsForkChain) {
  std::string why;
  std::unique_ptr<AnonVmaProbe> probe = AnonVmaProbe::open(why);
  if (!probe) GTEST_SKIP() << "anon_vma probe unavailable: " << why;
  LiveKernelOptions o;
  o.cpu = pick_agent_cpu();
  o.probe = probe.get();
  LiveKernel k(*files_, o);
  EXPECT_EQ(k.apply(op_mmap("p0", 0, 4, Prot::RW)), Result::ok());
  EXPECT_EQ(k.apply(op_write("p0", 0)), Result::ok());
  EXPECT_EQ(k.apply(op_fork("p0", "p1")), Result::ok());
  Snapshot ob = k.observe();
  ASSERT_TRUE(ob.visible.has(Shown::Forest));
  const SnapVma& parent = proc(ob, "p0").vmas.at(0);
  const SnapVma& child = proc(ob, "p1").vmas.at(0);
  EXPECT_EQ(parent.anon_vma, 1u);
  EXPECT_EQ(parent.chain, (std::vector<SnapId>{1}));
  EXPECT_EQ(child.anon_vma, 2u);
  EXPECT_EQ(child.chain, (std::vector<SnapId>{2, 1}));
  EXPECT_EQ(child.pgoff, 0u);
  ASSERT_EQ(ob.anon_vmas.size(), 2u);
  EXPECT_EQ(ob.anon_vmas[1].parent, 1u);
  EXPECT_EQ(ob.anon_vmas[1].root, 1u);
  EXPECT_EQ(ob.anon_vmas[0].num_children, 2);  // the root counts itself
}

}  // namespace
}  // namespace rmapcheck::oracle
