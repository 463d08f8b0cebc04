// oracle.cpp - one trace on the kernel and on the model, compared op by op.
#include "oracle.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <glob.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kernel_engine.h"
#include "live_kernel.h"
#include "rmapcheck/checker.h"
#include "swap_setup.h"

namespace rmapcheck::oracle {

struct Oracle::State {
  // First, so it is restored last, after every lane's agents are gone.
  std::unique_ptr<SwapSetup> swap;
  std::string no_swap_reason;
  OracleOptions options;
  int cpu = 0;
  std::unique_ptr<KernelFiles> files;
  std::unique_ptr<AnonVmaProbe> probe;
  std::string no_forest_reason;
  std::string no_folio_mapping_reason;  // "" when folio->mapping is shown
};

namespace {

std::string where_of(const Trace& t, const TraceLine& l, std::size_t index) {
  return fmt::format("{}:{}", t.file.empty() ? "<trace>" : t.file,
                     l.line > 0 ? l.line : static_cast<int>(index + 1));
}

int numa_nodes() {
  glob_t g{};
  int n = 0;
  if (glob("/sys/devices/system/node/node[0-9]*", 0, nullptr, &g) == 0)
    n = static_cast<int>(g.gl_pathc);
  globfree(&g);
  return n;
}

// folio->mapping of one of our own anon pages, through the probe: "" when
// the kernel lane can show folio->mapping and ->index, else why not.
std::string trial_folio_mapping(AnonVmaProbe& probe) {
  void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return std::string("mmap: ") + std::strerror(errno);
  *static_cast<volatile char*>(p) = 1;
  std::uint64_t e = 0;
  int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  bool ok =
      fd >= 0 &&
      pread(fd, &e, 8, static_cast<off_t>(reinterpret_cast<std::uintptr_t>(p) / 4096 * 8)) == 8;
  if (fd >= 0) close(fd);
  std::string why;
  if (!ok || !(e >> 63 & 1) || (e & ((std::uint64_t{1} << 55) - 1)) == 0) {
    why = "cannot read our own pagemap";
  } else {
    std::optional<std::vector<ProbeFolio>> got =
        probe.folios({e & ((std::uint64_t{1} << 55) - 1)}, why);
    if (got && got->size() != 1) why = "the folio dump returned nothing";
  }
  munmap(p, 4096);
  return why;
}

}  // namespace

std::string_view verdict_name(TraceVerdict::Status s) {
  switch (s) {
    case TraceVerdict::Status::Agree:
      return "agree";
    case TraceVerdict::Status::Diverge:
      return "DIVERGE";
    case TraceVerdict::Status::Partial:
      return "partial";
    case TraceVerdict::Status::Error:
      return "ERROR";
  }
  return "?";
}

std::string check_environment() {
#if !defined(__linux__)
  return "the live-kernel oracle runs on Linux only";
#else
  if (geteuid() != 0)
    return "the live-kernel oracle needs root: pagemap shows PFNs and /proc/kpagecount, "
           "/proc/kpageflags are readable only with CAP_SYS_ADMIN";
  if (access("/proc/kpagecount", R_OK) != 0 || access("/proc/kpageflags", R_OK) != 0)
    return "/proc/kpagecount or /proc/kpageflags is missing (CONFIG_PROC_PAGE_MONITOR)";
  // PROCMAP_QUERY (6.11+): ask about our own first mapping.
  struct {
    std::uint64_t size, query_flags, query_addr, vma_start, vma_end, vma_flags, vma_page_size,
        vma_offset, inode;
    std::uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
    std::uint64_t vma_name_addr, build_id_addr;
  } q{};
  q.size = sizeof q;
  q.query_flags = 0x10;  // COVERING_OR_NEXT_VMA
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::string("cannot open /proc/self/maps: ") + std::strerror(errno);
  int rc = ioctl(fd, _IOWR('f', 17, decltype(q)), &q);
  int err = errno;
  close(fd);
  if (rc != 0 && err == ENOTTY) return "this kernel has no PROCMAP_QUERY ioctl (Linux 6.11+)";
  return "";
#endif
}

std::string kernel_banner() {
  utsname u{};
  if (uname(&u) != 0) return "kernel: unknown (uname failed)\n";
  std::string out = fmt::format("kernel: {} {} {}\n", u.sysname, u.release, u.machine);
  std::string rel = u.release;
  if (rel.rfind("6.18.", 0) != 0) {
    out += fmt::format(
        "warning: rmapcheck specifies Linux 6.18 (6.18.8+); this kernel is {}: a divergence may "
        "be a version difference (merge rules changed in 6.16 and 6.18.8), not a bug\n",
        rel);
  } else {
    int stable = std::atoi(rel.c_str() + 5);
    if (stable < 8)
      out += fmt::format(
          "warning: {} predates 6.18.8: mremap merges of faulted next to unfaulted VMAs differ "
          "from the specified semantics (docs/kernel/historical-bugs.md#mremap-uaf)\n",
          rel);
  }
  return out;
}

Oracle::Oracle(const OracleOptions& options) : state_(std::make_unique<State>()) {
  state_->options = options;
  std::string env = check_environment();
  if (!env.empty()) throw OracleSetupError(env);
  state_->cpu = pick_agent_cpu();
  try {
    state_->files = std::make_unique<KernelFiles>();
  } catch (const ObserveError& e) {
    throw OracleSetupError(e.what());
  }
  if (options.swap) {
    SwapSetupOptions so;
    so.cpu = state_->cpu;
    state_->swap = SwapSetup::open(so, state_->no_swap_reason);
  } else {
    state_->no_swap_reason = "disabled (--no-swap)";
  }
  if (options.forest) {
    state_->probe = AnonVmaProbe::open(state_->no_forest_reason);
  } else {
    state_->no_forest_reason = "disabled (--no-forest)";
  }
  state_->no_folio_mapping_reason = state_->probe
                                        ? trial_folio_mapping(*state_->probe)
                                        : "no BPF probe (" + state_->no_forest_reason + ")";
}

Oracle::~Oracle() = default;

bool Oracle::forest_compared() const {
  return state_->probe != nullptr;
}
const std::string& Oracle::forest_unavailable_reason() const {
  return state_->no_forest_reason;
}
bool Oracle::swap_available() const {
  return state_->swap != nullptr;
}
const std::string& Oracle::swap_unavailable_reason() const {
  return state_->no_swap_reason;
}

std::vector<std::string> Oracle::limits() const {
  std::vector<std::string> out;
  if (!state_->swap) {
    out.push_back("no swap set up (" + state_->no_swap_reason +
                  "): a trace is compared only up to its first pageout or reclaim");
  } else {
    out.push_back(
        "the swap PTE's exclusive bit (pte_swp_exclusive) and the swap cache (which folio a slot "
        "caches, slot contents, unmapped cached folios) are not observable; swap slot identity "
        "and sharing are, through pagemap");
  }
  if (numa_nodes() <= 1)
    out.push_back(
        "one NUMA node: page migration (the rmap walk behind move_pages) cannot be exercised");
  out.push_back(
      "failalloc: a live kernel cannot fail one chosen allocation; a trace is compared only up to "
      "its first failalloc");
  if (!state_->no_folio_mapping_reason.empty())
    out.push_back(
        "folio->mapping and folio->index (a page's anon_vma and linear index) NOT "
        "compared: " +
        state_->no_folio_mapping_reason);
  out.push_back("PTE write bits are not exposed (pagemap has no write bit)");
  out.push_back(
      "page values are read only in readable VMAs (a load in a PROT_NONE VMA would fault)");
  if (!state_->probe)
    out.push_back("anon_vma forest NOT compared: " + state_->no_forest_reason +
                  "; only VMAs, flags and pages are");
  if (!state_->options.vm_flags) out.push_back("VmFlags beyond r/w/x NOT compared (--no-flags)");
  return out;
}

std::unique_ptr<Engine> Oracle::kernel_lane() const {
  LiveKernelOptions lk;
  lk.cpu = state_->cpu;
  lk.vm_flags = state_->options.vm_flags;
  lk.probe = state_->probe.get();
  lk.folio_mapping = state_->no_folio_mapping_reason.empty();
  lk.swap = state_->swap.get();
  lk.no_swap_reason = state_->no_swap_reason;
  return make_kernel_engine(*state_->files, lk);
}

// The trace through the checker with two lanes, the model (the reference)
// and the kernel; with OracleOptions::model off (--show), the kernel alone.
TraceVerdict Oracle::run(const Trace& trace) {
  TraceVerdict v;
  const OracleOptions& opt = state_->options;
  try {
    std::vector<std::unique_ptr<Engine>> lanes;
    if (opt.model) lanes.push_back(make_engine(EngineKind::Model));
    lanes.push_back(kernel_lane());
    const std::size_t kernel = lanes.size() - 1;
    Checker checker(std::move(lanes));
    // Whatever way the trace ends, what ran is counted (oracle --random
    // prints the model's coverage like a campaign).
    struct Record {
      TraceVerdict& v;
      const Checker& c;
      bool model;
      ~Record() {
        v.stats = c.stats();
        if (model) v.model_coverage = c.engine(0).coverage();
      }
    } record{v, checker, opt.model};
    auto diverge = [&](const CheckFailure& f, const std::string& where) {
      const bool machinery =
          f.kind == CheckFailure::Kind::EngineFault && f.message.rfind(kMachineryFailed, 0) == 0;
      v.status = machinery ? TraceVerdict::Status::Error : TraceVerdict::Status::Diverge;
      v.report = fmt::format("{}: {}\n", where, format_op(f.op));
      switch (f.kind) {
        case CheckFailure::Kind::SnapshotMismatch:
          v.report += fmt::format("  result: {} (both)\n  after the op:\n{}",
                                  format_result(f.results.front()), f.diff);
          break;
        case CheckFailure::Kind::ResultMismatch:
          v.report +=
              fmt::format("  result: kernel {}, model {}\n", format_result(f.results.back()),
                          format_result(f.results.front()));
          break;
        case CheckFailure::Kind::UnexpectedResult:
          v.report += fmt::format("  result: kernel {}, trace expects {}\n",
                                  format_result(f.results.back()), format_result(*f.expected));
          break;
        default:
          v.report += "  " + f.describe();
          break;
      }
    };
    for (std::size_t i = 0; i < trace.lines.size(); ++i) {
      const TraceLine& l = trace.lines[i];
      const std::string where = where_of(trace, l, i);
      v.line = l.line > 0 ? l.line : static_cast<int>(i + 1);
      std::optional<CheckFailure> f = checker.step(l.op, l.expect);
      if (checker.stopped(kernel)) {
        v.status = TraceVerdict::Status::Partial;
        v.report =
            fmt::format("{}: {}\n  not comparable from here: {}; the {} ops before it agreed\n",
                        where, format_op(l.op), *checker.stopped(kernel), v.ops_compared);
        return v;
      }
      if (f) {
        diverge(*f, where);
        return v;
      }
      v.kernel_results.push_back(checker.result(kernel));
      if (opt.show)
        v.shown += fmt::format("{}: {} => {}\n{}", where, format_op(l.op),
                               format_result(checker.result(kernel)),
                               format_snapshot(checker.state(kernel)));
      if (opt.model) {
        ++v.ops_compared;
        if (checker.state(kernel).visible.has(Shown::Forest)) ++v.forest_ops;
        if (checker.state(kernel).visible.has(Shown::FolioMapping)) ++v.folio_mapping_ops;
      }
    }
    // The epilogue: every process exits on both sides, compared.
    std::vector<Op> exits;
    if (std::optional<CheckFailure> f = checker.finish(exits)) {
      diverge(*f, fmt::format("{}: end of trace (exit epilogue)", trace.file));
      return v;
    }
    // Without the model (--show) nothing was compared: the tool reports such
    // a trace as replayed on the kernel, never as an agreement.
    v.status = TraceVerdict::Status::Agree;
    v.line = 0;
  } catch (const std::exception& e) {
    v.status = TraceVerdict::Status::Error;
    v.report = fmt::format("{}: oracle machinery failed: {}\n", trace.file, e.what());
  }
  return v;
}

}  // namespace rmapcheck::oracle
