// SlotCountdown: the bookkeeping of loaders that spread a batch's items over
// several threads — how many items of each submitted slot are still to be
// done, and the slots whose last item is done, in the order they finished.
//
// Not synchronized: its owner guards it with the mutex of its own queues
// (the threads and async loaders do).
#pragma once

#include <deque>
#include <optional>
#include <unordered_map>

namespace switchyard {

class SlotCountdown {
 public:
  void Start(int slot, int items) { remaining_[slot] = items; }

  // One item of `slot` is done; true when it was the slot's last (the slot
  // is then queued for PopDone).
  bool ItemDone(int slot) {
    if (--remaining_[slot] > 0) return false;
    remaining_.erase(slot);
    done_.push_back(slot);
    return true;
  }

  bool AnyDone() const { return !done_.empty(); }

  // The slot that finished first of those not yet popped.
  std::optional<int> PopDone() {
    if (done_.empty()) return std::nullopt;
    const int slot = done_.front();
    done_.pop_front();
    return slot;
  }

 private:
  std::unordered_map<int, int> remaining_;
  std::deque<int> done_;
};

}  // namespace switchyard
