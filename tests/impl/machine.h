// tests/impl/machine.h - a kernel_state and its mms, driven through impl/'s own functions.
//
// The engine (make_impl_engine) hides its objects; these tests need to look
// at vma->anon_vma, avc lists and counters directly, so they build the same
// machine themselves and call the kernel-named functions.
//
// Synopsis
//   Machine m;  m.mm("p0");  m.run("mmap p0 0 4 rw\nwrite p0 0")  (trace text, results checked
//   against `=> RESULT` when given);  m.vma("p0", 2)  the VMA holding page 2;
//   m.folio("p0", 2)  the folio mapped there;  m.check()  every impl-level invariant
//   this test file relies on (tree verify, stored counters against a recount).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "impl/internal.h"
#include "impl/vma.h"
#include "rmapcheck/mutants.h"

namespace rmapcheck::impl::test {

class Machine {
 public:
  explicit Machine(MutantSet m = {});
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  kernel_state k;
  std::map<std::string, std::unique_ptr<mm_struct>> procs;

  mm_struct* mm(const std::string& name);  // creates it when missing
  // Runs trace text through the engine-level functions; fails the test on a
  // result that differs from a given `=> RESULT`.
  void run(const std::string& text);
  vm_area_struct* vma(const std::string& proc, Page page);
  folio* folio_at(const std::string& proc, Page page);
  // "" when every tree verifies and every stored counter matches a recount.
  std::string check() const;

 private:
  std::string history_;
  std::size_t history_lines_ = 0;
};

}  // namespace rmapcheck::impl::test
