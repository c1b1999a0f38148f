// Dynamic batching through the running server: every reference model, under
// each executor, answers concurrent requests that ran as batches with what
// it answers each of them alone; /stats counts the batches; a config that
// asks for what a model cannot do is refused at load, naming file and key.
#include <gtest/gtest.h>

#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "server_harness.h"

namespace switchyard {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::Post;
using testing::ServerProcess;
using testing::TempDir;

// The tiny reference models, each with max_batch_size = 8 and a dynamic
// batcher that waits up to `delay_us` for a batch to fill.
void MakeBatchingRepository(const TempDir& dir, int delay_us) {
  for (const char* m : {"tiny_mobilenet", "tiny_distilbert", "tiny_lstm"}) {
    const std::string from = std::string(SWITCHYARD_TEST_MODELS) + "/" + m;
    fs::create_directories(dir.File(std::string(m) + "/1"));
    fs::copy(from + "/1/model.pt", dir.File(std::string(m) + "/1/model.pt"));
    std::ifstream in(from + "/config.toml");
    std::stringstream config;
    config << in.rdbuf();
    std::ofstream(dir.File(std::string(m) + "/config.toml"))
        << "max_batch_size = 8\n"
        << config.str() << "\n[dynamic_batching]\nmax_queue_delay_us = " << delay_us << "\n";
  }
}

// Request `i` for `model`: 1 row, or 2 for every third, of inputs that
// differ between requests.
json Request(const std::string& model, int i) {
  const int rows = i % 3 == 2 ? 2 : 1;
  json input = {{"name", "INPUT__0"}};
  size_t count = 0;
  if (model == "tiny_mobilenet") {
    input["shape"] = {rows, 3, 32, 32};
    input["datatype"] = "FP32";
    count = static_cast<size_t>(rows) * 3 * 32 * 32;
  } else if (model == "tiny_lstm") {
    input["shape"] = {rows, 12, 7};
    input["datatype"] = "FP32";
    count = static_cast<size_t>(rows) * 12 * 7;
  } else {
    input["shape"] = {rows, 16};
    input["datatype"] = "INT64";
    count = static_cast<size_t>(rows) * 16;
  }
  json data = json::array();
  for (size_t k = 0; k < count; ++k) {
    if (model == "tiny_distilbert") {
      data.push_back(static_cast<int64_t>((k * 7 + static_cast<size_t>(i) * 13) % 1000));
    } else {
      data.push_back(static_cast<float>((k * 37 + static_cast<size_t>(i) * 11) % 101) / 101.0f - 0.5f);
    }
  }
  input["data"] = std::move(data);
  return {{"inputs", {input}}};
}

class BatchingServeTest : public ::testing::TestWithParam<std::vector<std::string>> {};

TEST_P(BatchingServeTest, BatchedAnswersEqualTheAnswersAlone) {
  TempDir dir;
  MakeBatchingRepository(dir, 20000);
  std::vector<std::string> args = GetParam();
  args.insert(args.end(), {"--workers", "2", "--models", dir.path()});
  ServerProcess server(args, std::chrono::seconds(60));
  ASSERT_TRUE(server.ready()) << server.output();
  constexpr int kRequests = 12;
  for (const std::string model : {"tiny_mobilenet", "tiny_distilbert", "tiny_lstm"}) {
    SCOPED_TRACE(model);
    const std::string path = "/v2/models/" + model + "/infer";
    // Alone: one at a time, each a batch of one (after the 20 ms delay).
    std::vector<json> alone(kRequests);
    for (int i = 0; i < kRequests; ++i) {
      auto r = Post(server.port(), path, Request(model, i).dump());
      ASSERT_EQ(r.status, 200) << r.body;
      alone[static_cast<size_t>(i)] = r.json()["outputs"][0];
    }
    // Together: sent at once, they are stacked into batches of up to 8 rows.
    std::vector<json> together(kRequests);
    std::vector<std::thread> clients;
    for (int i = 0; i < kRequests; ++i) {
      clients.emplace_back([&, i] {
        auto r = Post(server.port(), path, Request(model, i).dump());
        together[static_cast<size_t>(i)] = r.status == 200 ? r.json()["outputs"][0] : json(r.body);
      });
    }
    for (auto& t : clients) t.join();
    for (int i = 0; i < kRequests; ++i) {
      const json& a = alone[static_cast<size_t>(i)];
      const json& b = together[static_cast<size_t>(i)];
      ASSERT_TRUE(b.is_object()) << b;
      EXPECT_EQ(b["shape"], a["shape"]) << "request " << i;
      ASSERT_EQ(b["data"].size(), a["data"].size());
      // Element by element. A batch runs other kernels' blocking than a
      // single row can, so float sums may round differently in the last
      // bits: equal within 1e-5 relative.
      for (size_t k = 0; k < a["data"].size(); ++k) {
        const double x = a["data"][k], y = b["data"][k];
        EXPECT_NEAR(x, y, 1e-5 * std::max(1.0, std::fabs(x))) << "request " << i << " element " << k;
      }
    }
  }
  auto stats = testing::Get(server.port(), "/stats").json();
  const json& batching = stats["batching"];
  EXPECT_GE(batching["requests"].get<int>(), 3 * 2 * kRequests) << batching;
  EXPECT_LT(batching["batches"].get<int>(), batching["requests"].get<int>())
      << "some batch held several: " << batching;
  EXPECT_GT(batching["rows"].get<int>(), batching["requests"].get<int>()) << "2-row requests count 2 rows";
}

INSTANTIATE_TEST_SUITE_P(Executors, BatchingServeTest,
                         ::testing::Values(std::vector<std::string>{"--executor", "threads"},
                                           std::vector<std::string>{"--executor", "processes"},
                                           std::vector<std::string>{"--executor", "async", "--offload", "2"}),
                         [](const auto& p) { return p.param[1]; });

// A Python model that batches: y = 2x, each call's batch size written out
// as `n`, after `ms` milliseconds (the largest of the batch's ms).
void MakePythonBatchingModel(const TempDir& dir) {
  fs::create_directories(dir.File("py_double/1"));
  std::ofstream(dir.File("py_double/config.toml")) << R"(max_batch_size = 8
[[input]]
name = "x"
datatype = "FP32"
shape = [-1, 2]
[[input]]
name = "ms"
datatype = "INT32"
shape = [-1]
[[output]]
name = "y"
datatype = "FP32"
shape = [-1, 2]
[[output]]
name = "n"
datatype = "INT32"
shape = [-1]
[dynamic_batching]
max_queue_delay_us = 200000
preferred_batch_sizes = [4]
)";
  std::ofstream(dir.File("py_double/1/model.py")) << R"(import time

import numpy as np


class Model:
    def __init__(self, config):
        pass

