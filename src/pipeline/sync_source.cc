// The sync loader: the consumer's own thread reads and augments each item of
// a batch when the consumer asks for it. Nothing runs ahead.
#include <deque>

#include "pipeline/batch_source.h"

namespace switchyard {
namespace {

class SyncSource final : public BatchSource {
 public:
  explicit SyncSource(const ItemLoader& loader) : loader_(loader), scratch_(loader.ScratchBytes()) {}

  Status Start() override { return Status::Ok(); }

  Status Submit(int slot) override {
    submitted_.push_back(slot);
    return Status::Ok();
  }

  Result<std::optional<int>> WaitComplete(int64_t /*deadline_us*/) override {
    if (submitted_.empty()) return std::optional<int>();
    const int slot = submitted_.front();
    submitted_.pop_front();
    const int count = loader_.pool().Header(slot)->count;
    for (int i = 0; i < count; ++i) loader_.Load(slot, i, scratch_.data());
    return std::optional<int>(slot);
  }

  void Stop() override { submitted_.clear(); }

 private:
  const ItemLoader& loader_;
  AlignedBuffer scratch_;
  std::deque<int> submitted_;
};

}  // namespace

std::unique_ptr<BatchSource> MakeSyncSource(const ItemLoader& loader) {
  return std::make_unique<SyncSource>(loader);
}

}  // namespace switchyard
