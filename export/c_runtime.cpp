// c_runtime.cpp - the fixed parts of an exported C program.
//
// export_c.cpp writes the parts that depend on the trace (the processes, the
// syscalls of each op, the model's predictions) around these. Each piece is
// emitted only when the trace needs it, so that no static function is left
// unused (-Wall -Wextra stay silent). Kernel style: tabs, C11, libc only.
#include "export/c_runtime.h"

namespace rmapcheck::exporter {

// clang-format off
const char* const kRuntimeAgent = R"C(
/*
 * The agents. Every trace process is a real process: p0 is forked by the
 * controller (main), every other one by the agent of its parent, exactly
 * when the trace forks it. An agent waits for an op number on its command
 * pipe, does that op in its own address space (execute(), below) and
 * answers on its reply pipe. Agents never touch the window otherwise.
 */
struct reply {
	int32_t status; /* 0, an errno, or STATUS_SEGV */
	int32_t pid;    /* fork: the child's pid */
	uint64_t value; /* read: the value loaded */
};
#define STATUS_SEGV (-1)

static int cmd_pipe[NPROCS][2];   /* controller -> agent: an op number */
static int reply_pipe[NPROCS][2]; /* agent -> controller: a struct reply */

static void execute(int op, struct reply* r);

static _Noreturn void agent(int self)
{
	struct reply r;
	ssize_t n;
	int op;

	for (;;) {
		n = read(cmd_pipe[self][0], &op, sizeof(op));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(op))
			_exit(0); /* the controller is gone */
		memset(&r, 0, sizeof(r));
		execute(op, &r);
		if (write(reply_pipe[self][1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(0);
	}
}
)C";

const char* const kRuntimeFaults = R"C(
/* A user access that faults is the result SIGSEGV (SIGBUS too), caught here. */
static sigjmp_buf fault_jump;
static volatile sig_atomic_t fault_armed;

static void on_fault(int sig)
{
	if (fault_armed) {
		fault_armed = 0;
		siglongjmp(fault_jump, 1);
	}
	signal(sig, SIG_DFL); /* a fault outside a guarded access: die of it */
	raise(sig);
}

static void install_fault_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}
)C";

const char* const kRuntimeGuardedAccess = R"C(
/* A plain 8-byte load or store at `addr`, as a user program does it. */
static void guarded_access(struct reply* r, uint64_t addr, int store, uint64_t value)
{
	volatile uint64_t* p = (volatile uint64_t*)(uintptr_t)addr;

	if (sigsetjmp(fault_jump, 1)) {
		r->status = STATUS_SEGV;
		return;
	}
	fault_armed = 1;
	if (store)
		*p = value;
	else
		r->value = *p;
	fault_armed = 0;
}
)C";

const char* const kRuntimeMmapReply = R"C(
static void mmap_reply(struct reply* r, long res, uint64_t want, uint64_t len)
{
	if (res == -1) {
		r->status = errno;
	} else if ((uint64_t)res != want) {
		/* MAP_FIXED_NOREPLACE ignored (a kernel older than 4.17): leave nothing behind */
		syscall(__NR_munmap, res, len);
		r->status = EEXIST;
	}
}
)C";

const char* const kRuntimeSysReply = R"C(
static void sys_reply(struct reply* r, long res)
{
	if (res == -1)
		r->status = errno;
}
)C";

const char* const kRuntimeAgentFork = R"C(
/* In the agent of the parent: fork; the child becomes the agent `child`. */
static void agent_fork(struct reply* r, int child)
{
	pid_t pid = fork();

	if (pid == 0)
		agent(child);
	if (pid < 0)
		r->status = errno;
	else
		r->pid = pid;
}
)C";

const char* const kRuntimeController = R"C(
/*
 * The controller: steps the agents in trace order and observes them through
 * /proc after every op. It never maps the window itself.
 */
static pid_t pid_of[NPROCS]; /* 0: not live */
static int pidfd_of[NPROCS];

