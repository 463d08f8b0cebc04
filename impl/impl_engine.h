// impl/impl_engine.h - the impl engine's kernel objects, for tests that look inside.
//
// The impl engine (make_impl_engine) owns a kernel_state and one mm_struct
// per process and runs each Op through impl/'s own syscall layer. Tests of
// kernel-level details (tests/impl: avc lists, stored counters, the
// interval tree) step the engine through the checker like every other
// driver and then read its objects through these accessors; no test carries
// a copy of the op dispatch.
//
// Contract: `e` must be an engine made by make_impl_engine (else
// std::invalid_argument); pointers stay valid until the next op on `e`.
#pragma once

#include <string>
#include <vector>

#include "impl/rmap.h"
#include "rmapcheck/engine.h"

namespace rmapcheck::impl {

kernel_state& impl_kernel(Engine& e);
// The process's mm, or nullptr when it is not live.
mm_struct* impl_mm(const Engine& e, const std::string& name);
// Every live process's mm, by name.
std::vector<mm_struct*> impl_mms(const Engine& e);

}  // namespace rmapcheck::impl