    def infer(self, inputs):
        x, ms = inputs["x"], inputs["ms"]
        time.sleep(int(ms.max()) / 1000)
        return {"y": (2 * x).astype(np.float32), "n": np.full(len(x), len(x), dtype=np.int32)}
)";
}

json DoubleRequest(float value, int ms) {
  return {{"inputs",
           {{{"name", "x"}, {"shape", {1, 2}}, {"datatype", "FP32"}, {"data", {value, value + 1}}},
            {{"name", "ms"}, {"shape", {1}}, {"datatype", "INT32"}, {"data", {ms}}}}}};
}

TEST(BatchingPythonTest, APythonModelTakesTheBatchAndAKilledWorkerFailsOnlyThatBatch) {
  TempDir dir;
  MakePythonBatchingModel(dir);
  ServerProcess server({"--executor", "processes", "--workers", "2", "--models", dir.path()},
                       std::chrono::seconds(60));
  ASSERT_TRUE(server.ready()) << server.output();
  const std::string path = "/v2/models/py_double/infer";
  // Four at once: a preferred batch of 4, one inference.
  std::vector<json> replies(4);
  {
    std::vector<std::thread> clients;
    for (int i = 0; i < 4; ++i) {
      clients.emplace_back([&, i] {
        auto r = Post(server.port(), path, DoubleRequest(static_cast<float>(10 * i), 0).dump());
        replies[static_cast<size_t>(i)] = r.status == 200 ? r.json() : json(r.body);
      });
    }
    for (auto& t : clients) t.join();
  }
  for (int i = 0; i < 4; ++i) {
    const json& r = replies[static_cast<size_t>(i)];
    ASSERT_TRUE(r.is_object()) << r;
    EXPECT_EQ(r["outputs"][0]["data"], json({20.0 * i, 20.0 * i + 2})) << r;
    EXPECT_EQ(r["outputs"][1]["data"], json({4})) << "ran in one batch of 4: " << r;
  }

  // Four more, each asking the model to take 2 s; while their batch runs, its
  // worker process is killed: each of the four fails (503), once, and the
  // server goes on serving.
  std::vector<int> statuses(4, 0);
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&, i] {
      statuses[static_cast<size_t>(i)] = Post(server.port(), path, DoubleRequest(1, 2000).dump()).status;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  std::vector<pid_t> workers;
  for (pid_t zygote : testing::ChildrenOf(server.pid())) {
    for (pid_t w : testing::ChildrenOf(zygote)) workers.push_back(w);
  }
  ASSERT_FALSE(workers.empty());
  for (pid_t w : workers) ::kill(w, SIGKILL);
  for (auto& t : clients) t.join();
  EXPECT_EQ(statuses, (std::vector<int>{503, 503, 503, 503}));
  int ok = 0;
  for (int i = 0; i < 100 && ok == 0; ++i) {
    auto r = Post(server.port(), path, DoubleRequest(3, 0).dump());
    if (r.status == 200) {
      ++ok;
      EXPECT_EQ(r.json()["outputs"][0]["data"], json({6.0, 8.0}));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  EXPECT_EQ(ok, 1);
}

// Four DoubleRequests at once; the batch sizes the model saw ("n").
std::vector<int> BatchSizesOfFourAtOnce(const ServerProcess& server) {
  std::vector<int> sizes(4, -1);
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&, i] {
      auto r = Post(server.port(), "/v2/models/py_double/infer", DoubleRequest(1, 0).dump());
      if (r.status == 200) sizes[static_cast<size_t>(i)] = r.json()["outputs"][1]["data"][0].get<int>();
    });
  }
  for (auto& t : clients) t.join();
  return sizes;
}

