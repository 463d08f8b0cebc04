// kernel_observe.cpp - PROCMAP_QUERY, smaps, pagemap, kpagecount, kpageflags.
#include "kernel_observe.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <string>

#include "rmapcheck/file_io.h"

namespace rmapcheck::oracle {
namespace {

// The installed uapi headers are 6.1; PROCMAP_QUERY came in 6.11, so we carry
// the layout of struct procmap_query (include/uapi/linux/fs.h) ourselves.
struct ProcmapQuery {
  std::uint64_t size;
  std::uint64_t query_flags;
  std::uint64_t query_addr;
  std::uint64_t vma_start;
  std::uint64_t vma_end;
  std::uint64_t vma_flags;
  std::uint64_t vma_page_size;
  std::uint64_t vma_offset;
  std::uint64_t inode;
  std::uint32_t dev_major;
  std::uint32_t dev_minor;
  std::uint32_t vma_name_size;
  std::uint32_t build_id_size;
  std::uint64_t vma_name_addr;
  std::uint64_t build_id_addr;
};
static_assert(sizeof(ProcmapQuery) == 104);
constexpr unsigned long kProcmapQuery = _IOWR('f', 17, ProcmapQuery);
constexpr std::uint64_t kQueryCoveringOrNext = 0x10;
constexpr std::uint64_t kVmaReadable = 0x1, kVmaWritable = 0x2, kVmaExecutable = 0x4;

constexpr std::uint64_t kWindowEnd = kWindowBase + kWindowPages * kPageSize;

Page to_page(std::uint64_t addr) {
  return (addr - kWindowBase) / kPageSize;
}

std::string sys_error(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// Closes a file descriptor on every way out of a scope.
struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

std::vector<SnapVma> window_vmas(const std::string& name, const AgentHandle& h) {
  std::vector<SnapVma> out;
  std::uint64_t addr = kWindowBase;
  while (addr < kWindowEnd) {
    ProcmapQuery q{};
    q.size = sizeof q;
    q.query_flags = kQueryCoveringOrNext;
    q.query_addr = addr;
    if (ioctl(h.maps_fd, kProcmapQuery, &q) != 0) {
      if (errno == ENOENT) break;
      throw ObserveError(
          sys_error("PROCMAP_QUERY on /proc/" + std::to_string(h.pid) + "/maps (" + name + ")"));
    }
    if (q.vma_start >= kWindowEnd) break;
    SnapVma v;
    v.start = to_page(q.vma_start);
    v.end = to_page(std::min(q.vma_end, kWindowEnd));
    if (q.vma_flags & kVmaReadable) v.flags |= VM_READ;
    if (q.vma_flags & kVmaWritable) v.flags |= VM_WRITE;
    if (q.vma_flags & kVmaExecutable) v.flags |= VM_EXEC;
    out.push_back(v);
    addr = q.vma_end;
  }
  return out;
}

namespace {

VmFlags flags_from_codes(std::string_view codes) {
  VmFlags f = 0;
  std::size_t i = 0;
  while (i < codes.size()) {
    while (i < codes.size() && codes[i] == ' ') ++i;
    std::size_t j = i;
    while (j < codes.size() && codes[j] != ' ' && codes[j] != '\n') ++j;
    std::string_view c = codes.substr(i, j - i);
    if (c == "rd")
      f |= VM_READ;
    else if (c == "wr")
      f |= VM_WRITE;
    else if (c == "ex")
      f |= VM_EXEC;
    else if (c == "ac")
      f |= VM_ACCOUNT;
    else if (c == "nr")
      f |= VM_NORESERVE;
    else if (c == "dc")
      f |= VM_DONTCOPY;
    else if (c == "wf")
      f |= VM_WIPEONFORK;
    else if (c == "lo")
      f |= VM_LOCKED;
    i = j + 1;
  }
  return f;
}

// A smaps block header "START-END perms ...": returns START.
std::optional<std::uint64_t> header_start(std::string_view line) {
  std::size_t dash = line.find('-');
  if (dash == 0 || dash == std::string_view::npos || dash > 16) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : line.substr(0, dash)) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return std::nullopt;
    v = v * 16 + static_cast<std::uint64_t>(d);
  }
  return v;
}

// Reads /proc/PID/smaps up to the first VMA past the window (the window is
// the lowest mapping of an agent, so that is early) and fills in the flags
// of `vmas` by start address.
void read_vm_flags(const std::string& name, pid_t pid, std::vector<SnapVma>& vmas) {
  std::string path = "/proc/" + std::to_string(pid) + "/smaps";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw ObserveError(sys_error("open " + path + " (" + name + ")"));
  FdGuard guard{fd};
  std::string text;
  char buf[16384];
  std::size_t parsed = 0;  // text before this offset is handled
  std::size_t vi = 0;
  std::optional<Page> current;  // the window VMA whose block we are in
  bool done = false;
  while (!done) {
    const ssize_t n = retry_eintr([&] { return read(fd, buf, sizeof buf); });
    if (n < 0) throw ObserveError(sys_error("read " + path));
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    std::size_t eol;
    while (!done && (eol = text.find('\n', parsed)) != std::string::npos) {
      std::string_view line(text.data() + parsed, eol - parsed);
      parsed = eol + 1;
      if (auto start = header_start(line)) {
        if (*start >= kWindowEnd) done = true;
        current =
            *start >= kWindowBase && !done ? std::optional<Page>(to_page(*start)) : std::nullopt;
        continue;
      }
      if (!current || line.rfind("VmFlags:", 0) != 0) continue;
      while (vi < vmas.size() && vmas[vi].start < *current) ++vi;
      if (vi < vmas.size() && vmas[vi].start == *current) {
        VmFlags rwx = vmas[vi].flags & kRwx;
        vmas[vi].flags = flags_from_codes(line.substr(8));
        if ((vmas[vi].flags & kRwx) != rwx)
          throw ObserveError(
              fmt::format("{}: smaps and PROCMAP_QUERY disagree on the perms of the VMA at page {}",
                          name, *current));
      }
    }
  }
}

std::uint64_t pread_u64(int fd, std::uint64_t index, const char* what) {
  std::uint64_t v = 0;
  ssize_t n = pread(fd, &v, sizeof v, static_cast<off_t>(index * 8));
  if (n != static_cast<ssize_t>(sizeof v))
    throw ObserveError(sys_error(fmt::format("read {} at {:#x}", what, index)));
  return v;
}

}  // namespace

std::vector<std::uint64_t> read_pagemap(const std::string& name, const AgentHandle& h, Page start,
                                        Page n) {
  std::vector<std::uint64_t> entries(n);
  if (n == 0) return entries;
  const std::uint64_t first = (kWindowBase / kPageSize) + start;
  ssize_t got = pread(h.pagemap_fd, entries.data(), n * 8, static_cast<off_t>(first * 8));
  if (got != static_cast<ssize_t>(n * 8))
    throw ObserveError(
        sys_error("read /proc/" + std::to_string(h.pid) + "/pagemap (" + name + ")"));
  return entries;
}

bool reclaimable(const KernelFiles& files, std::uint64_t entry) {
  if (!(entry >> kPmPresent & 1)) return false;
  const std::uint64_t pfn = entry & kPmFrameMask;
  if (pfn == 0) throw ObserveError("pagemap shows no PFNs: the oracle must run as root");
  const std::uint64_t kflags = pread_u64(files.kpageflags(), pfn, "/proc/kpageflags");
  return !(kflags >> kKpfZeroPage & 1) && (kflags >> kKpfAnon & 1);
}

KernelFiles::KernelFiles() {
  kpagecount_ = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);
  kpageflags_ = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
  if (kpagecount_ < 0 || kpageflags_ < 0) {
    std::string err = sys_error("open /proc/kpagecount and /proc/kpageflags");
    if (kpagecount_ >= 0) close(kpagecount_);
    if (kpageflags_ >= 0) close(kpageflags_);
    throw ObserveError(err);
  }
}

