// Process-tree figures: processes with known memory, CPU and switches, read
// through /proc; processes that vanish while the tree is read; and the
// `process_tree` and `perf` objects of a real server's /stats.
#include "metrics/process_tree.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "server_harness.h"

namespace switchyard {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

bool ReadFull(int fd, void* data, size_t n) {
  auto* p = static_cast<char*>(data);
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

void WriteFull(int fd, const void* data, size_t n) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) ::_exit(99);  // only children write here
    p += w;
    n -= static_cast<size_t>(w);
  }
}

// Forked children that report on a "ready" pipe and then wait until the
// parent closes the "go" pipe. The destructor releases and reaps them, so a
// failed assertion never leaves a child behind or hangs the test.
class Children {
 public:
  Children() {
    EXPECT_EQ(::pipe2(ready_, O_CLOEXEC), 0);
    EXPECT_EQ(::pipe2(go_, O_CLOEXEC), 0);
  }
  ~Children() {
    Release();
    for (pid_t pid : pids_) ::waitpid(pid, nullptr, 0);
    ::close(ready_[0]);
    ::close(ready_[1]);
    ::close(go_[0]);
  }

  // Forks a child running `body`, then _exit(0). The child sees only the
  // write end of "ready" and the read end of "go".
  pid_t Fork(const std::function<void()>& body) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(ready_[0]);
      ::close(go_[1]);
      body();
      ::_exit(0);
    }
    EXPECT_GT(pid, 0) << std::strerror(errno);
    if (pid > 0) pids_.push_back(pid);
    return pid;
  }

  // In a child (or grandchild).
  void Ready(pid_t what = 0) { WriteFull(ready_[1], &what, sizeof what); }
  void WaitGo() {
    char c;
    while (::read(go_[0], &c, 1) < 0 && errno == EINTR) {
    }
  }

  // In the parent: the value one child passed to Ready().
  pid_t AwaitReady() {
    pid_t what = -1;
    EXPECT_TRUE(ReadFull(ready_[0], &what, sizeof what)) << "a child died before reporting";
    return what;
  }
  void Release() {
    if (go_[1] >= 0) ::close(go_[1]);
    go_[1] = -1;
  }
  // Forget a child the test reaped itself.
  void Forget(pid_t pid) { pids_.erase(std::remove(pids_.begin(), pids_.end(), pid), pids_.end()); }

 private:
  int ready_[2] = {-1, -1};
  int go_[2] = {-1, -1};
  std::vector<pid_t> pids_;
};

pid_t DeadPid() {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

bool Contains(const std::vector<pid_t>& v, pid_t pid) { return std::find(v.begin(), v.end(), pid) != v.end(); }

#if defined(__SANITIZE_THREAD__)
constexpr bool kUnderTsan = true;
#else
constexpr bool kUnderTsan = false;
#endif

TEST(ProcessTreeTest, ReadsThisProcess) {
  auto p = ReadProcess(::getpid());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->pid, ::getpid());
  EXPECT_EQ(p->ppid, ::getppid());
  EXPECT_GE(p->threads, 1);
  EXPECT_GT(p->rss_bytes, 0u);
  EXPECT_GT(p->pss_bytes, 0u);
  EXPECT_LE(p->pss_bytes, p->rss_bytes);
  EXPECT_GT(p->minor_faults, 0u);
}

