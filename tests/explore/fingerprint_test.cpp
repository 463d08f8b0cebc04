// fingerprint_test.cpp - state identity for the explorer (fingerprint.h).
//
// What must hold: two states get equal fingerprints exactly when their
// symmetric canonical snapshots are equal, and states that differ only in
// the names of their processes are one state.
#include "rmapcheck/fingerprint.h"

#include <gtest/gtest.h>

#include <map>

#include "properties/generator.h"
#include "rmapcheck/engine.h"
#include "rmapcheck/trace.h"

namespace rmapcheck {
namespace {

struct Key {
  std::string text;  // format_snapshot of the symmetric canonical form
  Fingerprint fp;
};

Key key_of(const Snapshot& state) {
  Snapshot s = state;
  canonicalize_symmetric(s);
  std::string bytes;
  encode_state(s, {}, bytes);
  return {format_snapshot(s), fingerprint(bytes)};
}

Snapshot after(const std::vector<Op>& ops, EngineKind kind = EngineKind::Model) {
  auto e = make_engine(kind);
  for (const Op& op : ops) e->apply(op);
  return e->snapshot();
}

// Every state after every op of 400 generated traces (about 16,000 states):
// fingerprint -> text and text -> fingerprint are both functions.
TEST(Fingerprint, EqualExactlyWhenTheSymmetricSnapshotsAreEqual) {
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::string> by_fp;
  std::map<std::string, Fingerprint> by_text;
  std::size_t states = 0;
  for (std::uint64_t seed = 1; seed <= 400; ++seed) {
    Trace t = props::generate_trace(seed, 40);
    auto e = make_engine(EngineKind::Model);
    for (const TraceLine& l : t.lines) {
      e->apply(l.op);
      Key k = key_of(e->snapshot());
      ++states;
      auto [it, fresh] = by_fp.emplace(std::make_pair(k.fp.hi, k.fp.lo), k.text);
      if (!fresh) {
        ASSERT_EQ(it->second, k.text) << "two states share a fingerprint (seed " << seed << ")";
      }
      auto [jt, fresh2] = by_text.emplace(k.text, k.fp);
      if (!fresh2) {
        ASSERT_EQ(jt->second, k.fp) << "one state, two fingerprints (seed " << seed << ")";
      }
    }
  }
  EXPECT_GT(states, 15000u);
  EXPECT_GT(by_text.size(), 5000u) << "the corpus holds too few distinct states to mean much";
  EXPECT_EQ(by_text.size(), by_fp.size());
}

//   p0 maps pages 0-1 and writes both; then two children, and ONE of them
//   writes page 0 again (a COW copy of its own):
//     fork p0 p1; fork p0 p2; write p1 0 7      or      ...; write p2 0 7
//   The two traces end in the same state up to the names p1 <-> p2.
TEST(Fingerprint, ProcessNamesDoNotMatter) {
  std::vector<Op> base = {op_mmap("p0", 0, 2, Prot::RW), op_write("p0", 0), op_write("p0", 1),
                          op_fork("p0", "p1"), op_fork("p0", "p2")};
  auto a = base, b = base;
  a.push_back(op_write("p1", 0, 7));
  b.push_back(op_write("p2", 0, 7));
  EXPECT_NE(format_snapshot(after(a)), format_snapshot(after(b))) << "the plain snapshots differ";
  EXPECT_EQ(key_of(after(a)).fp, key_of(after(b)).fp);
  EXPECT_EQ(key_of(after(a)).text, key_of(after(b)).text);
  // Renamed children: "q" and "zz" are as good as p1 and p2.
  std::vector<Op> c = {op_mmap("p0", 0, 2, Prot::RW), op_write("p0", 0),  op_write("p0", 1),
                       op_fork("p0", "zz"),           op_fork("p0", "q"), op_write("zz", 0, 7)};
  EXPECT_EQ(key_of(after(a)).fp, key_of(after(c)).fp);
}

// ...but what a process holds does: the same ops with another value, or
// the write in p0 instead of a child, are other states.
TEST(Fingerprint, DifferentStatesDiffer) {
  std::vector<Op> base = {op_mmap("p0", 0, 2, Prot::RW), op_write("p0", 0), op_fork("p0", "p1")};
  auto a = base, b = base, c = base;
  a.push_back(op_write("p1", 0, 7));
  b.push_back(op_write("p1", 0, 8));
  c.push_back(op_write("p0", 0, 7));
  EXPECT_NE(key_of(after(a)).fp, key_of(after(b)).fp);
  EXPECT_FALSE(key_of(after(a)).fp == key_of(after(base)).fp);
  // p0 and p1 are symmetric here except for the anon_vma forest: the writer
  // is the parent in one, the child in the other.
  EXPECT_NE(key_of(after(a)).text, key_of(after(c)).text);
  EXPECT_NE(key_of(after(a)).fp, key_of(after(c)).fp);
}

// The model and the impl, in the same state, give the same fingerprint.
TEST(Fingerprint, ModelAndImplAgree) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    Trace t = props::generate_trace(seed, 30);
    std::vector<Op> ops;
    for (const TraceLine& l : t.lines) ops.push_back(l.op);
    EXPECT_EQ(key_of(after(ops, EngineKind::Model)).fp, key_of(after(ops, EngineKind::Impl)).fp)
        << "seed " << seed;
  }
}

// The extra words (the explorer's fork count under --max-forks) are part of the identity.
TEST(Fingerprint, ExtraWordsCount) {
  Snapshot s = after({op_mmap("p0", 0, 1, Prot::R)});
  std::string a, b;
  encode_state(s, {1}, a);
  encode_state(s, {2}, b);
  EXPECT_NE(a, b);
  EXPECT_NE(fingerprint(a), fingerprint(b));
}

}  // namespace
}  // namespace rmapcheck
