// Process-tree figures: what the OS says a process and its descendants cost.
//
// The server is a tree — the server process, the zygote it forks, the worker
// processes the zygote forks (and, with start method spawn, workers the
// server spawns itself) — so comparing executors fairly means adding up the
// whole tree, not just the pid that answers HTTP. Everything here is read
// from /proc on demand; nothing is cached.
//
// Where each figure comes from, and why:
//  - CPU time and page faults: /proc/PID/stat fields utime, stime, minflt,
//    majflt. For a process these already cover all its threads, including
//    threads that have exited (the kernel keeps their share in the thread
//    group's signal_struct). The c* fields (reaped children) are NOT used:
//    children still alive are counted as tree members in their own right, and
//    children reaped by a parent that ignores SIGCHLD (the zygote) are never
//    added to cutime anyway.
//  - Context switches: /proc/PID/status `voluntary_ctxt_switches` and
//    `nonvoluntary_ctxt_switches` are those of the *main thread only* (checked
//    on Linux 6.18: a process whose second thread blocked 2000 times shows 4),
//    so they are summed over /proc/PID/task/*/status. A thread that has
//    exited takes its switches with it there; for the calling process itself
//    getrusage(RUSAGE_SELF) is used instead, which does include them.
//  - RSS and PSS: /proc/PID/smaps_rollup (kB). PSS splits each shared page
//    among the processes mapping it, so PSS adds up across a tree without
//    counting copy-on-write model weights once per worker; RSS does not.
//
// Descendants are found by scanning /proc/[0-9]*/stat for parent pids:
// /proc/PID/task/TID/children would be cheaper but needs CONFIG_PROC_CHILDREN,
// which the kernel of the measurement VM lacks.
//
// The figures are a snapshot of the processes alive at the time of reading:
// a process that exited (or is a zombie) is no longer counted, so the CPU and
// fault sums of a tree can go down when a worker dies. Take differences over
// a window only when no process of the tree ended within it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "core/status.h"

namespace switchyard {

// One process (thread group). A plain value: not synchronized.
struct ProcessFigures {
  pid_t pid = 0;
  pid_t ppid = 0;
  int threads = 0;  // num_threads from /proc/PID/stat
  double cpu_user_s = 0;
  double cpu_system_s = 0;
  uint64_t voluntary_ctxt_switches = 0;
  uint64_t involuntary_ctxt_switches = 0;
  uint64_t minor_faults = 0;
  uint64_t major_faults = 0;
  uint64_t rss_bytes = 0;
  uint64_t pss_bytes = 0;
};

// A sum over a process tree. A plain value: not synchronized.
struct ProcessTreeFigures {
  int processes = 0;
  double cpu_user_s = 0;
  double cpu_system_s = 0;
  uint64_t voluntary_ctxt_switches = 0;
  uint64_t involuntary_ctxt_switches = 0;
  uint64_t minor_faults = 0;
  uint64_t major_faults = 0;
  uint64_t rss_bytes = 0;
  uint64_t pss_bytes = 0;

  void Add(const ProcessFigures& p);
};

// Reads one process. NotFound if it does not exist or has exited (a zombie:
// it no longer runs or holds memory); Internal for any other failure (e.g.
// permission denied on smaps_rollup of another user's process), naming the
// file and errno. Thread-safe (reads /proc only).
Result<ProcessFigures> ReadProcess(pid_t pid);

// `root` and every live descendant, root first, in no particular order after
// it. NotFound if `root` does not exist. Thread-safe.
Result<std::vector<pid_t>> ListProcessTree(pid_t root);

// Test seam: called with the pids of the tree after they are listed and
// before any is read, so a test can end one of them in between.
using AfterListingHook = std::function<void(const std::vector<pid_t>&)>;

// Sums ReadProcess over ListProcessTree(root). A descendant that vanishes
// between listing and reading (or whose pid was reused by a process outside
// the tree meanwhile) is skipped, not an error. Fails if the root cannot be
// read, or a descendant fails for a reason other than having exited.
// Thread-safe. Cost: finding the tree reads /proc/N/stat of every process
// on the machine (~10 us each on the 2-core VM: 0.8 ms for its ~85), then
// reading costs 3 + threads files per member (~75 us for a server process
// with 5 threads): about 1.1 ms for a server, its zygote and 2 workers.
Result<ProcessTreeFigures> ReadProcessTree(pid_t root, const AfterListingHook& after_listing = {});

}  // namespace switchyard
