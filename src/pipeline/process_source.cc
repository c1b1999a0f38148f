// The processes loader: N forked worker processes, each building whole
// batches (like a DataLoader worker) straight into the shared batch pool and
// answering with the slot number only.
//
// Slots belong to workers (slot s to worker s mod N, prefetch slots each,
// like a DataLoader worker's own queue): fork() does not copy the page-table
// entries of a shared mapping, so a worker faults in every page it writes;
// with slots of its own it maps only those (once, at start: one populate
// call, not a fault per 4 KiB page), not the whole pool — which, slots
// wandering between workers, made 4 workers slower than 2 at matrix 0.
//
// Channels: per worker a task pipe (slot numbers in) and a result pipe (slot
// numbers out), 4-byte messages, so writes are atomic. The next batch goes
// into a free slot of the worker with the fewest outstanding; the
// coordinator remembers which slots each worker holds; when a worker dies (EOF on its result pipe)
// it is reaped, a replacement is forked, and the dead worker's slots are
// reset and handed to the replacement, so their items are read again and
// every batch still completes exactly once.
//
// Forking: workers are forked from the coordinator's thread, which must be
// the process's only thread (checked): then fork is safe at any time, also
// for a replacement mid-run.
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>

#include "core/clock.h"
#include "executor/process/process_util.h"
#include "executor/process/unique_fd.h"
#include "pipeline/batch_source.h"

namespace switchyard {
namespace {

// A worker dying more often than this (per worker slot, on average) means
// something kills every replacement too (e.g. a file that crashes the
// augmentation): stop rather than fork forever.
constexpr int kMaxReplacementsPerWorker = 8;

struct Worker {
  pid_t pid = -1;
  UniqueFd tasks;    // write end
  UniqueFd results;  // read end
  std::deque<int> outstanding;  // slots given, not yet returned, in order
};

[[noreturn]] void WorkerMain(const ItemLoader& loader, size_t index, size_t workers, int task_fd, int result_fd) {
  // Map this worker's own slots in one call each (Linux 5.14+; older
  // kernels fault them in page by page as before).
  const BatchPool& pool = loader.pool();
  for (int s = static_cast<int>(index); s < pool.slots(); s += static_cast<int>(workers)) {
    ::madvise(pool.Header(s), static_cast<size_t>(pool.layout().SlotBytes()), MADV_POPULATE_WRITE);
  }
  AlignedBuffer scratch(loader.ScratchBytes());
  for (;;) {
    int32_t slot = 0;
    if (!ReadAll(task_fd, &slot, sizeof slot).ok()) ::_exit(0);  // the coordinator closed: done
    const int count = loader.pool().Header(slot)->count;
    for (int i = 0; i < count; ++i) loader.Load(slot, i, scratch.data());
    if (!WriteAll(result_fd, &slot, sizeof slot).ok()) ::_exit(0);
  }
}

class ProcessSource final : public BatchSource {
 public:
  ProcessSource(const ItemLoader& loader, int workers) : loader_(loader), workers_(static_cast<size_t>(workers)) {}
  ~ProcessSource() override { Stop(); }

  Status Start() override {
    if (Status s = RequireSingleThreaded("the processes loader forks its workers: it"); !s.ok()) return s;
    BlockSigpipeInThisThread();
    for (size_t i = 0; i < workers_.size(); ++i) {
      if (Status s = Spawn(i); !s.ok()) return s;
    }
    return Status::Ok();
  }

  size_t ChooseSlot(const std::vector<int>& free_slots) override {
    size_t best = free_slots.size() - 1;
    for (size_t i = 0; i < free_slots.size(); ++i) {
      if (workers_[Owner(free_slots[i])].outstanding.size() < workers_[Owner(free_slots[best])].outstanding.size()) {
        best = i;
      }
    }
    return best;
  }

  Status Submit(int slot) override { return Give(Owner(slot), slot); }

  Result<std::optional<int>> WaitComplete(int64_t deadline_us) override {
    for (;;) {
      if (!ready_.empty()) {
        const int slot = ready_.front();
        ready_.pop_front();
        return std::optional<int>(slot);
      }
      std::vector<pollfd> fds;
      for (const auto& w : workers_) fds.push_back({w.results.get(), POLLIN, 0});
      const int n = ::poll(fds.data(), fds.size(), PollTimeoutMs(deadline_us));
      if (n < 0 && errno != EINTR) return Internal(ErrnoMessage("poll on the workers' results", errno));
      if (n <= 0) {
        if (SteadyClock::Now() >= deadline_us) return std::optional<int>();
        continue;
      }
      for (size_t i = 0; i < workers_.size(); ++i) {
        if (fds[i].revents == 0) continue;
        if (Status s = Collect(i); !s.ok()) return s;
      }
    }
  }