TEST(BatchingOverrideTest, TheServersMaxBatchAndDelayOverrideTheModelsLive) {
  TempDir dir;
  MakePythonBatchingModel(dir);
  std::ofstream(dir.File("token")) << "t0ken\n";
  ServerProcess server({"--executor", "threads", "--workers", "2", "--models", dir.path(), "--max-batch", "1",
                        "--admin-token-file", dir.File("token")},
                       std::chrono::seconds(60));
  ASSERT_TRUE(server.ready()) << server.output();
  // --max-batch 1: each request alone, at once (not after the model's 200 ms).
  EXPECT_EQ(BatchSizesOfFourAtOnce(server), (std::vector<int>{1, 1, 1, 1}));
  EXPECT_EQ(testing::Get(server.port(), "/stats").json()["config"]["max_batch"], 1);

  // Live: batches of at most 2, handed out as soon as they hold 2.
  const std::vector<std::string> auth = {"Authorization: Bearer t0ken"};
  auto r = Post(server.port(), "/admin/config", R"({"max_batch":2})", auth);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(BatchSizesOfFourAtOnce(server), (std::vector<int>{2, 2, 2, 2}));
  // Back to the model's own (max 8, preferred 4).
  r = Post(server.port(), "/admin/config", R"({"max_batch":-1})", auth);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(BatchSizesOfFourAtOnce(server), (std::vector<int>{4, 4, 4, 4}));

  for (const char* bad : {R"({"max_batch":0})", R"({"max_batch":5000})", R"({"batch_delay_us":-2})",
                          R"({"batch_delay_us":"2ms"})"}) {
    auto refused = Post(server.port(), "/admin/config", bad, auth);
    EXPECT_EQ(refused.status, 400) << bad << " -> " << refused.body;
  }
  EXPECT_EQ(BatchSizesOfFourAtOnce(server), (std::vector<int>{4, 4, 4, 4}))
      << "unchanged by what was refused";
}

