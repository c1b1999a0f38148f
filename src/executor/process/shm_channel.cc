// shm channel: one shared-memory region per worker.
//
// Layout of the memfd region (mapped MAP_SHARED by the server and the worker;
// a memfd rather than an anonymous mapping so that it can be handed to a
// zygote-forked or exec'd worker as a descriptor):
//
//   ShmLayout   control words (each on its own cache line), the request
//               header and the reply header
//   request data   request_capacity bytes (ScoreRequest::data)
//   reply bytes    reply_capacity bytes (message, then result)
//
// Hand-off: the writer fills a slot, then publishes it by storing a larger
// sequence number (seq_cst). The reader busy-polls that word for spin_us
// (a cross-core wake-up costs 15-18 us on our machines, a polled cache line
// about 1 us), then announces that it is going to sleep by setting its
// `*_sleeping` word and blocks in poll() on its eventfd. The writer, after
// publishing, writes the eventfd only if the reader announced sleep. Both
// sides use seq_cst for the publish/announce pair (a Dekker handshake): either
// the reader sees the new sequence when it re-checks after announcing, or the
// writer sees the announcement, so no wake-up is lost. Extra eventfd counts
// only cause a spurious wake, after which the reader re-checks.
//
// The reader also polls the lifeline socket: its peer end is held only by the
// other process, so a hangup there means the other side died (or the server
// closed the channel, which a worker takes as "exit").
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <atomic>
#include <cstring>

#include "core/clock.h"
#include "executor/process/ipc_channel.h"

namespace switchyard {
namespace {

enum : uint32_t { kOpRun = 1, kOpExit = 2 };

struct ShmLayout {
  alignas(64) uint64_t request_seq;  // server publishes request n
  alignas(64) uint32_t worker_sleeping;
  alignas(64) uint64_t reply_seq;  // worker publishes reply n (hello is 1)
  alignas(64) uint32_t server_sleeping;
  // Request header, written by the server before request_seq.
  alignas(64) uint32_t op;
  uint32_t mode;
  uint64_t iters;
  int64_t key;
  uint32_t sleep_ms;
  uint64_t data_len;
  int64_t model_version;
  uint32_t model_len;
  char model[kMaxModelNameBytes];
  // Reply header, written by the worker before reply_seq.
  alignas(64) int32_t code;
  uint32_t message_len;
  uint64_t result_len;
  int64_t start_us;
  int64_t end_us;
  int64_t gil_wait_us;
  int64_t gil_hold_us;
  // Written once by the server before the worker exists.
  uint64_t request_capacity;
  uint64_t reply_capacity;
};

constexpr size_t kDataOffset = (sizeof(ShmLayout) + 63) / 64 * 64;

size_t RegionSize(uint64_t request_capacity, uint64_t reply_capacity) {
  size_t size = kDataOffset + (request_capacity + 63) / 64 * 64 + reply_capacity;
  return (size + 4095) / 4096 * 4096;
}

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

template <typename T>
std::atomic_ref<T> Atomic(T& word) {
  return std::atomic_ref<T>(word);
}

enum class Wait { kReady, kPeerGone, kTimeout };

// Spins for `spin_us`, then sleeps on `efd` (announced in `sleeping`) until
// `ready()`, a hangup on `lifeline`, or `deadline_us`.
template <typename Ready>
Wait SpinThenWait(Ready ready, int spin_us, uint32_t& sleeping, int efd, int lifeline,
                  int64_t deadline_us) {
  if (ready()) return Wait::kReady;
  if (spin_us > 0) {
    int64_t spin_until = SteadyClock::Now() + spin_us;
    for (unsigned i = 1;; ++i) {
      CpuRelax();
      if (ready()) return Wait::kReady;
      if ((i & 31) == 0 && SteadyClock::Now() >= spin_until) break;
    }
  }
  for (;;) {
    Atomic(sleeping).store(1, std::memory_order_seq_cst);
    if (ready()) {
      Atomic(sleeping).store(0, std::memory_order_relaxed);
      return Wait::kReady;
    }
    pollfd pfds[2] = {{efd, POLLIN, 0}, {lifeline, POLLIN | POLLRDHUP, 0}};
    int r = ::poll(pfds, 2, PollTimeoutMs(deadline_us));
    Atomic(sleeping).store(0, std::memory_order_relaxed);
    if (r < 0 && errno != EINTR) return Wait::kPeerGone;  // cannot wait: treat as broken
    if (r > 0 && (pfds[0].revents & POLLIN)) {
      uint64_t count;
      [[maybe_unused]] ssize_t n = ::read(efd, &count, sizeof count);  // non-blocking drain
    }
    if (ready()) return Wait::kReady;
    // Nobody ever writes to the lifeline: any event on it is the peer's exit.
    if (r > 0 && pfds[1].revents != 0) return Wait::kPeerGone;
    if (r == 0 && deadline_us != kNoDeadline && SteadyClock::Now() >= deadline_us) {
      return Wait::kTimeout;
    }
  }
}

void Wake(int efd) {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(efd, &one, sizeof one);
}

bool HungUp(int lifeline) {
  pollfd pfd{lifeline, POLLIN | POLLRDHUP, 0};
  return ::poll(&pfd, 1, 0) > 0 && pfd.revents != 0;
}

// Owns one mapping of the region.
class Mapping {
 public:
  Mapping(void* addr, size_t size) : addr_(addr), size_(size) {}
  ~Mapping() { ::munmap(addr_, size_); }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ShmLayout& layout() const { return *static_cast<ShmLayout*>(addr_); }
  char* request_data() const { return static_cast<char*>(addr_) + kDataOffset; }
  char* reply_data() const {
    return request_data() + (layout().request_capacity + 63) / 64 * 64;
  }

