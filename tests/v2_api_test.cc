// The Open Inference Protocol (KServe v2) against the running server: every
// route and its errors, the bad-input table, a repository with broken models,
// and outputs through every executor and start method equal to LibTorch run
// in this process on the same inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "model/model_backend.h"
#include "model/tensor.h"
#include "server_harness.h"

namespace switchyard {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::Get;
using testing::HttpResponse;
using testing::Post;
using testing::ServerProcess;
using testing::TempDir;

std::string TestModels() { return SWITCHYARD_TEST_MODELS; }

// The tiny reference models plus the ways a repository goes wrong:
//   broken/1/model.pt      not a TorchScript archive: that model is not ready
//   badconfig/config.toml  a config that does not parse
//   noconfig               tiny_mobilenet without its config: names and
//                          shapes come from the request (Triton's default)
//   tiny_lstm/2            a newer version that is broken: version 1 serves
void MakeRepository(const TempDir& dir) {
  for (const char* m : {"tiny_mobilenet", "tiny_distilbert", "tiny_lstm"}) {
    fs::copy(TestModels() + "/" + m, dir.File(m), fs::copy_options::recursive);
  }
  fs::create_directories(dir.File("broken/1"));
  std::ofstream(dir.File("broken/1/model.pt")) << "this is not a TorchScript archive";
  fs::create_directories(dir.File("badconfig/1"));
  std::ofstream(dir.File("badconfig/config.toml")) << "[[input]]\nname = 3\n";
  fs::copy(TestModels() + "/tiny_lstm/1/model.pt", dir.File("badconfig/1/model.pt"));
  fs::create_directories(dir.File("noconfig/1"));
  fs::copy(TestModels() + "/tiny_mobilenet/1/model.pt", dir.File("noconfig/1/model.pt"));
  fs::create_directories(dir.File("tiny_lstm/2"));
  std::ofstream(dir.File("tiny_lstm/2/model.pt")) << "junk";
}

// Deterministic inputs of each tiny model's declared shape.
std::vector<float> Ramp(size_t n, float scale) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = scale * static_cast<float>((i * 37) % 101) / 101.0f - 0.5f;
  return v;
}

json MobilenetInput(const std::string& name = "INPUT__0") {
  return {{"name", name}, {"shape", {1, 3, 32, 32}}, {"datatype", "FP32"}, {"data", Ramp(3 * 32 * 32, 1.0f)}};
}

json InferBody(json input) { return {{"inputs", json::array({std::move(input)})}}; }

class V2ProtocolTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    MakeRepository(*dir_);
    server_ = new ServerProcess({"--executor", "threads", "--workers", "2", "--models", dir_->path(),
                                 "--max-tensor-elements", "100000"},
                                std::chrono::seconds(60));
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
    server_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(server_->ready()) << server_->output(); }
  void TearDown() override {
    // Whatever the test sent, a good request is still answered correctly.
    auto r = Post(port(), "/v2/models/tiny_mobilenet/infer", InferBody(MobilenetInput()).dump());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["outputs"][0]["data"].size(), 10u);
  }
  static uint16_t port() { return server_->port(); }

  static void ExpectError(const HttpResponse& r, int status, const std::string& mention) {
    EXPECT_EQ(r.status, status) << r.body;
    auto j = r.json();
    ASSERT_TRUE(j.is_object() && j.contains("error") && j["error"].is_string()) << r.body;
    EXPECT_NE(j["error"].get<std::string>().find(mention), std::string::npos) << "wanted '" << mention << "' in " << r.body;
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
  }

  static TempDir* dir_;
  static ServerProcess* server_;
};

TempDir* V2ProtocolTest::dir_ = nullptr;
ServerProcess* V2ProtocolTest::server_ = nullptr;

TEST_F(V2ProtocolTest, ServerMetadataAndHealth) {
  auto meta = Get(port(), "/v2");
  ASSERT_EQ(meta.status, 200) << meta.body;
  EXPECT_EQ(meta.json()["name"], "switchyard");
  EXPECT_TRUE(meta.json()["version"].is_string());
  EXPECT_TRUE(meta.json()["extensions"].is_array());
  EXPECT_EQ(Get(port(), "/v2/health/live").status, 200);
  EXPECT_EQ(Get(port(), "/v2/health/ready").status, 200);
}

