// random_test.cpp - random traces dense in `failalloc`, model and impl side
// by side: after every op the results and snapshots agree, every invariant
// holds and neither engine leaks; after every process exits, nothing is
// held. A fixed seed list (no timing, same result every run); campaigns
// (rmapcheck campaign --weights failalloc=5) explore further.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "rmapcheck/checker.h"
#include "rmapcheck/engine.h"
#include "rmapcheck/invariants.h"
#include "rmapcheck/trace.h"

namespace rmapcheck {
namespace {

// A small window (two page tables: pages 0..15 and 508..523) so VMAs meet.
Page random_page(std::mt19937_64& rng) {
  const Page p = rng() % 16;
  return rng() % 4 == 0 ? 508 + p : p;
}

Op random_op(std::mt19937_64& rng, const std::vector<std::string>& live, int& next_child) {
  const std::string& p = live[rng() % live.size()];
  const Page a = random_page(rng);
  const Page n = 1 + rng() % 4;
  const Prot prots[] = {Prot::R, Prot::RW, Prot::RW, Prot::RX, Prot::None};
  const Prot prot = prots[rng() % 5];
  switch (rng() % 14) {
    case 0:
    case 1:
      return op_mmap(p, a, n, prot, rng() % 4 == 0);
    case 2:
      return op_munmap(p, a, n);
    case 3:
      return op_mprotect(p, a, n, prot);
    case 4:
      return op_madvise(p, a, n, static_cast<Advice>(rng() % 5));
    case 5:
      return op_mremap(p, a, n, rng() % 3 == 0 ? a : random_page(rng), 1 + rng() % 4,
                       rng() % 5 == 0);
    case 6:
      return op_read(p, a);
    case 7:
    case 8:
      return op_write(p, a, rng() % 100);
    case 9:
      return live.size() < 5 ? op_fork(p, "c" + std::to_string(next_child++)) : op_write(p, a);
    case 10:
      return live.size() > 1 ? op_exit(p) : op_read(p, a);
    case 11:
      return op_pageout(p, a, n);
    case 12:
      return op_reclaim();
    default:
      return op_failalloc(static_cast<AllocSite>(rng() % kAllocSiteCount),
                          static_cast<std::uint32_t>(1 + rng() % 3));
  }
}

TEST(FailallocRandom, ModelAndImplAgreeAndNothingLeaks) {
  Coverage total;
  for (std::uint64_t seed = 1; seed <= 600; ++seed) {
    std::mt19937_64 rng(seed);
    auto model = make_engine(EngineKind::Model);
    auto impl = make_engine(EngineKind::Impl);
    // Lock-step through the one checker: results, states, every invariant
    // and no leak after every op; the epilogue: nothing left.
    Checker checker(std::vector<Engine*>{model.get(), impl.get()});
    std::vector<std::string> live{"p0"};
    std::string trace;
    int next_child = 1;
    auto step = [&](const Op& op) {
      trace += format_op(op) + "\n";
      const std::optional<CheckFailure> f = checker.step(op);
      ASSERT_FALSE(f.has_value()) << f->describe() << "seed " << seed << ":\n" << trace;
      if (op.kind == OpKind::Fork && checker.result(0) == Result::ok()) live.push_back(op.child);
      if (op.kind == OpKind::Exit) std::erase(live, op.proc);
    };
    for (int i = 0; i < 80; ++i) {
      step(random_op(rng, live, next_child));
      if (HasFatalFailure()) return;
    }
    std::vector<Op> exits;
    const std::optional<CheckFailure> f = checker.finish(exits);
    ASSERT_FALSE(f.has_value()) << f->describe() << "seed " << seed << ":\n" << trace;
    total += model->coverage();
  }
  // Every site failed at least once over the seeds.
  for (int site = 1; site < kAllocSiteCount; ++site)
    EXPECT_GT(total.alloc_failed[static_cast<std::size_t>(site)], 0u)
        << alloc_site_name(static_cast<AllocSite>(site));
}

}  // namespace
}  // namespace rmapcheck