 private:
  void* addr_;
  size_t size_;
};

Result<std::unique_ptr<Mapping>> Map(int memfd, size_t size) {
  void* addr = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
  if (addr == MAP_FAILED) return Internal(ErrnoMessage("mmap of the ipc region", errno));
  return std::make_unique<Mapping>(addr, size);
}

class ShmParentChannel final : public ParentChannel {
 public:
  ShmParentChannel(std::unique_ptr<Mapping> map, UniqueFd request_efd, UniqueFd reply_efd,
                   UniqueFd lifeline, int spin_us)
      : map_(std::move(map)),
        request_efd_(std::move(request_efd)),
        reply_efd_(std::move(reply_efd)),
        lifeline_(std::move(lifeline)),
        spin_us_(spin_us) {}

  bool PeerGone() override { return HungUp(lifeline_.get()); }

  Status Send(const ScoreRequest& request) override {
    ShmLayout& l = map_->layout();
    if (request.data.size() > l.request_capacity) {
      return InvalidArgument("data does not fit the shared-memory slot");
    }
    if (request.model.size() > kMaxModelNameBytes) return InvalidArgument("the model name is too long");
    l.op = kOpRun;
    l.mode = static_cast<uint32_t>(request.mode);
    l.iters = request.iters;
    l.key = request.key;
    l.sleep_ms = request.sleep_ms;
    l.data_len = request.data.size();
    l.model_version = request.model_version;
    l.model_len = static_cast<uint32_t>(request.model.size());
    if (!request.model.empty()) std::memcpy(l.model, request.model.data(), request.model.size());
    if (!request.data.empty()) std::memcpy(map_->request_data(), request.data.data(), request.data.size());
    Publish();
    return Status::Ok();
  }