static void kill_agents(void)
{
	int i;

	for (i = 0; i < NPROCS; i++)
		if (pid_of[i])
			kill(pid_of[i], SIGKILL);
}

static _Noreturn __attribute__((format(printf, 2, 3))) void quit(int code, const char* fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	kill_agents();
	exit(code);
}
#define cannot_run(...) quit(EXIT_CANNOT_RUN, "cannot run here: " __VA_ARGS__)
#define machinery(...) quit(EXIT_MACHINERY, "machinery failure: " __VA_ARGS__)

/* The kernel's answer to the current op, as the trace language prints it. */
static char kernel_result[8192];
)C";

const char* const kRuntimeRequest = R"C(
/* The agent's reply, or its death, or 30 s of silence. */
static void await_reply(int proc, struct reply* r)
{
	struct pollfd p[2];
	ssize_t n;
	int rc;

	p[0].fd = reply_pipe[proc][0];
	p[0].events = POLLIN;
	p[1].fd = pidfd_of[proc];
	p[1].events = POLLIN;
	do
		rc = poll(p, 2, 30000);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		machinery("process %s (pid %d) did not answer", proc_name[proc], (int)pid_of[proc]);
	if (rc < 0 || !(p[0].revents & POLLIN))
		machinery("process %s (pid %d) died", proc_name[proc], (int)pid_of[proc]);
	do
		n = read(reply_pipe[proc][0], r, sizeof(*r));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*r))
		machinery("short reply from process %s", proc_name[proc]);
}

static struct reply request(int op, int proc)
{
	struct reply r;

	memset(&r, 0, sizeof(r));
	if (!pid_of[proc]) {
		r.status = ESRCH; /* not live: the model says ESRCH too */
		return r;
	}
	if (write(cmd_pipe[proc][1], &op, sizeof(op)) != (ssize_t)sizeof(op))
		machinery("cannot write to process %s: %s", proc_name[proc], strerror(errno));
	await_reply(proc, &r);
	return r;
}

static void set_result(const struct reply* r, int is_read)
{
	const char* name;

	if (r->status == STATUS_SEGV) {
		snprintf(kernel_result, sizeof(kernel_result), "SIGSEGV");
	} else if (r->status != 0) {
		name = errno_name(r->status);
		if (name)
			snprintf(kernel_result, sizeof(kernel_result), "%s", name);
		else
			snprintf(kernel_result, sizeof(kernel_result), "E%d", r->status);
	} else if (is_read) {
		snprintf(kernel_result, sizeof(kernel_result), "%llu", (unsigned long long)r->value);
	} else {
		snprintf(kernel_result, sizeof(kernel_result), "0");
	}
}
)C";

const char* const kRuntimeRun = R"C(
/* An op the process does itself: a syscall, or a store. */
static void run(int op, int proc)
{
	struct reply r = request(op, proc);

	set_result(&r, 0);
}
)C";

const char* const kRuntimeRunRead = R"C(
/* A load: the result is the value read, or SIGSEGV. */
static void run_read(int op, int proc)
{
	struct reply r = request(op, proc);

	set_result(&r, 1);
}
)C";

const char* const kRuntimeForkProc = R"C(
static void fork_proc(int op, int parent, int child)
{
	struct reply r = request(op, parent);

	if (r.status == 0) {
		pid_of[child] = r.pid;
		pidfd_of[child] = (int)syscall(__NR_pidfd_open, /*pid=*/r.pid, /*flags=*/0);
		if (pidfd_of[child] < 0)
			machinery("pidfd_open(%d): %s", (int)r.pid, strerror(errno));
	}
	set_result(&r, 0);
}
)C";

