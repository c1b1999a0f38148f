// One conformance suite over every executor configuration: the same requests
// give the same answers, and concurrent clients each get their own.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "server_harness.h"
#include "workload/kv_store.h"
#include "workload/sha256_chain.h"

namespace switchyard {
namespace {

using testing::HttpConnection;
using testing::Post;
using testing::ServerProcess;

struct ExecutorCase {
  const char* name;
  std::vector<std::string> args;
};

std::vector<ExecutorCase> AllExecutors() {
  std::vector<ExecutorCase> cases = {
      {"threads", {"--executor", "threads", "--workers", "2"}},
      {"async", {"--executor", "async", "--workers", "1"}},
      {"async_offload", {"--executor", "async", "--workers", "2", "--offload", "2"}},
  };
  for (const char* start : {"fork", "forkserver", "spawn"}) {
    for (const char* ipc : {"shm", "pipe"}) {
      cases.push_back({nullptr, {"--executor", "processes", "--workers", "2", "--start", start, "--ipc", ipc}});
    }
  }
  return cases;
}

std::string CaseName(const ExecutorCase& c) {
  if (c.name != nullptr) return c.name;
  return "processes_" + c.args[5] + "_" + c.args[7];
}

class ExecutorConformanceTest : public ::testing::TestWithParam<ExecutorCase> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    db_ = dir_->File("kv.db");
    ASSERT_TRUE(GenerateKvDatabase(db_, 2000).ok());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    std::vector<std::string> args = GetParam().args;
    args.insert(args.end(), {"--db", db_});
    server_ = std::make_unique<ServerProcess>(args);
    ASSERT_TRUE(server_->ready()) << server_->output();
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->Stop(), 0) << server_->output();
    }
  }
  uint16_t port() const { return server_->port(); }

  static testing::TempDir* dir_;
  static std::string db_;
  std::unique_ptr<ServerProcess> server_;
};

testing::TempDir* ExecutorConformanceTest::dir_ = nullptr;
std::string ExecutorConformanceTest::db_;

TEST_P(ExecutorConformanceTest, CpuAnswersMatchTheChain) {
  auto r = Post(port(), "/score", R"({"mode":"cpu","iters":1000,"data":""})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = r.json();
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["result"], "0dc9b0e0900f0ce71f36c359cbcf968d6366f2762f5699a2f5ea5fdccb70f0c8");
  EXPECT_TRUE(j["timing"]["queue_us"].is_number_integer());
  EXPECT_TRUE(j["timing"]["service_us"].is_number_integer());
  // Data without a field defaults to empty; NUL and non-ASCII bytes survive every IPC path.
  EXPECT_EQ(Post(port(), "/score", R"({"mode":"cpu","iters":0})").json()["result"],
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Post(port(), "/score", R"({"mode":"cpu","iters":2,"data":"a\u0000b"})").json()["result"],
            "8ff6cdb3e5e29874f9bdb06b0bbf2c2cec015fa3f1bfbeb5eb08ffc26d51b80d");
  EXPECT_EQ(Post(port(), "/score", R"({"mode":"cpu","iters":3,"data":"h\u00e9llo w\u00f6rld"})").json()["result"],
            "5734b2a5d4498ea665b2d18b49a0056fa2fe62487a699f9f9a718a0443fefce9");
}

TEST_P(ExecutorConformanceTest, IoReadsTheDatabaseAndMissingKeyIs404) {
  auto r = Post(port(), "/score", R"({"mode":"io","key":42})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["result"], KvValueForKey(42));
  auto missing = Post(port(), "/score", R"({"mode":"io","key":2000})");
  EXPECT_EQ(missing.status, 404) << missing.body;
  EXPECT_NE(missing.json()["error"].get<std::string>().find("2000"), std::string::npos);
}

TEST_P(ExecutorConformanceTest, SleepWaitsAndAnswers) {
  auto r = Post(port(), "/score", R"({"mode":"sleep","ms":30})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["result"], 30);
  EXPECT_GE(r.json()["timing"]["service_us"].get<int64_t>(), 30000);
}

TEST_P(ExecutorConformanceTest, LargeDataCrossesIntact) {
  std::string data(200000, 'x');
  for (size_t i = 0; i < data.size(); i += 97) data[i] = static_cast<char>('a' + i % 26);
  Sha256Chain chain;
  auto r = Post(port(), "/score", R"({"mode":"cpu","iters":1,"data":")" + data + "\"}");
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 200);
  EXPECT_EQ(r.json()["result"], chain.ComputeHex(data, 1));
}

TEST_P(ExecutorConformanceTest, ConcurrentClientsEachGetTheirOwnAnswer) {
  constexpr int kClients = 8;
  constexpr int kRequests = 25;
  std::atomic<int> correct{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      HttpConnection conn(port());
      Sha256Chain chain;
      for (int i = 0; i < kRequests; ++i) {
        std::string data = "client-" + std::to_string(c) + "-req-" + std::to_string(i);
        std::string body;
        std::string expected;
        switch (i % 3) {
          case 0:
            body = R"({"mode":"cpu","iters":50,"data":")" + data + "\"}";
            expected = chain.ComputeHex(data, 50);
            break;
          case 1:
            body = R"({"mode":"io","key":)" + std::to_string(c * 100 + i) + "}";
            expected = KvValueForKey(c * 100 + i);
            break;
          default:
            body = R"({"mode":"sleep","ms":2})";
            break;
        }
        auto r = conn.Request("POST", "/score", body);
        if (r.status != 200) continue;
        auto j = r.json();
        if (i % 3 == 2 ? j["result"] == 2 : j["result"] == expected) ++correct;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(correct.load(), kClients * kRequests);
  auto stats = testing::Get(port(), "/stats").json();
  EXPECT_EQ(stats["score"]["by_status"]["200"].get<int>(), kClients * kRequests);
}

TEST_P(ExecutorConformanceTest, ReportsItsConfigurationAndReadiness) {
  EXPECT_EQ(testing::Get(port(), "/healthz").status, 200);
  EXPECT_EQ(testing::Get(port(), "/readyz").status, 200);
  auto stats = testing::Get(port(), "/stats").json();
  const auto& args = GetParam().args;
  EXPECT_EQ(stats["config"]["executor"], args[1]);
  EXPECT_EQ(stats["config"]["workers"], std::stoi(args[3]));
  EXPECT_EQ(stats["config"]["policy"], "fifo");
}

INSTANTIATE_TEST_SUITE_P(AllExecutors, ExecutorConformanceTest, ::testing::ValuesIn(AllExecutors()),
                         [](const ::testing::TestParamInfo<ExecutorCase>& p) { return CaseName(p.param); });

}  // namespace
}  // namespace switchyard
