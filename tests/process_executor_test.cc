// The processes executor over every start method and IPC kind: answers equal
// the in-process WorkloadRunner's, every job is answered exactly once, a
// killed worker fails only its own job and is replaced, Drain finishes the
// queue, and no worker outlives its executor.
//
// This file has its own main(): the zygote and the pre-forked workers must be
// forked while the process is still single-threaded, before GoogleTest or any
// test starts a thread.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/json_quote.h"
#include "executor/executor.h"
#include "executor/process/worker_process.h"
#include "executor/process/zygote.h"
#include "workload/kv_store.h"
#include "workload/workload_runner.h"

namespace switchyard {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Zygote> g_zygote;
std::map<IpcKind, std::vector<PreforkedWorker>> g_preforked;
constexpr int kPreforkedWorkers = 2;

ExecutorConfig ProcessConfig(StartMethod start, IpcKind ipc, int workers) {
  ExecutorConfig config;
  config.kind = ExecutorKind::kProcesses;
  config.workers = workers;
  config.start = start;
  config.ipc = ipc;
  config.max_payload_bytes = 1 << 16;
  return config;
}

// Collects outcomes by job id; on_done may run on any dispatcher thread.
class Outcomes {
 public:
  std::function<void(ScoreOutcome)> Callback(uint64_t id) {
    return [this, id](ScoreOutcome outcome) {
      std::lock_guard lock(mu_);
      by_id_[id].push_back(std::move(outcome));
      ++count_;
      cv_.notify_all();
    };
  }
  bool WaitFor(size_t n, std::chrono::seconds timeout = 60s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return count_ >= n; });
  }
  std::map<uint64_t, std::vector<ScoreOutcome>> Snapshot() {
    std::lock_guard lock(mu_);
    return by_id_;
  }
  size_t count() {
    std::lock_guard lock(mu_);
    return count_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, std::vector<ScoreOutcome>> by_id_;
  size_t count_ = 0;
};

ScoreRequest Cpu(std::string data, uint64_t iters) {
  ScoreRequest r;
  r.mode = ScoreMode::kCpu;
  r.data = std::move(data);
  r.iters = iters;
  return r;
}

ScoreRequest Sleep(uint32_t ms) {
  ScoreRequest r;
  r.mode = ScoreMode::kSleep;
  r.sleep_ms = ms;
  return r;
}

std::string InProcessAnswer(const ScoreRequest& request) {
  static auto runner = WorkloadRunner::Create({}).value();
  ScoreOutcome outcome = runner->Run(request);
  EXPECT_TRUE(outcome.status.ok()) << outcome.status.ToString();
  return outcome.result;
}

void SubmitOk(Executor& executor, uint64_t id, ScoreRequest request, Outcomes& outcomes) {
  Job job;
  job.id = id;
  job.request = std::move(request);
  job.arrival_us = SteadyClock::Now();
  job.on_done = outcomes.Callback(id);
  ASSERT_EQ(executor.Submit(job), Admission::kOk);
}

// Runs one request and waits for its outcome.
ScoreOutcome RunOne(Executor& executor, ScoreRequest request) {
  Outcomes outcomes;
  SubmitOk(executor, 1, std::move(request), outcomes);
  EXPECT_TRUE(outcomes.WaitFor(1));
  auto all = outcomes.Snapshot();
  return all.empty() ? ScoreOutcome{} : all.begin()->second.front();
}

