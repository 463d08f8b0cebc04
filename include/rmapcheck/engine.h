// engine.h - the one interface that the model and the impl both implement.
//
// An engine holds the state of every process of one trace. It starts with
// one process, "p0", with an empty address space, and applies Ops one at a
// time. Two engines given the same Ops must return equal Results and equal
// canonical Snapshots after every Op: that is what properties/ checks.
//
// Synopsis
//   EngineKind          Model | Impl | Kernel
//   EngineConfig        mutants (impl only) and limits
//   Engine::apply(op)   performs op; never throws for an Op the parser accepts
//   Engine::snapshot()  the canonicalized state (snapshot.h)
//   Engine::snapshot_into(out)  the same, refilling `out` in place
//   Engine::coverage()  branches taken so far (coverage.h)
//   Engine::leaks()     objects held that no live process reaches
//   Engine::clone()     a copy in the same state, or nullptr
//   make_engine(kind, config)
//
// Contract
//   - apply() of an op on a process that is not live returns ESRCH.
//   - `failalloc` ops return 0 and arm a failure for the next op only.
//   - apply() is deterministic: same Ops, same Results and Snapshots.
//   - an internal inconsistency that makes going on meaningless (the impl's
//     pool catching a use after free) throws EngineFault with the object and
//     the operation named; callers report it like an invariant violation.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rmapcheck/coverage.h"
#include "rmapcheck/engine_fault.h"
#include "rmapcheck/mutants.h"
#include "rmapcheck/op.h"
#include "rmapcheck/result.h"
#include "rmapcheck/snapshot.h"

namespace rmapcheck {

// Kernel: the live kernel as a lane (oracle/make_kernel_engine); its
// snapshots show less than an engine's (Snapshot::visible).
enum class EngineKind : std::uint8_t { Model, Impl, Kernel };
std::string_view engine_kind_name(EngineKind k);  // "model" | "impl" | "kernel"

struct EngineConfig {
  MutantSet mutants;   // impl only; the model is the spec and has none
  int max_procs = 64;  // fork beyond this returns EAGAIN
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual EngineKind kind() const = 0;
  virtual Result apply(const Op& op) = 0;
  virtual Snapshot snapshot() const = 0;
  // snapshot(), written over `out` (any earlier snapshot), keeping its
  // vectors' capacity: the checker keeps one per lane from op to op, so a
  // step allocates next to nothing for it (snapshot_refill.h). The result
  // equals snapshot(). The default assigns snapshot().
  virtual void snapshot_into(Snapshot& out) const { out = snapshot(); }
  virtual const Coverage& coverage() const = 0;
  // Objects the engine holds that no live process reaches, one line each
  // naming the object; with no live process every object held counts.
  // Empty when nothing leaked (docs/failure.md). The default (for test
  // doubles) holds nothing; the model and the impl override it.
  virtual std::vector<std::string> leaks() const { return {}; }
  // A copy in the same state, for an explorer that tries many ops from one
  // state; nullptr when the engine cannot be copied (the impl's objects
  // point into each other: the explorer replays the path instead).
  virtual std::unique_ptr<Engine> clone() const { return nullptr; }
};

std::unique_ptr<Engine> make_engine(EngineKind kind, const EngineConfig& config = {});

// Defined by model/ and impl/ respectively; make_engine dispatches. The
// kernel lane needs the oracle's machinery: oracle::make_kernel_engine.
std::unique_ptr<Engine> make_model_engine(const EngineConfig& config);
std::unique_ptr<Engine> make_impl_engine(const EngineConfig& config);

}  // namespace rmapcheck
