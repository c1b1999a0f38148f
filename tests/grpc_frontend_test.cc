// The v2 gRPC service (serve --grpc-port) against the running server, with
// a C++ client built from the same proto/grpc_predict_v2.proto: every RPC,
// outputs byte-identical to the HTTP routes' (JSON and binary), and each
// bad request answered with Triton's status code while the server goes on.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>

#include "grpc_predict_v2.grpc.pb.h"
#include "server_harness.h"

namespace switchyard {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::Post;
using testing::ServerProcess;
using testing::TempDir;

std::vector<float> Ramp(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>((i * 37) % 101) / 101.0f - 0.5f;
  return v;
}

std::string Bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

// The port the server printed in "listening on grpc://HOST:PORT".
uint16_t GrpcPort(const ServerProcess& server) {
  std::smatch m;
  const std::string& out = server.output();
  if (!std::regex_search(out, m, std::regex("listening on grpc://[^:\\s]+:([0-9]+)"))) return 0;
  return static_cast<uint16_t>(std::stoi(m[1]));
}

// tiny_mobilenet, and a model that does not load.
void MakeRepository(const TempDir& dir) {
  fs::copy(std::string(SWITCHYARD_TEST_MODELS) + "/tiny_mobilenet", dir.File("tiny_mobilenet"),
           fs::copy_options::recursive);
  fs::create_directories(dir.File("broken/1"));
  std::ofstream(dir.File("broken/1/model.pt")) << "not a TorchScript archive";
}

inference::ModelInferRequest MobilenetRequest(bool raw) {
  inference::ModelInferRequest r;
  r.set_model_name("tiny_mobilenet");
  r.set_id("g-1");
  auto* in = r.add_inputs();
  in->set_name("INPUT__0");
  in->set_datatype("FP32");
  for (int64_t d : {1, 3, 32, 32}) in->add_shape(d);
  const std::vector<float> values = Ramp(3 * 32 * 32);
  if (raw) {
    r.add_raw_input_contents(Bytes(values));
  } else {
    for (float v : values) in->mutable_contents()->add_fp32_contents(v);
  }
  return r;
}

class GrpcFrontendTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    MakeRepository(*dir_);
    server_ = new ServerProcess(
        {"--executor", "threads", "--workers", "2", "--models", dir_->path(), "--grpc-port", "0"},
        std::chrono::seconds(60));
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_TRUE(server_->ready()) << server_->output();
    const uint16_t port = GrpcPort(*server_);
    ASSERT_NE(port, 0) << server_->output();
    stub_ = inference::GRPCInferenceService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (stub_ == nullptr) return;  // SetUp failed and said why
    // Whatever the test sent, inference still works over both protocols.
    grpc::ClientContext context;
    inference::ModelInferResponse response;
    EXPECT_TRUE(stub_->ModelInfer(&context, MobilenetRequest(true), &response).ok());
    auto r = Post(server_->port(), "/v2/models/tiny_mobilenet/infer",
                  json{{"inputs",
                        {{{"name", "INPUT__0"},
                          {"shape", {1, 3, 32, 32}},
                          {"datatype", "FP32"},
                          {"data", Ramp(3 * 32 * 32)}}}}}
                      .dump());
    EXPECT_EQ(r.status, 200) << r.body;
  }

  grpc::Status Infer(const inference::ModelInferRequest& request, inference::ModelInferResponse* response) {
    grpc::ClientContext context;
    return stub_->ModelInfer(&context, request, response);
  }

  static TempDir* dir_;
  static ServerProcess* server_;
  std::unique_ptr<inference::GRPCInferenceService::Stub> stub_;
};

TempDir* GrpcFrontendTest::dir_ = nullptr;
ServerProcess* GrpcFrontendTest::server_ = nullptr;