TEST(ProcessTreeTest, SharedMappingCountsOncePerProcessInRssAndOnceInPss) {
  if (kUnderTsan) {
    GTEST_SKIP() << "under TSan every forked child maps and touches its own shadow memory, so PSS has no known value";
  }
  auto before = ReadProcessTree(::getpid());
  ASSERT_TRUE(before.ok()) << before.status().ToString();

  constexpr size_t kSize = 64 * kMiB;
  void* mem = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  std::memset(mem, 1, kSize);  // every page resident before the children map it
  const long page = ::sysconf(_SC_PAGESIZE);

  std::vector<pid_t> children;
  {
    Children kids;
    for (int i = 0; i < 3; ++i) {
      children.push_back(kids.Fork([&] {
        // A shared mapping is not copied into the child's page tables at
        // fork: reading each page maps it, so it counts in this child's RSS.
        volatile const char* bytes = static_cast<const char*>(mem);
        unsigned sum = 0;
        for (size_t off = 0; off < kSize; off += static_cast<size_t>(page)) sum += bytes[off];
        kids.Ready(static_cast<pid_t>(sum != 0));
        kids.WaitGo();
      }));
    }
    for (int i = 0; i < 3; ++i) ASSERT_EQ(kids.AwaitReady(), 1);

    auto tree = ReadProcessTree(::getpid());
    ASSERT_TRUE(tree.ok()) << tree.status().ToString();
    EXPECT_GE(tree->processes, 4);
    // Each of the 4 processes has the whole mapping resident...
    EXPECT_GE(tree->rss_bytes, static_cast<uint64_t>(4 * 64 * kMiB * 0.9));
    // ...but PSS charges each shared page a quarter to each: once in all.
    EXPECT_LT(tree->pss_bytes, tree->rss_bytes / 2);
    EXPECT_GE(tree->pss_bytes, static_cast<uint64_t>(64 * kMiB * 0.9));
    EXPECT_LE(tree->pss_bytes, before->pss_bytes + 64 * kMiB + 32 * kMiB)
        << "baseline PSS " << before->pss_bytes;

    auto child = ReadProcess(children[0]);
    ASSERT_TRUE(child.ok()) << child.status().ToString();
    EXPECT_GE(child->rss_bytes, static_cast<uint64_t>(64 * kMiB * 0.9));
    EXPECT_GE(child->pss_bytes, static_cast<uint64_t>(16 * kMiB * 0.9));
    EXPECT_LT(child->pss_bytes, 40 * kMiB);
  }
  ::munmap(mem, kSize);
}

TEST(ProcessTreeTest, GrandchildrenAreInTheTree) {
  Children kids;
  pid_t child = kids.Fork([&] {
    pid_t grandchild = ::fork();
    if (grandchild == 0) {
      kids.Ready(::getpid());
      kids.WaitGo();
      ::_exit(0);
    }
    kids.Ready(::getpid());
    kids.WaitGo();
    ::waitpid(grandchild, nullptr, 0);
  });
  ASSERT_GT(child, 0);
  std::vector<pid_t> reported = {kids.AwaitReady(), kids.AwaitReady()};
  ASSERT_TRUE(Contains(reported, child));
  pid_t grandchild = reported[0] == child ? reported[1] : reported[0];

  auto pids = ListProcessTree(::getpid());
  ASSERT_TRUE(pids.ok()) << pids.status().ToString();
  EXPECT_EQ(pids->front(), ::getpid());
  EXPECT_TRUE(Contains(*pids, child));
  EXPECT_TRUE(Contains(*pids, grandchild));

  auto tree = ReadProcessTree(::getpid());
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  EXPECT_EQ(tree->processes, static_cast<int>(pids->size()));
  EXPECT_GE(tree->processes, 3);

  auto subtree = ReadProcessTree(child);
  ASSERT_TRUE(subtree.ok()) << subtree.status().ToString();
  EXPECT_EQ(subtree->processes, 2);
}

TEST(ProcessTreeTest, CountsTheCpuTimeOfAChild) {
  Children kids;
  pid_t child = kids.Fork([&] {
    // Spin until this process has used 200 ms of CPU, however long that
    // takes on a busy machine.
    timespec ts{};
    volatile uint64_t x = 0;
    do {
      for (int i = 0; i < 100000; ++i) x = x + static_cast<uint64_t>(i);
      ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    } while (ts.tv_sec == 0 && ts.tv_nsec < 200'000'000);
    kids.Ready();
    kids.WaitGo();
  });
  ASSERT_GT(child, 0);
  kids.AwaitReady();
  auto p = ReadProcess(child);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_GE(p->cpu_user_s + p->cpu_system_s, 0.1);
  auto tree = ReadProcessTree(::getpid());
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  EXPECT_GE(tree->cpu_user_s + tree->cpu_system_s, 0.1);
}

// /proc/PID/status reports the main thread's switches only: the sleeps run
// on a second thread of the child, so this fails unless threads are summed.
TEST(ProcessTreeTest, SumsTheContextSwitchesOfEveryThreadOfAChild) {
  constexpr int kSleeps = 1000;
  Children kids;
  pid_t child = kids.Fork([&] {
    std::thread worker([&] {
      // A 50 us sleep always blocks (its timer has not expired when the
      // thread goes to sleep): one voluntary switch each. Pipe round trips
      // do not: a reader that finds the data already there never blocks.
      for (int i = 0; i < kSleeps; ++i) ::usleep(50);
      kids.Ready();
      kids.WaitGo();
    });
    worker.join();
  });
  ASSERT_GT(child, 0);
  kids.AwaitReady();
  auto p = ReadProcess(child);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  // Two of ours; TSan adds threads of its own runtime.
  if (kUnderTsan) {
    EXPECT_GE(p->threads, 2);
  } else {
    EXPECT_EQ(p->threads, 2);
  }
  EXPECT_GE(p->voluntary_ctxt_switches, static_cast<uint64_t>(kSleeps / 2));
}

