#include "executor/process/zygote.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "executor/process/process_util.h"

namespace switchyard {
namespace {

enum : uint32_t { kOpFork = 1, kOpExit = 2 };
constexpr size_t kMaxFds = 4;
constexpr size_t kMaxDbPath = 4096;

// Server -> zygote. Plain bytes: both ends are the same binary.
struct ForkRequest {
  uint32_t op;
  uint32_t ipc;
  uint64_t max_payload_bytes;
  int32_t spin_us;
  uint32_t serve_models;      // give the worker the zygote's preloaded models
  int32_t intra_op_threads;
  uint32_t db_path_len;
  char db_path[kMaxDbPath];
};

// Zygote -> server; a pidfd of the new worker rides along when the kernel has
// pidfd_open.
struct ForkReply {
  int32_t pid;  // > 0, or -1 with err
  int32_t err;
};

Status SendWithFds(int sock, const void* data, size_t size, const std::vector<int>& fds) {
  iovec iov{const_cast<void*>(data), size};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)] = {};
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  for (;;) {
    // MSG_NOSIGNAL: a dead zygote is an error value, not a SIGPIPE.
    if (::sendmsg(sock, &msg, MSG_NOSIGNAL) >= 0) return Status::Ok();
    if (errno != EINTR) return Unavailable(ErrnoMessage("send to the zygote", errno));
  }
}

// Returns the byte count (0: peer closed), or -1 with errno. Received
// descriptors are close-on-exec and owned by `fds`.
ssize_t RecvWithFds(int sock, void* data, size_t size, std::vector<UniqueFd>& fds) {
  iovec iov{data, size};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return n;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      fds.emplace_back(fd);
    }
  }
  return n;
}

// The zygote process: single-threaded, forks workers until the server closes
// the socket or sends kOpExit.
[[noreturn]] void ZygoteMain(pid_t server, UniqueFd sock, std::shared_ptr<const ModelRepository> models) {
  if (!BecomeChildOf(server)) ::_exit(1);
  ::prctl(PR_SET_NAME, "switchyard-zyg");
  CloseAllFdsExcept({sock.get()});
  // Workers are reaped by the kernel the moment they exit: the zygote never
  // waits for them, and the server follows them through their pidfds.
  std::signal(SIGCHLD, SIG_IGN);
  for (;;) {
    ForkRequest request{};
    std::vector<UniqueFd> fds;
    ssize_t n = RecvWithFds(sock.get(), &request, sizeof request, fds);
    if (n <= 0 || request.op == kOpExit) ::_exit(0);  // the server is gone or done
    ForkReply reply{-1, 0};
    WorkerSpec spec;
    spec.ipc = request.ipc == static_cast<uint32_t>(IpcKind::kPipe) ? IpcKind::kPipe : IpcKind::kShm;
    spec.channel.max_payload_bytes = request.max_payload_bytes;
    spec.channel.spin_us = request.spin_us;
    if (static_cast<size_t>(n) != sizeof request || request.op != kOpFork ||
        request.db_path_len >= kMaxDbPath || fds.size() != WorkerFdCount(spec.ipc)) {
      reply.err = EINVAL;
    } else {
      spec.workload.db_path.assign(request.db_path, request.db_path_len);
      if (request.serve_models != 0) spec.workload.models = models;
      spec.workload.intra_op_threads = request.intra_op_threads;
      const pid_t self = ::getpid();
      pid_t pid = ::fork();
      if (pid == 0) ForkedWorkerMain(self, spec, std::move(fds));
      reply.pid = pid;
      reply.err = pid < 0 ? errno : 0;
    }
    fds.clear();  // the worker holds the only copies now
    UniqueFd pidfd = reply.pid > 0 ? OpenPidfd(reply.pid) : UniqueFd();
    std::vector<int> attach;
    if (pidfd.valid()) attach.push_back(pidfd.get());
    if (!SendWithFds(sock.get(), &reply, sizeof reply, attach).ok()) ::_exit(0);
  }
}

}  // namespace

Result<std::unique_ptr<Zygote>> Zygote::Start(std::shared_ptr<const ModelRepository> models) {
  Status alone = RequireSingleThreaded("forking the zygote");
  if (!alone.ok()) return alone;
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    return Internal(ErrnoMessage("socketpair for the zygote", errno));
  }
  UniqueFd server_end(sv[0]);
  UniqueFd zygote_end(sv[1]);
  const pid_t server = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return Unavailable(ErrnoMessage("fork of the zygote", errno));
  if (pid == 0) {
    server_end.Reset();
    ZygoteMain(server, std::move(zygote_end), std::move(models));
  }
  return std::unique_ptr<Zygote>(new Zygote(pid, std::move(server_end)));
}

Zygote::~Zygote() {
  {
    MutexLock lock(mu_);
    ForkRequest request{};
    request.op = kOpExit;
    (void)SendWithFds(socket_.get(), &request, sizeof request, {});
    socket_.Reset();
  }
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

Result<std::unique_ptr<WorkerProcess>> Zygote::ForkWorker(const WorkerSpec& spec) {
  if (spec.workload.db_path.size() >= kMaxDbPath) {
    return InvalidArgument("database path is longer than " + std::to_string(kMaxDbPath - 1) + " bytes");
  }
  auto ends = CreateChannel(spec.ipc, spec.channel);
  if (!ends.ok()) return ends.status();
  auto request = std::make_unique<ForkRequest>();
  request->op = kOpFork;
  request->ipc = static_cast<uint32_t>(spec.ipc);
  request->max_payload_bytes = spec.channel.max_payload_bytes;
  request->spin_us = spec.channel.spin_us;
  request->serve_models = spec.workload.models != nullptr || !spec.workload.models_dir.empty() ? 1 : 0;
  request->intra_op_threads = spec.workload.intra_op_threads;
  request->db_path_len = static_cast<uint32_t>(spec.workload.db_path.size());
  std::memcpy(request->db_path, spec.workload.db_path.data(), spec.workload.db_path.size());
  std::vector<int> fds;
  for (const UniqueFd& fd : ends->worker_fds) fds.push_back(fd.get());

  ForkReply reply{};
  std::vector<UniqueFd> received;
  {
    MutexLock lock(mu_);
    if (!socket_.valid()) return Unavailable("the zygote was stopped");
    Status sent = SendWithFds(socket_.get(), request.get(), sizeof *request, fds);
    if (!sent.ok()) return Unavailable("the forkserver zygote (pid " + std::to_string(pid_) + ") is gone");
    // The message in flight holds its own references: close ours now, so the
    // worker's copies are the only ones once the zygote closes its own.
    ends->worker_fds.clear();
    ssize_t n = RecvWithFds(socket_.get(), &reply, sizeof reply, received);
    if (n != static_cast<ssize_t>(sizeof reply)) {
      return Unavailable("the forkserver zygote (pid " + std::to_string(pid_) + ") is gone");
    }
  }
  if (reply.pid <= 0) {
    return Unavailable(ErrnoMessage("the zygote could not fork a worker", reply.err));
  }
  UniqueFd pidfd = received.empty() ? UniqueFd() : std::move(received.front());
  return std::make_unique<WorkerProcess>(reply.pid, std::move(pidfd), /*is_child=*/false,
                                         std::move(ends->parent));
}

}  // namespace switchyard
