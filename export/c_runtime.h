// c_runtime.h - the fixed pieces of an exported C program (c_runtime.cpp).
//
// Each is C source text, emitted by export_c.cpp in this order, some only
// when the trace uses what they serve (noted), so no static function is left
// unused. They expect the generated configuration before them (NPROCS, NOPS,
// FIRST, proc_name[], trace_file[], WINDOW, WINDOW_END, PAGE, GUARD, the exit
// codes), errno_name() right before kRuntimeRequest, and execute() and main()
// after them.
#pragma once

namespace rmapcheck::exporter {

extern const char* const kRuntimeAgent;          // the agent loop and its pipes
extern const char* const kRuntimeFaults;         // the SIGSEGV/SIGBUS handler
extern const char* const kRuntimeGuardedAccess;  // read, write
extern const char* const kRuntimeMmapReply;      // mmap
extern const char* const kRuntimeSysReply;       // munmap, mprotect, madvise, mremap
extern const char* const kRuntimeAgentFork;      // fork
extern const char* const kRuntimeController;     // quit(), the kernel's result
extern const char* const kRuntimeRequest;        // any op an agent performs and answers
extern const char* const kRuntimeRun;            // mmap ... mremap, write
extern const char* const kRuntimeRunRead;        // read
extern const char* const kRuntimeForkProc;       // fork
extern const char* const kRuntimeExitProc;       // exit
extern const char* const kRuntimeObserve;        // /proc, the state lines, check()
extern const char* const kRuntimeRmap;           // rmap
extern const char* const kRuntimeSetup;          // root, THP, zero page, window, p0
extern const char* const kRuntimeDone;           // every op replayed
extern const char* const kRuntimePartial;        // a failalloc (or the process limit) stops it

}  // namespace rmapcheck::exporter