// Polls `condition` until it holds or `timeout` passes.
bool Eventually(const std::function<bool()>& condition, std::chrono::seconds timeout = 30s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

bool ProcessGone(pid_t pid) { return ::kill(pid, 0) < 0 && errno == ESRCH; }

// Gone, or a zombie whose every thread has exited: either way it has closed
// all its descriptors. (A zombie leader alone is not enough: under TSan a
// worker has a runtime thread that may still hold the descriptor table.)
bool ProcessExited(pid_t pid) {
  if (ProcessGone(pid)) return true;
  const std::string dir = "/proc/" + std::to_string(pid);
  std::ifstream stat(dir + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  size_t paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] != 'Z') return false;
  std::error_code ec;
  size_t threads = 0;
  for (auto it = std::filesystem::directory_iterator(dir + "/task", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++threads;
  }
  return threads <= 1;
}

struct Method {
  StartMethod start;
  IpcKind ipc;
};

class ProcessExecutorTest : public ::testing::TestWithParam<Method> {
 protected:
  Result<std::unique_ptr<Executor>> Make(int workers, const std::string& db_path = "",
                                         size_t max_payload = 1 << 16) {
    ExecutorConfig config = ProcessConfig(GetParam().start, GetParam().ipc, workers);
    config.max_payload_bytes = max_payload;
    ExecutorEnv env;
    env.workload.db_path = db_path;
    env.zygote = g_zygote.get();
    return CreateProcessExecutor(config, env);
  }
};

TEST_P(ProcessExecutorTest, CpuAnswersEqualTheInProcessRunner) {
  auto executor = Make(2);
  ASSERT_TRUE(executor.ok()) << executor.status().ToString();
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes += static_cast<char>(i);
  const std::vector<ScoreRequest> requests = {
      Cpu("", 0),
      Cpu("hello", 1),
      Cpu(std::string("a\0b\0", 4), 1000),
      Cpu("h\xc3\xa9llo \xe2\x9c\x93 \xff\xfe", 5000),
      Cpu(std::string(4096, '\0'), 3),
      Cpu(all_bytes, 17),
      Cpu(std::string(1 << 16, 'x'), 2),  // exactly max_payload_bytes
  };
  for (const ScoreRequest& request : requests) {
    ScoreOutcome outcome = RunOne(**executor, request);
    ASSERT_TRUE(outcome.status.ok()) << outcome.status.ToString();
    EXPECT_EQ(outcome.result, InProcessAnswer(request)) << "data size " << request.data.size();
    EXPECT_GE(outcome.service_us, 0);
  }
}

TEST_P(ProcessExecutorTest, ConcurrentSubmitsAreEachAnsweredExactlyOnce) {
  auto executor = Make(2);
  ASSERT_TRUE(executor.ok()) << executor.status().ToString();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  Outcomes outcomes;
  std::vector<std::thread> submitters;
  for (int t = 0; t < kThreads; ++t) {
    submitters.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        uint64_t id = static_cast<uint64_t>(t * kPerThread + i);
        SubmitOk(**executor, id, Cpu("job-" + std::to_string(id), 100 + id % 7), outcomes);
      }
    });
  }
  for (auto& t : submitters) t.join();
  ASSERT_TRUE(outcomes.WaitFor(kThreads * kPerThread));
  auto all = outcomes.Snapshot();
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  for (auto& [id, got] : all) {
    ASSERT_EQ(got.size(), 1u) << "job " << id;
    ASSERT_TRUE(got[0].status.ok()) << got[0].status.ToString();
    EXPECT_EQ(got[0].result, InProcessAnswer(Cpu("job-" + std::to_string(id), 100 + id % 7)));
  }
  (*executor)->Drain();
  EXPECT_EQ(outcomes.count(), static_cast<size_t>(kThreads * kPerThread));  // nothing late or twice
  EXPECT_EQ((*executor)->Stats().completed, static_cast<uint64_t>(kThreads * kPerThread));
}

TEST_P(ProcessExecutorTest, SleepBlocksTheWorkerAndAnswers) {
  auto executor = Make(1);
  ASSERT_TRUE(executor.ok()) << executor.status().ToString();
  ScoreOutcome outcome = RunOne(**executor, Sleep(30));
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.ToString();
  EXPECT_EQ(outcome.result, "30");
  EXPECT_GE(outcome.service_us, 30000);  // the worker's own stamps around the sleep
}

TEST_P(ProcessExecutorTest, ErrorStatusesCrossTheChannel) {
  auto executor = Make(1);
  ASSERT_TRUE(executor.ok()) << executor.status().ToString();
  ScoreRequest io;
  io.mode = ScoreMode::kIo;
  io.key = 1;
  ScoreOutcome outcome = RunOne(**executor, io);
  EXPECT_EQ(outcome.status.code(), StatusCode::kNotImplemented);
  EXPECT_NE(outcome.status.message().find("--db"), std::string::npos) << outcome.status.message();
}

TEST_P(ProcessExecutorTest, IoReadsTheDatabaseInTheWorker) {
  std::string path = ::testing::TempDir() + "process_executor_test_" + std::to_string(::getpid()) + ".db";
  ASSERT_TRUE(GenerateKvDatabase(path, 100).ok());
  {
    auto executor = Make(2, path);
    ASSERT_TRUE(executor.ok()) << executor.status().ToString();
    ScoreRequest io;
    io.mode = ScoreMode::kIo;
    io.key = 42;
    ScoreOutcome outcome = RunOne(**executor, io);
    ASSERT_TRUE(outcome.status.ok()) << outcome.status.ToString();
    EXPECT_EQ(outcome.result, JsonQuote(KvValueForKey(42)));
    io.key = 1000;
    EXPECT_EQ(RunOne(**executor, io).status.code(), StatusCode::kNotFound);
  }
  std::filesystem::remove(path);
}

