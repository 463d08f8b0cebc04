// anon_vma_iter.bpf.c - dumps the anon_vma forest behind every window VMA.
//
// An "iter/task_vma" program: the kernel calls it once per VMA of every task.
// For a VMA inside the oracle's window it writes one VMA record, then one
// anon_vma record per anon_vma_chain entry (list order: newest first, root
// last), then one for vma->anon_vma. Records are fixed 64-byte binary
// blocks (struct record below, mirrored in anon_vma_probe.cpp).
//
// Only reads: direct loads of the iterator's trusted task/vma pointers, and
// bpf_probe_read_kernel (via BPF_CORE_READ) for everything reached from them.
// The structs are declared with preserve_access_index: libbpf relocates the
// field offsets against the running kernel's BTF (CO-RE), so no vmlinux.h.
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

// Must match kWindowBase and kWindowPages (oracle/agent_protocol.h, op.h).
#define WINDOW_START 0x200000000000ULL
#define WINDOW_END (WINDOW_START + (1ULL << 20) * 4096ULL)
#define MAX_CHAIN 64

struct seq_file;
struct bpf_iter_meta {
  struct seq_file *seq;
} __attribute__((preserve_access_index));

struct page {
  unsigned long flags;
} __attribute__((preserve_access_index));
struct vm_struct {
  struct page **pages;
} __attribute__((preserve_access_index));

struct task_struct {
  int tgid;
  struct vm_struct *stack_vm_area;
} __attribute__((preserve_access_index));

// folio->mapping (an anon folio's anon_vma, tagged with PAGE_MAPPING_ANON)
// and folio->index; for an order-0 folio the folio is its page.
struct folio {
  unsigned long flags;
  void *mapping;
  unsigned long index;
} __attribute__((preserve_access_index));

struct list_head {
  struct list_head *next;
} __attribute__((preserve_access_index));

typedef struct {
  int counter;
} atomic_t;

struct anon_vma {
  struct anon_vma *root;
  atomic_t refcount;
  unsigned long num_children;
  unsigned long num_active_vmas;
  struct anon_vma *parent;
} __attribute__((preserve_access_index));

struct anon_vma_chain {
  struct anon_vma *anon_vma;
  struct list_head same_vma;
} __attribute__((preserve_access_index));

struct vm_area_struct {
  unsigned long vm_start;
  unsigned long vm_end;
  unsigned long vm_pgoff;
  struct list_head anon_vma_chain;
  struct anon_vma *anon_vma;
} __attribute__((preserve_access_index));

struct bpf_iter__task {
  struct bpf_iter_meta *meta;
  struct task_struct *task;
} __attribute__((preserve_access_index));

struct bpf_iter__task_vma {
  struct bpf_iter_meta *meta;
  struct task_struct *task;
  struct vm_area_struct *vma;
} __attribute__((preserve_access_index));

// kind 1: a VMA (a = start, b = end, c = pgoff, d = anon_vma)
// kind 2: a chain entry of the VMA before (a = anon_vma, b = root, c = parent,
//         d = refcount, e = num_children, f = num_active_vmas), in list order
// kind 3: the VMA's own anon_vma (same layout as kind 2); ends the VMA
// kind 4: the chain was longer than MAX_CHAIN (the dump is unusable)
// kind 5: a folio (a = pfn, b = folio->mapping, c = folio->index,
//         d = the struct page address read)
// kind 6: the folio dump's base (a = vmemmap base, b = sizeof(struct page));
//         a = 0: no base found (no stack_vm_area), no kind 5 records
struct record {
  __u32 kind;
  __u32 tgid;
  __u64 a, b, c, d, e, f, g;
};

static void anon_vma_record(struct seq_file *seq, __u32 kind, __u32 tgid, struct anon_vma *av) {
  struct record r = {};
  r.kind = kind;
  r.tgid = tgid;
  r.a = (__u64)av;
  if (av) {
    r.b = (__u64)BPF_CORE_READ(av, root);
    r.c = (__u64)BPF_CORE_READ(av, parent);
    r.d = (__u64)BPF_CORE_READ(av, refcount.counter);
    r.e = BPF_CORE_READ(av, num_children);
    r.f = BPF_CORE_READ(av, num_active_vmas);
  }
  bpf_seq_write(seq, &r, sizeof r);
}

