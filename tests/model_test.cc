// The model layer without HTTP: tensors and their IPC payload, configs,
// TorchScript loading and inference on the tiny reference models, and a
// repository where one model is broken.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <sys/wait.h>
#include <unistd.h>

#include "model/model_config.h"
#include "model/model_repository.h"
#include "model/tensor.h"
#include "model/model_backend.h"
#include "server_harness.h"

namespace switchyard {
namespace {

namespace fs = std::filesystem;

std::string Models() { return SWITCHYARD_TEST_MODELS; }

Result<std::unique_ptr<LoadedModel>> LoadTorch(const std::string& path) {
  auto backend = TorchBackend();
  if (!backend.ok()) return backend.status();
  ModelSource source;
  source.path = path;
  return (*backend)->Load(source);
}

HostTensor Fp32(std::string name, std::vector<int64_t> shape, float fill) {
  HostTensor t;
  t.name = std::move(name);
  t.dtype = DataType::kFp32;
  t.shape = std::move(shape);
  int64_t n = *ElementCount(t.shape, 1 << 30);
  std::vector<float> v(static_cast<size_t>(n), fill);
  t.bytes.assign(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
  return t;
}

TEST(TensorTest, DataTypesRoundTripTheirNames) {
  for (DataType t : {DataType::kFp32, DataType::kFp64, DataType::kInt32, DataType::kInt64, DataType::kBool}) {
    EXPECT_EQ(ParseDataType(DataTypeName(t)), t);
  }
  EXPECT_FALSE(ParseDataType("FP16").has_value());
  EXPECT_EQ(ElementSize(DataType::kInt64), 8u);
  EXPECT_EQ(ElementSize(DataType::kBool), 1u);
}

TEST(TensorTest, ElementCountRefusesHugeAndNegativeShapesWithoutOverflow) {
  EXPECT_EQ(*ElementCount({1, 3, 32, 32}, 1 << 20), 3072);
  EXPECT_EQ(*ElementCount({0, 5}, 10), 0);
  EXPECT_FALSE(ElementCount({-1, 3}, 100).ok());
  EXPECT_FALSE(ElementCount({1 << 30, 1 << 30, 1 << 30}, 1 << 24).ok());  // would overflow int64
  EXPECT_FALSE(ElementCount({1001}, 1000).ok());
}

TEST(TensorTest, SpecsCheckDatatypeAndShape) {
  TensorSpec spec{"x", DataType::kFp32, {-1, 3}};
  EXPECT_TRUE(spec.Accepts(Fp32("x", {7, 3}, 0)).ok());
  EXPECT_FALSE(spec.Accepts(Fp32("x", {7, 4}, 0)).ok());
  EXPECT_FALSE(spec.Accepts(Fp32("x", {3}, 0)).ok());
  HostTensor ints = Fp32("x", {1, 3}, 0);
  ints.dtype = DataType::kInt32;
  auto s = spec.Accepts(ints);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("must be FP32, not INT32"), std::string::npos) << s.message();
}

TEST(TensorTest, PayloadRoundTripsAndRejectsCorruption) {
  InferPayload p;
  p.inputs.push_back(Fp32("a", {2, 2}, 1.5f));
  HostTensor b;
  b.name = "b";
  b.dtype = DataType::kBool;
  b.shape = {3};
  b.bytes = std::string("\1\0\1", 3);
  p.inputs.push_back(b);
  p.outputs = {"OUTPUT__0"};
  std::string wire = EncodeInferPayload(p);
  auto back = DecodeInferPayload(wire);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->inputs.size(), 2u);
  EXPECT_EQ(back->inputs[0].bytes, p.inputs[0].bytes);
  EXPECT_EQ(back->inputs[1].shape, std::vector<int64_t>{3});
  EXPECT_EQ(back->outputs, p.outputs);
  // Every truncation and a flipped length are refused, never read past the end.
  for (size_t cut = 0; cut < wire.size(); cut += 7) EXPECT_FALSE(DecodeInferPayload(wire.substr(0, cut)).ok()) << cut;
  std::string corrupt = wire;
  corrupt[30] = '\x7f';
  EXPECT_FALSE(DecodeInferPayload(corrupt).ok());
  EXPECT_FALSE(DecodeInferPayload(wire + "x").ok());
}

TEST(ModelConfigTest, ReadsInputsAndOutputsAndRejectsBadFiles) {
  auto config = LoadModelConfig(Models() + "/tiny_mobilenet/config.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->inputs.size(), 1u);
  EXPECT_EQ(config->inputs[0].name, "INPUT__0");
  EXPECT_EQ(config->inputs[0].shape, (std::vector<int64_t>{-1, 3, 32, 32}));
  EXPECT_EQ(config->outputs[0].dtype, DataType::kFp32);

  testing::TempDir dir;
  struct Bad {
    const char* text;
    const char* mentions;
  } cases[] = {
      {"[[input]]\nname = \"x\"\ndatatype = \"FP16\"\nshape = [1]\n", "c.toml:3: input 1: key 'datatype'"},
      {"[[input]]\nname = \"x\"\ndatatype = \"FP32\"\nshape = [0]\n", "key 'shape'"},
      {"[[input]]\nname = \"x\"\ndatatype = \"FP32\"\n", "key 'shape': missing"},
      {"[[input]]\nname = \"x\"\ndatatype = \"FP32\"\nshape = [1]\ncolor = 1\n", "unknown key 'color'"},
      {"[[output]]\nname = \"y\"\ndatatype = \"FP32\"\nshape = [1]\n", "key 'input': missing"},
  };
  for (const Bad& c : cases) {
    std::ofstream(dir.File("c.toml")) << c.text;
    auto r = LoadModelConfig(dir.File("c.toml"));
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.status().message().find(c.mentions), std::string::npos) << r.status().message();
  }
}

TEST(TorchModelTest, RunsTheTinyModelsWithTheirDeclaredShapes) {
  struct Case {
    const char* name;
    HostTensor input;
    std::vector<int64_t> out_shape;
  };
  HostTensor tokens;
  tokens.name = "INPUT__0";
  tokens.dtype = DataType::kInt64;
  tokens.shape = {1, 128};
  std::vector<int64_t> ids(128);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(i * 7 % 1000);
  tokens.bytes.assign(reinterpret_cast<const char*>(ids.data()), ids.size() * 8);
  std::vector<Case> cases = {{"tiny_mobilenet", Fp32("INPUT__0", {1, 3, 32, 32}, 0.5f), {1, 10}},
                             {"tiny_distilbert", tokens, {1, 2}},
                             {"tiny_lstm", Fp32("INPUT__0", {1, 336, 7}, 0.25f), {1, 24}}};
  for (Case& c : cases) {
    auto model = LoadTorch(Models() + "/" + c.name + "/1/model.pt");
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    EXPECT_EQ((*model)->input_count(), 1u);
    std::vector<HostTensor> in = {c.input};
    auto out = (*model)->Infer(in);
    ASSERT_TRUE(out.ok()) << c.name << ": " << out.status().ToString();
    ASSERT_EQ(out->size(), 1u);
    EXPECT_EQ((*out)[0].dtype, DataType::kFp32);
    EXPECT_EQ((*out)[0].shape, c.out_shape) << c.name;
    const float* v = reinterpret_cast<const float*>((*out)[0].bytes.data());
    for (int64_t i = 0; i < c.out_shape[1]; ++i) EXPECT_TRUE(std::isfinite(v[i])) << c.name;
    // The same input gives the same output (a deterministic, frozen model).
    std::vector<HostTensor> again = {c.input};
    EXPECT_EQ((*(*model)->Infer(again))[0].bytes, (*out)[0].bytes) << c.name;
  }
}

TEST(TorchModelTest, ANonTorchScriptFileIsAnErrorNamingIt) {
  testing::TempDir dir;
  std::ofstream(dir.File("model.pt")) << "junk";
  auto model = LoadTorch(dir.File("model.pt"));
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(model.status().message().find(dir.File("model.pt")), std::string::npos) << model.status().message();
}

bool LibTorchIsMapped() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find("libtorch_cpu") != std::string::npos) return true;
  }
  return false;
}

