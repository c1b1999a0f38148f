// The Python backend: model.py files loaded by the repository and run
// in-process (the server-level tests, through every executor, are in
// python_serving_test.cc).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/clock.h"
#include "model/model_repository.h"
#include "server_harness.h"

namespace switchyard {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// The committed reference models, by symlink into a repository of their own:
// python_models/ may also hold py_torch_mobilenet once scripts/export_models.py
// has run, and these tests must not depend on (or pay for) it.
std::string ReferenceModels() {
  static testing::TempDir dir;  // removed at exit (the links, not what they point to)
  static const bool linked = [] {
    for (const char* name : {"py_noop", "py_chain", "py_numpy", "py_sqlite", "py_sleep", "py_sleep_async"}) {
      fs::create_directory_symlink(std::string(SWITCHYARD_SOURCE_DIR) + "/python_models/" + name, dir.File(name));
    }
    return true;
  }();
  (void)linked;
  return dir.path();
}

const ModelRepository& Reference() {
  static std::shared_ptr<const ModelRepository> repo = [] {
    auto r = ModelRepository::Load(ReferenceModels());
    if (!r.ok()) ADD_FAILURE() << r.status().ToString();
    return r.ok() ? *r : nullptr;
  }();
  return *repo;
}

template <typename T>
HostTensor Tensor(const std::string& name, DataType dtype, std::vector<int64_t> shape,
                  std::vector<T> values) {
  HostTensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.bytes.assign(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
  return t;
}

Result<std::vector<HostTensor>> Infer(const ModelRepository& repo, const std::string& model,
                                      std::vector<HostTensor> inputs, InferStats* stats = nullptr) {
  const ServedModel* m = repo.Find(model);
  if (m == nullptr) return NotFound("no model " + model);
  const ModelVersion* v = m->Find(std::nullopt);
  if (v == nullptr) return Unavailable(model + " not ready: " + m->NotReadyReason());
  return v->model->Infer(inputs, stats);
}

// What infer() returns when Python runs it directly (tests/python/run_infer.py).
nlohmann::json RunInPython(const std::string& model, const nlohmann::json& inputs,
                           const std::string& repository = ReferenceModels()) {
  std::string cmd = "/usr/bin/python3 " + std::string(SWITCHYARD_SOURCE_DIR) + "/tests/python/run_infer.py " +
                    repository + "/" + model + " 1 '" + inputs.dump() + "'";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  EXPECT_EQ(::pclose(p), 0) << cmd;
  return nlohmann::json::parse(out, nullptr, false);
}

template <typename T>
std::vector<T> Values(const HostTensor& t) {
  std::vector<T> v(t.bytes.size() / sizeof(T));
  std::memcpy(v.data(), t.bytes.data(), t.bytes.size());
  return v;
}

TEST(PythonRepositoryTest, LoadsEveryReferenceModelWithThePythonBackend) {
  for (const char* name : {"py_noop", "py_chain", "py_numpy", "py_sleep", "py_sleep_async", "py_sqlite"}) {
    const ServedModel* m = Reference().Find(name);
    ASSERT_NE(m, nullptr) << name;
    ASSERT_TRUE(m->ready()) << name << ": " << m->NotReadyReason();
    EXPECT_EQ(m->Find(std::nullopt)->backend, BackendKind::kPython) << name;
  }
  EXPECT_TRUE(Reference().Uses(BackendKind::kPython));
  EXPECT_FALSE(Reference().Uses(BackendKind::kTorchScript));
}

TEST(PythonRepositoryTest, OutputsEqualInferRunDirectlyInPython) {
  struct Case {
    std::string model;
    std::vector<HostTensor> inputs;
    nlohmann::json json_inputs;
  };
  std::vector<Case> cases = {
      {"py_noop",
       {Tensor<float>("x", DataType::kFp32, {3}, {1.5f, -2.f, 3.25f})},
       {{"x", {{"datatype", "FP32"}, {"shape", {3}}, {"data", {1.5, -2.0, 3.25}}}}}},
      {"py_chain",
       {Tensor<int64_t>("n", DataType::kInt64, {1}, {1000})},
       {{"n", {{"datatype", "INT64"}, {"shape", {1}}, {"data", {1000}}}}}},
      {"py_numpy",
       {Tensor<float>("scale", DataType::kFp32, {1}, {0.5f})},
       {{"scale", {{"datatype", "FP32"}, {"shape", {1}}, {"data", {0.5}}}}}},
      {"py_sleep_async",
       {Tensor<int32_t>("ms", DataType::kInt32, {1}, {2})},
       {{"ms", {{"datatype", "INT32"}, {"shape", {1}}, {"data", {2}}}}}},
      {"py_sqlite",
       {Tensor<int64_t>("key", DataType::kInt64, {1}, {4242})},
       {{"key", {{"datatype", "INT64"}, {"shape", {1}}, {"data", {4242}}}}}},
  };
  for (Case& c : cases) {
    auto got = Infer(Reference(), c.model, c.inputs);
    ASSERT_TRUE(got.ok()) << c.model << ": " << got.status().ToString();
    nlohmann::json want = RunInPython(c.model, c.json_inputs);
    ASSERT_TRUE(want.is_object()) << c.model;
    ASSERT_EQ(got->size(), want.size()) << c.model;
    for (const HostTensor& t : *got) {
      ASSERT_TRUE(want.contains(t.name)) << c.model << " " << t.name;
      EXPECT_EQ(t.shape, want[t.name]["shape"].get<std::vector<int64_t>>()) << c.model;
      switch (t.dtype) {
        case DataType::kFp32: {
          // Same numpy, same BLAS: equal up to the BLAS's own thread split.
          auto w = want[t.name]["data"].get<std::vector<double>>();
          auto g = Values<float>(t);
          ASSERT_EQ(g.size(), w.size());
          for (size_t i = 0; i < g.size(); ++i)
            EXPECT_NEAR(g[i], w[i], 1e-6 + 1e-5 * std::abs(w[i])) << c.model;
          break;
        }
        case DataType::kInt64:
          EXPECT_EQ(Values<int64_t>(t), want[t.name]["data"].get<std::vector<int64_t>>()) << c.model;
          break;
        case DataType::kInt32:
          EXPECT_EQ(Values<int32_t>(t), want[t.name]["data"].get<std::vector<int32_t>>()) << c.model;
          break;
        default:
          ADD_FAILURE() << c.model << ": unexpected dtype";
      }
    }
  }
}

// A repository of one good model and the given bad ones (name -> model.py).
struct BadRepo {
  testing::TempDir dir;
  std::shared_ptr<const ModelRepository> repo;

  explicit BadRepo(const std::map<std::string, std::string>& models) {
    for (const auto& [name, source] : models) {
      fs::create_directories(dir.File(name + "/1"));
      fs::copy_file(ReferenceModels() + "/py_noop/config.toml", dir.File(name + "/config.toml"));
      std::ofstream(dir.File(name + "/1/model.py")) << source;
    }
    auto r = ModelRepository::Load(dir.path());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) repo = *r;
  }
};

TEST(PythonRepositoryTest, ABadModelFileIsNotReadyNamedWithThePythonErrorAndTheOthersServe) {
  BadRepo bad({
      {"good",
       "import numpy as np\nclass Model:\n  def __init__(self, c): pass\n"
       "  def infer(self, i): return {'y': i['x']}\n"},
      {"syntax", "class Model:\n  def infer(self, i) return 1\n"},
      {"import", "import switchyard_no_such_module\n"},
      {"raises",
       "class Model:\n  def __init__(self, c): raise RuntimeError('weights missing')\n"
       "  def infer(self, i): return {}\n"},
      {"noclass", "def infer(inputs): return inputs\n"},
      {"noinfer", "class Model:\n  def __init__(self, c): pass\n"},
      {"triton", "class TritonPythonModel:\n  def initialize(self, args): pass\n"
                 "  def execute(self, requests): return []\n"},
      {"exits",
       "import sys\nclass Model:\n  def __init__(self, c): sys.exit(3)\n  def infer(self, i): return {}\n"},
  });
  ASSERT_NE(bad.repo, nullptr);
  const std::map<std::string, std::string> reasons = {
      {"syntax", "SyntaxError"},
      {"import", "ModuleNotFoundError: No module named 'switchyard_no_such_module'"},
      {"raises", "RuntimeError: weights missing"},
      {"noclass", "defines no class Model"},
      {"noinfer", "class Model has no infer(self, inputs) method"},
      {"triton", "defines TritonPythonModel (Triton's API"},
      {"exits", "SystemExit: 3"},
  };
  for (const auto& [name, why] : reasons) {
    const ServedModel* m = bad.repo->Find(name);
    ASSERT_NE(m, nullptr) << name;
    EXPECT_FALSE(m->ready()) << name;
    EXPECT_THAT(m->NotReadyReason(), HasSubstr(why)) << name;
    EXPECT_THAT(m->NotReadyReason(), ::testing::Not(HasSubstr("Traceback"))) << name;
  }
  auto out = Infer(*bad.repo, "good", {Tensor<float>("x", DataType::kFp32, {2}, {1.f, 2.f})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values<float>((*out)[0]), (std::vector<float>{1.f, 2.f}));
}

TEST(PythonRepositoryTest, APythonModelWithoutAConfigIsNotReady) {
  testing::TempDir dir;
  fs::create_directories(dir.File("bare/1"));
  std::ofstream(dir.File("bare/1/model.py"))
      << "class Model:\n  def __init__(self, c): pass\n  def infer(self, i): return i\n";
  auto repo = ModelRepository::Load(dir.path());
  ASSERT_TRUE(repo.ok());
  EXPECT_THAT((*repo)->Find("bare")->NotReadyReason(), HasSubstr("needs bare/config.toml"));
}

TEST(PythonRepositoryTest, ABadInferIsA500NamingWhatIsWrongAndTheModelServesOn) {
  BadRepo bad({
      {"raises",
       "class Model:\n  def __init__(self, c): pass\n"
       "  def infer(self, i): raise ValueError('negative pixels')\n"},
      {"list", "class Model:\n  def __init__(self, c): pass\n  def infer(self, i): return [i['x']]\n"},
      {"missing",
       "class Model:\n  def __init__(self, c): pass\n  def infer(self, i): return {'z': i['x']}\n"},
      {"notarray",
       "class Model:\n  def __init__(self, c): pass\n  def infer(self, i): return {'y': [1.0]}\n"},
      {"strided",
       "import numpy as np\nclass Model:\n  def __init__(self, c): pass\n"
       "  def infer(self, i): return {'y': np.arange(8, dtype=np.float32)[::2]}\n"},
      {"object",
       "import numpy as np\nclass Model:\n  def __init__(self, c): pass\n"
       "  def infer(self, i): return {'y': np.array(['a', None], dtype=object)}\n"},
      {"float64",
       "import numpy as np\nclass Model:\n  def __init__(self, c): pass\n"
       "  def infer(self, i): return {'y': i['x'].astype(np.float64)}\n"},
      {"shape",
       "import numpy as np\nclass Model:\n  def __init__(self, c): pass\n"
       "  def infer(self, i): return {'y': np.zeros((2, 2), dtype=np.float32)}\n"},
  });
  ASSERT_NE(bad.repo, nullptr);
  const std::map<std::string, std::string> errors = {
      {"raises", "infer() raised ValueError: negative pixels"},
      {"list", "infer() returned list, not a dict"},
      {"missing", "output 'y' is missing from infer()'s dict (its keys: z)"},
      {"notarray", "output 'y': infer() returned list, not a numpy.ndarray"},
      {"strided", "output 'y': the array is not C-contiguous"},
      {"object", "output 'y': dtype object has no v2 datatype"},
      {"float64", "output 'y': datatype FP64; config.toml declares FP32"},
      {"shape", "output 'y': shape [2,2]; config.toml declares [-1]"},
  };
  for (const auto& [name, message] : errors) {
    for (int round = 0; round < 2; ++round) {  // and again: the model is fine
      InferStats stats;
      auto out = Infer(*bad.repo, name, {Tensor<float>("x", DataType::kFp32, {1}, {1.f})}, &stats);
      ASSERT_FALSE(out.ok()) << name;
      EXPECT_EQ(out.status().code(), StatusCode::kInternal) << name;
      EXPECT_THAT(out.status().message(), HasSubstr(message)) << name;
      if (name == "raises") {
        EXPECT_THAT(stats.error_detail, HasSubstr("Traceback")) << name;
      }
    }
  }
}

// The GIL figures move the right way: a model that holds the GIL shows a held
// share far above one that sleeps without it; two threads running it wait.
TEST(PythonGilTest, AChainHoldsTheGilASleepReleasesItAndTwoChainThreadsWait) {
  auto held_share = [](const std::string& model, HostTensor input, int threads) {
    int64_t hold = 0, wait = 0, total = 0;
    std::mutex mu;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        for (int i = 0; i < 6; ++i) {
          InferStats s;
          int64_t start = SteadyClock::Now();
          auto out = Infer(Reference(), model, {input}, &s);
          int64_t took = SteadyClock::Now() - start;
          ASSERT_TRUE(out.ok()) << out.status().ToString();
          std::lock_guard lock(mu);
          hold += s.gil_hold_us;
          wait += s.gil_wait_us;
          total += took;
        }
      });
    }
    for (auto& t : pool) t.join();
    return std::pair<double, double>(static_cast<double>(hold) / total, static_cast<double>(wait) / total);
  };
  auto [chain_held, chain_wait_alone] =
      held_share("py_chain", Tensor<int64_t>("n", DataType::kInt64, {1}, {20000}), 1);
  auto [sleep_held, sleep_wait] =
      held_share("py_sleep", Tensor<int32_t>("ms", DataType::kInt32, {1}, {20}), 1);
  auto [chain2_held, chain2_wait] =
      held_share("py_chain", Tensor<int64_t>("n", DataType::kInt64, {1}, {20000}), 2);
  EXPECT_GT(chain_held, 2 * sleep_held) << "chain " << chain_held << " sleep " << sleep_held;
  EXPECT_GT(chain2_wait, 2 * chain_wait_alone)
      << "two threads " << chain2_wait << " one " << chain_wait_alone;
  EXPECT_GE(chain_held, 0.0);
  EXPECT_LE(chain_held, 1.01);
}