SEC("iter/task_vma")
int dump_anon_vmas(struct bpf_iter__task_vma *ctx) {
  struct seq_file *seq = ctx->meta->seq;
  struct task_struct *task = ctx->task;
  struct vm_area_struct *vma = ctx->vma;
  if (!task || !vma) return 0;
  unsigned long start = BPF_CORE_READ(vma, vm_start);
  if (start < WINDOW_START || start >= WINDOW_END) return 0;
  __u32 tgid = (__u32)BPF_CORE_READ(task, tgid);

  struct record r = {};
  r.kind = 1;
  r.tgid = tgid;
  r.a = start;
  r.b = BPF_CORE_READ(vma, vm_end);
  r.c = BPF_CORE_READ(vma, vm_pgoff);
  struct anon_vma *own = BPF_CORE_READ(vma, anon_vma);
  r.d = (__u64)own;

  bpf_seq_write(seq, &r, sizeof r);

  // The chain: vma->anon_vma_chain is a list of avc->same_vma nodes. Each
  // entry is written as it is met (no array: the BPF stack is 512 bytes).
  struct list_head *head =
      (struct list_head *)((char *)vma +
                           bpf_core_field_offset(struct vm_area_struct, anon_vma_chain));
  unsigned long link_off = bpf_core_field_offset(struct anon_vma_chain, same_vma);
  struct list_head *node = BPF_CORE_READ(vma, anon_vma_chain.next);
  for (int i = 0; i < MAX_CHAIN; i++) {
    if (!node || node == head) break;
    struct anon_vma_chain *avc = (struct anon_vma_chain *)((char *)node - link_off);
    anon_vma_record(seq, 2, tgid, BPF_CORE_READ(avc, anon_vma));
    node = BPF_CORE_READ(node, next);
  }
  if (node && node != head) {
    // Longer than MAX_CHAIN: say so, the reader refuses the dump.
    struct record t = {};
    t.kind = 4;
    t.tgid = tgid;
    bpf_seq_write(seq, &t, sizeof t);
  }
  anon_vma_record(seq, 3, tgid, own);
  return 0;
}

// The folios of the PFNs user space puts here before each dump (the .bss
// map: count, then the PFNs).
#define MAX_PFNS 512
struct {
  __u32 count;
  __u32 pad;
  __u64 pfns[MAX_PFNS];
} folio_input = {};

// An "iter/task" program attached to one task: it runs once for it and
// dumps folio->mapping and folio->index of every PFN in folio_input. The
// struct page of a PFN is at vmemmap_base + pfn * sizeof(struct page);
// vmemmap_base is not a symbol here (no KALLSYMS_ALL, not in BTF), but
// kernel_randomize_memory (arch/x86/mm/kaslr.c) places it on a 1 GiB
// (PUD) boundary and the array of a machine with less than 64 GiB of
// physical address space is smaller than that, so it is any struct page
// pointer rounded down to 1 GiB: the first page of the task's stack
// (task->stack_vm_area->pages[0], VMAP_STACK). User space checks the
// result (oracle/anon_vma_probe_bpf.cpp).
SEC("iter/task")
int dump_folios(struct bpf_iter__task *ctx) {
  struct seq_file *seq = ctx->meta->seq;
  struct task_struct *task = ctx->task;
  if (!task) return 0;
  struct record b = {};
  b.kind = 6;
  b.b = bpf_core_type_size(struct page);
  if (bpf_core_field_exists(task->stack_vm_area)) {
    struct vm_struct *area = BPF_CORE_READ(task, stack_vm_area);
    struct page **pages = area ? BPF_CORE_READ(area, pages) : 0;
    struct page *first = 0;
    if (pages) bpf_probe_read_kernel(&first, sizeof first, pages);
    b.a = (__u64)first & ~((1ULL << 30) - 1);
  }
  bpf_seq_write(seq, &b, sizeof b);
  if (!b.a) return 0;
  __u32 n = folio_input.count;
  for (__u32 i = 0; i < MAX_PFNS; i++) {
    if (i >= n) break;
    struct record r = {};
    r.kind = 5;
    r.a = folio_input.pfns[i];
    struct folio *f = (struct folio *)(b.a + r.a * b.b);
    r.b = (__u64)BPF_CORE_READ(f, mapping);
    r.c = BPF_CORE_READ(f, index);
    r.d = (__u64)f;
    bpf_seq_write(seq, &r, sizeof r);
  }
  return 0;
}