// For the calling process getrusage is used: threads that have exited still count.
TEST(ProcessTreeTest, OwnContextSwitchesIncludeThreadsThatExited) {
  auto before = ReadProcess(::getpid());
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  std::thread sleeper([] {
    for (int i = 0; i < 600; ++i) ::usleep(100);
  });
  sleeper.join();
  auto after = ReadProcess(::getpid());
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_GE(after->voluntary_ctxt_switches - before->voluntary_ctxt_switches, 500u);
}

TEST(ProcessTreeTest, VanishedProcessIsNotFound) {
  pid_t dead = DeadPid();
  auto p = ReadProcess(dead);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kNotFound) << p.status().ToString();
  auto tree = ReadProcessTree(dead);
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.status().code(), StatusCode::kNotFound) << tree.status().ToString();
  EXPECT_FALSE(ListProcessTree(dead).ok());
  EXPECT_EQ(ReadProcess(0).status().code(), StatusCode::kInvalidArgument);
}

TEST(ProcessTreeTest, ZombieIsNotCounted) {
  pid_t zombie = ::fork();
  if (zombie == 0) ::_exit(0);
  ASSERT_GT(zombie, 0);
  // Wait until it has exited, without reaping it.
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(zombie), &info, WEXITED | WNOWAIT), 0);
  auto p = ReadProcess(zombie);
  EXPECT_EQ(p.status().code(), StatusCode::kNotFound) << p.status().ToString();
  auto pids = ListProcessTree(::getpid());
  auto tree = ReadProcessTree(::getpid());
  ::waitpid(zombie, nullptr, 0);
  ASSERT_TRUE(pids.ok());
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  EXPECT_TRUE(Contains(*pids, zombie));
  EXPECT_EQ(tree->processes, static_cast<int>(pids->size()) - 1);
}

TEST(ProcessTreeTest, ChildThatExitsMidScanIsSkipped) {
  Children kids;
  pid_t a = kids.Fork([&] {
    kids.Ready();
    kids.WaitGo();
  });
  pid_t b = kids.Fork([&] {
    kids.Ready();
    kids.WaitGo();
  });
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  kids.AwaitReady();
  kids.AwaitReady();
  size_t listed = 0;
  auto tree = ReadProcessTree(::getpid(), [&](const std::vector<pid_t>& pids) {
    listed = pids.size();
    EXPECT_TRUE(Contains(pids, a));
    // Gone, and reaped, between listing and reading.
    ::kill(a, SIGKILL);
    ::waitpid(a, nullptr, 0);
  });
  kids.Forget(a);
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  EXPECT_EQ(tree->processes, static_cast<int>(listed) - 1);
}

// A parent that exits mid-scan reparents its child: no longer ours, skipped.
TEST(ProcessTreeTest, OrphanReparentedMidScanIsSkipped) {
  // Orphans come back to this process instead of init, so the test reaps them.
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  Children kids;
  pid_t middle = kids.Fork([&] {
    pid_t leaf = ::fork();
    if (leaf == 0) {
      kids.Ready(::getpid());
      kids.WaitGo();
      ::_exit(0);
    }
    kids.Ready(::getpid());
    kids.WaitGo();
    ::waitpid(leaf, nullptr, 0);
  });
  ASSERT_GT(middle, 0);
  std::vector<pid_t> reported = {kids.AwaitReady(), kids.AwaitReady()};
  pid_t leaf = reported[0] == middle ? reported[1] : reported[0];
  size_t listed = 0;
  auto tree = ReadProcessTree(::getpid(), [&](const std::vector<pid_t>& pids) {
    listed = pids.size();
    EXPECT_TRUE(Contains(pids, leaf));
    ::kill(middle, SIGKILL);
    ::waitpid(middle, nullptr, 0);  // the leaf is reparented before this returns
  });
  kids.Forget(middle);
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  EXPECT_EQ(tree->processes, static_cast<int>(listed) - 2);
  kids.Release();
  ::waitpid(leaf, nullptr, 0);
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST(ProcessTreeTest, ReadingWhileChildrenComeAndGoNeverFails) {
  for (int round = 0; round < 20; ++round) {
    std::vector<pid_t> pids;
    for (int i = 0; i < 8; ++i) {
      pid_t pid = ::fork();
      if (pid == 0) {
        ::usleep(static_cast<useconds_t>(i * 100));
        ::_exit(0);
      }
      ASSERT_GT(pid, 0);
      pids.push_back(pid);
    }
    auto tree = ReadProcessTree(::getpid());
    ASSERT_TRUE(tree.ok()) << tree.status().ToString();
    EXPECT_GE(tree->processes, 1);
    EXPECT_LE(tree->processes, 9);
    for (pid_t pid : pids) ::waitpid(pid, nullptr, 0);
  }
}

// The server's /stats: its own tree (server, zygote, workers) and the perf
// counters it opened before forking anything.
class ProcessTreeServerTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ProcessTreeServerTest, StatsShowTheWholeServerTreeAndPerfCounters) {
  testing::ServerProcess server({"--executor", "processes", "--workers", "2", "--start", GetParam()});
  ASSERT_TRUE(server.ready()) << server.output();
  nlohmann::json before = testing::Get(server.port(), "/stats").json();
  ASSERT_TRUE(before.is_object());