TEST_F(V2ProtocolTest, StartupNamesEveryModelThatFailedAndWhy) {
  const std::string& out = server_->output();
  EXPECT_NE(out.find("broken"), std::string::npos) << out;
  EXPECT_NE(out.find("not a loadable TorchScript model"), std::string::npos) << out;
  EXPECT_NE(out.find("badconfig"), std::string::npos) << out;
}

TEST_F(V2ProtocolTest, ModelMetadataDescribesDeclaredTensors) {
  for (const std::string path : {"/v2/models/tiny_mobilenet", "/v2/models/tiny_mobilenet/versions/1"}) {
    auto r = Get(port(), path);
    ASSERT_EQ(r.status, 200) << r.body;
    json j = r.json();
    EXPECT_EQ(j["name"], "tiny_mobilenet");
    EXPECT_EQ(j["versions"], json::array({"1"}));
    EXPECT_EQ(j["platform"], "pytorch_libtorch");
    ASSERT_EQ(j["inputs"].size(), 1u);
    EXPECT_EQ(j["inputs"][0]["name"], "INPUT__0");
    EXPECT_EQ(j["inputs"][0]["datatype"], "FP32");
    EXPECT_EQ(j["inputs"][0]["shape"], json({-1, 3, 32, 32}));
    EXPECT_EQ(j["outputs"][0]["name"], "OUTPUT__0");
    EXPECT_EQ(j["outputs"][0]["shape"], json({-1, 10}));
  }
  // Only the version that loaded is listed.
  EXPECT_EQ(Get(port(), "/v2/models/tiny_lstm").json()["versions"], json::array({"1"}));
}

TEST_F(V2ProtocolTest, ReadinessPerModelAndVersion) {
  EXPECT_EQ(Get(port(), "/v2/models/tiny_mobilenet/ready").status, 200);
  EXPECT_EQ(Get(port(), "/v2/models/tiny_lstm/versions/1/ready").status, 200);
  // Triton: a model that exists but is not ready is a 400; an unknown one 404.
  ExpectError(Get(port(), "/v2/models/tiny_lstm/versions/2/ready"), 400, "not ready");
  ExpectError(Get(port(), "/v2/models/broken/ready"), 400, "not ready");
  ExpectError(Get(port(), "/v2/models/badconfig/ready"), 400, "not ready");
  ExpectError(Get(port(), "/v2/models/nosuchmodel/ready"), 404, "nosuchmodel");
  ExpectError(Get(port(), "/v2/models/tiny_lstm/versions/9/ready"), 404, "no version 9");
}

TEST_F(V2ProtocolTest, UnknownModelsVersionsAndRoutesAre404) {
  ExpectError(Get(port(), "/v2/models/nosuchmodel"), 404, "unknown model 'nosuchmodel'");
  ExpectError(Get(port(), "/v2/models/tiny_lstm/versions/9"), 404, "no version 9");
  ExpectError(Post(port(), "/v2/models/nosuchmodel/infer", InferBody(MobilenetInput()).dump()), 404,
              "unknown model");
  ExpectError(Post(port(), "/v2/models/tiny_mobilenet/versions/3/infer", InferBody(MobilenetInput()).dump()), 404,
              "no version 3");
  ExpectError(Get(port(), "/v2/models/tiny_mobilenet/explain"), 404, "no route");
  ExpectError(Get(port(), "/v2/repository/index"), 404, "no route");
  EXPECT_GE(Get(port(), "/v2/models/tiny_mobilenet/versions/x1/ready").status, 400);
  EXPECT_EQ(Get(port(), "/v2/models/tiny_mobilenet/versions/x1/ready").json().count("error"), 1u);
}

TEST_F(V2ProtocolTest, WrongMethodsAre405) {
  auto r = Post(port(), "/v2/models/tiny_mobilenet", "{}");
  ExpectError(r, 405, "not allowed");
  EXPECT_EQ(r.headers.at("allow"), "GET");
  testing::HttpConnection c(port());
  ExpectError(c.Request("GET", "/v2/models/tiny_mobilenet/infer"), 405, "not allowed");
}