// Fork handlers take the GIL in the forking thread: a fork while another
// thread runs Python (holding the GIL) leaves a child that can run Python.
TEST(PythonForkTest, AForkWhileAnotherThreadRunsPythonGivesAChildThatRunsPython) {
  const ModelRepository& repo = Reference();
  std::atomic<bool> stop{false};
  std::thread busy([&] {
    while (!stop.load())
      ASSERT_TRUE(Infer(repo, "py_chain", {Tensor<int64_t>("n", DataType::kInt64, {1}, {20000})}).ok());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  pid_t pid = ::fork();
  if (pid == 0) {
    auto out = Infer(repo, "py_chain", {Tensor<int64_t>("n", DataType::kInt64, {1}, {10})});
    ::_exit(out.ok() ? 0 : 1);
  }
  ASSERT_GT(pid, 0);
  int status = 0;
  for (int i = 0; i < 300 && ::waitpid(pid, &status, WNOHANG) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop = true;
  busy.join();
  if (::waitpid(pid, &status, WNOHANG) == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    FAIL() << "the child hung (a thread held the GIL across the fork)";
  }
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// ---------------------------------------------------------------------------
// Served: every executor and start method, over the v2 routes.

struct ExecutorCase {
  std::string name;
  std::vector<std::string> args;
};

void PrintTo(const ExecutorCase& c, std::ostream* os) { *os << c.name; }

struct ServedCase {
  std::string model;
  nlohmann::json inputs;  // name -> {"datatype", "shape", "data"}
};

std::vector<ServedCase> ServedCases() {
  return {{"py_chain", {{"n", {{"datatype", "INT64"}, {"shape", {1}}, {"data", {3000}}}}}},
          {"py_numpy", {{"scale", {{"datatype", "FP32"}, {"shape", {1}}, {"data", {0.25}}}}}},
          {"py_sqlite", {{"key", {{"datatype", "INT64"}, {"shape", {1}}, {"data", {17}}}}}},
          {"py_sleep_async", {{"ms", {{"datatype", "INT32"}, {"shape", {1}}, {"data", {3}}}}}}};
}

nlohmann::json InferBody(const nlohmann::json& inputs) {
  nlohmann::json body = {{"inputs", nlohmann::json::array()}};
  for (const auto& [name, t] : inputs.items()) {
    body["inputs"].push_back(
        {{"name", name}, {"datatype", t["datatype"]}, {"shape", t["shape"]}, {"data", t["data"]}});
  }
  return body;
}

class PythonExecutorTest : public ::testing::TestWithParam<ExecutorCase> {};

TEST_P(PythonExecutorTest, ServesEveryReferenceModelAsPythonItselfAnswersAndCountsTheGil) {
  static const auto expected = [] {
    std::map<std::string, nlohmann::json> e;
    for (const ServedCase& c : ServedCases()) e[c.model] = RunInPython(c.model, c.inputs);
    return e;
  }();
  std::vector<std::string> args = GetParam().args;
  args.insert(args.end(), {"--workers", "2", "--models", ReferenceModels()});
  testing::ServerProcess server(args, std::chrono::seconds(60));
  ASSERT_TRUE(server.ready()) << server.output();
  testing::HttpConnection c(server.port());
  for (int round = 0; round < 2; ++round) {
    for (const ServedCase& sc : ServedCases()) {
      auto r = c.Request("POST", "/v2/models/" + sc.model + "/infer", InferBody(sc.inputs).dump());
      ASSERT_EQ(r.status, 200) << sc.model << ": " << r.body;
      const nlohmann::json& want = expected.at(sc.model);
      const nlohmann::json reply = r.json();  // kept: the loop runs over its "outputs"
      for (const auto& out : reply["outputs"]) {
        const std::string name = out["name"];
        ASSERT_TRUE(want.contains(name)) << sc.model << " " << name;
        EXPECT_EQ(out["shape"], want[name]["shape"]) << sc.model;
        auto w = want[name]["data"].get<std::vector<double>>();
        auto g = out["data"].get<std::vector<double>>();
        ASSERT_EQ(g.size(), w.size()) << sc.model;
        for (size_t i = 0; i < g.size(); ++i)
          EXPECT_NEAR(g[i], w[i], 1e-6 + 1e-5 * std::abs(w[i])) << sc.model;
      }
    }
  }
  auto stats = testing::Get(server.port(), "/stats").json();
  ASSERT_TRUE(stats.contains("python")) << stats.dump();
  for (const ServedCase& sc : ServedCases()) {
    const auto& m = stats["python"][sc.model];
    EXPECT_EQ(m["requests"], 2) << sc.model << " " << m.dump();
    EXPECT_GE(m["gil_held_share"].get<double>(), 0.0) << sc.model;
    EXPECT_LE(m["gil_held_share"].get<double>(), 1.01) << sc.model;
    // A coroutine on an async worker's asyncio loop interleaves with others:
    // counted, its GIL figures not measured (python_backend/loop_lane.h).
    const bool interleaved = sc.model == "py_sleep_async" && GetParam().name.rfind("async", 0) == 0;
    EXPECT_EQ(m["gil_measured_requests"], interleaved ? 0 : 2) << sc.model;
    EXPECT_EQ(m["gil_hold_us"]["count"], interleaved ? 0 : 2) << sc.model;
  }
}

std::vector<ExecutorCase> Executors() {
  return {
      {"threads", {"--executor", "threads"}},
      {"processes_fork", {"--executor", "processes", "--start", "fork"}},
      {"processes_forkserver", {"--executor", "processes", "--start", "forkserver"}},
      {"processes_spawn", {"--executor", "processes", "--start", "spawn"}},
      {"async", {"--executor", "async"}},
      {"async_offload", {"--executor", "async", "--offload", "2"}},
  };
}

INSTANTIATE_TEST_SUITE_P(AllExecutors, PythonExecutorTest, ::testing::ValuesIn(Executors()),
                         [](const auto& p) { return p.param.name; });

// kB of a process's pages that are dirty and shared with another process
// (/proc/PID/smaps_rollup Shared_Dirty): what a forked child still shares of
// what its parent wrote before the fork.
int64_t SharedDirtyKib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
  std::string key;
  int64_t kib = 0;
  while (in >> key) {
    if (key == "Shared_Dirty:" && in >> kib) return kib;
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return -1;
}

// A forked worker shares what the zygote imported: a model whose __init__
// builds a 64 MiB bytes object has it, in each forkserver worker, as pages
// shared with the zygote; a spawned worker built its own, private copy.
TEST(PythonServingTest, AForkedWorkerSharesTheZygotesModelStateAndASpawnedOneHasItsOwn) {
  BadRepo repo(std::map<std::string, std::string>{
      {"blob",
       "class Model:\n  def __init__(self, c): self.blob = b'x' * (64 << 20)\n"
       "  def infer(self, i): return {'y': i['x']}\n"}});
  const std::string body = R"({"inputs":[{"name":"x","datatype":"FP32","shape":[2],"data":[1,2]}]})";
  for (const std::string start : {"forkserver", "fork", "spawn"}) {
    testing::ServerProcess server(
        {"--executor", "processes", "--start", start, "--workers", "2", "--models", repo.dir.path()},
        std::chrono::seconds(60));
    ASSERT_TRUE(server.ready()) << server.output();
    ASSERT_EQ(testing::Post(server.port(), "/v2/models/blob/infer", body).status, 200);
    auto pids = testing::Get(server.port(), "/stats").json()["executor"]["worker_pids"].get<std::vector<int>>();
    ASSERT_EQ(pids.size(), 2u) << start;
    for (int pid : pids) {
      const int64_t shared = SharedDirtyKib(pid);
      if (start == "spawn") {
        EXPECT_LT(shared, 32 * 1024) << start << " worker " << pid << " shares " << shared << " kB";
      } else {
        EXPECT_GE(shared, 64 * 1024) << start << " worker " << pid << " shares " << shared << " kB";
      }
    }
  }
}

// parameters.timeout passing while Python runs the request: under processes
// the worker is stopped (it would sleep 30 s) and replaced, and the request
// answered 504; under threads it runs to the end and the reply counts late.
TEST(PythonServingTest, ATimeoutWhilePythonRunsStopsTheWorkerUnderProcessesAndCountsLateUnderThreads) {
  auto sleep_body = [](int ms, int64_t timeout_us) {
    nlohmann::json body = InferBody({{"ms", {{"datatype", "INT32"}, {"shape", {1}}, {"data", {ms}}}}});
    body["parameters"] = {{"timeout", timeout_us}};
    return body.dump();
  };
  {
    testing::ServerProcess server({"--executor", "processes", "--start", "forkserver", "--workers", "1",
                                   "--models", ReferenceModels()},
                                  std::chrono::seconds(60));
    ASSERT_TRUE(server.ready()) << server.output();
    const auto before = testing::Get(server.port(), "/stats").json()["executor"]["worker_pids"];
    testing::HttpConnection c(server.port());
    auto r = c.Request("POST", "/v2/models/py_sleep/infer", sleep_body(30000, 200000));
    EXPECT_EQ(r.status, 504) << r.body;
    EXPECT_THAT(r.body, HasSubstr("stopped and replaced"));
    // The replacement serves; the worker is a new process.
    r = c.Request("POST", "/v2/models/py_sleep/infer", sleep_body(1, 10'000'000));
    EXPECT_EQ(r.status, 200) << r.body;
    auto stats = testing::Get(server.port(), "/stats").json();
    EXPECT_EQ(stats["executor"]["worker_restarts"], 1) << stats.dump();
    EXPECT_NE(stats["executor"]["worker_pids"], before);
    EXPECT_EQ(stats["late_replies"], 0);
  }
  {
    testing::ServerProcess server({"--executor", "threads", "--workers", "1", "--models", ReferenceModels()},
                                  std::chrono::seconds(60));
    ASSERT_TRUE(server.ready()) << server.output();
    testing::HttpConnection c(server.port());
    auto r = c.Request("POST", "/v2/models/py_sleep/infer", sleep_body(300, 50000));
    EXPECT_EQ(r.status, 200) << r.body;
    auto stats = testing::Get(server.port(), "/stats").json();
    EXPECT_EQ(stats["late_replies"], 1) << stats.dump();
    EXPECT_EQ(stats["executor"]["worker_restarts"], 0);
  }
}

// py_torch_tiny_mobilenet, the eager PyTorch twin that scripts/export_models.py
// writes of tiny_mobilenet (same trained weights): under every executor it
// answers as infer() run directly in Python does, and as the TorchScript
// model does, up to float rounding (eager and frozen graphs fuse differently).
TEST_P(PythonExecutorTest, ServesTheEagerTorchTwinAsPythonAndAsTheTorchScriptModelAnswer) {
  std::vector<double> pixels(2 * 3 * 32 * 32);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<double>((i * 7919) % 1000) / 1000.0;
  const nlohmann::json inputs = {
      {"INPUT__0", {{"datatype", "FP32"}, {"shape", {2, 3, 32, 32}}, {"data", pixels}}}};
  static const nlohmann::json in_python =
      RunInPython("py_torch_tiny_mobilenet", inputs, SWITCHYARD_TEST_PYTHON_MODELS);
  ASSERT_TRUE(in_python.is_object());
  // The TorchScript answer from a server of its own (loading LibTorch into
  // this test process as well as CPython upsets LeakSanitizer at exit).
  static const std::vector<double> scripted = [&] {
    testing::ServerProcess torch_server({"--executor", "threads", "--workers", "1", "--models", SWITCHYARD_TEST_MODELS},
                                        std::chrono::seconds(60));
    EXPECT_TRUE(torch_server.ready()) << torch_server.output();
    if (!torch_server.ready()) return std::vector<double>{};
    auto r = testing::Post(torch_server.port(), "/v2/models/tiny_mobilenet/infer", InferBody(inputs).dump());
    EXPECT_EQ(r.status, 200) << r.body;
    const nlohmann::json reply = r.json();
    return r.status == 200 ? reply["outputs"][0]["data"].get<std::vector<double>>() : std::vector<double>{};
  }();
  std::vector<std::string> args = GetParam().args;
  // One worker: each spawned worker imports torch afresh, slow under ASan.
  args.insert(args.end(), {"--workers", "1", "--models", SWITCHYARD_TEST_PYTHON_MODELS});
  testing::ServerProcess server(args, std::chrono::seconds(60));
  ASSERT_TRUE(server.ready()) << server.output();
  testing::HttpConnection c(server.port());
  auto r = c.Request("POST", "/v2/models/py_torch_tiny_mobilenet/infer", InferBody(inputs).dump());
  ASSERT_EQ(r.status, 200) << r.body;
  const nlohmann::json reply = r.json();
  const nlohmann::json& eager = reply["outputs"][0];
  ASSERT_EQ(eager["shape"], nlohmann::json({2, 10}));
  EXPECT_EQ(eager["shape"], in_python["OUTPUT__0"]["shape"]);
  auto e = eager["data"].get<std::vector<double>>();
  auto p = in_python["OUTPUT__0"]["data"].get<std::vector<double>>();
  ASSERT_EQ(e.size(), p.size());
  ASSERT_EQ(e.size(), scripted.size());
  for (size_t i = 0; i < e.size(); ++i) {
    EXPECT_NEAR(e[i], p[i], 1e-5 + 1e-5 * std::abs(p[i])) << i;
    EXPECT_NEAR(e[i], scripted[i], 1e-4 + 1e-4 * std::abs(scripted[i])) << i;
  }
  auto stats = testing::Get(server.port(), "/stats").json();
  EXPECT_EQ(stats["python"]["py_torch_tiny_mobilenet"]["requests"], 1) << stats.dump();
  // (No claim on its GIL hold: one short request in a fresh worker can fall
  // between the sampler's first ticks; PythonGilTest compares holds.)
  EXPECT_EQ(stats["python"]["py_torch_tiny_mobilenet"]["gil_measured_requests"], 1) << stats.dump();
}

// infer() that raises is a 500 with the exception's type and message, no
// traceback; a model that kills its worker process fails only that request
// (503) and the worker is replaced.
TEST(PythonServingTest, ARaisingInferIsA500AndAnExitingOneUnderProcessesA503ThenServesOn) {
  BadRepo bad({
      {"good", "class Model:\n  def __init__(self, c): pass\n  def infer(self, i): return {'y': i['x']}\n"},
      {"raises",
       "class Model:\n  def __init__(self, c): pass\n"
       "  def infer(self, i): raise ValueError('negative pixels')\n"},
      {"exits",
       "import os\nclass Model:\n  def __init__(self, c): pass\n  def infer(self, i): os._exit(7)\n"},
  });
  const std::string body = R"({"inputs":[{"name":"x","datatype":"FP32","shape":[2],"data":[1,2]}]})";
  testing::ServerProcess server(
      {"--executor", "processes", "--start", "forkserver", "--workers", "2", "--models", bad.dir.path()},
      std::chrono::seconds(60));
  ASSERT_TRUE(server.ready()) << server.output();
  auto raised = testing::Post(server.port(), "/v2/models/raises/infer", body);
  EXPECT_EQ(raised.status, 500) << raised.body;
  EXPECT_THAT(raised.json()["error"].get<std::string>(), HasSubstr("ValueError: negative pixels"));
  EXPECT_THAT(raised.body, ::testing::Not(HasSubstr("Traceback")));
  auto exited = testing::Post(server.port(), "/v2/models/exits/infer", body);
  EXPECT_EQ(exited.status, 503) << exited.body;
  int ok = 0;
  for (int i = 0; i < 100 && ok < 3; ++i) {
    auto r = testing::Post(server.port(), "/v2/models/good/infer", body);
    if (r.status == 200) {
      ++ok;
    } else {
      EXPECT_EQ(r.status, 503) << r.body;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  EXPECT_EQ(ok, 3);
}

// Under the async executor an `async def infer` runs as a coroutine on the
// worker's asyncio loop: requests overlap on one worker while they await.
// The model reports how many of its calls were in progress at once.
TEST(PythonServingTest, CoroutinesOverlapOnOneAsyncWorkerAndNotOnOneThread) {
  BadRepo repo(
      std::map<std::string, std::string>{{"overlap",
                                          "import asyncio\nimport numpy as np\n"
                                          "class Model:\n"
                                          "  def __init__(self, c): self.active = 0; self.peak = 0\n"
                                          "  async def infer(self, i):\n"
                                          "    self.active += 1; self.peak = max(self.peak, self.active)\n"
                                          "    await asyncio.sleep(0.3)\n"
                                          "    self.active -= 1\n"
                                          "    return {'y': np.array([self.peak], dtype=np.float32)}\n"}});
  const std::string body = R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[0]}]})";
  auto peak_with = [&](const std::vector<std::string>& executor) {
    std::vector<std::string> args = executor;
    args.insert(args.end(), {"--workers", "1", "--io-threads", "1", "--models", repo.dir.path()});
    testing::ServerProcess server(args, std::chrono::seconds(60));
    EXPECT_TRUE(server.ready()) << server.output();
    std::vector<std::thread> clients;
    std::vector<int> statuses(4, 0);
    for (int i = 0; i < 4; ++i) {
      clients.emplace_back(
          [&, i] { statuses[i] = testing::Post(server.port(), "/v2/models/overlap/infer", body).status; });
    }
    for (auto& t : clients) t.join();
    for (int st : statuses) EXPECT_EQ(st, 200);
    auto last = testing::Post(server.port(), "/v2/models/overlap/infer", body).json();
    return last["outputs"][0]["data"][0].get<double>();
  };
  EXPECT_GE(peak_with({"--executor", "async"}), 2.0) << "coroutines on one async worker overlap";
  EXPECT_EQ(peak_with({"--executor", "threads"}), 1.0) << "one worker thread runs one call at a time";
}

}  // namespace
}  // namespace switchyard