  const nlohmann::json& tree = before["process_tree"];
  ASSERT_TRUE(tree.is_object()) << before.dump();
  for (const char* key : {"processes", "cpu_user_s", "cpu_system_s", "voluntary_ctxt_switches",
                          "involuntary_ctxt_switches", "minor_faults", "major_faults", "rss_bytes",
                          "pss_bytes"}) {
    EXPECT_TRUE(tree[key].is_number()) << key << " in " << tree.dump();
  }
  // The server, the zygote and both workers (children of the server or of
  // the zygote, depending on the start method).
  EXPECT_GE(tree["processes"].get<int>(), 2 + static_cast<int>(before["executor"]["worker_pids"].size()));
  EXPECT_GE(tree["processes"].get<int>(), 3);
  EXPECT_GT(tree["pss_bytes"].get<uint64_t>(), 0u);
  EXPECT_GE(tree["rss_bytes"].get<uint64_t>(), tree["pss_bytes"].get<uint64_t>());

  const nlohmann::json& perf = before["perf"];
  const nlohmann::json& unavailable = before["perf_unavailable"];
  ASSERT_TRUE(perf.is_object()) << before.dump();
  ASSERT_TRUE(unavailable.is_object()) << before.dump();
  EXPECT_EQ(perf.size(), 6u) << perf.dump();
  for (const char* key :
       {"cycles", "instructions", "cache_misses", "context_switches", "cpu_migrations", "task_clock_ns"}) {
    ASSERT_TRUE(perf.contains(key)) << key;
    if (perf[key].is_null()) {
      ASSERT_TRUE(unavailable.contains(key)) << key << " is null without a reason: " << unavailable.dump();
      EXPECT_TRUE(unavailable[key].is_string());
      EXPECT_FALSE(unavailable[key].get<std::string>().empty()) << key;
    } else {
      EXPECT_TRUE(perf[key].is_number_unsigned()) << key << ": " << perf[key].dump();
      EXPECT_FALSE(unavailable.contains(key)) << key;
    }
  }

  // CPU work runs in the worker processes. If the inherited task clock covers
  // them (opened before the zygote and the workers were forked), it grows by
  // about as much as the tree's CPU time does.
  for (int i = 0; i < 8; ++i) {
    auto r = testing::Post(server.port(), "/score", R"({"mode":"cpu","iters":1000000})");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  nlohmann::json after = testing::Get(server.port(), "/stats").json();
  auto cpu_s = [](const nlohmann::json& s) {
    return s["process_tree"]["cpu_user_s"].get<double>() + s["process_tree"]["cpu_system_s"].get<double>();
  };
  double tree_cpu_s = cpu_s(after) - cpu_s(before);
  EXPECT_GT(tree_cpu_s, 0.0);
  if (!after["perf"]["task_clock_ns"].is_null()) {
    double task_clock_s =
        static_cast<double>(after["perf"]["task_clock_ns"].get<uint64_t>() -
                            before["perf"]["task_clock_ns"].get<uint64_t>()) / 1e9;
    // /proc CPU times tick in 10 ms steps per process: a generous margin.
    // Counters opened after the zygote or the workers were forked would miss
    // nearly all of this work.
    EXPECT_GE(task_clock_s, 0.8 * tree_cpu_s - 0.05) << "tree CPU " << tree_cpu_s << " s";
  }
  EXPECT_EQ(server.Stop(), 0) << server.output();
}

INSTANTIATE_TEST_SUITE_P(StartMethods, ProcessTreeServerTest,
                         ::testing::Values("fork", "forkserver", "spawn"),
                         [](const ::testing::TestParamInfo<std::string>& param) { return param.param; });

}  // namespace
}  // namespace switchyard
