// The v2 binary tensor data extension (as Triton and KServe define it)
// against the running server: binary inputs and outputs equal to the JSON
// ones byte for byte under every executor, JSON and binary mixed in one
// request, and the bad-input table (400 naming the input, nothing else
// lost).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "server_harness.h"

namespace switchyard {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::HttpResponse;
using testing::Post;
using testing::ServerProcess;
using testing::TempDir;

std::vector<float> Ramp(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>((i * 37) % 101) / 101.0f - 0.5f;
  return v;
}

template <typename T>
std::string Bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// tiny_mobilenet (one FP32 input of [-1,3,32,32], one [.,10] output) and a
// Python model with two inputs and two outputs of different datatypes:
//   a FP32 [-1], flags BOOL [-1]  ->  masked FP32 (a where flags, else 0),
//                                     flipped BOOL (not flags)
void MakeRepository(const TempDir& dir) {
  fs::copy(std::string(SWITCHYARD_TEST_MODELS) + "/tiny_mobilenet", dir.File("tiny_mobilenet"),
           fs::copy_options::recursive);
  fs::create_directories(dir.File("py_mask/1"));
  std::ofstream(dir.File("py_mask/config.toml")) << R"(
[[input]]
name = "a"
datatype = "FP32"
shape = [-1]
[[input]]
name = "flags"
datatype = "BOOL"
shape = [-1]
[[output]]
name = "masked"
datatype = "FP32"
shape = [-1]
[[output]]
name = "flipped"
datatype = "BOOL"
shape = [-1]
)";
  std::ofstream(dir.File("py_mask/1/model.py")) << R"(import numpy as np


class Model:
    def __init__(self, config):
        pass

    def infer(self, inputs):
        a, flags = inputs["a"], inputs["flags"]
        return {"masked": np.where(flags, a, np.float32(0)).astype(np.float32),
                "flipped": np.logical_not(flags)}
)";
}

json MobilenetJsonInput() {
  return {{"name", "INPUT__0"}, {"shape", {1, 3, 32, 32}}, {"datatype", "FP32"}, {"data", Ramp(3 * 32 * 32)}};
}

json MobilenetBinaryInput() {
  return {{"name", "INPUT__0"},
          {"shape", {1, 3, 32, 32}},
          {"datatype", "FP32"},
          {"parameters", {{"binary_data_size", 3 * 32 * 32 * 4}}}};
}

// A request with a JSON header and binary data after it.
HttpResponse PostBinary(uint16_t port, const std::string& path, const json& header, const std::string& binary,
                        std::vector<std::string> extra = {}) {
  const std::string text = header.dump();
  extra.push_back("Inference-Header-Content-Length: " + std::to_string(text.size()));
  extra.push_back("Content-Type: application/octet-stream");
  return Post(port, path, text + binary, extra);
}

// A reply split at its Inference-Header-Content-Length (the whole body when
// the header is absent).
struct Split {
  json header;
  std::string binary;
};
Split SplitReply(const HttpResponse& r) {
  auto it = r.headers.find("inference-header-content-length");
  const size_t n = it == r.headers.end() ? r.body.size() : std::stoul(it->second);
  if (n > r.body.size()) return {};
  return {json::parse(r.body.substr(0, n), nullptr, false), r.body.substr(n)};
}

class V2BinaryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    MakeRepository(*dir_);
    server_ = new ServerProcess({"--executor", "threads", "--workers", "2", "--models", dir_->path()},
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
    auto r = Post(port(), "/v2/models/tiny_mobilenet/infer", json{{"inputs", {MobilenetJsonInput()}}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["outputs"][0]["data"].size(), 10u);
  }
  static uint16_t port() { return server_->port(); }

  static TempDir* dir_;
  static ServerProcess* server_;
};

TempDir* V2BinaryTest::dir_ = nullptr;
ServerProcess* V2BinaryTest::server_ = nullptr;

TEST_F(V2BinaryTest, TheServerSaysItSpeaksTheExtension) {
  auto r = testing::Get(port(), "/v2");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["extensions"], json::array({"binary_tensor_data"}));
}

