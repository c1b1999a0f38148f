// Small OS helpers shared by the server, zygote and worker sides of the
// process executor: full reads/writes with deadlines, descriptor hygiene
// after fork, and the parent-death setup every child process performs.
//
// All functions are thread-safe in the sense of the syscalls they wrap; the
// ones documented "after fork" are meant for a child that is single-threaded.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "executor/process/unique_fd.h"

namespace switchyard {

// "what: strerror(err)".
std::string ErrnoMessage(std::string_view what, int err);

// No deadline: wait as long as it takes.
inline constexpr int64_t kNoDeadline = -1;

// poll() timeout in milliseconds until `deadline_us` (SteadyClock), rounded
// up so we never wake early and spin; -1 for kNoDeadline.
int PollTimeoutMs(int64_t deadline_us);

// Writes every byte of `iov`, retrying on EINTR and partial writes. EPIPE
// (the reader is gone) becomes Unavailable. The caller must not be killable by
// SIGPIPE: ignore it process-wide or block it in the calling thread.
Status WriteAllV(int fd, iovec* iov, int iovcnt);
Status WriteAll(int fd, const void* data, size_t size);

// Reads exactly `size` bytes. Unavailable on EOF (the writer is gone, also
// mid-message), DeadlineExceeded when `deadline_us` passes first.
Status ReadAll(int fd, void* data, size_t size, int64_t deadline_us = kNoDeadline);

// After fork, in the (single-threaded) child: closes every descriptor except
// 0, 1, 2 and `keep`, so the child holds no other worker's channel ends (a
// leaked end would hide that worker's death from the server).
void CloseAllFdsExcept(std::vector<int> keep);

// In a new child process: asks for SIGKILL when the parent (strictly, the
// parent *thread* that forked us) exits, then checks that the parent is still
// `expected_parent`; if it already changed, the parent died before the request
// took effect and the child must leave. Also sets the signal dispositions of a
// switchyard child: SIGINT/SIGTERM ignored (a terminal's Ctrl-C reaches the
// whole process group; our lifetime follows the server instead, which drains
// first and then tells us to exit), SIGPIPE ignored (a vanished peer shows up
// as EPIPE), everything else default and unblocked. Returns false if the
// parent is already gone.
bool BecomeChildOf(pid_t expected_parent);

// Blocks SIGPIPE in the calling thread for the rest of its life, so writes to
// a dead worker's pipe fail with EPIPE instead of killing the server.
void BlockSigpipeInThisThread();

// Ok when the calling process has exactly one thread; otherwise
// FailedPrecondition-like InvalidArgument explaining that `what` (a fork)
// needs a single-threaded process and naming the threads found (a library
// that starts threads when it loads, such as the pthread build of OpenBLAS,
// is the usual culprit).
Status RequireSingleThreaded(std::string_view what);

// pidfd_open(pid); invalid if the kernel lacks it or the process is gone.
UniqueFd OpenPidfd(pid_t pid);

// Waits until process `pid` no longer exists (reaping it when it is our child),
// escalating to SIGKILL after `grace_us`. `pidfd` may be invalid (then it
// polls). Returns once the pid is gone from the process table, except that a
// non-child whose parent never reaps it stays a zombie.
void WaitForProcessExit(pid_t pid, const UniqueFd& pidfd, bool is_child, int64_t grace_us);

}  // namespace switchyard