const char* const kRuntimeExitProc = R"C(
/* The agent exits; its mm is gone once its pidfd polls readable. */
static void exit_proc(int op, int proc)
{
	struct pollfd p;
	int rc;

	if (!pid_of[proc]) {
		snprintf(kernel_result, sizeof(kernel_result), "ESRCH");
		return;
	}
	if (write(cmd_pipe[proc][1], &op, sizeof(op)) != (ssize_t)sizeof(op))
		machinery("cannot write to process %s: %s", proc_name[proc], strerror(errno));
	p.fd = pidfd_of[proc];
	p.events = POLLIN;
	do
		rc = poll(&p, 1, 30000);
	while (rc < 0 && errno == EINTR);
	if (rc <= 0)
		machinery("process %s (pid %d) did not exit", proc_name[proc], (int)pid_of[proc]);
	close(pidfd_of[proc]);
	pid_of[proc] = 0;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		; /* p0, and agents re-parented to us (subreaper) */
	snprintf(kernel_result, sizeof(kernel_result), "0");
}
)C";

const char* const kRuntimeObserve = R"C(
/*
 * What the kernel shows, in the lines the model's prediction uses:
 *   p0 process                 a live process, by name
 *   p0 vma [0,4) rw-p          /proc/PID/maps: start and end page, perms
 *   p0 page 0 frame#1          /proc/PID/pagemap: present, an anon frame;
 *                              frames numbered by first appearance
 *   p0 page 2 zero             the shared zero page
 * VMAs are taken from the window and its guard gaps (outside the window a
 * page number is negative or past the end: the model never has one there).
 */
#define PAGE_ZERO 0
#define PAGE_ANON 1
#define PAGE_OTHER 2

struct obs_page {
	int proc;
	uint64_t page;
	uint64_t pfn;
	int kind;
	int frame; /* PAGE_ANON: its number, by first appearance */
};

static struct obs_page* obs;
static size_t n_obs, cap_obs;
static int n_frames;
static int checked; /* the last op checked */
static char* state;
static size_t state_len, state_cap;
static uint64_t zero_pfn;
static int kpageflags_fd = -1;

static __attribute__((format(printf, 1, 2))) void emit(const char* fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(state + state_len, state_cap - state_len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < state_cap - state_len)
			break;
		state_cap = state_cap * 2 + (size_t)(n > 0 ? n : 0) + 1;
		state = realloc(state, state_cap);
		if (!state)
			machinery("out of memory");
	}
	state_len += (size_t)n;
}