TEST(BatchingServeErrorsTest, RequestsBeyondTheBatchAreRefused) {
  TempDir dir;
  MakeBatchingRepository(dir, 0);
  ServerProcess server({"--executor", "threads", "--workers", "1", "--models", dir.path()},
                       std::chrono::seconds(60));
  ASSERT_TRUE(server.ready()) << server.output();
  json nine = Request("tiny_lstm", 0);
  nine["inputs"][0]["shape"] = {9, 1, 7};
  nine["inputs"][0]["data"] = std::vector<float>(63, 0.5f);
  auto r = Post(server.port(), "/v2/models/tiny_lstm/infer", nine.dump());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("batch of 9; the model takes 1 to 8 (max_batch_size)"), std::string::npos) << r.body;
}

TEST(BatchingConfigTest, WhatAModelCannotDoIsRefusedAtLoadWithFileAndKey) {
  struct Case {
    std::string top;    // before the tensors
    std::string shape;  // the input's
    std::string tail;   // after them
    std::string mention;
  };
  const std::vector<Case> cases = {
      {"max_batch_size = 0\n", "[-1, 7]", "", "0 would mean the model does not batch"},
      {"max_batch_size = 8\n", "[1, 7]", "", "shape must start with -1"},
      {"max_batch_size = 100000\n", "[-1, 7]", "", "max_batch_size"},
      {"", "[-1, 7]", "[dynamic_batching]\nmax_queue_delay_us = 10\n", "needs max_batch_size"},
      {"max_batch_size = 4\n", "[-1, 7]", "[dynamic_batching]\npreferred_batch_sizes = [8]\n",
       "preferred_batch_sizes"},
      {"max_batch_size = 4\n", "[-1, 7]", "[dynamic_batching]\nmax_queue_delay_us = -1\n",
       "max_queue_delay_us"},
      {"max_batch_size = 4\n", "[-1, 7]", "[dynamic_batching]\ndelay = 5\n", "delay"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.mention);
    TempDir dir;
    fs::create_directories(dir.File("m/1"));
    fs::copy(std::string(SWITCHYARD_TEST_MODELS) + "/tiny_lstm/1/model.pt", dir.File("m/1/model.pt"));
    std::ofstream(dir.File("m/config.toml"))
        << c.top << "[[input]]\nname = \"x\"\ndatatype = \"FP32\"\nshape = " << c.shape
        << "\n[[output]]\nname = \"y\"\ndatatype = \"FP32\"\n"
        << "shape = [-1, 24]\n"
        << c.tail;
    ServerProcess server({"--executor", "threads", "--workers", "1", "--models", dir.path()},
                         std::chrono::seconds(60));
    ASSERT_TRUE(server.ready()) << server.output();
    // The model is not ready; /v2/models/m says why, naming the file.
    auto meta = testing::Get(server.port(), "/v2/models/m").json();
    const std::string why = meta.value("error", "");
    EXPECT_NE(why.find(c.mention), std::string::npos) << meta;
    EXPECT_NE(why.find("config.toml"), std::string::npos) << meta;
  }
}

}  // namespace
}  // namespace switchyard
