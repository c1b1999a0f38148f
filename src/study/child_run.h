// RunChild: runs a command as a child process to its end, or until a
// deadline, for a study cell that must not share the study's process (the
// processes loader forks and needs a single-threaded process; a crash must
// fail only its cell).
//
// The child runs in its own process group, with stdin from /dev/null and its
// stdout and stderr written to a log file, and asks for SIGTERM when the
// study dies (PR_SET_PDEATHSIG), so an interrupted study leaves nothing
// running. At the deadline the whole group gets SIGTERM, then SIGKILL two
// seconds later; once the child has exited, whatever is left of its group
// (a worker that outlived it) is killed too.
//
// Blocks the calling thread for the child's life. Thread-safe for distinct
// log files. The parent-death signal follows the calling thread: call it
// from a thread that outlives the child (the study's main thread).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace switchyard {

struct ChildOutcome {
  int exit_status = -1;     // the exit code, or 128+N when a signal N ended it
  bool timed_out = false;   // killed at the deadline
  double wall_s = 0;        // from fork to reaping
  std::string output_tail;  // the end of what it printed (at most about 2,000 characters), or "(no output)"
};

// Runs argv[0] (a path, not searched in PATH) with `argv`, writing its output
// to `log_path` (created or truncated). Unavailable when it cannot be started
// at all (the log file cannot be created, fork fails); a program that cannot
// be executed exits 127 like a shell's.
Result<ChildOutcome> RunChild(const std::vector<std::string>& argv, const std::string& log_path,
                              int64_t timeout_us);

}  // namespace switchyard
