// refill_test.cpp - Engine::snapshot_into over an old snapshot equals a fresh one.
//
// The checker hands each engine the snapshot of an earlier op to refill
// (rmapcheck/snapshot_refill.h). A field the refill forgets to overwrite
// keeps the earlier state's value: a stale chain entry, a freed flag, a
// walk hit. So, for the campaign's random traces on both engines, every op's
// state is written over three buffers in turn (each last filled one or two
// ops earlier, or by another case, so that lists grow and shrink under them)
// and must equal snapshot(), which builds from empty.
#include <gtest/gtest.h>

#include <array>

#include "properties/generator.h"
#include "rmapcheck/engine.h"
#include "rmapcheck/snapshot.h"

namespace rmapcheck {
namespace {

using props::GenConfig;
using props::GenState;
using props::SeededChooser;

void check_refills(EngineKind kind) {
  const GenConfig cfg;
  std::array<Snapshot, 3> bufs;
  std::size_t turn = 0, checked = 0;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    SeededChooser ch(props::mix_seed(7, seed));
    GenState gen = GenState::initial(cfg);
    auto engine = make_engine(kind);
    for (int i = 0; i < 60; ++i) {
      const Op op = props::generate_op(gen, cfg, ch);
      gen.apply(op);
      engine->apply(op);
      Snapshot& buf = bufs[turn++ % bufs.size()];
      engine->snapshot_into(buf);
      const Snapshot fresh = engine->snapshot();
      ASSERT_EQ(buf, fresh) << engine_kind_name(kind) << ", seed " << seed << ", op " << i + 1
                            << ":\n"
                            << diff_snapshots(fresh, buf, "fresh", "refilled");
      ++checked;
    }
  }
  EXPECT_EQ(checked, 60u * 60u);
}

TEST(SnapshotRefill, ModelRefillEqualsFresh) {
  check_refills(EngineKind::Model);
}
TEST(SnapshotRefill, ImplRefillEqualsFresh) {
  check_refills(EngineKind::Impl);
}

}  // namespace
}  // namespace rmapcheck
