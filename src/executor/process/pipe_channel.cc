// pipe channel: length-prefixed messages over a pair of pipes.
//
//   server -> worker   RequestHeader, then data_len bytes of data
//   worker -> server   ReplyHeader, then message_len + result_len bytes
//
// The headers are copied as raw structs: both ends are the same binary on the
// same machine (fork, zygote or exec of /proc/self/exe), so layout and byte
// order agree. The worker holds the only write end of the reply pipe, so when
// it dies the server's read end reports EOF/POLLHUP: the reply pipe is also
// the lifeline. The server asks a worker to exit by closing the request pipe.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cstring>

#include "executor/process/ipc_channel.h"

namespace switchyard {
namespace {

struct RequestHeader {
  uint32_t mode;
  uint32_t sleep_ms;
  uint64_t iters;
  int64_t key;
  uint64_t data_len;
  int64_t model_version;
  uint64_t model_len;  // the model's name follows the header, then the data
};

struct ReplyHeader {
  int32_t code;
  uint32_t message_len;
  uint64_t result_len;
  int64_t start_us;
  int64_t end_us;
  int64_t gil_wait_us;
  int64_t gil_hold_us;
};

class PipeParentChannel final : public ParentChannel {
 public:
  PipeParentChannel(UniqueFd request_w, UniqueFd reply_r, size_t max_payload)
      : request_w_(std::move(request_w)), reply_r_(std::move(reply_r)), max_payload_(max_payload) {}

  bool PeerGone() override {
    pollfd pfd{reply_r_.get(), POLLIN, 0};
    return ::poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLERR)) != 0;
  }

  Status Send(const ScoreRequest& request) override {
    if (!request_w_.valid()) return Unavailable("the channel was closed");
    if (request.data.size() > max_payload_) return InvalidArgument("data exceeds max_payload_bytes");
    if (request.model.size() > kMaxModelNameBytes) return InvalidArgument("the model name is too long");
    RequestHeader h{static_cast<uint32_t>(request.mode), request.sleep_ms, request.iters, request.key,
                    request.data.size(), request.model_version, request.model.size()};
    iovec iov[3] = {{&h, sizeof h},
                    {const_cast<char*>(request.model.data()), request.model.size()},
                    {const_cast<char*>(request.data.data()), request.data.size()}};
    return WriteAllV(request_w_.get(), iov, 3);
  }

  Result<WorkerReply> Receive(int64_t deadline_us) override {
    ReplyHeader h{};
    Status s = ReadAll(reply_r_.get(), &h, sizeof h, deadline_us);
    if (!s.ok()) return s;
    if (h.message_len > kMaxReplyBytes || h.result_len > kMaxReplyBytes) {
      return Internal("ipc protocol error: reply lengths out of range");
    }
    std::string message(h.message_len, '\0');
    WorkerReply reply;
    reply.result.resize(h.result_len);
    if (h.message_len > 0) s = ReadAll(reply_r_.get(), message.data(), message.size(), deadline_us);
    if (s.ok() && h.result_len > 0) {
      s = ReadAll(reply_r_.get(), reply.result.data(), reply.result.size(), deadline_us);
    }
    if (!s.ok()) return s;
    auto code = static_cast<StatusCode>(h.code);
    if (code != StatusCode::kOk) reply.status = Status(code, std::move(message));
    reply.start_us = h.start_us;
    reply.end_us = h.end_us;
    reply.gil_wait_us = h.gil_wait_us;
    reply.gil_hold_us = h.gil_hold_us;
    return reply;
  }

  // EOF on the request pipe is the exit signal: closing never raises SIGPIPE.
  void RequestExit() override { request_w_.Reset(); }

 private:
  UniqueFd request_w_;
  UniqueFd reply_r_;
  const size_t max_payload_;
};

class PipeWorkerChannel final : public WorkerChannel {
 public:
  PipeWorkerChannel(UniqueFd request_r, UniqueFd reply_w, size_t max_payload)
      : request_r_(std::move(request_r)), reply_w_(std::move(reply_w)), max_payload_(max_payload) {}

  bool Receive(ScoreRequest& request) override {
    RequestHeader h{};
    if (!ReadAll(request_r_.get(), &h, sizeof h).ok()) return false;
    if (h.data_len > max_payload_ || h.model_len > kMaxModelNameBytes) return false;  // not our protocol: give up
    request.model.resize(h.model_len);
    if (h.model_len > 0 && !ReadAll(request_r_.get(), request.model.data(), h.model_len).ok()) return false;
    request.model_version = h.model_version;
    request.mode = static_cast<ScoreMode>(h.mode);
    request.sleep_ms = h.sleep_ms;
    request.iters = h.iters;
    request.key = h.key;
    request.data.resize(h.data_len);
    return h.data_len == 0 || ReadAll(request_r_.get(), request.data.data(), h.data_len).ok();
  }

  Status Send(const WorkerReply& reply) override {
    StatusCode code = reply.status.code();
    std::string_view message = reply.status.message();
    std::string_view result = reply.result;
    std::string overflow;
    if (result.size() > kMaxReplyBytes) {
      code = StatusCode::kInternal;
      overflow = "the result (" + std::to_string(result.size()) + " bytes) exceeds the ipc reply limit";
      message = overflow;
      result = {};
    }
    if (message.size() > kMaxReplyBytes) message = message.substr(0, kMaxReplyBytes);
    ReplyHeader h{static_cast<int32_t>(code), static_cast<uint32_t>(message.size()), result.size(),
                  reply.start_us, reply.end_us, reply.gil_wait_us, reply.gil_hold_us};
    iovec iov[3] = {{&h, sizeof h},
                    {const_cast<char*>(message.data()), message.size()},
                    {const_cast<char*>(result.data()), result.size()}};
    return WriteAllV(reply_w_.get(), iov, 3);
  }

 private:
  UniqueFd request_r_;
  UniqueFd reply_w_;
  const size_t max_payload_;
};

}  // namespace

Result<ChannelEnds> CreatePipeChannel(const ChannelOptions& options) {
  int request[2];
  int reply[2];
  if (::pipe2(request, O_CLOEXEC) < 0) return Internal(ErrnoMessage("pipe2", errno));
  UniqueFd request_r(request[0]);
  UniqueFd request_w(request[1]);
  if (::pipe2(reply, O_CLOEXEC) < 0) return Internal(ErrnoMessage("pipe2", errno));
  UniqueFd reply_r(reply[0]);
  UniqueFd reply_w(reply[1]);
  ChannelEnds ends;
  ends.parent = std::make_unique<PipeParentChannel>(std::move(request_w), std::move(reply_r),
                                                    options.max_payload_bytes);
  ends.worker_fds.push_back(std::move(request_r));
  ends.worker_fds.push_back(std::move(reply_w));
  return ends;
}

Result<std::unique_ptr<WorkerChannel>> OpenPipeWorkerChannel(std::vector<UniqueFd> fds,
                                                             const ChannelOptions& options) {
  return std::unique_ptr<WorkerChannel>(
      std::make_unique<PipeWorkerChannel>(std::move(fds[0]), std::move(fds[1]), options.max_payload_bytes));
}

}  // namespace switchyard