TEST_P(ProcessExecutorTest, WorkerThatCannotOpenTheDatabaseFailsCreate) {
  auto executor = Make(2, "/nonexistent-switchyard-dir/kv.db");
  ASSERT_FALSE(executor.ok());
  EXPECT_NE(executor.status().message().find("could not start"), std::string::npos)
      << executor.status().ToString();
}

TEST_P(ProcessExecutorTest, OversizedPayloadIsRejectedWithoutTouchingAWorker) {
  auto executor = Make(1, "", 1024);
  ASSERT_TRUE(executor.ok()) << executor.status().ToString();
  auto pids = (*executor)->Stats().worker_pids;
  ScoreOutcome too_big = RunOne(**executor, Cpu(std::string(1025, 'x'), 1));
  EXPECT_EQ(too_big.status.code(), StatusCode::kInvalidArgument);
  ScoreOutcome fits = RunOne(**executor, Cpu(std::string(1024, 'x'), 1));
  ASSERT_TRUE(fits.status.ok()) << fits.status.ToString();
  EXPECT_EQ(fits.result, InProcessAnswer(Cpu(std::string(1024, 'x'), 1)));
  EXPECT_EQ((*executor)->Stats().worker_pids, pids);
  EXPECT_EQ((*executor)->Stats().worker_restarts, 0u);
}

TEST_P(ProcessExecutorTest, KilledWorkerFailsOnlyItsJobAndIsReplaced) {
  auto executor = Make(2);
  ASSERT_TRUE(executor.ok()) << executor.status().ToString();
  Executor& ex = **executor;
  Outcomes outcomes;
  SubmitOk(ex, 1, Sleep(2000), outcomes);
  SubmitOk(ex, 2, Sleep(2000), outcomes);
  ASSERT_TRUE(Eventually([&] { return ex.Stats().in_flight == 2; }));
  std::vector<int> pids = ex.Stats().worker_pids;
  ASSERT_EQ(pids.size(), 2u);
  const pid_t victim = pids[0];
  ASSERT_EQ(::kill(victim, SIGKILL), 0);

  ASSERT_TRUE(outcomes.WaitFor(2));
  int failed = 0;
  int succeeded = 0;
  for (auto& [id, got] : outcomes.Snapshot()) {
    ASSERT_EQ(got.size(), 1u);
    if (got[0].status.ok()) {
      ++succeeded;
      EXPECT_EQ(got[0].result, "2000");
    } else {
      ++failed;
      EXPECT_EQ(got[0].status.code(), StatusCode::kUnavailable);
      EXPECT_NE(got[0].status.message().find("worker process " + std::to_string(victim) + " died"),
                std::string::npos)
          << got[0].status.message();
    }
  }
  EXPECT_EQ(failed, 1);
  EXPECT_EQ(succeeded, 1);

  ASSERT_TRUE(Eventually([&] {
    auto now = ex.Stats().worker_pids;
    return now.size() == 2 && std::find(now.begin(), now.end(), victim) == now.end();
  })) << "the pool was not restored";
  EXPECT_EQ(ex.Stats().worker_restarts, 1u);
  EXPECT_TRUE(Eventually([&] { return ProcessGone(victim); })) << "the dead worker was not reaped";

  Outcomes after;
  for (uint64_t id = 10; id < 20; ++id) SubmitOk(ex, id, Cpu("after", id), after);
  ASSERT_TRUE(after.WaitFor(10));
  for (auto& [id, got] : after.Snapshot()) {
    ASSERT_TRUE(got[0].status.ok()) << got[0].status.ToString();
    EXPECT_EQ(got[0].result, InProcessAnswer(Cpu("after", id)));
  }
}

