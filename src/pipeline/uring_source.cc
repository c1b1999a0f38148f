// The async loader: one thread owns an io_uring and keeps many reads in
// flight (every file cut into reads of 1 MiB or more, up to kMaxFilesInFlight files);
// augmentation runs on N threads. Without augmentation, files are read
// straight into their batch slots and the augment threads idle.
//
// Buffered reads are marked IOSQE_ASYNC: a read that hits the page cache
// would otherwise be copied inline by the submitting thread, serialising
// every copy on the one I/O thread; punted, the kernel's io-wq workers copy
// in parallel. O_DIRECT reads are truly asynchronous either way.
//
// The I/O thread sleeps in io_uring_wait_cqe; new work and freed buffers
// wake it through an eventfd it polls with the ring itself.
#include <fcntl.h>
#include <fmt/format.h>
#include <liburing.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "core/thread_annotations.h"
#include "executor/process/process_util.h"
#include "pipeline/batch_source.h"
#include "pipeline/slot_countdown.h"

namespace switchyard {
namespace {

constexpr unsigned kRingEntries = 256;
constexpr int64_t kChunkBytes = 1 << 20;
constexpr int64_t kMaxChunksPerFile = 64;
constexpr int kMaxFilesInFlight = 32;
constexpr uint64_t kWakeTag = ~uint64_t{0};

class UringSource final : public BatchSource {
 public:
  UringSource(const ItemLoader& loader, int augment_threads)
      : loader_(loader), augment_threads_(augment_threads), augment_(loader.options().matrix_size > 0) {}
  ~UringSource() override { Stop(); }

  Status Start() override {
    if (const int r = io_uring_queue_init(kRingEntries, &ring_, 0); r < 0) {
      return Internal(ErrnoMessage("io_uring_queue_init (the async loader needs io_uring)", -r));
    }
    ring_ready_ = true;
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) return Internal(ErrnoMessage("eventfd", errno));
    if (augment_) {
      const int buffers = 2 * augment_threads_ + 2;
      for (int i = 0; i < buffers; ++i) buffers_.emplace_back(loader_.ScratchBytes());
      MutexLock lock(mu_);
      for (int i = 0; i < buffers; ++i) free_buffers_.push_back(i);
      for (int i = 0; i < augment_threads_; ++i) augmenters_.emplace_back([this] { AugmentLoop(); });
    }
    io_thread_ = std::thread([this] { IoLoop(); });
    return Status::Ok();
  }

  Status Submit(int slot) override {
    const int count = loader_.pool().Header(slot)->count;
    {
      MutexLock lock(mu_);
      countdown_.Start(slot, count);
      for (int i = 0; i < count; ++i) pending_.push_back({slot, i});
    }
    Wake();
    return Status::Ok();
  }

  Result<std::optional<int>> WaitComplete(int64_t deadline_us) override {
    MutexLock lock(mu_);
    const auto deadline = std::chrono::steady_clock::time_point(std::chrono::microseconds(deadline_us));
    done_cv_.wait_until(lock.native(), deadline,
                        [&]() REQUIRES(mu_) { return countdown_.AnyDone() || !failure_.empty(); });
    if (!failure_.empty()) return Internal(failure_);
    return countdown_.PopDone();
  }

  void Stop() override {
    {
      MutexLock lock(mu_);
      if (stopping_) return;
      stopping_ = true;
      pending_.clear();
    }
    Wake();
    aug_cv_.notify_all();
    if (io_thread_.joinable()) io_thread_.join();
    for (auto& t : augmenters_) t.join();
    augmenters_.clear();
    if (ring_ready_) io_uring_queue_exit(&ring_);
    ring_ready_ = false;
    if (wake_fd_ >= 0) ::close(wake_fd_);
    wake_fd_ = -1;
  }

 private:
  struct Item {
    int slot;
    int index;
  };
  struct FileRead {
    Item item{};
    int fd = -1;
    int buffer = -1;  // augment buffer, or -1: read into the slot
    int chunks_left = 0;
    int64_t bytes = 0;
    int error = 0;
  };

