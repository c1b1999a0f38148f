// The shm and pipe channels on their own: both ends live in this process (the
// worker end on a thread), which is enough to check the wire format, the
// hello, the exit request and what each end sees when the other goes away.
#include "executor/process/ipc_channel.h"

#include <gtest/gtest.h>

#include <csignal>
#include <optional>
#include <string>
#include <thread>

#include "core/clock.h"

namespace switchyard {
namespace {

class IpcChannelTest : public ::testing::TestWithParam<IpcKind> {
 protected:
  static void SetUpTestSuite() { std::signal(SIGPIPE, SIG_IGN); }

  void SetUp() override {
    options_.max_payload_bytes = 4096;
    options_.spin_us = 20;
    auto ends = CreateChannel(GetParam(), options_);
    ASSERT_TRUE(ends.ok()) << ends.status().ToString();
    EXPECT_EQ(ends->worker_fds.size(), WorkerFdCount(GetParam()));
    parent_ = std::move(ends->parent);
    auto worker = OpenWorkerChannel(GetParam(), std::move(ends->worker_fds), options_);
    ASSERT_TRUE(worker.ok()) << worker.status().ToString();
    worker_ = std::move(worker).value();
  }

  ChannelOptions options_;
  std::unique_ptr<ParentChannel> parent_;
  std::unique_ptr<WorkerChannel> worker_;
};

// Echoes each request back as the reply: data as result, iters as the
// start stamp, key as the end stamp; a request with mode sleep gets an error.
void EchoWorker(WorkerChannel& worker) {
  ASSERT_TRUE(worker.Send(WorkerReply{}).ok());
  ScoreRequest request;
  while (worker.Receive(request)) {
    WorkerReply reply;
    if (request.mode == ScoreMode::kSleep) {
      reply.status = Status(StatusCode::kNotFound, std::string("no \0such", 8));
    } else {
      reply.result = request.data;
      reply.start_us = static_cast<int64_t>(request.iters);
      reply.end_us = request.key;
    }
    if (!worker.Send(reply).ok()) return;
  }
}

TEST_P(IpcChannelTest, RequestsAndRepliesCarryArbitraryBytes) {
  std::thread worker([&] { EchoWorker(*worker_); });
  auto hello = parent_->Receive(SteadyClock::Now() + 10'000'000);
  ASSERT_TRUE(hello.ok()) << hello.status().ToString();
  EXPECT_TRUE(hello->status.ok());

  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes += static_cast<char>(i);
  for (const std::string& data : {std::string(), std::string("a\0b", 3), all_bytes, std::string(4096, '\xff')}) {
    ScoreRequest request;
    request.data = data;
    request.iters = data.size() + 7;
    request.key = -42;
    ASSERT_TRUE(parent_->Send(request).ok());
    auto reply = parent_->Receive(kNoDeadline);
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    EXPECT_TRUE(reply->status.ok());
    EXPECT_EQ(reply->result, data);
    EXPECT_EQ(reply->start_us, static_cast<int64_t>(data.size() + 7));
    EXPECT_EQ(reply->end_us, -42);
  }
  ScoreRequest failing;
  failing.mode = ScoreMode::kSleep;
  ASSERT_TRUE(parent_->Send(failing).ok());
  auto reply = parent_->Receive(kNoDeadline);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->status.code(), StatusCode::kNotFound);
  EXPECT_EQ(reply->status.message(), std::string("no \0such", 8));

  parent_->RequestExit();
  worker.join();  // Receive returned false
}

TEST_P(IpcChannelTest, ClosingTheServerEndStopsTheWorker) {
  std::thread worker([&] { EchoWorker(*worker_); });
  ASSERT_TRUE(parent_->Receive(kNoDeadline).ok());
  parent_.reset();
  worker.join();
}

TEST_P(IpcChannelTest, ServerSeesTheWorkerEndGoAway) {
  ASSERT_TRUE(worker_->Send(WorkerReply{}).ok());
  ASSERT_TRUE(parent_->Receive(kNoDeadline).ok());
  EXPECT_FALSE(parent_->PeerGone());
  ScoreRequest request;
  request.data = "lost";
  ASSERT_TRUE(parent_->Send(request).ok());
  // The worker end closes without replying, as when its process is killed.
  std::thread closer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    worker_.reset();
  });
  auto reply = parent_->Receive(kNoDeadline);
  closer.join();
  EXPECT_EQ(reply.status().code(), StatusCode::kUnavailable) << reply.status().ToString();
  EXPECT_TRUE(parent_->PeerGone());
}

TEST_P(IpcChannelTest, SilentWorkerHitsTheDeadline) {
  auto reply = parent_->Receive(SteadyClock::Now() + 30'000);
  EXPECT_EQ(reply.status().code(), StatusCode::kDeadlineExceeded) << reply.status().ToString();
}

TEST_P(IpcChannelTest, WorkerRejectsWrongDescriptorCount) {
  std::vector<UniqueFd> none;
  EXPECT_FALSE(OpenWorkerChannel(GetParam(), std::move(none), options_).ok());
}

INSTANTIATE_TEST_SUITE_P(BothKinds, IpcChannelTest, ::testing::Values(IpcKind::kShm, IpcKind::kPipe),
                         [](const ::testing::TestParamInfo<IpcKind>& param) {
                           return std::string(IpcKindName(param.param));
                         });

}  // namespace
}  // namespace switchyard