TEST_P(ProcessExecutorTest, WorkerKilledWhileIdleFailsNoRequest) {
  auto executor = Make(2);
  ASSERT_TRUE(executor.ok()) << executor.status().ToString();
  Executor& ex = **executor;
  std::vector<int> pids = ex.Stats().worker_pids;
  ASSERT_EQ(pids.size(), 2u);
  const pid_t victim = pids[1];
  ASSERT_EQ(::kill(victim, SIGKILL), 0);
  ASSERT_TRUE(Eventually([&] { return ProcessExited(victim); }));

  // Two long jobs at once. Whether a job finds the dead worker before its
  // dispatcher noticed (it is sent again to the replacement) or waits for a
  // live one, none may fail.
  Outcomes outcomes;
  SubmitOk(ex, 1, Sleep(200), outcomes);
  SubmitOk(ex, 2, Sleep(200), outcomes);
  ASSERT_TRUE(outcomes.WaitFor(2));
  for (auto& [id, got] : outcomes.Snapshot()) {
    ASSERT_TRUE(got[0].status.ok()) << "job " << id << ": " << got[0].status.ToString() << " (killed "
                                    << victim << " of " << pids[0] << "," << pids[1] << ")";
  }
  // The pool is restored (a spawned replacement may still be starting when
  // the other worker has already run both jobs).
  EXPECT_TRUE(Eventually([&] {
    auto now = ex.Stats().worker_pids;
    return now.size() == 2 && std::find(now.begin(), now.end(), victim) == now.end();
  }));
  EXPECT_EQ(ex.Stats().worker_restarts, 1u);
}

TEST_P(ProcessExecutorTest, DrainFinishesQueuedJobs) {
  auto executor = Make(1);
  ASSERT_TRUE(executor.ok()) << executor.status().ToString();
  Executor& ex = **executor;
  Outcomes outcomes;
  for (uint64_t id = 0; id < 6; ++id) SubmitOk(ex, id, Sleep(20), outcomes);
  SubmitOk(ex, 6, Cpu("last", 10), outcomes);
  ex.Drain();
  EXPECT_EQ(outcomes.count(), 7u);
  for (auto& [id, got] : outcomes.Snapshot()) {
    ASSERT_EQ(got.size(), 1u);
    EXPECT_TRUE(got[0].status.ok()) << got[0].status.ToString();
  }
  Job late;
  late.on_done = [](ScoreOutcome) { ADD_FAILURE() << "a job after Drain ran"; };
  EXPECT_EQ(ex.Submit(late), Admission::kClosed);
  EXPECT_TRUE(ex.Stats().worker_pids.empty());
  ex.Drain();  // idempotent
}

TEST_P(ProcessExecutorTest, NoWorkerOutlivesTheExecutor) {
  std::vector<int> pids;
  {
    auto executor = Make(3);
    ASSERT_TRUE(executor.ok()) << executor.status().ToString();
    EXPECT_EQ(RunOne(**executor, Cpu("x", 1)).status.code(), StatusCode::kOk);
    pids = (*executor)->Stats().worker_pids;
    ASSERT_EQ(pids.size(), 3u);
    EXPECT_EQ(std::set<int>(pids.begin(), pids.end()).size(), 3u);
  }
  for (int pid : pids) EXPECT_TRUE(ProcessGone(pid)) << "worker " << pid << " outlived its executor";
}

std::string MethodName(const ::testing::TestParamInfo<Method>& info) {
  return std::string(StartMethodName(info.param.start)) + "_" + std::string(IpcKindName(info.param.ipc));
}

INSTANTIATE_TEST_SUITE_P(AllStartMethods, ProcessExecutorTest,
                         ::testing::Values(Method{StartMethod::kFork, IpcKind::kShm},
                                           Method{StartMethod::kFork, IpcKind::kPipe},
                                           Method{StartMethod::kForkServer, IpcKind::kShm},
                                           Method{StartMethod::kForkServer, IpcKind::kPipe},
                                           Method{StartMethod::kSpawn, IpcKind::kShm},
                                           Method{StartMethod::kSpawn, IpcKind::kPipe}),
                         MethodName);

class PreforkTest : public ::testing::TestWithParam<IpcKind> {};

TEST_P(PreforkTest, ForkExecutorAdoptsThePreforkedWorkers) {
  std::vector<PreforkedWorker>& preforked = g_preforked[GetParam()];
  if (preforked.empty()) GTEST_SKIP() << "pre-forked workers were not created in this process";
  std::set<int> expected;
  for (const PreforkedWorker& w : preforked) expected.insert(w.process->pid());
  ExecutorConfig config = ProcessConfig(StartMethod::kFork, GetParam(), kPreforkedWorkers);
  ExecutorEnv env;
  env.zygote = g_zygote.get();
  env.preforked = &preforked;
  auto executor = CreateProcessExecutor(config, env);
  ASSERT_TRUE(executor.ok()) << executor.status().ToString();
  EXPECT_TRUE(preforked.empty());
  auto pids = (*executor)->Stats().worker_pids;
  EXPECT_EQ(std::set<int>(pids.begin(), pids.end()), expected);
  ScoreOutcome outcome = RunOne(**executor, Cpu("adopted", 10));
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.ToString();
  EXPECT_EQ(outcome.result, InProcessAnswer(Cpu("adopted", 10)));
  executor.value().reset();
  for (int pid : expected) EXPECT_TRUE(ProcessGone(pid));
}

