// kernel_engine.h - the live kernel as a lane of the checker.
//
// A KernelEngine runs a trace's processes as real processes (LiveKernel)
// and is an Engine like the model and the impl: apply() returns the
// kernel's answer, snapshot() the canonical state of every live agent's
// window, with Snapshot::visible saying what the kernel cannot show
// (kernel_observe.h: kKernelVisibility), so the checker compares only what
// both lanes show (restrict_to).
//
// Contract
//   - apply(failalloc) throws LaneUnsupported: the live kernel cannot fail
//     one chosen allocation, so the lane is not compared from there on.
//   - A page the model cannot have (THP, KSM) and any failure of the
//     machinery (/proc, the agents, BPF) throw EngineFault; the machinery's
//     messages start with kMachineryFailed, so a driver can tell the two.
//   - The KernelFiles and the probe must outlive the engine.
#pragma once

#include <memory>
#include <string_view>

#include "live_kernel.h"
#include "rmapcheck/engine.h"

namespace rmapcheck::oracle {

inline constexpr std::string_view kMachineryFailed = "oracle machinery failed: ";

std::unique_ptr<Engine> make_kernel_engine(const KernelFiles& files,
                                           const LiveKernelOptions& options);

}  // namespace rmapcheck::oracle
