// `switchyard bench` and `switchyard study` as a user runs them: exit codes
// and messages for the bad inputs of issue 3.
#include <gtest/gtest.h>

#include <fstream>

#include "core/file_util.h"
#include "server_harness.h"

namespace switchyard {
namespace {

using testing::RunSwitchyard;

TEST(BenchCliTest, ARefusingTargetIsReportedAndExitsOne) {
  auto r = RunSwitchyard({"bench", "--url", "http://127.0.0.1:" + std::to_string(testing::UnusedLoopbackPort()) + "/score", "-d",
                          "1s", "-q"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("cannot connect"), std::string::npos) << r.output;
}

TEST(BenchCliTest, ErrorsFromTheServerAreReportedAndExitThreeUnlessAllowed) {
  testing::ServerProcess server({"--executor", "threads", "--workers", "1"});
  ASSERT_TRUE(server.ready()) << server.output();
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/score";
  // Every io request fails: the server has no --db (501). Half the mix succeeds.
  auto mixed = RunSwitchyard({"bench", "--url", url, "-c", "2", "-d", "500ms", "--warmup", "0s", "-q", "--mix",
                              "io:1,cpu:iters=10:1"});
  EXPECT_EQ(mixed.exit_code, 3) << mixed.output;
  EXPECT_NE(mixed.output.find("501"), std::string::npos) << mixed.output;
  EXPECT_NE(mixed.output.find("requests failed"), std::string::npos) << mixed.output;
  auto allowed = RunSwitchyard({"bench", "--url", url, "-c", "2", "-d", "500ms", "--warmup", "0s", "-q", "--mix",
                                "io:1,cpu:iters=10:1", "--allow-errors"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.output;
  auto all_fail = RunSwitchyard({"bench", "--url", url, "-c", "2", "-d", "500ms", "--warmup", "0s", "-q", "--mix", "io"});
  EXPECT_EQ(all_fail.exit_code, 1) << all_fail.output;
  EXPECT_NE(all_fail.output.find("no request succeeded"), std::string::npos) << all_fail.output;
}

TEST(BenchCliTest, WritesTheJsonAndCsvItPromises) {
  testing::ServerProcess server({"--executor", "async", "--workers", "1"});
  ASSERT_TRUE(server.ready()) << server.output();
  testing::TempDir dir;
  auto r = RunSwitchyard({"bench", "--url", "http://127.0.0.1:" + std::to_string(server.port()) + "/score", "-r",
                          "200", "-d", "1s", "--warmup", "200ms", "-q", "--mix", "cpu:iters=10,sleep:ms=1", "--json",
                          dir.File("out.json"), "--csv", dir.File("out.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("p99 ms"), std::string::npos) << r.output;  // the human table
  auto json = nlohmann::json::parse(*ReadFile(dir.File("out.json")));
  for (const char* key : {"requests", "errors", "throughput_rps", "late_sends", "latency_us", "timeseries"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  for (const char* key : {"p50", "p90", "p95", "p99", "p999", "max"}) EXPECT_TRUE(json["latency_us"].contains(key));
  EXPECT_EQ(json["load"]["mode"], "open");
  EXPECT_NEAR(json["requests"].get<double>(), 200, 20);
  std::string csv = *ReadFile(dir.File("out.csv"));
  EXPECT_EQ(csv.rfind("t_s,phase,sent,requests,errors,p50_us,p99_us,max_us\n", 0), 0u) << csv;
}

TEST(BenchCliTest, ReportsEachEntryAndClientWithTheFairnessIndex) {
  testing::ServerProcess server({"--executor", "threads", "--workers", "1"});
  ASSERT_TRUE(server.ready()) << server.output();
  testing::TempDir dir;
  auto r = RunSwitchyard({"bench", "--url", "http://127.0.0.1:" + std::to_string(server.port()) + "/score", "-c",
                          "2", "-n", "100", "-d", "30s", "--warmup", "0s", "-q", "--mix",
                          "cpu:iters=10:client=a,cpu:iters=10:client=b:timeout_us=10000000:label=bee,sleep:ms=1",
                          "--json", dir.File("out.json")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("per client"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Jain's fairness index"), std::string::npos) << r.output;
  auto json = nlohmann::json::parse(*ReadFile(dir.File("out.json")));
  EXPECT_EQ(json["mix"], "cpu:iters=10:client=a:1,cpu:iters=10:client=b:timeout_us=10000000:label=bee:1,sleep:ms=1:1");
  ASSERT_EQ(json["entries"].size(), 3u) << json["entries"];
  uint64_t requests = 0;
  for (const char* label : {"cpu:iters=10:client=a", "bee", "sleep:ms=1"}) {
    ASSERT_TRUE(json["entries"].contains(label)) << label;
    requests += json["entries"][label]["requests"].get<uint64_t>();
  }
  EXPECT_EQ(requests, json["requests"].get<uint64_t>());
  for (const char* client : {"a", "b", ""}) EXPECT_TRUE(json["clients"].contains(client)) << client;
  ASSERT_TRUE(json["jain_index"].is_number()) << json["jain_index"];
  EXPECT_GT(json["jain_index"].get<double>(), 0.5);
  EXPECT_LE(json["jain_index"].get<double>(), 1.0 + 1e-9);
}

TEST(BenchCliTest, BadFlagsAreRefusedWithAMessage) {
  struct Case {
    std::vector<std::string> args;
    std::string mentions;
  };
  testing::TempDir dir;
  std::ofstream(dir.File("p.toml")) << "[[phase]]\nduration = \"1s\"\nrate = 5\nmix = \"cpu\"\n";
  const Case cases[] = {
      {{"bench", "--duration", "10"}, "unit is missing"},
      {{"bench", "--mix", "gpu:1"}, "gpu"},
      {{"bench", "--url", "http://10.1.1.1:80/"}, "loopback"},
      {{"bench", "--rate", "-5"}, "--rate"},
      {{"bench", "--connections", "0"}, "--connections"},
      {{"bench", "--arrivals", "constant"}, "--arrivals needs --rate"},
      {{"bench", "--phases", dir.File("p.toml"), "--rate", "5"}, "cannot be combined with --phases"},
      {{"bench", "--phases", dir.File("missing.toml")}, "missing.toml"},
      {{"bench", "--mix", "cpu:client=a/b"}, "client 'a/b'"},
      {{"bench", "--mix", "cpu:timeout_us=0"}, "timeout_us '0'"},
      {{"bench", "--mix", "cpu:label=x,io:label=x"}, "the same label 'x'"},
  };
  for (const Case& c : cases) {
    auto r = RunSwitchyard(c.args);
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find(c.mentions), std::string::npos) << "args " << c.args.back() << ": " << r.output;
  }
}

TEST(StudyCliTest, ABadStudyFileIsRejectedBeforeAnythingRuns) {
  testing::TempDir dir;
  std::ofstream(dir.File("s.toml")) << "name = \"s\"\n[server]\nworkers = [0]\n"
                                       "[[workload]]\nname = \"w\"\nmix = \"cpu\"\nconnections = 1\n";
  auto r = RunSwitchyard({"study", dir.File("s.toml"), "--out", dir.File("r.jsonl")});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("s.toml:3: server: key 'workers'"), std::string::npos) << r.output;
  EXPECT_FALSE(ReadFile(dir.File("r.jsonl")).ok()) << "nothing may run, nothing may be written";
}

TEST(StudyCliTest, CheckListsTheCellsAndRunsNothing) {
  auto r = RunSwitchyard({"study", std::string(SWITCHYARD_SOURCE_DIR) + "/studies/quick.toml", "--check"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("18 cells"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("async.w2.fifo.io.c256"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace switchyard
