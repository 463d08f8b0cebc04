// agent_protocol.h - the messages between the controller and an agent process.
//
// The controller (which never maps the window) drives one agent process per
// live trace process over a SOCK_SEQPACKET socket: one Request, one Reply.
// An agent performs the request on its own address space, so every mapping,
// fault and fork happens in the process the trace names.
//
// Contract
//   - every Request gets exactly one Reply, except kExit (the agent exits;
//     the controller confirms it with the agent's pidfd).
//   - kFork's Reply carries the child's end of a new socket (SCM_RIGHTS).
//   - kPeek carries up to kMaxPeek page numbers after the Request; the Reply
//     is followed by as many values. The controller only asks for pages that
//     are present and readable, so a peek never faults a page in.
#pragma once

#include <cstdint>

namespace rmapcheck::oracle {

// Page 0 of the window: far above brk, PIE and the stack-side mmap area, so
// nothing but the trace's own mappings ever lands there
// (docs/kernel/observing-the-kernel.md#placement).
inline constexpr std::uint64_t kWindowBase = 0x200000000000ULL;
inline constexpr std::uint64_t kPageSize = 4096;

enum class Cmd : std::uint32_t {
  Mmap = 1,  // a = addr, b = len, c = prot, d = extra mmap flags
  Munmap,    // a = addr, b = len
  Mprotect,  // a = addr, b = len, c = prot
  Madvise,   // a = addr, b = len, c = advice
  Mremap,    // a = old addr, b = old len, c = new addr, d = new len, e = flags
  Read,      // a = addr
  Write,     // a = addr, e = value
  Fork,
  Exit,
  Peek,  // a = count; followed by count addresses
};

struct Request {
  Cmd cmd = Cmd::Read;
  std::uint32_t pad = 0;
  std::uint64_t a = 0, b = 0, c = 0, d = 0, e = 0;
};

struct Reply {
  // 0: success; > 0: the errno the syscall returned; kSegv: the access
  // raised SIGSEGV.
  std::int32_t status = 0;
  std::int32_t pid = 0;     // kFork: the child's pid
  std::uint64_t value = 0;  // kRead: the value loaded
};
inline constexpr std::int32_t kSegv = -1;
inline constexpr std::uint64_t kMaxPeek = 4096;

// Runs the agent loop on `channel` until told to exit or the controller goes
// away; never returns. Called in a freshly forked process.
[[noreturn]] void agent_main(int channel);

}  // namespace rmapcheck::oracle
