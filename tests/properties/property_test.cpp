// property_test.cpp - the model-vs-impl property as RapidCheck GTest
// properties. ctest pins the seed through RC_PARAMS (tests/properties/
// CMakeLists.txt), so CI is deterministic; a second ctest entry runs them
// with a fresh seed, which RapidCheck prints ("Using configuration: seed=").
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "properties/commands.h"

namespace rmapcheck::props {
namespace {

// Every op of a random trace leaves model and impl in equal states, with
// equal results, and with every invariant holding on both.
RC_GTEST_PROP(ModelVsImpl, EveryStepAgreesAndKeepsTheInvariants, ()) {
  PropertyConfig pc;
  pc.max_ops = 40;
  CaseRecord record;
  check_property(pc, record);
}

// The same with long cases and fork/exit-heavy weights: deep fork trees
// with exits in the middle (the anon_vma reuse states of
// docs/kernel/historical-bugs.md#cve-2022-42703).
RC_GTEST_PROP(ModelVsImpl, DeepForkTreesAgree, ()) {
  PropertyConfig pc;
  pc.max_ops = 80;
  ASSERT_FALSE(parse_weights("fork=15,exit=8,mmap=2,munmap=1", pc.gen.weights));
  CaseRecord record;
  check_property(pc, record);
}

}  // namespace
}  // namespace rmapcheck::props