TEST(TorchBackendTest, LibTorchIsLoadedOnlyWhenAskedFor) {
  // CTest runs each test in a fresh process; run with others, an earlier test
  // has loaded it.
  if (LibTorchIsMapped()) GTEST_SKIP() << "an earlier test of this process loaded LibTorch";
  // In a child, so that this process stays without it.
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (LibTorchIsMapped()) ::_exit(1);
    if (!TorchBackend().ok()) ::_exit(2);
    if (!LibTorchIsMapped()) ::_exit(3);
    if (&**TorchBackend() != &**TorchBackend()) ::_exit(4);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: mapped before; 2: failed to load; 3: not mapped after; 4: loaded twice";
}

TEST(TorchModelTest, AWrongShapeIsAnErrorNotACrash) {
  auto model = LoadTorch(Models() + "/tiny_mobilenet/1/model.pt");
  ASSERT_TRUE(model.ok());
  std::vector<HostTensor> in = {Fp32("INPUT__0", {1, 5, 7}, 0)};
  auto out = (*model)->Infer(in);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("inference failed"), std::string::npos) << out.status().message();
}

TEST(ModelRepositoryTest, ABrokenModelIsReportedAndTheOthersServe) {
  testing::TempDir dir;
  fs::copy(Models() + "/tiny_lstm", dir.File("tiny_lstm"), fs::copy_options::recursive);
  fs::create_directories(dir.File("broken/1"));
  std::ofstream(dir.File("broken/1/model.pt")) << "this is not a TorchScript archive";
  fs::create_directories(dir.File("empty"));
  fs::create_directories(dir.File("badconfig/1"));
  std::ofstream(dir.File("badconfig/config.toml")) << "[[input]]\nname = 3\n";
  fs::copy(Models() + "/tiny_lstm/1/model.pt", dir.File("badconfig/1/model.pt"));
  // A second, newer version that is broken: the older one keeps serving.
  fs::create_directories(dir.File("tiny_lstm/2"));
  std::ofstream(dir.File("tiny_lstm/2/model.pt")) << "junk";

  std::vector<std::string> lines;
  auto repo = ModelRepository::Load(dir.path(), [&](const std::string& l) { lines.push_back(l); });
  ASSERT_TRUE(repo.ok()) << repo.status().ToString();
  EXPECT_EQ(lines.size(), 4u);
  const ServedModel* lstm = (*repo)->Find("tiny_lstm");
  ASSERT_NE(lstm, nullptr);
  EXPECT_TRUE(lstm->ready());
  ASSERT_NE(lstm->Find(std::nullopt), nullptr);
  EXPECT_EQ(lstm->Find(std::nullopt)->version, 1);  // 2 failed
  EXPECT_EQ(lstm->Find(2), nullptr);
  EXPECT_NE(lstm->versions.at(2).status.message().find("not a loadable TorchScript model"), std::string::npos);
  const ServedModel* broken = (*repo)->Find("broken");
  ASSERT_NE(broken, nullptr);
  EXPECT_FALSE(broken->ready());
  EXPECT_FALSE((*repo)->Find("empty")->ready());
  EXPECT_NE((*repo)->Find("empty")->status.message().find("no version"), std::string::npos);
  EXPECT_FALSE((*repo)->Find("badconfig")->ready());
  EXPECT_NE((*repo)->Find("badconfig")->status.message().find("config.toml"), std::string::npos);
  EXPECT_EQ((*repo)->Find("nope"), nullptr);
  EXPECT_FALSE(ModelRepository::Load(dir.File("missing")).ok());
}

}  // namespace
}  // namespace switchyard
