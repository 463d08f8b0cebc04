// anon_vma_probe.cpp - the build found no clang or libbpf: say so at run time.
#include "anon_vma_probe.h"

#ifndef RMAPCHECK_NO_BPF_REASON
#define RMAPCHECK_NO_BPF_REASON "the BPF anon_vma probe was not built"
#endif

namespace rmapcheck::oracle {

std::unique_ptr<AnonVmaProbe> AnonVmaProbe::open(std::string& why_not) {
  why_not = RMAPCHECK_NO_BPF_REASON;
  return nullptr;
}

}  // namespace rmapcheck::oracle