  void Wake() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
  }

  void ArmWake() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    io_uring_prep_poll_add(sqe, wake_fd_, POLLIN);
    io_uring_sqe_set_data64(sqe, kWakeTag);
    ++sqes_in_flight_;
  }

  // Opens an item's file and queues its reads; false when the ring has too
  // little room for them now.
  bool StartRead(const Item& item, int buffer) REQUIRES(mu_) {
    ItemRecord& record = ItemsOf(loader_.pool().Header(item.slot))[item.index];
    const DataFile& file = loader_.manifest().items[static_cast<size_t>(record.index)];
    const bool direct = loader_.options().direct;
    const int64_t length = direct ? AlignUp(file.size, kPayloadAlign) : file.size;
    // At most kMaxChunksPerFile reads per file, so the largest file fits the ring.
    const int64_t chunk =
        AlignUp(std::max(kChunkBytes, (length + kMaxChunksPerFile - 1) / kMaxChunksPerFile), kPayloadAlign);
    const int chunks = static_cast<int>(std::max<int64_t>(1, (length + chunk - 1) / chunk));
    if (sqes_in_flight_ + chunks > static_cast<int>(kRingEntries) - 1 && files_in_flight_ > 0) return false;
    record.bytes_read = 0;
    record.error = 0;
    const int fd =
        ::open(loader_.manifest().PathOf(file).c_str(), O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || st.st_size != file.size) {
      record.status = fd < 0 ? ItemStatus::kOpenFailed : ItemStatus::kSizeChanged;
      record.error = fd < 0 ? errno : 0;
      if (fd >= 0) record.bytes_read = st.st_size;
      if (fd >= 0) ::close(fd);
      if (buffer >= 0) free_buffers_.push_back(buffer);
      CompleteLocked(item.slot);
      return true;
    }
    std::byte* dest = buffer >= 0 ? buffers_[static_cast<size_t>(buffer)].data()
                                  : loader_.DirectTarget(item.slot, item.index);
    const uint64_t id = NewRead({item, fd, buffer, chunks, 0, 0});
    for (int c = 0; c < chunks; ++c) {
      const int64_t offset = int64_t{c} * chunk;
      io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
      io_uring_prep_read(sqe, fd, dest + offset, static_cast<unsigned>(std::min(chunk, length - offset)),
                         static_cast<uint64_t>(offset));
      if (!direct) io_uring_sqe_set_flags(sqe, IOSQE_ASYNC);
      io_uring_sqe_set_data64(sqe, id);
      ++sqes_in_flight_;
    }
    ++files_in_flight_;
    return true;
  }

  uint64_t NewRead(FileRead read) {
    if (free_reads_.empty()) {
      reads_.push_back(read);
      return reads_.size() - 1;
    }
    const uint64_t id = free_reads_.back();
    free_reads_.pop_back();
    reads_[id] = read;
    return id;
  }

  void IoLoop() {
    ArmWake();
    for (;;) {
      {
        MutexLock lock(mu_);
        if (stopping_ && files_in_flight_ == 0) break;
        while (!stopping_ && !pending_.empty() && files_in_flight_ < kMaxFilesInFlight &&
               (!augment_ || !free_buffers_.empty())) {
          int buffer = -1;
          if (augment_) {
            buffer = free_buffers_.back();
            free_buffers_.pop_back();
          }
          if (!StartRead(pending_.front(), buffer)) {
            if (buffer >= 0) free_buffers_.push_back(buffer);
            break;
          }
          pending_.pop_front();
        }
      }
      io_uring_submit(&ring_);
      io_uring_cqe* cqe = nullptr;
      int r = io_uring_wait_cqe(&ring_, &cqe);
      if (r == -EINTR) continue;
      if (r < 0) {
        Fail(ErrnoMessage("io_uring_wait_cqe", -r));
        return;
      }
      unsigned head = 0;
      unsigned seen = 0;
      io_uring_for_each_cqe(&ring_, head, cqe) {
        ++seen;
        --sqes_in_flight_;
        const uint64_t tag = io_uring_cqe_get_data64(cqe);
        if (tag == kWakeTag) {
          uint64_t value = 0;
          [[maybe_unused]] ssize_t n = ::read(wake_fd_, &value, sizeof value);
          ArmWake();
        } else {
          OnReadDone(tag, cqe->res);
        }
      }
      io_uring_cq_advance(&ring_, seen);
    }
  }

  void OnReadDone(uint64_t id, int res) {
    FileRead& read = reads_[id];
    if (res < 0) {
      if (read.error == 0) read.error = -res;
    } else {
      read.bytes += res;
    }
    if (--read.chunks_left > 0) return;
    ::close(read.fd);
    MutexLock lock(mu_);
    --files_in_flight_;
    free_reads_.push_back(id);
    ItemRecord& record = ItemsOf(loader_.pool().Header(read.item.slot))[read.item.index];
    const DataFile& file = loader_.manifest().items[static_cast<size_t>(record.index)];
    record.bytes_read = std::min(read.bytes, file.size);
    record.error = read.error;
    record.status = read.error != 0          ? ItemStatus::kReadFailed
                    : read.bytes < file.size ? ItemStatus::kSizeChanged
                                             : ItemStatus::kOk;
    if (record.status != ItemStatus::kOk || !augment_) {
      if (record.status == ItemStatus::kOk) loader_.Augment(read.item.slot, read.item.index, nullptr);
      if (read.buffer >= 0) free_buffers_.push_back(read.buffer);
      CompleteLocked(read.item.slot);
      return;
    }
    augment_queue_.push_back({read.item, read.buffer});
    aug_cv_.notify_one();
  }

  void AugmentLoop() {
    UseSingleThreadedBlas();
    MutexLock lock(mu_);
    for (;;) {
      aug_cv_.wait(lock.native(), [&]() REQUIRES(mu_) { return stopping_ || !augment_queue_.empty(); });
      if (augment_queue_.empty()) return;  // stopping, nothing left
      const auto [item, buffer] = augment_queue_.front();
      augment_queue_.pop_front();
      lock.Unlock();
      loader_.Augment(item.slot, item.index, buffers_[static_cast<size_t>(buffer)].data());
      lock.Lock();
      free_buffers_.push_back(buffer);
      CompleteLocked(item.slot);
      Wake();  // a buffer is free: the I/O thread may start another file
    }
  }

  void CompleteLocked(int slot) REQUIRES(mu_) {
    if (countdown_.ItemDone(slot)) done_cv_.notify_one();
  }

  void Fail(std::string message) {
    MutexLock lock(mu_);
    failure_ = std::move(message);
    done_cv_.notify_all();
  }

  const ItemLoader& loader_;
  const int augment_threads_;
  const bool augment_;
  io_uring ring_{};
  bool ring_ready_ = false;
  int wake_fd_ = -1;
  std::thread io_thread_;
  std::vector<std::thread> augmenters_;
  std::vector<AlignedBuffer> buffers_;

  // The I/O thread's own.
  std::vector<FileRead> reads_;
  std::vector<uint64_t> free_reads_;
  int sqes_in_flight_ = 0;

  Mutex mu_;
  std::condition_variable done_cv_;
  std::condition_variable aug_cv_;
  std::deque<Item> pending_ GUARDED_BY(mu_);
  std::vector<int> free_buffers_ GUARDED_BY(mu_);
  std::deque<std::pair<Item, int>> augment_queue_ GUARDED_BY(mu_);
  SlotCountdown countdown_ GUARDED_BY(mu_);
  int files_in_flight_ GUARDED_BY(mu_) = 0;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::string failure_ GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<BatchSource> MakeUringSource(const ItemLoader& loader, int augment_threads) {
  return std::make_unique<UringSource>(loader, augment_threads);
}

}  // namespace switchyard
