// vm_flags.h - the vm_area_struct flag bits this project models.
//
// The model, the impl, snapshots and the oracle all speak of a VMA's flags in
// these bits. Names are the kernel's (include/linux/mm.h); the values are our
// own and dense, since no bit is ever exchanged with a kernel. The two-letter
// codes are those /proc/PID/smaps prints in its "VmFlags:" line
// (fs/proc/task_mmu.c, show_smap_vma_flags), so a snapshot and the live
// kernel read alike.
//
// Synopsis
//   VmFlags                 a set of the bits below
//   VM_READ ... VM_LOCKED   the bits, with their smaps codes
//   vm_flags_codes(flags)   "rd wr ac": the codes of the bits set, kernel order
//   vma_perms(flags)        "rw-p": what /proc/PID/maps prints for a private VMA
#pragma once

#include <cstdint>
#include <string>

namespace rmapcheck {

using VmFlags = std::uint32_t;
inline constexpr VmFlags VM_READ = 1u << 0;        // "rd"
inline constexpr VmFlags VM_WRITE = 1u << 1;       // "wr"
inline constexpr VmFlags VM_EXEC = 1u << 2;        // "ex"
inline constexpr VmFlags VM_ACCOUNT = 1u << 3;     // "ac": committed memory charged
inline constexpr VmFlags VM_NORESERVE = 1u << 4;   // "nr": MAP_NORESERVE
inline constexpr VmFlags VM_DONTCOPY = 1u << 5;    // "dc": MADV_DONTFORK
inline constexpr VmFlags VM_WIPEONFORK = 1u << 6;  // "wf": MADV_WIPEONFORK
inline constexpr VmFlags VM_LOCKED = 1u << 7;      // "lo" (no op sets it; fork and mremap clear it)

// smaps-style codes of the flags that are set, e.g. "rd wr ac".
std::string vm_flags_codes(VmFlags f);
// "rw-p", "r--p", "---p": what /proc/PID/maps prints for a private VMA.
std::string vma_perms(VmFlags f);

}  // namespace rmapcheck
