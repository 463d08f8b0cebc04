// tests/impl/machine.h - the impl engine, stepped by the checker, with its kernel objects in view.
//
// The engine (make_impl_engine) runs every op through impl/'s own syscall
// layer, and the one checker (rmapcheck/checker.h) checks it after every op
// against the model in lock-step, as every driver does. These tests then
// look at vma->anon_vma, avc lists and counters directly
// (impl/impl_engine.h). With a mutant on, the checker's first failure is
// kept in failure() instead of failing the test: the test states what the
// mutant breaks.
//
// Synopsis
//   Machine m;  m.run("mmap p0 0 4 rw\nwrite p0 0")  (trace text, results checked
//   against `=> RESULT` when given);  m.vma("p0", 2)  the VMA holding page 2;
//   m.folio_at("p0", 2)  the folio mapped there;  m.pte("p0", 2)  the PTE there (nullptr:
//   no page table);  m.check()  every impl-level invariant
//   this test file relies on (tree verify, stored counters against a recount);
//   m.k  the kernel_state;  m.live(name)  whether the process is live.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "impl/impl_engine.h"
#include "impl/internal.h"
#include "impl/vma.h"
#include "rmapcheck/checker.h"
#include "rmapcheck/mutants.h"

namespace rmapcheck::impl::test {

class Machine {
 public:
  explicit Machine(MutantSet m = {});
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

 private:
  std::unique_ptr<Engine> model_, impl_;

 public:
  kernel_state& k;

  // Runs trace text through the checker (model and impl in lock-step); fails
  // the test on any failure, unless a mutant is on (then see failure()).
  void run(const std::string& text);
  bool live(const std::string& name) const { return impl_mm(*impl_, name) != nullptr; }
  vm_area_struct* vma(const std::string& proc, Page page);
  folio* folio_at(const std::string& proc, Page page);
  pte_t* pte(const std::string& proc, Page page);
  // "" when every tree verifies and every stored counter matches a recount.
  std::string check() const;
  // With a mutant on: the checker's first failure, if any.
  const std::optional<CheckFailure>& failure() const { return failure_; }

 private:
  bool mutated_;
  std::unique_ptr<Checker> checker_;
  std::optional<CheckFailure> failure_;
  std::string history_;
  std::size_t history_lines_ = 0;
};

}  // namespace rmapcheck::impl::test
