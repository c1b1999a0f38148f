#include "core/serial_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace switchyard {
namespace {

TEST(SerialWorkerTest, RunsTasksInOrderOneAtATime) {
  std::vector<int> order;
  std::atomic<int> running{0};
  bool overlapped = false;
  {
    SerialWorker worker;
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(worker.Post([&, i] {
        if (running.fetch_add(1) != 0) overlapped = true;
        order.push_back(i);
        running.fetch_sub(1);
      }));
    }
  }  // the destructor runs what was posted before joining
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i);
  EXPECT_FALSE(overlapped);
}

TEST(SerialWorkerTest, RefusesTasksAfterStop) {
  SerialWorker worker;
  worker.Stop();
  EXPECT_FALSE(worker.Post([] {}));
  worker.Stop();  // idempotent
}

}  // namespace
}  // namespace switchyard
