// oracle.cpp - one trace on the kernel and on the model, compared op by op.
#include "oracle.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <glob.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "live_kernel.h"
#include "project.h"

namespace rmapcheck::oracle {

struct Oracle::State {
  OracleOptions options;
  int cpu = 0;
  std::unique_ptr<KernelFiles> files;
  std::unique_ptr<AnonVmaProbe> probe;
  std::string no_forest_reason;
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

bool has_swap() {
  std::ifstream in("/proc/swaps");
  std::string line;
  int lines = 0;
  while (std::getline(in, line))
    if (!line.empty()) ++lines;
  return lines > 1;  // the first line is the header
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
  if (options.forest) {
    state_->probe = AnonVmaProbe::open(state_->no_forest_reason);
  } else {
    state_->no_forest_reason = "disabled (--no-forest)";
  }
}

Oracle::~Oracle() = default;

bool Oracle::forest_compared() const {
  return state_->probe != nullptr;
}
const std::string& Oracle::forest_unavailable_reason() const {
  return state_->no_forest_reason;
}

std::vector<std::string> Oracle::limits() const {
  std::vector<std::string> out;
  if (!has_swap())
    out.push_back(
        "no swap device: swap-out/swap-in (do_swap_page) cannot happen; nothing about swap is "
        "compared");
  if (numa_nodes() <= 1)
    out.push_back(
        "one NUMA node: page migration (the rmap walk behind move_pages) cannot be exercised");
  out.push_back(
      "failalloc: a live kernel cannot fail one chosen allocation; a trace is compared only up to "
      "its first failalloc");
  out.push_back(
      "folio->mapping and folio->index (a page's anon_vma and linear index) are not observable "
      "(BPF tracing programs are refused); PTE write bits are not exposed either");
  out.push_back(
      "page values are read only in readable VMAs (a load in a PROT_NONE VMA would fault)");
  if (!state_->probe)
    out.push_back("anon_vma forest NOT compared: " + state_->no_forest_reason +
                  "; only VMAs, flags and pages are");
  if (!state_->options.vm_flags) out.push_back("VmFlags beyond r/w/x NOT compared (--no-flags)");
  return out;
}

TraceVerdict Oracle::run(const Trace& trace) {
  TraceVerdict v;
  const OracleOptions& opt = state_->options;
  try {
    LiveKernelOptions lk;
    lk.cpu = state_->cpu;
    lk.vm_flags = opt.vm_flags;
    lk.probe = state_->probe.get();
    LiveKernel kernel(*state_->files, lk);
    std::unique_ptr<Engine> model;
    if (opt.model) model = make_engine(EngineKind::Model);
    for (std::size_t i = 0; i < trace.lines.size(); ++i) {
      const TraceLine& l = trace.lines[i];
      std::string where = where_of(trace, l, i);
      v.line = l.line > 0 ? l.line : static_cast<int>(i + 1);
      Result kr;
      try {
        kr = kernel.apply(l.op);
      } catch (const Unsupported& e) {
        v.status = TraceVerdict::Status::Partial;
        v.report =
            fmt::format("{}: {}\n  not comparable from here: {}; the {} ops before it agreed\n",
                        where, format_op(l.op), e.what(), v.ops_compared);
        return v;
      }
      v.kernel_results.push_back(kr);
      Observation ko = kernel.observe();
      if (opt.show)
        v.shown += fmt::format("{}: {} => {}\n{}", where, format_op(l.op), format_result(kr),
                               format_observation(ko));
      if (l.expect && *l.expect != kr) {
        v.status = TraceVerdict::Status::Diverge;
        v.report = fmt::format("{}: {}\n  result: kernel {}, trace expects {}\n", where,
                               format_op(l.op), format_result(kr), format_result(*l.expect));
        return v;
      }
      if (model) {
        Result mr;
        try {
          mr = model->apply(l.op);
        } catch (const EngineFault& e) {
          v.status = TraceVerdict::Status::Diverge;
          v.report =
              fmt::format("{}: {}\n  the model faulted: {}\n", where, format_op(l.op), e.what());
          return v;
        }
        Observation mo = project_snapshot(model->snapshot());
        canonicalize_observation(mo);
        restrict_to_common(ko, mo);
        const bool forest_compared_now = ko.has_forest;  // both sides had it
        if (kr != mr || ko != mo) {
          v.status = TraceVerdict::Status::Diverge;
          v.report = fmt::format("{}: {}\n", where, format_op(l.op));
          if (kr != mr)
            v.report += fmt::format("  result: kernel {}, model {}\n", format_result(kr),
                                    format_result(mr));
          else
            v.report += fmt::format("  result: {} (both)\n", format_result(kr));
          if (ko != mo)
            v.report += "  after the op:\n" + diff_observations(ko, mo, "kernel", "model");
          return v;
        }
        if (forest_compared_now) ++v.forest_ops;
      }
      ++v.ops_compared;
    }
    v.status = TraceVerdict::Status::Agree;
    v.line = 0;
  } catch (const std::exception& e) {
    v.status = TraceVerdict::Status::Error;
    v.report = fmt::format("{}: oracle machinery failed: {}\n", trace.file, e.what());
  }
  return v;
}

}  // namespace rmapcheck::oracle