TEST_F(GrpcFrontendTest, HealthAndMetadata) {
  {
    grpc::ClientContext c;
    inference::ServerLiveResponse r;
    ASSERT_TRUE(stub_->ServerLive(&c, {}, &r).ok());
    EXPECT_TRUE(r.live());
  }
  {
    grpc::ClientContext c;
    inference::ServerReadyResponse r;
    ASSERT_TRUE(stub_->ServerReady(&c, {}, &r).ok());
    EXPECT_TRUE(r.ready());
  }
  {
    grpc::ClientContext c;
    inference::ServerMetadataResponse r;
    ASSERT_TRUE(stub_->ServerMetadata(&c, {}, &r).ok());
    EXPECT_EQ(r.name(), "switchyard");
  }
  {
    grpc::ClientContext c;
    inference::ModelReadyRequest q;
    q.set_name("tiny_mobilenet");
    inference::ModelReadyResponse r;
    ASSERT_TRUE(stub_->ModelReady(&c, q, &r).ok());
    EXPECT_TRUE(r.ready());
  }
  {
    grpc::ClientContext c;
    inference::ModelReadyRequest q;
    q.set_name("broken");
    inference::ModelReadyResponse r;
    ASSERT_TRUE(stub_->ModelReady(&c, q, &r).ok());
    EXPECT_FALSE(r.ready()) << "known, not ready";
  }
  {
    grpc::ClientContext c;
    inference::ModelMetadataRequest q;
    q.set_name("tiny_mobilenet");
    inference::ModelMetadataResponse r;
    ASSERT_TRUE(stub_->ModelMetadata(&c, q, &r).ok());
    EXPECT_EQ(r.platform(), "pytorch_libtorch");
    ASSERT_EQ(r.versions_size(), 1);
    EXPECT_EQ(r.versions(0), "1");
    ASSERT_EQ(r.inputs_size(), 1);
    EXPECT_EQ(r.inputs(0).name(), "INPUT__0");
    EXPECT_EQ(r.inputs(0).datatype(), "FP32");
    EXPECT_EQ(std::vector<int64_t>(r.inputs(0).shape().begin(), r.inputs(0).shape().end()),
              (std::vector<int64_t>{-1, 3, 32, 32}));
    EXPECT_EQ(r.outputs(0).name(), "OUTPUT__0");
  }
  for (const char* unknown : {"nosuch", ""}) {
    grpc::ClientContext c;
    inference::ModelMetadataRequest q;
    q.set_name(unknown);
    inference::ModelMetadataResponse r;
    grpc::Status s = stub_->ModelMetadata(&c, q, &r);
    EXPECT_EQ(s.error_code(), *unknown ? grpc::StatusCode::NOT_FOUND : grpc::StatusCode::INVALID_ARGUMENT)
        << s.error_message();
  }
}

TEST_F(GrpcFrontendTest, OutputsAreByteIdenticalToJsonAndBinaryOverHttp) {
  auto as_json = Post(server_->port(), "/v2/models/tiny_mobilenet/infer",
                      json{{"inputs",
                            {{{"name", "INPUT__0"},
                              {"shape", {1, 3, 32, 32}},
                              {"datatype", "FP32"},
                              {"data", Ramp(3 * 32 * 32)}}}}}
                          .dump());
  ASSERT_EQ(as_json.status, 200) << as_json.body;
  const std::string expected = Bytes(as_json.json()["outputs"][0]["data"].get<std::vector<float>>());
  const std::string header = json{{"inputs",
                                   {{{"name", "INPUT__0"},
                                     {"shape", {1, 3, 32, 32}},
                                     {"datatype", "FP32"},
                                     {"parameters", {{"binary_data_size", 3 * 32 * 32 * 4}}}}}},
                                  {"parameters", {{"binary_data_output", true}}}}
                                 .dump();
  auto as_binary = Post(server_->port(), "/v2/models/tiny_mobilenet/infer", header + Bytes(Ramp(3 * 32 * 32)),
                        {"Inference-Header-Content-Length: " + std::to_string(header.size())});
  ASSERT_EQ(as_binary.status, 200) << as_binary.body;
  const size_t json_length = std::stoul(as_binary.headers.at("inference-header-content-length"));
  EXPECT_EQ(as_binary.body.substr(json_length), expected);

  for (bool raw : {true, false}) {
    SCOPED_TRACE(raw ? "raw_input_contents" : "typed contents");
    inference::ModelInferResponse r;
    inference::ModelInferRequest q = MobilenetRequest(raw);
    if (!raw) q.set_model_version("1");
    grpc::Status s = Infer(q, &r);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(r.model_name(), "tiny_mobilenet");
    EXPECT_EQ(r.model_version(), "1");
    EXPECT_EQ(r.id(), "g-1");
    ASSERT_EQ(r.outputs_size(), 1);
    EXPECT_EQ(r.outputs(0).name(), "OUTPUT__0");
    EXPECT_EQ(r.outputs(0).datatype(), "FP32");
    EXPECT_EQ(std::vector<int64_t>(r.outputs(0).shape().begin(), r.outputs(0).shape().end()),
              (std::vector<int64_t>{1, 10}));
    ASSERT_EQ(r.raw_output_contents_size(), 1);
    EXPECT_EQ(r.raw_output_contents(0), expected);
  }
}

