// IPC channel: how one ScoreRequest travels from the server to a worker
// process and its outcome comes back.
//
// Two implementations behind one interface, so the process executor does not
// care which one runs (`--ipc shm|pipe`, so the cost of the IPC itself can be
// measured):
//   shm   one memfd region per worker with a request slot and a result slot,
//         eventfd wake-ups in each direction after a short busy-poll on the
//         shared sequence word, and a socketpair as the lifeline whose peer
//         end only the worker holds (shm_channel.cc);
//   pipe  length-prefixed messages over a pipe pair; the result pipe doubles
//         as the lifeline (pipe_channel.cc).
//
// Protocol (both kinds): the worker first sends a hello (ok, or the error that
// kept it from starting), then for each request exactly one reply. The server
// never has more than one request outstanding per worker.
//
// Lifeline: every descriptor of the worker end is held by the worker process
// alone (the server closes its copies after handing them over), so when the
// worker dies the kernel closes them and the server end sees a hangup.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/request.h"
#include "core/status.h"
#include "executor/executor.h"
#include "executor/process/process_util.h"
#include "executor/process/unique_fd.h"

namespace switchyard {

// What both ends agree on when the channel is created.
struct ChannelOptions {
  size_t max_payload_bytes = 1 << 20;  // largest ScoreRequest::data
  int spin_us = 50;                    // busy-poll before blocking (shm only)
};

// The longest model name a request can carry to a worker process.
inline constexpr size_t kMaxModelNameBytes = 256;

// The reply slot can hold this much of message + result; cpu results are
// 66 bytes and kv values 100; infer results are the output tensors' bytes
// (MobileNet's: 4 KB).
inline constexpr size_t kMaxReplyBytes = 64 * 1024;

// A worker's answer: the hello, or the outcome of one request with the
// worker's own SteadyClock stamps (CLOCK_MONOTONIC: comparable across
// processes).
struct WorkerReply {
  Status status;
  std::string result;
  int64_t start_us = 0;
  int64_t end_us = 0;
  int64_t gil_wait_us = -1;  // a Python model's GIL figures (InferStats), -1 otherwise
  int64_t gil_hold_us = -1;
};

// The server end. Two sides, each externally synchronized, which may run
// concurrently on two threads: the send side (Send, RequestExit, PeerGone)
// and the receive side (Receive). The process executor sends from the thread
// that submits a job while the worker's dispatcher thread waits in Receive.
// Lifetime: destroying it closes the server's descriptors, which a worker
// waiting for a request sees as "exit".
class ParentChannel {
 public:
  virtual ~ParentChannel() = default;

  // True when the worker end is known to be closed (its process died),
  // without blocking. Lets the dispatcher replace a worker that died while
  // idle before handing it a job, so that death fails no request.
  virtual bool PeerGone() = 0;

  // Hands `request` to the worker. Unavailable if the worker is gone and the
  // request was certainly not delivered. data.size() must be at most
  // max_payload_bytes (the executor checks first).
  virtual Status Send(const ScoreRequest& request) = 0;

  // Waits for the next reply (the hello first, then one per Send).
  // Unavailable: the worker died before replying. DeadlineExceeded: none came
  // by `deadline_us` (SteadyClock; kNoDeadline waits forever).
  virtual Result<WorkerReply> Receive(int64_t deadline_us) = 0;

  // Asks the worker to exit after its current request; never blocks for long
  // and never raises SIGPIPE.
  virtual void RequestExit() = 0;
};

// The worker end. Not thread-safe (workers are single-threaded).
class WorkerChannel {
 public:
  virtual ~WorkerChannel() = default;

  // Blocks for the next request and stores it in `request` (buffers reused).
  // False when the server asked us to exit or its end is gone.
  virtual bool Receive(ScoreRequest& request) = 0;

  // Sends the hello or a reply. Non-ok when the server end is gone.
  virtual Status Send(const WorkerReply& reply) = 0;
};

// Both ends of a fresh channel: the server keeps `parent`; `worker_fds` go to
// the worker process (inherited across fork, passed with SCM_RIGHTS to the
// zygote, or inherited across exec) and the server then closes its copies.
// All descriptors are close-on-exec.
struct ChannelEnds {
  std::unique_ptr<ParentChannel> parent;
  std::vector<UniqueFd> worker_fds;
};

Result<ChannelEnds> CreateChannel(IpcKind kind, const ChannelOptions& options);

// Opens the worker end from the descriptors CreateChannel gave out, in order.
Result<std::unique_ptr<WorkerChannel>> OpenWorkerChannel(IpcKind kind, std::vector<UniqueFd> fds,
                                                         const ChannelOptions& options);

// How many descriptors a worker end of `kind` has.
size_t WorkerFdCount(IpcKind kind);

// The implementations, for CreateChannel/OpenWorkerChannel and tests.
Result<ChannelEnds> CreateShmChannel(const ChannelOptions& options);
Result<std::unique_ptr<WorkerChannel>> OpenShmWorkerChannel(std::vector<UniqueFd> fds,
                                                            const ChannelOptions& options);
Result<ChannelEnds> CreatePipeChannel(const ChannelOptions& options);
Result<std::unique_ptr<WorkerChannel>> OpenPipeWorkerChannel(std::vector<UniqueFd> fds,
                                                             const ChannelOptions& options);

}  // namespace switchyard
