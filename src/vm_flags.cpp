// vm_flags.cpp - the names of vm_flags.h.
#include "rmapcheck/vm_flags.h"

namespace rmapcheck {

namespace {
// The codes /proc/PID/smaps prints in "VmFlags:", in the kernel's order
// (show_smap_vma_flags).
struct FlagCode {
  VmFlags flag;
  const char* code;
};
constexpr FlagCode kFlagCodes[] = {
    {VM_READ, "rd"},     {VM_WRITE, "wr"},   {VM_EXEC, "ex"},      {VM_LOCKED, "lo"},
    {VM_DONTCOPY, "dc"}, {VM_ACCOUNT, "ac"}, {VM_NORESERVE, "nr"}, {VM_WIPEONFORK, "wf"},
};
}  // namespace

std::string vm_flags_codes(VmFlags f) {
  std::string out;
  for (const FlagCode& c : kFlagCodes) {
    if ((f & c.flag) == 0) continue;
    if (!out.empty()) out += ' ';
    out += c.code;
  }
  return out;
}

std::string vma_perms(VmFlags f) {
  std::string p = "---p";  // every VMA here is private anonymous
  if ((f & VM_READ) != 0) p[0] = 'r';
  if ((f & VM_WRITE) != 0) p[1] = 'w';
  if ((f & VM_EXEC) != 0) p[2] = 'x';
  return p;
}

}  // namespace rmapcheck
