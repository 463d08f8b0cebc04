// op.h - the operations of a trace: what a user process does to its address space.
//
// Every engine (the reference model, the kernel-shaped impl, the live-kernel
// oracle) consumes the same Op values, and the trace language (trace.h) is a
// one-to-one text form of them.
//
// Synopsis
//   Page                  a page number inside the window (4 KiB pages)
//   kWindowPages          the window size; every page of every op lies below it
//   Prot, Advice, OpKind  the enumerations the trace language names
//   AllocSite             a named allocation site, for `failalloc`
//   Op                    one operation; fields that an OpKind does not use stay
//                         at their defaults, so == compares exactly what is printed
//
// Contract: an Op built by the parser or a generator sets only the fields its
// OpKind uses and keeps every page it names inside the window (start + npages
// <= kWindowPages); engines rely on both and do not check them again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rmapcheck {

using Page = std::uint64_t;

// The window: addresses in traces are page numbers in [0, kWindowPages).
// The oracle places page 0 at a fixed empty address (4 GiB of VA in all).
inline constexpr Page kWindowPages = Page{1} << 20;

// mmap/mprotect protections. x86 grants read with write, so "w" and "wx" are
// not separate values.
enum class Prot : std::uint8_t { None, R, RW, RX, RWX };

bool prot_read(Prot p);
bool prot_write(Prot p);
bool prot_exec(Prot p);
std::string_view prot_name(Prot p);  // "none" | "r" | "rw" | "rx" | "rwx"
std::optional<Prot> prot_from_name(std::string_view s);

enum class Advice : std::uint8_t { DontNeed, DontFork, DoFork, WipeOnFork, KeepOnFork };
inline constexpr Advice kAllAdvices[] = {Advice::DontNeed, Advice::DontFork, Advice::DoFork,
                                         Advice::WipeOnFork, Advice::KeepOnFork};

std::string_view advice_name(Advice a);  // "dontneed" | "dontfork" | ...
std::optional<Advice> advice_from_name(std::string_view s);

// Where the kernel allocates during the operations we model. `failalloc`
// makes one of these fail (issue: allocation failures).
enum class AllocSite : std::uint8_t {
  Any,           // any site: the K-th allocation of the op, whatever it is
  AnonVma,       // anon_vma_alloc
  AnonVmaChain,  // anon_vma_chain_alloc
  Vma,           // vm_area_alloc / vm_area_dup
  Folio,         // folio allocation in a fault or COW
  PageTable,     // pte/pmd allocation (fault, fork copy, mremap move)
  Prealloc,      // maple-tree preallocation before a split/merge/insert commit
  Swap,          // folio_alloc_swap: a swap slot for a folio being reclaimed
};
// "any" | "anon_vma" | "avc" | "vma" | "folio" | "pgtable" | "prealloc" | "swap"
std::string_view alloc_site_name(AllocSite s);
std::optional<AllocSite> alloc_site_from_name(std::string_view s);

enum class OpKind : std::uint8_t {
  Mmap,       // mmap     P START NPAGES PROT [noreserve]
  Munmap,     // munmap   P START NPAGES
  Mprotect,   // mprotect P START NPAGES PROT
  Madvise,    // madvise  P START NPAGES ADVICE
  Mremap,     // mremap   P OLD OLDN NEW NEWN [dontunmap]
  Read,       // read     P PAGE
  Write,      // write    P PAGE [VALUE]
  Fork,       // fork     P CHILD
  Exit,       // exit     P
  Rmap,       // rmap     P PAGE
  FailAlloc,  // failalloc [SITE] K     (applies to the next operation)
  Pageout,    // pageout  P START NPAGES   (madvise MADV_PAGEOUT)
  Reclaim,    // reclaim                   (every anon folio of every process)
};
std::string_view op_kind_name(OpKind k);
std::optional<OpKind> op_kind_from_name(std::string_view s);
inline constexpr int kOpKindCount = 13;
// Kinds that name no process: failalloc and reclaim.
bool op_names_proc(OpKind k);

struct Op {
  OpKind kind = OpKind::Read;
  std::string proc;                  // P (every kind but failalloc and reclaim)
  std::string child;                 // fork: CHILD
  Page start = 0;                    // START / OLD / PAGE
  Page npages = 0;                   // NPAGES / OLDN
  Page new_start = 0;                // mremap NEW
  Page new_npages = 0;               // mremap NEWN
  Prot prot = Prot::None;            // mmap, mprotect
  Advice advice = Advice::DontNeed;  // madvise
  bool noreserve = false;            // mmap
  bool dontunmap = false;            // mremap
  std::uint64_t value = 1;           // write VALUE (omitted in the text when it is 1)
  AllocSite site = AllocSite::Any;   // failalloc
  std::uint32_t nth = 0;             // failalloc K (1-based)

  bool operator==(const Op&) const = default;
};

// Constructors that leave unused fields at their defaults.
Op op_mmap(std::string p, Page start, Page n, Prot prot, bool noreserve = false);
Op op_munmap(std::string p, Page start, Page n);
Op op_mprotect(std::string p, Page start, Page n, Prot prot);
Op op_madvise(std::string p, Page start, Page n, Advice a);
Op op_mremap(std::string p, Page old_start, Page old_n, Page new_start, Page new_n,
             bool dontunmap = false);
Op op_read(std::string p, Page page);
Op op_write(std::string p, Page page, std::uint64_t value = 1);
Op op_fork(std::string p, std::string child);
Op op_exit(std::string p);
Op op_rmap(std::string p, Page page);
Op op_failalloc(AllocSite site, std::uint32_t nth);
Op op_pageout(std::string p, Page start, Page n);
Op op_reclaim();

// Process names: [a-z][a-z0-9_]*, at most 32 characters.
bool valid_proc_name(std::string_view s);

// Static validity: names well-formed, every page range inside the window,
// counts non-zero where the trace language requires it. Returns an error
// message, or nullopt when valid. (Semantic errors such as EINVAL for a
// zero-length munmap are results, not invalid ops: see docs/reference.)
std::optional<std::string> op_invalid_reason(const Op& op);

}  // namespace rmapcheck
