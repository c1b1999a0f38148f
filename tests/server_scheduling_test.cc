// Scheduling against the running server: deadlines answered while queued,
// mlfq's slices giving the whole chain's answer, drr's client ids, the trace
// the server records, and the policy flags' bad values.
#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "server_harness.h"
#include "trace/trace.h"
#include "workload/sha256_chain.h"

namespace switchyard {
namespace {

using testing::Get;
using testing::HttpResponse;
using testing::Post;
using testing::RunSwitchyard;
using testing::ServerProcess;
using testing::TempDir;

TEST(ServerSchedulingTest, ARequestWhoseDeadlinePassesWhileQueuedIs504BeforeTheWorkerFreesUp) {
  ServerProcess server({"--workers", "1", "--policy", "fifo"});
  ASSERT_TRUE(server.ready()) << server.output();
  // The only worker sleeps 1.5 s; a request behind it may wait 50 ms.
  auto busy = std::async(std::launch::async,
                         [&] { return Post(server.port(), "/score", R"({"mode":"sleep","ms":1500})"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto queued = std::async(std::launch::async, [&] {
    return Post(server.port(), "/score", R"({"mode":"sleep","ms":1,"timeout_us":50000})");
  });
  HttpResponse expired = queued.get();
  EXPECT_EQ(busy.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "the 504 came only after the worker was free";
  EXPECT_EQ(expired.status, 504) << expired.body;
  EXPECT_NE(expired.json().value("error", "").find("deadline"), std::string::npos) << expired.body;
  EXPECT_EQ(busy.get().status, 200);
  // It never ran: the executor completed one job.
  auto stats = Get(server.port(), "/stats").json();
  EXPECT_EQ(stats["executor"]["completed"], 1) << stats.dump();
  // A deadline long enough is no obstacle.
  EXPECT_EQ(Post(server.port(), "/score", R"({"mode":"sleep","ms":1,"timeout_us":5000000})").status, 200);
}

TEST(ServerSchedulingTest, MlfqSlicesAChainAndAnswersTheWholeChainOnEveryExecutor) {
  Sha256Chain sha;
  const std::string expected = sha.ComputeHex("abc", 200000);
  for (const std::vector<std::string>& executor :
       {std::vector<std::string>{"--executor", "threads"},
        {"--executor", "processes"},
        {"--executor", "async", "--workers", "1", "--offload", "1"}}) {
    std::vector<std::string> args = executor;
    for (const char* a : {"--policy", "mlfq", "--mlfq-quanta-ms", "0.5,1"}) args.push_back(a);
    ServerProcess server(args);
    ASSERT_TRUE(server.ready()) << server.output();
    // The first teaches the predictor what a chain costs; the rest are sliced.
    for (int i = 0; i < 3; ++i) {
      HttpResponse r = Post(server.port(), "/score", R"({"mode":"cpu","iters":200000,"data":"abc"})");
      ASSERT_EQ(r.status, 200) << r.body;
      EXPECT_EQ(r.json()["result"], expected) << executor[1];
    }
    HttpResponse sleep = Post(server.port(), "/score", R"({"mode":"sleep","ms":5})");
    ASSERT_EQ(sleep.status, 200) << sleep.body;
    EXPECT_EQ(sleep.json()["result"], 5);
    EXPECT_EQ(server.Stop(), 0) << server.output();
  }
}

TEST(ServerSchedulingTest, DrrTakesTheClientFromTheHeaderOrTheBodyAndRefusesBadIds) {
  ServerProcess server({"--policy", "drr"});
  ASSERT_TRUE(server.ready()) << server.output();
  EXPECT_EQ(Post(server.port(), "/score", R"({"mode":"cpu","iters":10})", {"X-Client-Id: tenant-a"}).status,
            200);
  EXPECT_EQ(Post(server.port(), "/score", R"({"mode":"cpu","iters":10,"client":"tenant-b"})").status, 200);
  HttpResponse bad = Post(server.port(), "/score", R"({"mode":"cpu","iters":10})", {"X-Client-Id: a b/c"});
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.json().value("error", "").find("X-Client-Id"), std::string::npos) << bad.body;
  auto stats = Get(server.port(), "/stats").json();
  EXPECT_EQ(stats["config"]["policy"], "drr");
  EXPECT_TRUE(stats["config"].contains("policy_options")) << stats["config"].dump();
  EXPECT_EQ(stats["predictor"]["name"], "ewma") << stats.dump();
}

TEST(ServerSchedulingTest, TraceOutRecordsEveryAnsweredRequestInTheSimulatorsFormat) {
  TempDir dir;
  const std::string trace = dir.path() + "/trace.jsonl";
  {
    ServerProcess server({"--trace-out", trace, "--policy", "sjf"});
    ASSERT_TRUE(server.ready()) << server.output();
    EXPECT_EQ(Post(server.port(), "/score", R"({"mode":"cpu","iters":1000})", {"X-Client-Id: a"}).status,
              200);
    EXPECT_EQ(Post(server.port(), "/score", R"({"mode":"sleep","ms":2,"priority":1})").status, 200);
    EXPECT_EQ(Post(server.port(), "/score", R"({"mode":"cpu","iters":-1})").status, 400);  // never admitted
    EXPECT_EQ(server.Stop(), 0) << server.output();
  }
  auto parsed = LoadTrace(trace);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 2u);
  std::map<std::string, TraceRequest> by_class;
  for (const auto& r : *parsed) by_class[r.cost_class.text()] = r;
  ASSERT_TRUE(by_class.count("cpu:2^9")) << "cpu:1000 iterations is class cpu:2^9";
  ASSERT_TRUE(by_class.count("sleep:2^1"));
  EXPECT_EQ(by_class["cpu:2^9"].client, "a");
  EXPECT_EQ(by_class["sleep:2^1"].priority, 1);
  EXPECT_EQ(by_class["sleep:2^1"].status, 200);
  EXPECT_GE(by_class["sleep:2^1"].service_us, 2000);
  EXPECT_GT(by_class["cpu:2^9"].input_bytes, 0);
}

TEST(ServerSchedulingTest, BadPolicyFlagsAreRefusedWithTheFlagNamed) {
  struct Case {
    std::vector<std::string> args;
    std::string mentions;
  };
  const Case cases[] = {
      {{"serve", "--policy", "lottery"}, "--policy"},
      {{"serve", "--policy", "mlfq", "--mlfq-quanta-ms", "2,0,5"}, "--mlfq-quanta-ms"},
      {{"serve", "--policy", "mlfq", "--mlfq-quanta-ms", "-1"}, "--mlfq-quanta-ms"},
      {{"serve", "--policy", "mlfq", "--mlfq-quanta-ms", "fast"}, "--mlfq-quanta-ms"},
      {{"serve", "--policy", "drr", "--drr-quantum-ms", "0"}, "--drr-quantum-ms"},
      {{"simulate", "--trace", "/dev/null", "--policy", "mlfq", "--mlfq-quanta-ms", "0"}, "--mlfq-quanta-ms"},
  };
  for (const Case& c : cases) {
    auto r = RunSwitchyard(c.args);
    EXPECT_NE(r.exit_code, 0) << c.args.back();
    EXPECT_NE(r.output.find(c.mentions), std::string::npos) << r.output;
  }
}

TEST(ServerSchedulingTest, APredictorModelThatDoesNotLoadFallsBackToTheOnlineEstimateAndSaysSo) {
  TempDir dir;
  const std::string model = dir.path() + "/model.json";
  std::ofstream(model) << "this is not a model";
  ServerProcess server({"--policy", "sjf", "--predictor", model});
  ASSERT_TRUE(server.ready()) << server.output();
  EXPECT_NE(server.output().find("did not load"), std::string::npos) << server.output();
  EXPECT_EQ(Post(server.port(), "/score", R"({"mode":"cpu","iters":10})").status, 200);
  EXPECT_EQ(Get(server.port(), "/stats").json()["predictor"]["name"], "ewma");
}

}  // namespace
}  // namespace switchyard
