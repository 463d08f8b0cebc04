// anon_vma_probe_bpf.cpp - loads bpf/anon_vma_iter.bpf.c (embedded) with libbpf
// and reads its records.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <map>
#include <stdexcept>

#include "anon_vma_probe.h"
#include "rmapcheck/file_io.h"

// The compiled BPF object, embedded at build time (embed_bpf.cmake).
extern const unsigned char rmapcheck_anon_vma_iter_bpf[];
extern const std::size_t rmapcheck_anon_vma_iter_bpf_size;

namespace rmapcheck::oracle {
namespace {

// Mirrors struct record of the BPF program.
struct Record {
  std::uint32_t kind;
  std::uint32_t tgid;
  std::uint64_t a, b, c, d, e, f, g;
};
static_assert(sizeof(Record) == 64);

std::string g_libbpf_log;  // libbpf's messages while loading, for the reason

// What LIBBPF_OPTS does, without its C99 compound literal: an options
// struct zeroed, with its size set (libbpf's check of the caller's version).
template <class Opts>
Opts libbpf_opts() {
  Opts opts{};
  opts.sz = sizeof opts;
  return opts;
}

// Attach options for an iterator over one task.
bpf_iter_attach_opts iter_opts(bpf_iter_link_info& info) {
  auto opts = libbpf_opts<bpf_iter_attach_opts>();
  opts.link_info = &info;
  opts.link_info_len = sizeof info;
  return opts;
}

// libbpf passes its own printf format.
__attribute__((format(printf, 2, 0))) int capture_libbpf(enum libbpf_print_level level,
                                                         const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char buf[512];
  int n = std::vsnprintf(buf, sizeof buf, fmt, args);
  if (g_libbpf_log.size() < 4096) g_libbpf_log += buf;
  return n;
}

// Mirrors folio_input of the BPF program (its .bss map).
constexpr std::size_t kMaxPfns = 512;
struct FolioInput {
  std::uint32_t count;
  std::uint32_t pad;
  std::uint64_t pfns[kMaxPfns];
};

// PAGE_MAPPING_ANON (include/linux/page-flags.h: the low bits of
// folio->mapping; 1 = anon, 3 = KSM / movable).
constexpr std::uint64_t kMappingAnon = 1, kMappingFlags = 3;

class BpfProbe final : public AnonVmaProbe {
 public:
  BpfProbe(bpf_object* obj, bpf_program* prog, bpf_program* folio_prog, bpf_map* bss)
      : obj_(obj), prog_(prog), folio_prog_(folio_prog), bss_(bss) {}
  ~BpfProbe() override {
    for (auto& [pid, link] : links_) bpf_link__destroy(link);
    if (folio_link_) bpf_link__destroy(folio_link_);
    bpf_object__close(obj_);
  }

