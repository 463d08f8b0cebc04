// anon_vma_probe.cpp - placeholder until the BPF iterator is built: says so.
#include "anon_vma_probe.h"

namespace rmapcheck::oracle {

std::unique_ptr<AnonVmaProbe> AnonVmaProbe::open(std::string& why_not) {
  why_not = "the BPF anon_vma probe is not built into this binary";
  return nullptr;
}

}  // namespace rmapcheck::oracle