INSTANTIATE_TEST_SUITE_P(BothIpcKinds, PreforkTest, ::testing::Values(IpcKind::kShm, IpcKind::kPipe),
                         [](const ::testing::TestParamInfo<IpcKind>& param) {
                           return std::string(IpcKindName(param.param));
                         });

TEST(ProcessExecutorConfigTest, ForkserverWithoutAZygoteIsRejected) {
  ExecutorEnv env;
  auto executor = CreateProcessExecutor(ProcessConfig(StartMethod::kForkServer, IpcKind::kShm, 1), env);
  ASSERT_FALSE(executor.ok());
  EXPECT_EQ(executor.status().code(), StatusCode::kInvalidArgument);
}

TEST(ProcessExecutorConfigTest, SpawnOfAMissingBinaryFailsCreate) {
  std::string real = WorkerExecutable();
  SetWorkerExecutable("/nonexistent/switchyard");
  ExecutorEnv env;
  auto executor = CreateProcessExecutor(ProcessConfig(StartMethod::kSpawn, IpcKind::kPipe, 2), env);
  SetWorkerExecutable(real);
  ASSERT_FALSE(executor.ok());
  EXPECT_EQ(executor.status().code(), StatusCode::kUnavailable);
}

TEST(ProcessExecutorConfigTest, JobsFailWith503WhileNoWorkerCanBeStartedAndServeAgainAfter) {
  ExecutorEnv env;
  auto executor = CreateProcessExecutor(ProcessConfig(StartMethod::kSpawn, IpcKind::kPipe, 1), env);
  ASSERT_TRUE(executor.ok()) << executor.status().ToString();
  Executor& ex = **executor;
  ASSERT_EQ(ex.Stats().worker_pids.size(), 1u);
  const pid_t victim = ex.Stats().worker_pids[0];

  const std::string real = WorkerExecutable();
  SetWorkerExecutable("/nonexistent/switchyard");
  ASSERT_EQ(::kill(victim, SIGKILL), 0);
  // The dispatcher notices the death at once and cannot replace the worker.
  ASSERT_TRUE(Eventually([&] { return ex.Stats().worker_pids.empty() && ex.Stats().worker_restarts == 1; }));
  ScoreOutcome failed = RunOne(ex, Cpu("nobody", 1));
  EXPECT_EQ(failed.status.code(), StatusCode::kUnavailable);
  EXPECT_NE(failed.status.message().find("no worker process could be started"), std::string::npos)
      << failed.status.message();

  // Once a worker can start again, the next job gets one.
  SetWorkerExecutable(real);
  ScoreOutcome served = RunOne(ex, Cpu("again", 5));
  ASSERT_TRUE(served.status.ok()) << served.status.ToString();
  EXPECT_EQ(served.result, InProcessAnswer(Cpu("again", 5)));
  EXPECT_EQ(ex.Stats().worker_pids.size(), 1u);
  ex.Drain();
  EXPECT_TRUE(ex.Stats().worker_pids.empty());
}

}  // namespace
}  // namespace switchyard

int main(int argc, char** argv) {
  using namespace switchyard;
  std::signal(SIGPIPE, SIG_IGN);  // as `serve` does
  // Still single-threaded: fork the zygote and the pre-forked workers first.
  auto zygote = Zygote::Start();
  if (!zygote.ok()) {
    std::fprintf(stderr, "cannot start the zygote: %s\n", zygote.status().ToString().c_str());
    return 1;
  }
  g_zygote = std::move(zygote).value();
  for (IpcKind ipc : {IpcKind::kShm, IpcKind::kPipe}) {
    auto workers = PreforkWorkers(kPreforkedWorkers, ProcessConfig(StartMethod::kFork, ipc, kPreforkedWorkers),
                                  WorkloadConfig{});
    if (!workers.ok()) {
      std::fprintf(stderr, "cannot pre-fork workers: %s\n", workers.status().ToString().c_str());
      return 1;
    }
    g_preforked[ipc] = std::move(workers).value();
  }
  // The test binary has no `__worker` subcommand: spawn the real server.
  SetWorkerExecutable(SWITCHYARD_BINARY);

  ::testing::InitGoogleTest(&argc, argv);
  int code = RUN_ALL_TESTS();
  g_preforked.clear();
  g_zygote.reset();
  return code;
}