  std::optional<std::vector<ProbeFolio>> folios(const std::vector<std::uint64_t>& pfns,
                                                std::string& why_not) override {
    if (!folio_prog_ || !bss_) {
      why_not = "the BPF object has no folio program";
      return std::nullopt;
    }
    if (!folio_link_) {
      // The program runs once, for this task (the controller).
      union bpf_iter_link_info info {};
      info.task.pid = static_cast<__u32>(getpid());
      bpf_iter_attach_opts opts = iter_opts(info);
      folio_link_ = bpf_program__attach_iter(folio_prog_, &opts);
      if (!folio_link_) {
        why_not = std::string("attaching the folio iterator: ") + std::strerror(errno);
        return std::nullopt;
      }
    }
    std::vector<ProbeFolio> out;
    for (std::size_t i = 0; i < pfns.size(); i += kMaxPfns) {
      FolioInput in{};
      in.count = static_cast<std::uint32_t>(std::min(kMaxPfns, pfns.size() - i));
      std::copy(pfns.begin() + static_cast<std::ptrdiff_t>(i),
                pfns.begin() + static_cast<std::ptrdiff_t>(i + in.count), in.pfns);
      std::vector<char> value(bpf_map__value_size(bss_), 0);
      if (value.size() < sizeof in) {
        why_not = "the folio program's input is smaller than expected";
        return std::nullopt;
      }
      std::memcpy(value.data(), &in, sizeof in);
      const int key = 0;
      if (bpf_map_update_elem(bpf_map__fd(bss_), &key, value.data(), BPF_ANY) != 0) {
        why_not = std::string("writing the folio program's input: ") + std::strerror(errno);
        return std::nullopt;
      }
      std::vector<char> bytes;
      read_iter(folio_link_, bytes);
      if (bytes.size() % sizeof(Record) != 0 || bytes.size() < sizeof(Record)) {
        why_not = "the folio iterator wrote no base record";
        return std::nullopt;
      }
      Record base;
      std::memcpy(&base, bytes.data(), sizeof base);
      if (base.kind != 6 || base.a == 0) {
        why_not = "no struct page base (no task->stack_vm_area: VMAP_STACK off)";
        return std::nullopt;
      }
      if (bytes.size() != (1 + in.count) * sizeof(Record)) {
        why_not = "the folio iterator wrote a short dump";
        return std::nullopt;
      }
      for (std::uint32_t k = 0; k < in.count; ++k) {
        Record r;
        std::memcpy(&r, bytes.data() + (1 + k) * sizeof(Record), sizeof r);
        if (r.kind != 5 || r.a != in.pfns[k]) {
          why_not = "the folio iterator's records are out of order";
          return std::nullopt;
        }
        // The caller passes mapped anon folios: an anon tag on a kernel
        // pointer, else the base is wrong (the 1 GiB rounding does not hold
        // on this machine) and nothing read is trusted.
        if ((r.b & kMappingFlags) != kMappingAnon || r.b < 0xff00000000000000ULL) {
          why_not = fmt_hex("folio->mapping of PFN ", r.a, " is not an anon_vma pointer (", r.b,
                            "): the struct page base is not where expected");
          return std::nullopt;
        }
        out.push_back({r.b & ~kMappingFlags, r.c});
      }
    }
    return out;
  }

  ProbeDump dump(const std::vector<pid_t>& pids) override {
    // One iterator link per process (task iterator parameter, Linux 6.1+):
    // walking every VMA of every task on a busy machine costs milliseconds.
    std::map<pid_t, bpf_link*> keep;
    for (pid_t pid : pids) {
      auto it = links_.find(pid);
      if (it != links_.end()) {
        keep.emplace(pid, it->second);
        links_.erase(it);
        continue;
      }
      keep.emplace(pid, attach(pid));
    }
    for (auto& [pid, link] : links_) bpf_link__destroy(link);
    links_ = std::move(keep);
    std::vector<char> bytes;
    for (pid_t pid : pids) read_iter(links_.at(pid), bytes);
    return parse(bytes);
  }

  bpf_link* attach(pid_t pid) {
    union bpf_iter_link_info info {};
    info.task.pid = static_cast<__u32>(pid);
    bpf_iter_attach_opts opts = iter_opts(info);
    bpf_link* link = bpf_program__attach_iter(prog_, &opts);
    if (!link)
      throw std::runtime_error("attaching the task_vma iterator to pid " + std::to_string(pid) +
                               ": " + std::strerror(errno));
    return link;
  }

 private:
  static void read_iter(bpf_link* link, std::vector<char>& bytes) {
    int fd = bpf_iter_create(bpf_link__fd(link));
    if (fd < 0) throw std::runtime_error(std::string("bpf_iter_create: ") + std::strerror(errno));
    char buf[1 << 16];
    for (;;) {
      const ssize_t n = retry_eintr([&] { return read(fd, buf, sizeof buf); });
      if (n < 0) {
        int err = errno;
        close(fd);
        throw std::runtime_error(std::string("reading the anon_vma iterator: ") +
                                 std::strerror(err));
      }
      if (n == 0) break;
      bytes.insert(bytes.end(), buf, buf + n);
    }
    close(fd);
  }