  Result<WorkerReply> Receive(int64_t deadline_us) override {
    ShmLayout& l = map_->layout();
    const uint64_t want = next_reply_;
    Wait w = SpinThenWait(
        [&] { return Atomic(l.reply_seq).load(std::memory_order_acquire) >= want; }, spin_us_,
        l.server_sleeping, reply_efd_.get(), lifeline_.get(), deadline_us);
    if (w == Wait::kPeerGone) return Unavailable("the worker closed its channel");
    if (w == Wait::kTimeout) return Status(StatusCode::kDeadlineExceeded, "no reply from the worker in time");
    ++next_reply_;
    WorkerReply reply;
    // Lengths come from the other process: clamp them to the slot.
    uint64_t cap = l.reply_capacity;
    uint64_t message_len = std::min<uint64_t>(l.message_len, cap);
    uint64_t result_len = std::min<uint64_t>(l.result_len, cap - message_len);
    const char* bytes = map_->reply_data();
    auto code = static_cast<StatusCode>(l.code);
    if (code != StatusCode::kOk) reply.status = Status(code, std::string(bytes, message_len));
    reply.result.assign(bytes + message_len, result_len);
    reply.start_us = l.start_us;
    reply.end_us = l.end_us;
    reply.gil_wait_us = l.gil_wait_us;
    reply.gil_hold_us = l.gil_hold_us;
    return reply;
  }

  void RequestExit() override {
    map_->layout().op = kOpExit;
    Atomic(map_->layout().request_seq).store(++request_seq_, std::memory_order_seq_cst);
    Wake(request_efd_.get());
  }

 private:
  void Publish() {
    ShmLayout& l = map_->layout();
    Atomic(l.request_seq).store(++request_seq_, std::memory_order_seq_cst);
    if (Atomic(l.worker_sleeping).load(std::memory_order_seq_cst) != 0) Wake(request_efd_.get());
  }

  std::unique_ptr<Mapping> map_;
  UniqueFd request_efd_;
  UniqueFd reply_efd_;
  UniqueFd lifeline_;
  const int spin_us_;
  uint64_t request_seq_ = 0;
  uint64_t next_reply_ = 1;  // the hello
};

class ShmWorkerChannel final : public WorkerChannel {
 public:
  ShmWorkerChannel(std::unique_ptr<Mapping> map, UniqueFd request_efd, UniqueFd reply_efd,
                   UniqueFd lifeline, int spin_us)
      : map_(std::move(map)),
        request_efd_(std::move(request_efd)),
        reply_efd_(std::move(reply_efd)),
        lifeline_(std::move(lifeline)),
        spin_us_(spin_us) {}

  bool Receive(ScoreRequest& request) override {
    ShmLayout& l = map_->layout();
    uint64_t seq = 0;
    Wait w = SpinThenWait(
        [&] {
          seq = Atomic(l.request_seq).load(std::memory_order_acquire);
          return seq > seen_;
        },
        spin_us_, l.worker_sleeping, request_efd_.get(), lifeline_.get(), kNoDeadline);
    if (w != Wait::kReady) return false;
    seen_ = seq;
    if (l.op != kOpRun || l.data_len > l.request_capacity || l.model_len > kMaxModelNameBytes) return false;
    request.mode = static_cast<ScoreMode>(l.mode);
    request.iters = l.iters;
    request.key = l.key;
    request.sleep_ms = l.sleep_ms;
    request.data.assign(map_->request_data(), l.data_len);
    request.model.assign(l.model, l.model_len);
    request.model_version = l.model_version;
    return true;
  }

  Status Send(const WorkerReply& reply) override {
    ShmLayout& l = map_->layout();
    const uint64_t cap = l.reply_capacity;
    StatusCode code = reply.status.code();
    std::string_view message = reply.status.message();
    std::string_view result = reply.result;
    std::string overflow;
    if (result.size() > cap) {
      code = StatusCode::kInternal;
      overflow = "the result (" + std::to_string(result.size()) +
                 " bytes) does not fit the shared-memory reply slot";
      message = overflow;
      result = {};
    }
    if (message.size() > cap - result.size()) message = message.substr(0, cap - result.size());
    char* bytes = map_->reply_data();
    if (!message.empty()) std::memcpy(bytes, message.data(), message.size());
    if (!result.empty()) std::memcpy(bytes + message.size(), result.data(), result.size());
    l.code = static_cast<int32_t>(code);
    l.message_len = static_cast<uint32_t>(message.size());
    l.result_len = result.size();
    l.start_us = reply.start_us;
    l.end_us = reply.end_us;
    l.gil_wait_us = reply.gil_wait_us;
    l.gil_hold_us = reply.gil_hold_us;
    Atomic(l.reply_seq).store(++reply_seq_, std::memory_order_seq_cst);
    if (Atomic(l.server_sleeping).load(std::memory_order_seq_cst) != 0) Wake(reply_efd_.get());
    return Status::Ok();
  }