TEST_F(V2BinaryTest, BinaryInAndOutEqualsJsonByteForByte) {
  auto as_json =
      Post(port(), "/v2/models/tiny_mobilenet/infer", json{{"inputs", {MobilenetJsonInput()}}}.dump());
  ASSERT_EQ(as_json.status, 200) << as_json.body;
  const std::vector<float> expected = as_json.json()["outputs"][0]["data"].get<std::vector<float>>();
  ASSERT_EQ(expected.size(), 10u);

  json header = {
      {"id", "b-1"}, {"inputs", {MobilenetBinaryInput()}}, {"parameters", {{"binary_data_output", true}}}};
  auto r = PostBinary(port(), "/v2/models/tiny_mobilenet/infer", header, Bytes(Ramp(3 * 32 * 32)));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.at("content-type"), "application/octet-stream");
  ASSERT_EQ(r.headers.count("inference-header-content-length"), 1u);
  Split reply = SplitReply(r);
  ASSERT_TRUE(reply.header.is_object()) << r.body.substr(0, 200);
  EXPECT_EQ(reply.header["id"], "b-1");
  EXPECT_EQ(reply.header["model_name"], "tiny_mobilenet");
  const json& out = reply.header["outputs"][0];
  EXPECT_EQ(out["name"], "OUTPUT__0");
  EXPECT_EQ(out["datatype"], "FP32");
  EXPECT_EQ(out["shape"], json({1, 10}));
  EXPECT_EQ(out.count("data"), 0u);
  EXPECT_EQ(out["parameters"]["binary_data_size"], 40);
  // The JSON reply prints each float in its shortest round-trip form, so it
  // reads back to exactly these bytes.
  EXPECT_EQ(reply.binary, Bytes(expected));
}

TEST_F(V2BinaryTest, JsonAndBinaryMixInOneRequest) {
  const std::vector<float> a = {1.5f, -2.0f, 3.25f, 4.0f};
  const std::vector<uint8_t> flags = {1, 0, 1, 0};
  const std::string path = "/v2/models/py_mask/infer";

  // `a` in JSON, `flags` in binary; `masked` in binary, `flipped` in JSON.
  json header = {
      {"inputs",
       {{{"name", "a"}, {"shape", {4}}, {"datatype", "FP32"}, {"data", a}},
        {{"name", "flags"},
         {"shape", {4}},
         {"datatype", "BOOL"},
         {"parameters", {{"binary_data_size", 4}}}}}},
      {"outputs", {{{"name", "masked"}, {"parameters", {{"binary_data", true}}}}, {{"name", "flipped"}}}}};
  auto r = PostBinary(port(), path, header, Bytes(flags));
  ASSERT_EQ(r.status, 200) << r.body;
  Split reply = SplitReply(r);
  ASSERT_EQ(reply.header["outputs"].size(), 2u) << r.body;
  EXPECT_EQ(reply.header["outputs"][0]["name"], "masked");
  EXPECT_EQ(reply.header["outputs"][0]["parameters"]["binary_data_size"], 16);
  EXPECT_EQ(reply.binary, Bytes(std::vector<float>{1.5f, 0.0f, 3.25f, 0.0f}));
  EXPECT_EQ(reply.header["outputs"][1]["name"], "flipped");
  EXPECT_EQ(reply.header["outputs"][1]["data"], json({false, true, false, true}));

  // Both inputs binary, in the order the JSON lists them; every output binary
  // but `flipped`, which says otherwise.
  header["inputs"][0] = {
      {"name", "a"}, {"shape", {4}}, {"datatype", "FP32"}, {"parameters", {{"binary_data_size", 16}}}};
  header["outputs"] = {{{"name", "masked"}}, {{"name", "flipped"}, {"parameters", {{"binary_data", false}}}}};
  header["parameters"] = {{"binary_data_output", true}};
  r = PostBinary(port(), path, header, Bytes(a) + Bytes(flags));
  ASSERT_EQ(r.status, 200) << r.body;
  reply = SplitReply(r);
  EXPECT_EQ(reply.binary, Bytes(std::vector<float>{1.5f, 0.0f, 3.25f, 0.0f}));
  EXPECT_EQ(reply.header["outputs"][1]["data"], json({false, true, false, true}));

  // Binary inputs, every output binary: BOOL is one byte each.
  header.erase("outputs");
  r = PostBinary(port(), path, header, Bytes(a) + Bytes(flags));
  ASSERT_EQ(r.status, 200) << r.body;
  reply = SplitReply(r);
  EXPECT_EQ(reply.header["outputs"][1]["parameters"]["binary_data_size"], 4);
  EXPECT_EQ(reply.binary,
            Bytes(std::vector<float>{1.5f, 0.0f, 3.25f, 0.0f}) + Bytes(std::vector<uint8_t>{0, 1, 0, 1}));

  // Binary inputs, JSON outputs: a plain JSON reply.
  header.erase("parameters");
  r = PostBinary(port(), path, header, Bytes(a) + Bytes(flags));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  EXPECT_EQ(r.headers.count("inference-header-content-length"), 0u);
  EXPECT_EQ(r.json()["outputs"][0]["data"], json({1.5, 0.0, 3.25, 0.0}));

  // An Inference-Header-Content-Length of 0 (or none): the whole body is JSON.
  json plain = {{"inputs",
                 {{{"name", "a"}, {"shape", {1}}, {"datatype", "FP32"}, {"data", {2.0}}},
                  {{"name", "flags"}, {"shape", {1}}, {"datatype", "BOOL"}, {"data", {true}}}}}};
  r = Post(port(), path, plain.dump(), {"Inference-Header-Content-Length: 0"});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["outputs"][0]["data"], json({2.0}));
}