KernelFiles::~KernelFiles() {
  close(kpagecount_);
  close(kpageflags_);
}

Snapshot observe_kernel(AgentSet& agents, const KernelFiles& files, bool with_flags) {
  Snapshot o;
  o.visible = kKernelVisibility;
  if (!with_flags) o.visible.bits &= ~static_cast<std::uint32_t>(Shown::FlagsBeyondRwx);
  std::map<std::uint64_t, std::size_t> folio_at;  // PFN -> index in o.folios
  // Slot -> the swap PTEs seen naming it: the count the kernel lane shows
  // (swap_map without SWAP_HAS_CACHE is exactly that, as no other process
  // maps the window).
  std::map<SnapId, long> slot_count;
  std::vector<std::uint64_t> entries;
  for (const auto& [name, h] : agents.live()) {
    SnapProc p;
    p.name = name;
    p.vmas = window_vmas(name, h);
    if (with_flags) read_vm_flags(name, h.pid, p.vmas);
    std::vector<std::uint64_t> peek_addrs;
    std::vector<std::uint64_t> peek_pfn;
    for (const SnapVma& v : p.vmas) {
      std::size_t n = v.end - v.start;
      entries.resize(n);
      std::uint64_t first = (kWindowBase / kPageSize) + v.start;
      ssize_t got = pread(h.pagemap_fd, entries.data(), n * 8, static_cast<off_t>(first * 8));
      if (got != static_cast<ssize_t>(n * 8))
        throw ObserveError(
            sys_error("read /proc/" + std::to_string(h.pid) + "/pagemap (" + name + ")"));
      for (std::size_t i = 0; i < n; ++i) {
        std::uint64_t e = entries[i];
        if (!(e >> kPmPresent & 1)) {
          if (!(e >> kPmSwap & 1)) continue;  // none
          // A swap PTE: type and offset name the slot; the engine-local id
          // is that entry + 1 (never 0), canonicalize() renames it. The
          // pte_swp_exclusive bit is not in pagemap (kKernelVisibility).
          const std::uint64_t entry = e & kPmFrameMask;
          if (entry == 0)
            throw ObserveError("pagemap shows no swap entries: the oracle must run as root");
          SnapPte pte;
          pte.page = v.start + i;
          pte.kind = SnapPte::Kind::Swap;
          pte.slot = entry + 1;
          p.ptes.push_back(pte);
          ++slot_count[pte.slot];
          continue;
        }
        std::uint64_t pfn = e & kPmFrameMask;
        if (pfn == 0) throw ObserveError("pagemap shows no PFNs: the oracle must run as root");
        SnapPte pte;
        pte.page = v.start + i;
        std::uint64_t kflags = pread_u64(files.kpageflags(), pfn, "/proc/kpageflags");
        auto bit = [&](int b) { return (kflags >> b & 1) != 0; };
        if (bit(kKpfZeroPage)) {
          pte.kind = SnapPte::Kind::Zero;
        } else if (bit(kKpfAnon) && !bit(kKpfKsm) && !bit(kKpfThp) && !bit(kKpfCompoundHead) &&
                   !bit(kKpfCompoundTail)) {
          pte.kind = SnapPte::Kind::Folio;
          pte.folio = pfn;
          if (folio_at.count(pfn) == 0) {
            SnapFolio f;
            f.id = pfn;
            f.mapcount = static_cast<long>(pread_u64(files.kpagecount(), pfn, "/proc/kpagecount"));
            f.exclusive = bit(kKpfAnonExclusive);
            folio_at[pfn] = o.folios.size();
            o.folios.push_back(f);
          }
          if (v.flags & VM_READ) {
            peek_addrs.push_back(kWindowBase + pte.page * kPageSize);
            peek_pfn.push_back(pfn);
          }
        } else {
          throw UnmodelledPage(fmt::format(
              "{} page {}: the kernel maps a page the model has no notion of (THP, KSM or not "
              "anonymous; kpageflags {:#x})",
              name, pte.page, kflags));
        }
        p.ptes.push_back(pte);
      }
    }
    if (!peek_addrs.empty()) {
      std::vector<std::uint64_t> values = agents.peek(name, peek_addrs);
      for (std::size_t k = 0; k < values.size(); ++k)
        o.folios[folio_at.at(peek_pfn[k])].value = values[k];
    }
    o.procs.push_back(std::move(p));
  }
  for (const auto& [id, count] : slot_count) {
    SnapSlot s;
    s.id = id;
    s.count = count;
    o.slots.push_back(s);
  }
  return o;
}

}  // namespace rmapcheck::oracle
