// The simulator's machine, executor models and server in virtual time, on
// hand-computed cases: processor sharing on C cores, sleeps that use no
// core, async's unlimited waits and blocked loops, the IPC cost of
// processes, a switch whose old configuration drains, and closed-loop
// clients that obey Little's law.
#include <gtest/gtest.h>

#include <map>

#include "sim/executor_model.h"
#include "sim/phased_run.h"
#include "sim/sim_machine.h"
#include "sim/sim_server.h"
#include "sim/sim_workload.h"

namespace switchyard {
namespace {

// Records when each task ended.
struct Recorder : TaskOwner {
  std::map<uint64_t, int64_t> ended;
  void OnTaskDone(uint64_t token, int64_t now_us) override { ended[token] = now_us; }
};

TEST(SimMachineTest, CpuTasksShareTheCoresAndWaitsUseNone) {
  SimMachine two(2);
  Recorder r;
  for (uint64_t i = 0; i < 4; ++i) two.StartCpu(&r, i, 100);
  two.StartWait(&r, 9, 1000);
  two.RunUntil(10'000);
  // Four on two cores: each at half speed; the wait takes no core.
  for (uint64_t i = 0; i < 4; ++i) EXPECT_EQ(r.ended[i], 200) << i;
  EXPECT_EQ(r.ended[9], 1000);
  EXPECT_DOUBLE_EQ(two.busy_core_us(), 400);

  SimMachine one(1);
  Recorder s;
  one.StartCpu(&s, 1, 100);
  one.StartCpu(&s, 2, 300);
  one.RunUntil(10'000);
  EXPECT_EQ(s.ended[1], 200);  // half the core until it is done
  EXPECT_EQ(s.ended[2], 400);  // then the whole core for its last 200
}

// An executor model on a machine, recording each job's answer.
struct Harness {
  explicit Harness(int cores) : machine(cores) {}
  std::unique_ptr<ExecutorModel> Make(const Candidate& c, ExecutorModelOptions o = {}) {
    auto m = CreateExecutorModel(c, o, machine, [this](const SimJob& job, int64_t, int64_t now) {
      EXPECT_EQ(done.count(job.id), 0u) << "answered twice";
      done[job.id] = now;
    });
    EXPECT_TRUE(m.ok()) << m.status().message();
    return std::move(m).value();
  }
  void Admit(ExecutorModel& e, uint64_t id, const std::string& cost_class, int64_t demand,
             int connection = 0) {
    SimJob j;
    j.id = id;
    j.cost_class = CostClass::Parse(cost_class);
    j.kind = DemandKindOf(j.cost_class);
    j.demand_us = demand;
    j.arrival_us = machine.now_us();
    j.connection = connection;
    e.Admit(std::move(j));
  }
  SimMachine machine;
  std::map<uint64_t, int64_t> done;
};

Candidate Threads(int n, const std::string& policy = "fifo") {
  return Candidate(ExecutorKind::kThreads, n, policy);
}

Candidate Async(int offload) {
  return Candidate(ExecutorKind::kAsync, 0, "fifo", StartMethod::kForkServer, offload);
}

TEST(ExecutorModelTest, ThreadsQueueBehindBusyWorkersAndTimeShareTheCores) {
  Harness h(2);
  auto one = h.Make(Threads(1));
  h.Admit(*one, 1, "cpu:2^10", 100);
  h.Admit(*one, 2, "cpu:2^10", 100);
  EXPECT_EQ(one->queued(), 1u);
  h.machine.RunUntil(1000);
  EXPECT_EQ(h.done[1], 100);
  EXPECT_EQ(h.done[2], 200);

  Harness g(2);
  auto four = g.Make(Threads(4));
  for (uint64_t i = 1; i <= 4; ++i) g.Admit(*four, i, "cpu:2^10", 100);
  g.machine.RunUntil(1000);
  for (uint64_t i = 1; i <= 4; ++i) EXPECT_EQ(g.done[i], 200) << i;  // 4 on 2 cores
  EXPECT_EQ(four->in_system(), 0u);
}

TEST(ExecutorModelTest, SleepsHoldAWorkerButNoCore) {
  Harness h(2);
  auto eight = h.Make(Threads(8));
  for (uint64_t i = 1; i <= 4; ++i) h.Admit(*eight, i, "sleep:2^0", 1000);
  h.Admit(*eight, 5, "cpu:2^10", 100);
  h.Admit(*eight, 6, "cpu:2^10", 100);
  h.machine.RunUntil(10'000);
  EXPECT_EQ(h.done[5], 100);  // two CPU jobs, two cores: full speed beside four sleeps
  EXPECT_EQ(h.done[6], 100);
  for (uint64_t i = 1; i <= 4; ++i) EXPECT_EQ(h.done[i], 1000);

  Harness g(2);
  auto two = g.Make(Threads(2));
  for (uint64_t i = 1; i <= 4; ++i) g.Admit(*two, i, "sleep:2^0", 1000);
  g.machine.RunUntil(10'000);
  EXPECT_EQ(g.done[3], 2000);  // two workers: two sleeps at a time
}

TEST(ExecutorModelTest, ProcessesPayTheIpcCostPerRequest) {
  Harness h(2);
  const Candidate c(ExecutorKind::kProcesses, 1);
  ExecutorModelOptions o;
  o.ipc_us = 20;
  auto p = h.Make(c, o);
  h.Admit(*p, 1, "cpu:2^10", 100);
  h.Admit(*p, 2, "sleep:2^0", 1000);
  h.machine.RunUntil(10'000);
  EXPECT_EQ(h.done[1], 120);
  EXPECT_EQ(h.done[2], 120 + 1020);
}

TEST(ExecutorModelTest, AsyncHoldsUnlimitedWaitsOnItsLoops) {
  Harness h(2);
  ExecutorModelOptions o;
  o.io_threads = 1;
  auto async = h.Make(Async(0), o);
  for (uint64_t i = 1; i <= 1000; ++i) h.Admit(*async, i, "sleep:2^5", 50'000, static_cast<int>(i));
  EXPECT_EQ(async->queued(), 0u);
  h.machine.RunUntil(1'000'000);
  ASSERT_EQ(h.done.size(), 1000u);
  for (const auto& [id, t] : h.done) EXPECT_EQ(t, 50'000) << id;
}

TEST(ExecutorModelTest, CpuWorkBlocksItsLoopUnlessOffloaded) {
  ExecutorModelOptions o;
  o.io_threads = 2;
  {
    Harness h(2);
    auto async = h.Make(Async(0), o);
    h.Admit(*async, 1, "cpu:2^20", 10'000, /*connection=*/0);  // loop 0 runs it, blocked
    h.Admit(*async, 2, "sleep:2^0", 1'000, /*connection=*/0);  // waits for loop 0 to start
    h.Admit(*async, 3, "sleep:2^0", 1'000, /*connection=*/1);  // loop 1 is free
    EXPECT_EQ(async->queued(), 1u);
    h.machine.RunUntil(100'000);
    EXPECT_EQ(h.done[1], 10'000);
    EXPECT_EQ(h.done[2], 11'000);
    EXPECT_EQ(h.done[3], 1'000);
  }
  {
    Harness h(2);
    auto async = h.Make(Async(0), o);
    h.Admit(*async, 1, "sleep:2^0", 1'000, 0);  // its timer fires while the loop is blocked
    h.machine.RunUntil(500);
    h.Admit(*async, 2, "cpu:2^20", 10'000, 0);
    h.machine.RunUntil(100'000);
    EXPECT_EQ(h.done[1], 10'500);  // answered once the loop is free
    EXPECT_EQ(h.done[2], 10'500);
  }
  {
    Harness h(2);
    auto async = h.Make(Async(1), o);  // one offload thread: CPU work in arrival order
    h.Admit(*async, 1, "cpu:2^10", 100, 0);
    h.Admit(*async, 2, "cpu:2^10", 100, 1);
    h.Admit(*async, 3, "sleep:2^0", 50, 0);  // the loop is never blocked
    h.machine.RunUntil(10'000);
    EXPECT_EQ(h.done[1], 100);
    EXPECT_EQ(h.done[2], 200);
    EXPECT_EQ(h.done[3], 50);
  }
}

TEST(SimServerTest, ASwitchSendsNewRequestsToTheNewConfigurationWhileTheOldDrains) {
  SimServerOptions o;
  o.cores = 2;
  o.start_threads_us = 500;
  auto server = SimServer::Create(o, Threads(1));
  ASSERT_TRUE(server.ok()) << server.status().message();
  SimServer& s = **server;
  SimRequest cpu{CostClass::Parse("cpu:2^10"), 1000, 0, "", 0};
  for (int i = 0; i < 3; ++i) s.Admit(cpu);  // threads/1: 1000, 2000, 3000
  std::vector<SimCompletion> done;
  int64_t start_us = 0;
  ASSERT_TRUE(s.Apply(Threads(4), &start_us).ok());
  EXPECT_EQ(start_us, 500);
  EXPECT_TRUE(s.Draining());
  s.RunUntil(400, done);
  s.Admit(cpu);  // still starting: to the old one (done at 4000)
  s.RunUntil(600, done);
  EXPECT_EQ(s.serving().Label(), "threads/4/fifo");
  s.Admit(cpu);  // to the new one, beside the old one's: 2 on 2 cores
  s.RunUntil(1'000'000, done);
  std::map<uint64_t, int64_t> at;
  for (const SimCompletion& c : done) at[c.id] = c.done_us;
  EXPECT_EQ(at[1], 1000);
  EXPECT_EQ(at[3], 3000);
  EXPECT_EQ(at[4], 4000);
  EXPECT_EQ(at[5], 1600);
  EXPECT_FALSE(s.Draining());
  EXPECT_EQ(s.admitted(), 5u);
  EXPECT_EQ(s.completed(), 5u);
  EXPECT_EQ(s.duplicates(), 0u);
  EXPECT_EQ(s.in_system(), 0u);
}

TEST(SimServerTest, ObserveFillsTheWindowFigures) {
  SimServerOptions o;
  o.cores = 2;
  o.oracle_prediction = true;  // predicted = demand
  auto server = SimServer::Create(o, Threads(4));
  ASSERT_TRUE(server.ok());
  SimServer& s = **server;
  std::vector<SimCompletion> done;
  for (int i = 0; i < 3; ++i) s.Admit({CostClass::Parse("cpu:2^10"), 400'000, 0, "", 0});
  s.Admit({CostClass::Parse("sleep:2^5"), 50'000, 0, "", 0});
  s.RunUntil(1'000'000, done);
  const WindowStats w = s.Observe();
  EXPECT_DOUBLE_EQ(w.seconds, 1.0);
  EXPECT_DOUBLE_EQ(w.arrival_rate, 4);
  EXPECT_DOUBLE_EQ(w.throughput, 4);
  EXPECT_DOUBLE_EQ(w.share_cpu, 0.75);
  EXPECT_DOUBLE_EQ(w.share_sleep, 0.25);
  EXPECT_DOUBLE_EQ(w.p99_ms, 600);                // three on two cores: 400 ms of work each at 2/3 speed
  EXPECT_NEAR(w.cpu_utilisation, 1.2 / 2, 1e-9);  // 1.2 core-seconds in 1 s of 2 cores
  EXPECT_DOUBLE_EQ(w.mean_predicted_ms, (3 * 400 + 50) / 4.0);
  EXPECT_DOUBLE_EQ(w.wait_load, 0.05);  // 50 ms of sleep admitted in 1 s
  EXPECT_EQ(w.in_system, 0);
}

TEST(SimServerTest, TheFrontEndsCpuCostSharesTheCoresBeforeTheWorkers) {
  SimServerOptions o;
  o.cores = 1;
  o.request_cpu_us = 100;
  auto server = SimServer::Create(o, Threads(1));
  ASSERT_TRUE(server.ok());
  SimServer& s = **server;
  s.Admit({CostClass::Parse("cpu:2^10"), 1000, 0, "", 0});
  s.Admit({CostClass::Parse("cpu:2^10"), 1000, 0, "", 0});
  std::vector<SimCompletion> done;
  s.RunUntil(1'000'000, done);
  ASSERT_EQ(done.size(), 2u);
  // Both read at once on one core (200 µs), then one worker runs them in turn.
  EXPECT_EQ(done[0].done_us, 1200);
  EXPECT_EQ(done[1].done_us, 2200);
  EXPECT_EQ(done[1].arrival_us, 0);
}

SimPhase ClosedPhase(int clients, const std::string& mix, int64_t duration_us) {
  SimPhase p;
  p.name = "closed";
  p.duration_us = duration_us;
  p.connections = clients;
  p.mix = std::move(RequestMix::Parse(mix)).value();
  for (const MixEntry& e : p.mix.entries()) p.entry_class.push_back(*ClassOfEntry(e));
  return p;
}

TEST(PhasedRunTest, ClosedLoopClientsObeyLittlesLaw) {
  // N clients, no think time: N = throughput x mean latency, whatever the
  // demands and the configuration.
  for (const Candidate& c : {Threads(2), Threads(16), Async(2)}) {
    SimWorkload w;
    w.phases.push_back(ClosedPhase(8, "cpu:iters=5000:9,sleep:ms=2:1", 20'000'000));
    w.demands.Set(CostClass::Parse("cpu:2^12"), {200, 400, 600, 1200});
    w.demands.Set(CostClass::Parse("sleep:2^1"), {2000});
    SimServerOptions o;
    o.cores = 2;
    auto server = SimServer::Create(o, c);
    ASSERT_TRUE(server.ok());
    RunOptions r;
    r.warmup_us = 0;
    auto figures = RunWorkload(**server, w, r);
    ASSERT_TRUE(figures.ok()) << figures.status().message();
    const PhaseFigures& p = figures->phases[0];
    EXPECT_GT(p.ok, 10'000u) << c.Label();
    EXPECT_NEAR(p.ok_rps * p.mean_ms / 1e3, 8.0, 0.05) << c.Label();
    EXPECT_EQ(figures->lost, 0u);
  }
}

TEST(PhasedRunTest, OpenLoopRequestsWaitForAFreeConnectionWithTheirLatencyCounting) {
  // 1000/s of 10 ms sleeps on async (any number of waits): 10 in flight. A
  // pool of 2 connections carries 200/s; the rest wait, their latency from
  // the intended send growing to seconds.
  for (int connections : {256, 2}) {
    SimWorkload w;
    SimPhase p;
    p.name = "open";
    p.duration_us = 2'000'000;
    p.rate = 1000;
    p.arrivals = Arrivals::kConstant;
    p.connections = connections;
    p.mix = std::move(RequestMix::Parse("sleep:ms=10")).value();
    p.entry_class = {CostClass::Parse("sleep:2^3")};
    w.phases.push_back(std::move(p));
    w.demands.Set(CostClass::Parse("sleep:2^3"), {10'000});
    SimServerOptions o;
    auto server = SimServer::Create(o, Async(0));
    ASSERT_TRUE(server.ok());
    RunOptions r;
    r.warmup_us = 0;
    auto figures = RunWorkload(**server, w, r);
    ASSERT_TRUE(figures.ok()) << figures.status().message();
    const PhaseFigures& f = figures->phases[0];
    EXPECT_EQ(f.ok, 2000u) << connections;  // every scheduled request is sent and answered
    EXPECT_EQ(figures->lost, 0u);
    if (connections == 256) {
      EXPECT_DOUBLE_EQ(f.p99_ms, 10);
    } else {
      EXPECT_GT(f.p99_ms, 5000);  // the last waits ~8 s for a connection
    }
  }
}

}  // namespace
}  // namespace switchyard