TEST_F(GrpcFrontendTest, BadRequestsGetTritonsStatusCodes) {
  struct Row {
    std::string what;
    inference::ModelInferRequest request;
    grpc::StatusCode code;
    std::string mention;
  };
  std::vector<Row> rows;
  auto add = [&](std::string what, auto change, grpc::StatusCode code, std::string mention) {
    inference::ModelInferRequest q = MobilenetRequest(true);
    change(q);
    rows.push_back({std::move(what), std::move(q), code, std::move(mention)});
  };
  using C = grpc::StatusCode;
  add(
      "unknown model", [](auto& q) { q.set_model_name("nosuch"); }, C::NOT_FOUND, "unknown model 'nosuch'");
  add(
      "unknown version", [](auto& q) { q.set_model_version("7"); }, C::NOT_FOUND, "has no version 7");
  add(
      "bad version", [](auto& q) { q.set_model_version("x"); }, C::INVALID_ARGUMENT,
      "not a positive integer");
  add(
      "model not ready", [](auto& q) { q.set_model_name("broken"); }, C::UNAVAILABLE, "not ready");
  add(
      "wrong datatype", [](auto& q) { q.mutable_inputs(0)->set_datatype("INT64"); }, C::INVALID_ARGUMENT,
      "INT64");
  add(
      "unserved datatype", [](auto& q) { q.mutable_inputs(0)->set_datatype("BYTES"); }, C::INVALID_ARGUMENT,
      "not served");
  add(
      "wrong shape", [](auto& q) { q.mutable_inputs(0)->set_shape(2, 16); }, C::INVALID_ARGUMENT, "shape");
  add(
      "raw bytes short", [](auto& q) { q.mutable_raw_input_contents(0)->resize(100); }, C::INVALID_ARGUMENT,
      "raw_input_contents holds 100 bytes");
  add(
      "raw count", [](auto& q) { q.add_raw_input_contents("x"); }, C::INVALID_ARGUMENT,
      "2 entries for 1 inputs");
  add(
      "both", [](auto& q) { q.mutable_inputs(0)->mutable_contents()->add_fp32_contents(1); },
      C::INVALID_ARGUMENT, "both contents and raw_input_contents");
  add(
      "missing input",
      [](auto& q) {
        q.clear_inputs();
        q.clear_raw_input_contents();
      },
      C::INVALID_ARGUMENT, "input 'INPUT__0' is missing");
  add(
      "unknown input", [](auto& q) { q.mutable_inputs(0)->set_name("pixels"); }, C::INVALID_ARGUMENT,
      "unknown input 'pixels'");
  add(
      "typed count",
      [](auto& q) {
        q.clear_raw_input_contents();
        q.mutable_inputs(0)->mutable_contents()->add_fp32_contents(1);
      },
      C::INVALID_ARGUMENT, "contents.fp32_contents has 1");
  add(
      "unknown output", [](auto& q) { q.add_outputs()->set_name("OUTPUT__7"); }, C::INVALID_ARGUMENT,
      "unknown output 'OUTPUT__7'");
  add(
      "bad priority", [](auto& q) { (*q.mutable_parameters())["priority"].set_string_param("high"); },
      C::INVALID_ARGUMENT, "parameters.priority");
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    inference::ModelInferResponse r;
    grpc::Status s = Infer(row.request, &r);
    EXPECT_EQ(s.error_code(), row.code) << s.error_message();
    EXPECT_NE(s.error_message().find(row.mention), std::string::npos) << s.error_message();
  }
  // Bytes that are not a ModelInferRequest at all.
  grpc::GenericStub generic(grpc::CreateChannel("127.0.0.1:" + std::to_string(GrpcPort(*server_)),
                                                grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  grpc::ByteBuffer reply;
  grpc::Slice junk(std::string("\xff\xff\xff\xff garbage", 12));
  grpc::ByteBuffer request(&junk, 1);
  grpc::Status status;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  generic.UnaryCall(&context, "/inference.GRPCInferenceService/ModelInfer", {}, &request, &reply,
                    [&](grpc::Status s) {
                      std::lock_guard<std::mutex> lock(mu);
                      status = std::move(s);
                      done = true;
                      cv.notify_one();
                    });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.error_code(), grpc::StatusCode::OK);
}