static char* read_text(const char* path)
{
	size_t len = 0, cap = 65536;
	char* buf = malloc(cap);
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || !buf)
		machinery("cannot read %s: %s", path, strerror(errno));
	for (;;) {
		if (cap - len < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				machinery("out of memory");
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			machinery("cannot read %s: %s", path, strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = 0;
	return buf;
}

static long long page_no(uint64_t addr)
{
	return (long long)(addr - WINDOW) / (long long)PAGE;
}

static int page_kind(uint64_t pfn)
{
	uint64_t f;

	if (pfn == zero_pfn)
		return PAGE_ZERO;
	if (kpageflags_fd < 0)
		return PAGE_ANON;
	if (pread(kpageflags_fd, &f, sizeof(f), (off_t)(pfn * 8)) != (ssize_t)sizeof(f))
		machinery("cannot read /proc/kpageflags: %s", strerror(errno));
	/* KPF_ANON, and neither KPF_KSM, KPF_THP, KPF_COMPOUND_HEAD nor _TAIL */
	if ((f >> 12 & 1) && !(f >> 21 & 1) && !(f >> 22 & 1) && !(f >> 15 & 1) && !(f >> 16 & 1))
		return PAGE_ANON;
	return PAGE_OTHER;
}

static void observe_pages(int proc, int pagemap, uint64_t start, uint64_t end)
{
	static uint64_t entry[512];
	struct obs_page* o;
	uint64_t a;
	size_t i, j, n;

	if (start < WINDOW)
		start = WINDOW;
	if (end > WINDOW_END)
		end = WINDOW_END;
	for (a = start; a < end; a += n * PAGE) {
		n = (size_t)((end - a) / PAGE);
		if (n > 512)
			n = 512;
		if (pread(pagemap, entry, n * 8, (off_t)(a / PAGE * 8)) != (ssize_t)(n * 8))
			machinery("cannot read the pagemap of %s: %s", proc_name[proc], strerror(errno));
		for (i = 0; i < n; i++) {
			if (!(entry[i] >> 63 & 1))
				continue; /* not present (there is no swap device) */
			if (n_obs == cap_obs) {
				cap_obs = cap_obs * 2 + 64;
				obs = realloc(obs, cap_obs * sizeof(*obs));
				if (!obs)
					machinery("out of memory");
			}
			o = &obs[n_obs];
			o->proc = proc;
			o->page = (uint64_t)page_no(a) + i;
			o->pfn = entry[i] & ((1ull << 55) - 1);
			o->kind = page_kind(o->pfn);
			o->frame = 0;
			if (o->kind == PAGE_ZERO) {
				emit("%s page %llu zero\n", proc_name[proc], (unsigned long long)o->page);
			} else if (o->kind == PAGE_ANON) {
				for (j = 0; j < n_obs && !o->frame; j++)
					if (obs[j].kind == PAGE_ANON && obs[j].pfn == o->pfn)
						o->frame = obs[j].frame;
				if (!o->frame)
					o->frame = ++n_frames;
				emit("%s page %llu frame#%d\n", proc_name[proc], (unsigned long long)o->page,
				     o->frame);
			} else {
				emit("%s page %llu not-an-anon-page\n", proc_name[proc],
				     (unsigned long long)o->page);
			}
			n_obs++;
		}
	}
}

static void observe_proc(int proc)
{
	char path[64], *text, *line, *next;
	uint64_t starts[4096], ends[4096];
	unsigned long long start, end;
	char perms[5];
	size_t n = 0, i;
	int pagemap;

	emit("%s process\n", proc_name[proc]);
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid_of[proc]);
	text = read_text(path);
	for (line = text; *line; line = next) {
		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if (sscanf(line, "%llx-%llx %4s", &start, &end, perms) != 3)
			machinery("cannot parse %s: %.40s", path, line);
		if (end <= WINDOW - GUARD || start >= WINDOW_END + GUARD)
			continue;
		if (n == sizeof(starts) / sizeof(starts[0]))
			machinery("more than %zu VMAs in the window", n);
		emit("%s vma [%lld,%lld) %s\n", proc_name[proc], page_no(start), page_no(end), perms);
		starts[n] = start;
		ends[n++] = end;
	}
	free(text);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid_of[proc]);
	pagemap = open(path, O_RDONLY);
	if (pagemap < 0)
		machinery("cannot open %s: %s", path, strerror(errno));
	for (i = 0; i < n; i++)
		observe_pages(proc, pagemap, starts[i], ends[i]);
	close(pagemap);
}

/* The state of every live process, by name, into `state`. */
static void observe(void)
{
	int p;

	if (!state) {
		state_cap = 4096;
		state = malloc(state_cap);
		if (!state)
			machinery("out of memory");
	}
	state_len = 0;
	state[0] = 0;
	n_obs = 0;
	n_frames = 0;
	for (p = 0; p < NPROCS; p++)
		if (pid_of[p])
			observe_proc(p);
}

/* Prints `text` with every line indented. */
static void print_indented(const char* text)
{
	const char* s = text;
	int n;

	if (!*s)
		printf("    (nothing: no live process)\n");
	while (*s) {
		n = (int)strcspn(s, "\n");
		printf("    %.*s\n", n, s);
		s += n;
		if (*s)
			s++;
	}
}

static _Noreturn void mismatch(int line, const char* want_state)
{
	printf("  at %s:%d; after it the model predicts:\n", trace_file, line);
	print_indented(want_state);
	printf("  and the kernel shows:\n");
	print_indented(state);
	quit(EXIT_MISMATCH, "MISMATCH: the kernel and the model differ (the first difference is above)");
}