  static ProbeDump parse(const std::vector<char>& bytes) {
    if (bytes.size() % sizeof(Record) != 0)
      throw std::runtime_error("anon_vma iterator: torn record");
    ProbeDump d;
    std::map<std::uint64_t, ProbeAnonVma> avs;
    for (std::size_t off = 0; off < bytes.size(); off += sizeof(Record)) {
      Record r;
      std::memcpy(&r, bytes.data() + off, sizeof r);
      if (r.kind == 1) {
        ProbeVma v;
        v.tgid = static_cast<pid_t>(r.tgid);
        v.start = r.a;
        v.end = r.b;
        v.pgoff = r.c;
        v.anon_vma = r.d;
        d.vmas.push_back(v);
        continue;
      }
      if (r.kind == 4)
        throw std::runtime_error("anon_vma iterator: a chain longer than 64 entries");
      if ((r.kind != 2 && r.kind != 3) || d.vmas.empty())
        throw std::runtime_error("anon_vma iterator: unexpected record");
      if (r.kind == 2) d.vmas.back().chain.push_back(r.a);
      if (r.a == 0) continue;
      ProbeAnonVma a;
      a.ptr = r.a;
      a.root = r.b;
      a.parent = r.c;
      a.refcount = static_cast<long>(static_cast<std::int32_t>(r.d));
      a.num_children = static_cast<long>(r.e);
      a.num_active_vmas = static_cast<long>(r.f);
      avs[a.ptr] = a;
    }
    for (const auto& [ptr, a] : avs) d.anon_vmas.push_back(a);
    return d;
  }

  static std::string fmt_hex(const char* a, std::uint64_t x, const char* b, std::uint64_t y,
                             const char* c) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s%#llx%s%#llx%s", a, static_cast<unsigned long long>(x), b,
                  static_cast<unsigned long long>(y), c);
    return buf;
  }

  bpf_object* obj_;
  bpf_program* prog_;
  bpf_program* folio_prog_;
  bpf_map* bss_;
  bpf_link* folio_link_ = nullptr;
  std::map<pid_t, bpf_link*> links_;
};

}  // namespace

std::unique_ptr<AnonVmaProbe> AnonVmaProbe::open(std::string& why_not) {
  if (geteuid() != 0) {
    why_not = "loading a BPF iterator needs root";
    return nullptr;
  }
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
    why_not =
        "the kernel has no BTF (/sys/kernel/btf/vmlinux), so CO-RE cannot relocate the BPF program";
    return nullptr;
  }
  g_libbpf_log.clear();
  libbpf_print_fn_t old = libbpf_set_print(capture_libbpf);
  auto opts = libbpf_opts<bpf_object_open_opts>();
  opts.object_name = "anon_vma_iter";
  bpf_object* obj =
      bpf_object__open_mem(rmapcheck_anon_vma_iter_bpf, rmapcheck_anon_vma_iter_bpf_size, &opts);
  std::string fail;
  bpf_program* prog = nullptr;
  if (!obj) {
    fail = std::string("opening the BPF object: ") + std::strerror(errno);
  } else if (int err = bpf_object__load(obj); err != 0) {
    fail = std::string("loading the BPF program: ") + std::strerror(-err);
  } else if (prog = bpf_object__find_program_by_name(obj, "dump_anon_vmas"); !prog) {
    fail = "the BPF object has no program dump_anon_vmas";
  }
  libbpf_set_print(old);
  if (!fail.empty()) {
    if (obj) bpf_object__close(obj);
    why_not = fail;
    if (!g_libbpf_log.empty()) why_not += " (libbpf: " + g_libbpf_log.substr(0, 300) + ")";
    return nullptr;
  }
  bpf_program* folio_prog = bpf_object__find_program_by_name(obj, "dump_folios");
  bpf_map* bss = nullptr;
  bpf_map* m = nullptr;
  bpf_object__for_each_map(m, obj) {
    const std::string name = bpf_map__name(m);
    if (name.size() >= 4 && name.compare(name.size() - 4, 4, ".bss") == 0) bss = m;
  }
  auto probe = std::make_unique<BpfProbe>(obj, prog, folio_prog, bss);
  try {
    probe->dump({getpid()});
  } catch (const std::exception& e) {
    why_not = std::string("a trial dump failed: ") + e.what();
    return nullptr;
  }
  return probe;
}

}  // namespace rmapcheck::oracle