TEST_F(V2ProtocolTest, InferAnswersInTritonsShape) {
  json body = InferBody(MobilenetInput());
  body["id"] = "req-42";
  auto r = Post(port(), "/v2/models/tiny_mobilenet/infer", body.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  json j = r.json();
  EXPECT_EQ(j["model_name"], "tiny_mobilenet");
  EXPECT_EQ(j["model_version"], "1");
  EXPECT_EQ(j["id"], "req-42");
  ASSERT_EQ(j["outputs"].size(), 1u);
  EXPECT_EQ(j["outputs"][0]["name"], "OUTPUT__0");
  EXPECT_EQ(j["outputs"][0]["datatype"], "FP32");
  EXPECT_EQ(j["outputs"][0]["shape"], json({1, 10}));
  ASSERT_EQ(j["outputs"][0]["data"].size(), 10u);
  for (const json& v : j["outputs"][0]["data"]) EXPECT_TRUE(v.is_number()) << v;

  // The same through an explicit version, with nested data, asking for the output by name,
  // and with the scheduling parameters Triton defines.
  json nested = MobilenetInput();
  std::vector<float> flat = nested["data"];
  json rows = json::array();
  for (size_t i = 0; i < flat.size(); i += 32) rows.push_back(std::vector<float>(flat.begin() + i, flat.begin() + i + 32));
  nested["data"] = rows;
  json body2 = InferBody(nested);
  body2["outputs"] = json::array({{{"name", "OUTPUT__0"}}});
  body2["parameters"] = {{"priority", 2}, {"timeout", 5000000}};
  auto r2 = Post(port(), "/v2/models/tiny_mobilenet/versions/1/infer", body2.dump());
  ASSERT_EQ(r2.status, 200) << r2.body;
  EXPECT_EQ(r2.json()["outputs"][0]["data"], j["outputs"][0]["data"]);
  EXPECT_EQ(r2.json().count("id"), 0u);
}

TEST_F(V2ProtocolTest, AnOlderVersionServesWhenTheNewestIsBroken) {
  json in = {{"name", "INPUT__0"}, {"shape", {1, 336, 7}}, {"datatype", "FP32"}, {"data", Ramp(336 * 7, 0.5f)}};
  auto r = Post(port(), "/v2/models/tiny_lstm/infer", InferBody(in).dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["model_version"], "1");
  EXPECT_EQ(r.json()["outputs"][0]["shape"], json({1, 24}));
  ExpectError(Post(port(), "/v2/models/tiny_lstm/versions/2/infer", InferBody(in).dump()), 503, "not ready");
}

TEST_F(V2ProtocolTest, ABrokenModelIsUnavailableNotFatal) {
  auto meta = Get(port(), "/v2/models/broken");
  ASSERT_EQ(meta.status, 200) << meta.body;
  EXPECT_EQ(meta.json()["versions"], json::array());
  EXPECT_NE(meta.json()["error"].get<std::string>().find("not a loadable TorchScript model"), std::string::npos);
  auto r = Post(port(), "/v2/models/broken/infer", InferBody(MobilenetInput()).dump());
  ExpectError(r, 503, "not ready");
  EXPECT_EQ(r.headers.count("retry-after"), 1u);
  ExpectError(Post(port(), "/v2/models/badconfig/infer", InferBody(MobilenetInput()).dump()), 503, "not ready");
}

TEST_F(V2ProtocolTest, WithoutAConfigTensorsAreNamedByPositionAndShapedByTheRequest) {
  auto meta = Get(port(), "/v2/models/noconfig");
  ASSERT_EQ(meta.status, 200);
  EXPECT_EQ(meta.json()["inputs"][0]["name"], "INPUT__0");
  auto r = Post(port(), "/v2/models/noconfig/infer", InferBody(MobilenetInput()).dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["outputs"][0]["name"], "OUTPUT__0");
  EXPECT_EQ(r.json()["outputs"][0]["shape"], json({1, 10}));
  // A shape the network cannot take throws inside LibTorch: that request
  // fails with the reason, the server does not.
  json odd = {{"name", "INPUT__0"}, {"shape", {1, 5, 7}}, {"datatype", "FP32"}, {"data", Ramp(35, 1)}};
  ExpectError(Post(port(), "/v2/models/noconfig/infer", InferBody(odd).dump()), 400, "inference failed");
  ExpectError(Post(port(), "/v2/models/noconfig/infer", InferBody(MobilenetInput("INPUT__1")).dump()), 400,
              "unknown input 'INPUT__1'");
  ExpectError(Post(port(), "/v2/models/noconfig/infer", InferBody(MobilenetInput("pixels")).dump()), 400,
              "<name>__<index>");
}

// Triton's PyTorch convention: without a config, any <name>__<index> names
// the index-th input or output, and an output comes back under the name it
// was asked by; with a config, the config's names are the only names.
TEST_F(V2ProtocolTest, WithoutAConfigAnyNameWithTheIndexNamesTheTensor) {
  auto reference = Post(port(), "/v2/models/noconfig/infer", InferBody(MobilenetInput()).dump());
  ASSERT_EQ(reference.status, 200) << reference.body;
  for (const char* name : {"input__0", "x__0", "pixels__0"}) {
    SCOPED_TRACE(name);
    json body = InferBody(MobilenetInput(name));
    body["outputs"] = json::array({{{"name", "output__0"}}});
    auto r = Post(port(), "/v2/models/noconfig/infer", body.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(r.json()["outputs"].size(), 1u);
    EXPECT_EQ(r.json()["outputs"][0]["name"], "output__0");
    EXPECT_EQ(r.json()["outputs"][0]["data"], reference.json()["outputs"][0]["data"]);
  }
  json both = InferBody(MobilenetInput("input__0"));
  both["inputs"].push_back(MobilenetInput("INPUT__0"));
  ExpectError(Post(port(), "/v2/models/noconfig/infer", both.dump()), 400, "given twice");
  json no_such_output = InferBody(MobilenetInput());
  no_such_output["outputs"] = json::array({{{"name", "output__1"}}});
  ExpectError(Post(port(), "/v2/models/noconfig/infer", no_such_output.dump()), 400,
              "unknown output 'output__1'");
  // tiny_mobilenet's config.toml names its input INPUT__0.
  ExpectError(Post(port(), "/v2/models/tiny_mobilenet/infer", InferBody(MobilenetInput("input__0")).dump()), 400,
              "unknown input 'input__0' (the model's inputs: INPUT__0)");
}

// The bad-input table: each a 400 naming the problem (TearDown checks the
// server still answers correctly after every test).
TEST_F(V2ProtocolTest, BadInferRequestsAre400WithTheReason) {
  auto with = [](const char* key, json value) {
    json in = MobilenetInput();
    in[key] = std::move(value);
    return InferBody(in).dump();
  };
  json two = InferBody(MobilenetInput());
  two["inputs"].push_back(MobilenetInput());
  json missing_data = MobilenetInput();
  missing_data.erase("data");
  json bad_output = InferBody(MobilenetInput());
  bad_output["outputs"] = json::array({{{"name", "OUTPUT__7"}}});
  json neg_priority = InferBody(MobilenetInput());
  neg_priority["parameters"] = {{"priority", -1}};
  json bad_timeout = InferBody(MobilenetInput());
  bad_timeout["parameters"] = {{"timeout", "soon"}};
  const std::string good = InferBody(MobilenetInput()).dump();
  std::string nan_literal = good;
  nan_literal.replace(nan_literal.find("\"data\":[") + 8, 0, "NaN,");

  struct Row {
    std::string body;
    std::string mention;
  };
  std::vector<Row> rows = {
      {"not json", "not valid JSON"},
      {good.substr(0, good.size() / 2), "not valid JSON"},  // truncated
      {"", "not valid JSON"},
      {"[1,2]", "must be a JSON object"},
      {R"({"inputs":{}})", "'inputs' must be an array"},
      {R"({"inputs":[]})", "input 'INPUT__0' is missing"},
      {with("shape", {1, 3, 16, 16}), "shape"},                      // wrong shape
      {with("shape", {3, 32, 32}), "shape"},                         // wrong rank
      {with("datatype", "INT64"), "INT64"},                          // wrong datatype
      {with("datatype", "FP16"), "not served"},                      // unknown datatype
      {with("data", Ramp(100, 1)), "3072 elements but data has 100"},  // too short
      {with("data", Ramp(4000, 1)), "data has more"},                // too long
      {with("data", json::array({"NaN"})), "not a number"},          // a string
      {with("data", json::array({1e300})), "FP32's range"},          // overflow
      {with("data", json::array({nullptr})), "not a number"},
      {with("name", "pixels"), "unknown input 'pixels'"},
      {with("shape", {100000, 100000, 100}), "--max-tensor-elements"},              // 1e12 elements: not allocated
      {with("shape", {-1, 3, 32, 32}), "negative"},
      {with("shape", "1x3"), "'shape' must be an array"},
      {nan_literal, "not valid JSON"},                               // JSON has no NaN
      {InferBody(missing_data).dump(), "'data' is missing"},
      {two.dump(), "given twice"},
      {bad_output.dump(), "unknown output 'OUTPUT__7'"},
      {neg_priority.dump(), "parameters.priority"},
      {bad_timeout.dump(), "parameters.timeout"},
      {R"({"id":7,"inputs":[]})", "'id' must be a string"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.body.substr(0, 120));
    ExpectError(Post(port(), "/v2/models/tiny_mobilenet/infer", row.body), 400, row.mention);
  }
  // INT64 token ids: a float where an integer must be.
  json tokens = {{"name", "INPUT__0"}, {"shape", {1, 4}}, {"datatype", "INT64"}, {"data", {1, 2.5, 3, 4}}};
  ExpectError(Post(port(), "/v2/models/tiny_distilbert/infer", InferBody(tokens).dump()), 400, "an integer");
}

TEST_F(V2ProtocolTest, AHugeBodyIsRefusedBeforeItIsRead) {
  // The element limit (--max-tensor-elements 100000 here) caps a request's
  // tensors; the body limit caps what is read at all.
  std::string huge(2 * 1024 * 1024, ' ');
  auto r = Post(port(), "/v2/models/tiny_mobilenet/infer", huge);
  EXPECT_EQ(r.status, 413) << r.body.substr(0, 200);
}

TEST_F(V2ProtocolTest, ConcurrentInferencesEachGetTheirOwnAnswer) {
  // Two different inputs from four threads: every answer is the one for its input.
  auto expected = [](float scale) {
    json in = MobilenetInput();
    in["data"] = Ramp(3072, scale);
    return Post(port(), "/v2/models/tiny_mobilenet/infer", InferBody(in).dump()).json()["outputs"][0]["data"];
  };
  json a = expected(1.0f), b = expected(2.0f);
  ASSERT_NE(a, b);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      testing::HttpConnection c(port());
      for (int i = 0; i < 10; ++i) {
        float scale = (t + i) % 2 == 0 ? 1.0f : 2.0f;
        json in = MobilenetInput();
        in["data"] = Ramp(3072, scale);
        auto r = c.Request("POST", "/v2/models/tiny_mobilenet/infer", InferBody(in).dump());
        if (r.status != 200 || r.json()["outputs"][0]["data"] != (scale == 1.0f ? a : b)) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(V2ServeTest, WithoutModelsTheModelRoutesAre404AndHealthWorks) {
  ServerProcess server({"--executor", "threads", "--workers", "1"});
  ASSERT_TRUE(server.ready()) << server.output();
  EXPECT_EQ(Get(server.port(), "/v2/health/ready").status, 200);
  auto r = Get(server.port(), "/v2/models/tiny_mobilenet");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("started without --models"), std::string::npos) << r.body;
}

TEST(V2ServeTest, OversubscribedIntraOpThreadsAreWarnedAboutAndStillServe) {
  // 2 workers x one intra-op thread per core: twice the cores.
  const std::string per_core = std::to_string(std::max(1u, std::thread::hardware_concurrency()));
  ServerProcess server({"--executor", "threads", "--workers", "2", "--intra-op-threads", per_core, "--models",
                        TestModels()},
                       std::chrono::seconds(60));
  ASSERT_TRUE(server.ready()) << server.output();
  EXPECT_NE(server.output().find("WARNING: 2 workers x " + per_core + " intra-op threads"), std::string::npos)
      << server.output();
  EXPECT_EQ(Post(server.port(), "/v2/models/tiny_mobilenet/infer", InferBody(MobilenetInput()).dump()).status, 200);
}

TEST(V2ServeTest, PriorityPolicyTakesTheRequestsClassAndRefusesOnesOutOfRange) {
  ServerProcess server({"--executor", "threads", "--workers", "1", "--policy", "priority", "--priority-levels", "2",
                        "--aging-ms", "50", "--models", TestModels()},
                       std::chrono::seconds(60));
  ASSERT_TRUE(server.ready()) << server.output();
  for (int priority : {0, 1, 2}) {
    json body = InferBody(MobilenetInput());
    body["parameters"] = {{"priority", priority}};
    EXPECT_EQ(Post(server.port(), "/v2/models/tiny_mobilenet/infer", body.dump()).status, 200) << priority;
  }
  json body = InferBody(MobilenetInput());
  body["parameters"] = {{"priority", 3}};
  auto r = Post(server.port(), "/v2/models/tiny_mobilenet/infer", body.dump());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("priority 3 is outside 0..2"), std::string::npos) << r.body;
  // /score takes "priority" too, checked against the same range.
  EXPECT_EQ(Post(server.port(), "/score", R"({"mode":"cpu","iters":1,"priority":2})").status, 200);
  auto score = Post(server.port(), "/score", R"({"mode":"cpu","iters":1,"priority":7})");
  EXPECT_EQ(score.status, 400) << score.body;
  EXPECT_NE(score.body.find("priority 7 is outside 0..2"), std::string::npos) << score.body;
  auto stats = Get(server.port(), "/stats").json();
  EXPECT_NE(stats.dump().find("priority"), std::string::npos) << "the policy in use is reported";
}

TEST(V2ServeTest, UnknownPolicyAndBadPolicyOptionsAreCliErrors) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"serve", "--port", "0", "--policy", "lottery"},
        std::vector<std::string>{"serve", "--port", "0", "--priority-levels", "0"},
        std::vector<std::string>{"serve", "--port", "0", "--aging-ms", "-1"}}) {
    auto r = testing::RunSwitchyard(args);
    EXPECT_NE(r.exit_code, 0) << args[3];
    EXPECT_NE(r.output.find(args[3]), std::string::npos) << r.output;
  }
}