TEST_F(GrpcFrontendTest, TheLoadGeneratorSpeaksGrpc) {
  TempDir out;
  const std::string url = "http://127.0.0.1:" + std::to_string(GrpcPort(*server_));
  auto r = testing::RunSwitchyard(
      {"bench", "--url", url, "--protocol", "grpc", "-c", "4", "-d", "1s", "--warmup", "0s", "-q", "--mix",
       "infer:model=tiny_mobilenet:shape=1x3x32x32:client=g1", "--json", out.File("bench.json")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(out.File("bench.json"));
  json summary = json::parse(in, nullptr, false);
  EXPECT_GT(summary["ok"].get<int>(), 10) << summary;
  EXPECT_EQ(summary["errors"], 0) << summary;
  // An unknown model is counted as the HTTP route would answer it (404).
  auto missing = testing::RunSwitchyard({"bench", "--url", url, "--protocol", "grpc", "-c", "1", "-d",
                                         "300ms", "--warmup", "0s", "-q", "--mix", "infer:model=nosuch",
                                         "--json", out.File("missing.json")});
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  std::ifstream in2(out.File("missing.json"));
  EXPECT_NE(std::string(std::istreambuf_iterator<char>(in2), {}).find("\"404\""), std::string::npos);
  // Only infer entries travel over gRPC.
  auto cpu =
      testing::RunSwitchyard({"bench", "--url", url, "--protocol", "grpc", "-d", "1s", "-q", "--mix", "cpu"});
  EXPECT_EQ(cpu.exit_code, 2) << cpu.output;
  EXPECT_NE(cpu.output.find("gRPC carries infer requests only"), std::string::npos) << cpu.output;
}

TEST(GrpcServeTest, APortInUseIsAClearError) {
  ServerProcess first({"--executor", "threads", "--workers", "1", "--grpc-port", "0"},
                      std::chrono::seconds(30));
  ASSERT_TRUE(first.ready()) << first.output();
  const uint16_t taken = GrpcPort(first);
  ASSERT_NE(taken, 0) << first.output();
  auto r = testing::RunSwitchyard({"serve", "--port", "0", "--grpc-port", std::to_string(taken)});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("cannot start the gRPC service"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(std::to_string(taken)), std::string::npos) << r.output;
}

}  // namespace
}  // namespace switchyard