 private:
  std::unique_ptr<Mapping> map_;
  UniqueFd request_efd_;
  UniqueFd reply_efd_;
  UniqueFd lifeline_;
  const int spin_us_;
  uint64_t seen_ = 0;
  uint64_t reply_seq_ = 0;
};

Result<UniqueFd> Dup(const UniqueFd& fd) {
  int copy = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (copy < 0) return Internal(ErrnoMessage("dup", errno));
  return UniqueFd(copy);
}

}  // namespace

Result<ChannelEnds> CreateShmChannel(const ChannelOptions& options) {
  UniqueFd memfd(::memfd_create("switchyard-ipc", MFD_CLOEXEC));
  if (!memfd.valid()) return Internal(ErrnoMessage("memfd_create", errno));
  const size_t size = RegionSize(options.max_payload_bytes, kMaxReplyBytes);
  if (::ftruncate(memfd.get(), static_cast<off_t>(size)) < 0) {
    return Internal(ErrnoMessage("ftruncate of the ipc region", errno));
  }
  auto map = Map(memfd.get(), size);
  if (!map.ok()) return map.status();
  // The region is fresh (all zero): only the capacities need writing.
  (*map)->layout().request_capacity = options.max_payload_bytes;
  (*map)->layout().reply_capacity = kMaxReplyBytes;

  // Non-blocking, so a reader can drain the counter without ever blocking in
  // read(); blocking happens in poll() together with the lifeline.
  UniqueFd request_efd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  UniqueFd reply_efd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!request_efd.valid() || !reply_efd.valid()) return Internal(ErrnoMessage("eventfd", errno));
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    return Internal(ErrnoMessage("socketpair", errno));
  }
  UniqueFd server_lifeline(sv[0]);
  UniqueFd worker_lifeline(sv[1]);
  auto request_efd_copy = Dup(request_efd);
  if (!request_efd_copy.ok()) return request_efd_copy.status();
  auto reply_efd_copy = Dup(reply_efd);
  if (!reply_efd_copy.ok()) return reply_efd_copy.status();

  ChannelEnds ends;
  ends.parent = std::make_unique<ShmParentChannel>(std::move(map).value(), std::move(request_efd),
                                                   std::move(reply_efd), std::move(server_lifeline),
                                                   options.spin_us);
  ends.worker_fds.push_back(std::move(memfd));
  ends.worker_fds.push_back(std::move(request_efd_copy).value());
  ends.worker_fds.push_back(std::move(reply_efd_copy).value());
  ends.worker_fds.push_back(std::move(worker_lifeline));
  return ends;
}

Result<std::unique_ptr<WorkerChannel>> OpenShmWorkerChannel(std::vector<UniqueFd> fds,
                                                            const ChannelOptions& options) {
  struct stat st {};
  if (::fstat(fds[0].get(), &st) < 0) return Internal(ErrnoMessage("fstat of the ipc region", errno));
  auto size = static_cast<size_t>(st.st_size);
  if (size < kDataOffset) return InvalidArgument("the ipc region is too small");
  auto map = Map(fds[0].get(), size);
  if (!map.ok()) return map.status();
  const ShmLayout& l = (*map)->layout();
  if (RegionSize(l.request_capacity, l.reply_capacity) > size) {
    return InvalidArgument("the ipc region is smaller than its header says");
  }
  // The mapping stays valid without the memfd.
  return std::unique_ptr<WorkerChannel>(std::make_unique<ShmWorkerChannel>(
      std::move(map).value(), std::move(fds[1]), std::move(fds[2]), std::move(fds[3]), options.spin_us));
}

}  // namespace switchyard