TEST(V2ServeTest, AModelsDirectoryThatCannotBeReadIsACliError) {
  auto r = testing::RunSwitchyard({"serve", "--port", "0", "--models", "/nonexistent/models"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("/nonexistent/models"), std::string::npos) << r.output;
}

// ---- Every executor and start method: outputs equal in-process LibTorch. ----

struct Expected {
  std::string model;
  json input;
  std::vector<float> output;
};

// Runs each tiny model here, on one intra-op thread (as the workers do).
const std::vector<Expected>& InProcessOutputs() {
  static const std::vector<Expected> expected = [] {
    auto backend = TorchBackend();
    if (!backend.ok()) ADD_FAILURE() << backend.status().ToString();
    (*backend)->SetIntraOpThreads(1);
    std::vector<int64_t> ids(128);
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>((i * 131) % 1000);
    std::vector<Expected> cases = {
        {"tiny_mobilenet", MobilenetInput(), {}},
        {"tiny_distilbert", {{"name", "INPUT__0"}, {"shape", {1, 128}}, {"datatype", "INT64"}, {"data", ids}}, {}},
        {"tiny_lstm",
         {{"name", "INPUT__0"}, {"shape", {1, 336, 7}}, {"datatype", "FP32"}, {"data", Ramp(336 * 7, 0.5f)}},
         {}}};
    for (Expected& c : cases) {
      HostTensor t;
      t.name = "INPUT__0";
      t.shape = c.input["shape"].get<std::vector<int64_t>>();
      if (c.input["datatype"] == "INT64") {
        t.dtype = DataType::kInt64;
        auto v = c.input["data"].get<std::vector<int64_t>>();
        t.bytes.assign(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(int64_t));
      } else {
        auto v = c.input["data"].get<std::vector<float>>();
        t.bytes.assign(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
      }
      ModelSource source;
      source.path = TestModels() + "/" + c.model + "/1/model.pt";
      auto model = (*backend)->Load(source);
      if (!model.ok()) ADD_FAILURE() << model.status().ToString();
      std::vector<HostTensor> in = {t};
      auto out = (*model)->Infer(in);
      if (!out.ok()) ADD_FAILURE() << out.status().ToString();
      const HostTensor& o = (*out)[0];
      c.output.resize(o.bytes.size() / sizeof(float));
      std::memcpy(c.output.data(), o.bytes.data(), o.bytes.size());
    }
    return cases;
  }();
  return expected;
}

struct ExecutorCase {
  std::string name;
  std::vector<std::string> args;
};

void PrintTo(const ExecutorCase& c, std::ostream* os) { *os << c.name; }

class V2ExecutorTest : public ::testing::TestWithParam<ExecutorCase> {};

TEST_P(V2ExecutorTest, OutputsEqualInProcessLibTorch) {
  const auto& expected = InProcessOutputs();
  std::vector<std::string> args = GetParam().args;
  args.insert(args.end(), {"--workers", "2", "--models", TestModels()});
  ServerProcess server(args, std::chrono::seconds(60));
  ASSERT_TRUE(server.ready()) << server.output();
  testing::HttpConnection c(server.port());
  for (int round = 0; round < 2; ++round) {  // both workers, most likely
    for (const Expected& e : expected) {
      auto r = c.Request("POST", "/v2/models/" + e.model + "/infer", InferBody(e.input).dump());
      ASSERT_EQ(r.status, 200) << e.model << ": " << r.body;
      std::vector<float> got = r.json()["outputs"][0]["data"].get<std::vector<float>>();
      // Bit for bit: the same weights, the same kernels, one thread each; the
      // reply prints floats in their shortest round-trip form.
      EXPECT_EQ(got, e.output) << e.model;
    }
  }
  // A bad request on this executor is a 400 and the next one is fine.
  auto bad = c.Request("POST", "/v2/models/tiny_mobilenet/infer", "{\"inputs\":[");
  EXPECT_EQ(bad.status, 400);
  auto again = c.Request("POST", "/v2/models/" + expected[0].model + "/infer", InferBody(expected[0].input).dump());
  EXPECT_EQ(again.status, 200);
}

std::vector<ExecutorCase> Executors() {
  return {
      {"threads", {"--executor", "threads"}},
      {"processes_fork_shm", {"--executor", "processes", "--start", "fork", "--ipc", "shm"}},
      {"processes_forkserver_shm", {"--executor", "processes", "--start", "forkserver", "--ipc", "shm"}},
      {"processes_forkserver_pipe", {"--executor", "processes", "--start", "forkserver", "--ipc", "pipe"}},
      {"processes_spawn_shm", {"--executor", "processes", "--start", "spawn", "--ipc", "shm"}},
      {"processes_forkserver_no_warm_up", {"--executor", "processes", "--start", "forkserver", "--no-warm-up"}},
      {"async", {"--executor", "async"}},
      {"async_offload", {"--executor", "async", "--offload", "2"}},
  };
}

INSTANTIATE_TEST_SUITE_P(AllExecutors, V2ExecutorTest, ::testing::ValuesIn(Executors()),
                         [](const auto& p) { return p.param.name; });

TEST(V2ProcessTest, AWorkerKilledDuringInferenceFailsOnlyItsRequest) {
  ServerProcess server({"--executor", "processes", "--start", "forkserver", "--workers", "2", "--models",
                        TestModels()},
                       std::chrono::seconds(60));
  ASSERT_TRUE(server.ready()) << server.output();
  const std::string body = InferBody(MobilenetInput()).dump();
  ASSERT_EQ(Post(server.port(), "/v2/models/tiny_mobilenet/infer", body).status, 200);
  // Kill every worker: the pool is restored and models serve again.
  std::vector<pid_t> before;
  for (pid_t zygote : testing::ChildrenOf(server.pid())) {
    for (pid_t w : testing::ChildrenOf(zygote)) before.push_back(w);
  }
  ASSERT_FALSE(before.empty());
  for (pid_t w : before) ::kill(w, SIGKILL);
  int ok = 0;
  for (int i = 0; i < 100 && ok < 3; ++i) {
    auto r = Post(server.port(), "/v2/models/tiny_mobilenet/infer", body);
    if (r.status == 200) {
      ++ok;
    } else {
      EXPECT_EQ(r.status, 503) << r.body;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  EXPECT_EQ(ok, 3);
}

}  // namespace
}  // namespace switchyard