/*
 * The self-check after op `op`: the kernel's result and state against the
 * model's prediction (computed by rmapcheck when it exported this program).
 */
static void check(int op, int line, const char* text, const char* want_result, const char* want_state)
{
	const char *a = want_state, *b;
	int la, lb;

	observe();
	b = state;
	if (strcmp(kernel_result, want_result) != 0) {
		printf("op %d \"%s\": expected result %s, kernel %s\n", op, text, want_result, kernel_result);
		mismatch(line, want_state);
	}
	while (*a || *b) {
		la = (int)strcspn(a, "\n");
		lb = (int)strcspn(b, "\n");
		if (la != lb || memcmp(a, b, (size_t)la) != 0) {
			printf("op %d \"%s\": expected %s%.*s%s, kernel %s%.*s%s\n", op, text,
			       la ? "\"" : "", la ? la : 9, la ? a : "(nothing)", la ? "\"" : "",
			       lb ? "\"" : "", lb ? lb : 9, lb ? b : "(nothing)", lb ? "\"" : "");
			mismatch(line, want_state);
		}
		a += la + (a[la] ? 1 : 0);
		b += lb + (b[lb] ? 1 : 0);
	}
	checked = op;
}
)C";

const char* const kRuntimeRmap = R"C(
/*
 * rmap P PAGE: no syscall shows who maps a folio. As `rmapcheck oracle`
 * does, the kernel's answer is every (process, page) whose PFN is the anon
 * frame P maps at PAGE; {} when P maps no anon page there (nothing, or the
 * zero page).
 */
static void rmap_query(int proc, uint64_t page)
{
	uint64_t pfn = 0;
	size_t i, len;

	if (!pid_of[proc]) {
		snprintf(kernel_result, sizeof(kernel_result), "ESRCH");
		return;
	}
	observe();
	for (i = 0; i < n_obs; i++)
		if (obs[i].proc == proc && obs[i].page == page && obs[i].kind == PAGE_ANON)
			pfn = obs[i].pfn;
	len = (size_t)snprintf(kernel_result, sizeof(kernel_result), "{");
	for (i = 0; pfn && i < n_obs && len < sizeof(kernel_result); i++)
		if (obs[i].kind == PAGE_ANON && obs[i].pfn == pfn)
			len += (size_t)snprintf(kernel_result + len, sizeof(kernel_result) - len, "%s%s:%llu",
						len > 1 ? " " : "", proc_name[obs[i].proc],
						(unsigned long long)obs[i].page);
	if (len < sizeof(kernel_result))
		snprintf(kernel_result + len, sizeof(kernel_result) - len, "}");
}
)C";

const char* const kRuntimeSetup = R"C(
/* The PFN of the shared zero page: a read fault of a fresh private page maps it. */
static void find_zero_page(void)
{
	volatile uint64_t* p;
	uint64_t e, flags;
	int fd;

	p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		cannot_run("mmap of a scratch page: %s", strerror(errno));
	(void)*p;
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0 || pread(fd, &e, sizeof(e), (off_t)((uintptr_t)p / PAGE * 8)) != (ssize_t)sizeof(e))
		cannot_run("cannot read /proc/self/pagemap: %s", strerror(errno));
	close(fd);
	munmap((void*)p, PAGE);
	zero_pfn = e & ((1ull << 55) - 1);
	if (!(e >> 63 & 1) || zero_pfn == 0)
		cannot_run("/proc/PID/pagemap shows no page frame numbers (they need CAP_SYS_ADMIN)");
	/* As root /proc/kpageflags is readable: confirm it (KPF_ZERO_PAGE), and tell anon pages. */
	kpageflags_fd = open("/proc/kpageflags", O_RDONLY);
	if (kpageflags_fd >= 0) {
		if (pread(kpageflags_fd, &flags, sizeof(flags), (off_t)(zero_pfn * 8)) != (ssize_t)sizeof(flags))
			cannot_run("cannot read /proc/kpageflags: %s", strerror(errno));
		if (!(flags >> 24 & 1))
			cannot_run("a read fault did not map the zero page (kpageflags %#llx)",
				   (unsigned long long)flags);
	}
}

