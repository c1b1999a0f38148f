// The threads loader: N threads share one queue of items (not batches), so a
// batch is spread over every thread and completes as soon as possible — what
// in-order delivery wants. Each thread has its own scratch buffer.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "core/thread_annotations.h"
#include "pipeline/batch_source.h"
#include "pipeline/slot_countdown.h"

namespace switchyard {
namespace {

class ThreadSource final : public BatchSource {
 public:
  ThreadSource(const ItemLoader& loader, int workers) : loader_(loader), workers_(workers) {}
  ~ThreadSource() override { Stop(); }

  Status Start() override {
    for (int i = 0; i < workers_; ++i) threads_.emplace_back([this] { Work(); });
    return Status::Ok();
  }

  Status Submit(int slot) override {
    const int count = loader_.pool().Header(slot)->count;
    {
      MutexLock lock(mu_);
      countdown_.Start(slot, count);
      for (int i = 0; i < count; ++i) items_.push_back({slot, i});
    }
    work_cv_.notify_all();
    return Status::Ok();
  }

  Result<std::optional<int>> WaitComplete(int64_t deadline_us) override {
    MutexLock lock(mu_);
    const auto deadline = std::chrono::steady_clock::time_point(std::chrono::microseconds(deadline_us));
    done_cv_.wait_until(lock.native(), deadline, [&]() REQUIRES(mu_) { return countdown_.AnyDone(); });
    return countdown_.PopDone();
  }

  void Stop() override {
    {
      MutexLock lock(mu_);
      stopping_ = true;
      items_.clear();
    }
    work_cv_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  struct Item {
    int slot;
    int index;
  };

  void Work() {
    UseSingleThreadedBlas();
    AlignedBuffer scratch(loader_.ScratchBytes());
    MutexLock lock(mu_);
    for (;;) {
      work_cv_.wait(lock.native(), [&]() REQUIRES(mu_) { return stopping_ || !items_.empty(); });
      if (stopping_) return;
      const Item item = items_.front();
      items_.pop_front();
      lock.Unlock();
      loader_.Load(item.slot, item.index, scratch.data());
      lock.Lock();
      if (countdown_.ItemDone(item.slot)) done_cv_.notify_one();
    }
  }

  const ItemLoader& loader_;
  const int workers_;
  std::vector<std::thread> threads_;
  Mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::deque<Item> items_ GUARDED_BY(mu_);
  SlotCountdown countdown_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
};

}  // namespace

std::unique_ptr<BatchSource> MakeThreadSource(const ItemLoader& loader, int workers) {
  return std::make_unique<ThreadSource>(loader, workers);
}

}  // namespace switchyard