TEST_F(V2BinaryTest, BadBinaryRequestsAre400NamingTheInput) {
  const std::string mobilenet = "/v2/models/tiny_mobilenet/infer";
  const std::string pixels = Bytes(Ramp(3 * 32 * 32));
  const json good = {{"inputs", {MobilenetBinaryInput()}}};
  const std::string good_text = good.dump();
  struct Row {
    std::string what;
    HttpResponse reply;
    std::string mention;
  };
  json wrong_size = good;
  wrong_size["inputs"][0]["parameters"]["binary_data_size"] = 100;
  json both = good;
  both["inputs"][0]["data"] = Ramp(3 * 32 * 32);
  json negative = good;
  negative["inputs"][0]["parameters"]["binary_data_size"] = -4;
  json bad_output_flag = good;
  bad_output_flag["parameters"] = {{"binary_data_output", "yes"}};
  json bad_binary_data = good;
  bad_binary_data["outputs"] = {{{"name", "OUTPUT__0"}, {"parameters", {{"binary_data", 1}}}}};
  json classification = good;
  classification["outputs"] = {{{"name", "OUTPUT__0"}, {"parameters", {{"classification", 3}}}}};
  json bytes_input = {{"inputs",
                       {{{"name", "INPUT__0"},
                         {"shape", {1}},
                         {"datatype", "BYTES"},
                         {"parameters", {{"binary_data_size", 8}}}}}}};
  json mask = {{"inputs",
                {{{"name", "a"}, {"shape", {2}}, {"datatype", "FP32"}, {"data", {1.0, 2.0}}},
                 {{"name", "flags"},
                  {"shape", {2}},
                  {"datatype", "BOOL"},
                  {"parameters", {{"binary_data_size", 2}}}}}}};
  std::vector<Row> rows = {
      {"header length beyond the body",
       Post(port(), mobilenet, good_text + pixels,
            {"Inference-Header-Content-Length: " + std::to_string(good_text.size() + pixels.size() + 1)}),
       "but the body has only"},
      {"header length not a number",
       Post(port(), mobilenet, good_text + pixels, {"Inference-Header-Content-Length: 12x"}),
       "not a non-negative integer"},
      {"header length cuts the JSON",
       Post(port(), mobilenet, good_text + pixels, {"Inference-Header-Content-Length: 10"}), "JSON header"},
      {"bytes left over", PostBinary(port(), mobilenet, good, pixels + "xyz"),
       "add up to 12288 bytes, but 12291"},
      {"bytes missing", PostBinary(port(), mobilenet, good, pixels.substr(0, 1000)),
       "runs past the end of the body"},
      {"size not shape x datatype", PostBinary(port(), mobilenet, wrong_size, pixels),
       "input 'INPUT__0': binary_data_size is 100 bytes, but shape [1,3,32,32] of FP32 holds 12288"},
      {"data and binary_data_size", PostBinary(port(), mobilenet, both, pixels),
       "input 'INPUT__0': both 'data'"},
      {"negative size", PostBinary(port(), mobilenet, negative, pixels),
       "input 'INPUT__0': parameters.binary_data_size"},
      {"binary_data_size without the header", Post(port(), mobilenet, good_text), "no binary data follows"},
      {"octet-stream without the header",
       Post(port(), mobilenet, pixels, {"Content-Type: application/octet-stream"}),
       "Inference-Header-Content-Length"},
      {"octet-stream in capitals without the header",
       Post(port(), mobilenet, pixels, {"Content-Type: Application/Octet-Stream"}),
       "Inference-Header-Content-Length"},
      {"binary_data_output not a boolean", PostBinary(port(), mobilenet, bad_output_flag, pixels),
       "parameters.binary_data_output must be true or false"},
      {"binary_data not a boolean", PostBinary(port(), mobilenet, bad_binary_data, pixels),
       "output 'OUTPUT__0': parameters.binary_data must be true or false"},
      {"classification asked for", PostBinary(port(), mobilenet, classification, pixels), "classification"},
      {"BYTES", PostBinary(port(), mobilenet, bytes_input, std::string(8, 'x')),
       "datatype 'BYTES' is not served"},
      {"BOOL byte other than 0 or 1",
       PostBinary(port(), "/v2/models/py_mask/infer", mask, std::string("\x01\x07", 2)),
       "input 'flags': element 1 is the byte 7, not 0 or 1"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    EXPECT_EQ(row.reply.status, 400) << row.reply.body;
    json j = row.reply.json();
    ASSERT_TRUE(j.is_object() && j.contains("error")) << row.reply.body;
    EXPECT_NE(j["error"].get<std::string>().find(row.mention), std::string::npos)
        << "wanted '" << row.mention << "' in " << row.reply.body;
  }
}

// The output tensors cross each executor's path (a worker process's IPC
// included) as bytes: binary replies equal JSON ones under every executor.
class V2BinaryExecutorTest : public ::testing::TestWithParam<std::vector<std::string>> {};

TEST_P(V2BinaryExecutorTest, BinaryRepliesEqualJsonOnes) {
  std::vector<std::string> args = GetParam();
  args.insert(args.end(), {"--workers", "2", "--models", SWITCHYARD_TEST_MODELS});
  ServerProcess server(args, std::chrono::seconds(60));
  ASSERT_TRUE(server.ready()) << server.output();
  const std::string path = "/v2/models/tiny_mobilenet/infer";
  for (int round = 0; round < 3; ++round) {
    auto as_json = Post(server.port(), path, json{{"inputs", {MobilenetJsonInput()}}}.dump());
    ASSERT_EQ(as_json.status, 200) << as_json.body;
    json header = {{"inputs", {MobilenetBinaryInput()}}, {"parameters", {{"binary_data_output", true}}}};
    auto r = PostBinary(server.port(), path, header, Bytes(Ramp(3 * 32 * 32)));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(SplitReply(r).binary, Bytes(as_json.json()["outputs"][0]["data"].get<std::vector<float>>()));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Executors, V2BinaryExecutorTest,
    ::testing::Values(std::vector<std::string>{"--executor", "threads"},
                      std::vector<std::string>{"--executor", "processes", "--ipc", "shm"},
                      std::vector<std::string>{"--executor", "processes", "--ipc", "pipe"},
                      std::vector<std::string>{"--executor", "async"}),
    [](const auto& p) {
      std::string name;
      for (size_t i = 1; i < p.param.size(); i += 2) name += (name.empty() ? "" : "_") + p.param[i];
      return name;
    });

}  // namespace
}  // namespace switchyard