/* The window and its guard gaps must be free: map them once, then unmap. */
static void probe_window(void)
{
	void* want = (void*)(uintptr_t)(WINDOW - GUARD);
	size_t len = (size_t)(WINDOW_END - WINDOW + 2 * GUARD);
	void* got;

	got = mmap(want, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (got == MAP_FAILED)
		cannot_run("the window [%#llx, %#llx) and its guard gaps are not free: mmap: %s",
			   (unsigned long long)WINDOW, (unsigned long long)WINDOW_END, strerror(errno));
	munmap(got, len);
	if (got != want)
		cannot_run("mmap ignored MAP_FIXED_NOREPLACE (a kernel older than 4.17)");
}

/* Every agent runs on one CPU, the highest this process may use: a folio's
 * reference in another CPU's LRU batch would turn a COW reuse into a copy. */
static int agent_cpu(void)
{
	cpu_set_t set;
	int cpu;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 0;
	for (cpu = CPU_SETSIZE - 1; cpu > 0; cpu--)
		if (CPU_ISSET(cpu, &set))
			break;
	return cpu;
}

static _Noreturn void first_agent(int cpu)
{
	cpu_set_t set;
	int i;

	for (i = 0; i < NPROCS; i++) {
		close(cmd_pipe[i][1]);
		close(reply_pipe[i][0]);
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		_exit(6);
	signal(SIGCHLD, SIG_IGN); /* agents forked by agents are reaped by the kernel */
	install_fault_handler();
	agent(FIRST);
}

static void setup(void)
{
	pid_t pid;
	int i, cpu;

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(kernel_result, sizeof(kernel_result), "0");
	if (geteuid() != 0)
		cannot_run("not root: /proc/PID/pagemap shows page frame numbers only with CAP_SYS_ADMIN");
	/* Anon THP would turn 4 KiB COW into large folios; fork inherits the setting. */
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0)
		cannot_run("prctl(PR_SET_THP_DISABLE): %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	find_zero_page();
	probe_window();
	cpu = agent_cpu();
	/* Agents whose parent agent exits are re-parented to us. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	for (i = 0; i < NPROCS; i++)
		if (pipe(cmd_pipe[i]) != 0 || pipe(reply_pipe[i]) != 0)
			cannot_run("pipe: %s (%d processes need 4 descriptors each)", strerror(errno), NPROCS);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		cannot_run("fork: %s", strerror(errno));
	if (pid == 0)
		first_agent(cpu);
	for (i = 0; i < NPROCS; i++) {
		close(cmd_pipe[i][0]);
		close(reply_pipe[i][1]);
	}
	pid_of[FIRST] = pid;
	pidfd_of[FIRST] = (int)syscall(__NR_pidfd_open, /*pid=*/pid, /*flags=*/0);
	if (pidfd_of[FIRST] < 0)
		cannot_run("pidfd_open: %s (Linux 5.3+)", strerror(errno));
}
)C";

const char* const kRuntimeDone = R"C(
static _Noreturn void done(void)
{
	quit(0, "ok: the kernel matched the model after every op of %s (%d ops)", trace_file, NOPS);
}
)C";

const char* const kRuntimePartial = R"C(
static _Noreturn void partial(int op, int line, const char* text, const char* why)
{
	quit(0, "PARTIAL: the kernel matched the model after each of the %d op(s) before op %d of %s; "
		"op %d \"%s\" (line %d) and the %d op(s) after it are NOT replayed or checked: %s",
	     checked, op, trace_file, op, text, line, NOPS - op, why);
}
)C";

// clang-format on

}  // namespace rmapcheck::exporter