  void Stop() override {
    for (auto& w : workers_) w.tasks.Reset();  // EOF: each worker exits when idle
    for (auto& w : workers_) {
      if (w.pid > 0) WaitForProcessExit(w.pid, UniqueFd(), /*is_child=*/true, /*grace_us=*/2'000'000);
      w.pid = -1;
      w.results.Reset();
      w.outstanding.clear();
    }
  }

  int workers_replaced() const override { return replaced_; }

  std::vector<pid_t> worker_pids() const override {
    std::vector<pid_t> pids;
    for (const auto& w : workers_) pids.push_back(w.pid);
    return pids;
  }

 private:
  Status Spawn(size_t index) {
    int task_pipe[2];
    int result_pipe[2];
    if (::pipe2(task_pipe, O_CLOEXEC) != 0) return Internal(ErrnoMessage("pipe for a loader worker", errno));
    if (::pipe2(result_pipe, O_CLOEXEC) != 0) {
      ::close(task_pipe[0]);
      ::close(task_pipe[1]);
      return Internal(ErrnoMessage("pipe for a loader worker", errno));
    }
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
      const int err = errno;
      for (int fd : {task_pipe[0], task_pipe[1], result_pipe[0], result_pipe[1]}) ::close(fd);
      return Internal(ErrnoMessage("fork of a loader worker", err));
    }
    if (pid == 0) {
      if (!BecomeChildOf(parent)) ::_exit(0);
      // Only this worker's own ends: a sibling's end held here would hide
      // that sibling's death from the coordinator.
      CloseAllFdsExcept({task_pipe[0], result_pipe[1]});
      WorkerMain(loader_, index, workers_.size(), task_pipe[0], result_pipe[1]);
    }
    ::close(task_pipe[0]);
    ::close(result_pipe[1]);
    Worker& w = workers_[index];
    w.pid = pid;
    w.tasks.Reset(task_pipe[1]);
    w.results.Reset(result_pipe[0]);
    return Status::Ok();
  }

  size_t Owner(int slot) const { return static_cast<size_t>(slot) % workers_.size(); }

  Status Give(size_t index, int slot) {
    Worker& w = workers_[index];
    w.outstanding.push_back(slot);
    const int32_t message = slot;
    if (!WriteAll(w.tasks.get(), &message, sizeof message).ok()) {
      // Dead already: its result pipe reports EOF next, and Replace hands
      // this slot on with the others.
    }
    return Status::Ok();
  }

  Status Collect(size_t index) {
    Worker& w = workers_[index];
    int32_t slots[64];
    const ssize_t n = ::read(w.results.get(), slots, sizeof slots);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) return Status::Ok();
      return Internal(ErrnoMessage("reading a worker's results", errno));
    }
    if (n == 0) return Replace(index);
    // Messages are 4 bytes and pipe writes under PIPE_BUF are atomic, so a
    // read returns whole messages.
    for (ssize_t i = 0; i < n / static_cast<ssize_t>(sizeof(int32_t)); ++i) {
      auto it = std::find(w.outstanding.begin(), w.outstanding.end(), slots[i]);
      if (it == w.outstanding.end()) {
        return Internal(fmt::format("loader worker {} returned slot {} it was not given", w.pid, slots[i]));
      }
      w.outstanding.erase(it);
      ready_.push_back(slots[i]);
    }
    return Status::Ok();
  }

  Status Replace(size_t index) {
    Worker& w = workers_[index];
    int status = 0;
    while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
    }
    const std::string how = WIFSIGNALED(status) ? fmt::format("killed by signal {}", WTERMSIG(status))
                                                : fmt::format("exited with status {}", WEXITSTATUS(status));
    ++replaced_;
    if (replaced_ > kMaxReplacementsPerWorker * static_cast<int>(workers_.size())) {
      return Internal(fmt::format("loader workers keep dying ({} replaced; the last, pid {}, {})", replaced_,
                                  w.pid, how));
    }
    std::fprintf(stderr, "load: worker %d %s; starting a replacement, its %zu batch(es) are read again\n",
                 static_cast<int>(w.pid), how.c_str(), w.outstanding.size());
    std::deque<int> lost = std::move(w.outstanding);
    w.outstanding.clear();
    w.tasks.Reset();
    w.results.Reset();
    if (Status s = Spawn(index); !s.ok()) return s;
    for (int slot : lost) {
      BatchHeader* header = loader_.pool().Header(slot);
      for (int i = 0; i < header->count; ++i) {
        ItemRecord& r = ItemsOf(header)[i];
        r.status = ItemStatus::kPending;
        r.error = 0;
        r.bytes_read = 0;
        r.payload_bytes = 0;
      }
      if (Status s = Give(index, slot); !s.ok()) return s;
    }
    return Status::Ok();
  }

  const ItemLoader& loader_;
  std::vector<Worker> workers_;
  std::deque<int> ready_;
  int replaced_ = 0;
};

}  // namespace

std::unique_ptr<BatchSource> MakeProcessSource(const ItemLoader& loader, int workers) {
  return std::make_unique<ProcessSource>(loader, workers);
}

}  // namespace switchyard
