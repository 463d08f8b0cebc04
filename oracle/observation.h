// observation.h - what the live kernel lets us see, in one form for both sides.
//
// The kernel side (kernel_observe.h) and the model side (project.h) each
// produce an Observation; canonicalize_observation() renames frames and
// anon_vmas by first appearance so that equal states give equal lines.
//
//   p0 vma [0,4) rw-p rd,wr,ac pgoff=0 anon_vma=#1 chain=[#2 #1]
//   p0 page 0 frame#1 mapcount=2 shared value=0x7
//   p0 page 2 zero value=0x0
//   anon_vma #1 root=#1 parent=#1 refcount=2 num_children=2 num_active_vmas=1
//
// pgoff/anon_vma/chain and the anon_vma lines appear only when the anon_vma
// forest was observed (BPF); the flags beyond r/w/x only when smaps was read;
// a page's value only where its VMA is readable (a PROT_NONE page is never
// loaded: that would fault).
//
// Synopsis
//   ObsPage, ObsVma, ObsProc, ObsAnonVma, Observation
//   canonicalize_observation(o)    frames, then anon_vmas, by first appearance
//   observation_lines(o)           the text above, one entry per line
//   diff_observations(k, m)        readable line diff, empty iff equal
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rmapcheck/op.h"
#include "rmapcheck/snapshot.h"

namespace rmapcheck::oracle {

// The vm_flags both sides can show: r/w/x always, the rest from smaps.
inline constexpr VmFlags kRwxFlags = VM_READ | VM_WRITE | VM_EXEC;
inline constexpr VmFlags kComparedFlags =
    kRwxFlags | VM_ACCOUNT | VM_NORESERVE | VM_DONTCOPY | VM_WIPEONFORK | VM_LOCKED;

struct ObsPage {
  // Anon: an anon page (frame, mapcount, exclusive); Zero: the shared zero
  // page; Other: anything else the kernel showed (THP, KSM, file), always a
  // divergence since the model has no such thing.
  enum class Kind : std::uint8_t { Anon, Zero, Other };
  Page page = 0;
  Kind kind = Kind::Anon;
  std::uint64_t frame = 0;             // PFN / model folio id; canonical class after renaming
  long mapcount = 0;                   // Anon only
  bool exclusive = false;              // Anon only: PageAnonExclusive
  std::uint64_t raw_flags = 0;         // Other only: kpageflags, for the report
  std::optional<std::uint64_t> value;  // only where the VMA is readable
  bool operator==(const ObsPage&) const = default;
};

struct ObsVma {
  Page start = 0, end = 0;
  VmFlags flags = 0;
  // The anon_vma forest (Observation::has_forest):
  Page pgoff = 0;
  std::uint64_t anon_vma = 0;  // 0: none
  std::vector<std::uint64_t> chain;
  bool operator==(const ObsVma&) const = default;
};

struct ObsProc {
  std::string name;
  std::vector<ObsVma> vmas;    // by start
  std::vector<ObsPage> pages;  // present pages, by page
  bool operator==(const ObsProc&) const = default;
};

struct ObsAnonVma {
  std::uint64_t id = 0, root = 0, parent = 0;
  long refcount = 0, num_children = 0, num_active_vmas = 0;
  bool operator==(const ObsAnonVma&) const = default;
};

struct Observation {
  bool has_flags = true;              // flags beyond r/w/x are meaningful
  bool has_forest = false;            // pgoff, anon_vma, chains and anon_vma lines are meaningful
  std::vector<ObsProc> procs;         // by name
  std::vector<ObsAnonVma> anon_vmas;  // reachable from some VMA; by id after renaming
  bool operator==(const Observation&) const = default;
};

// Renames frames (walking procs by name, pages in order) and anon_vmas (procs
// by name, VMAs by start: the anon_vma, then the chain in list order; then
// root and parent of each named one, in new-id order, until closed: the
// order snapshot.h's canonicalize() uses), keeps only anon_vmas so reached,
// and sorts. Idempotent.
void canonicalize_observation(Observation& o);

// Restricts `o` to what `other` can show too: the flags and forest parts
// that one side lacks are cleared on both sides before comparing.
void restrict_to_common(Observation& a, Observation& b);

std::vector<std::string> observation_lines(const Observation& o);
std::string format_observation(const Observation& o);

// "- kernel" / "+ model" style line diff (labels given), with the header
// lines of each proc kept for orientation. Empty iff the lines are equal.
std::string diff_observations(const Observation& a, const Observation& b, std::string_view label_a,
                              std::string_view label_b);

}  // namespace rmapcheck::oracle
