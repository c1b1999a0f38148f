// Worker crashes, live reconfiguration, shutdown, orphans and CLI errors.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include "server_harness.h"
#include "workload/kv_store.h"
#include "workload/sha256_chain.h"

namespace switchyard {
namespace {

using testing::Get;
using testing::HttpConnection;
using testing::Post;
using testing::ServerProcess;

std::vector<pid_t> WorkerPids(uint16_t port) {
  std::vector<pid_t> pids;
  nlohmann::json stats = Get(port, "/stats").json();  // keep it alive through the loop
  for (auto& p : stats["executor"]["worker_pids"]) pids.push_back(p.get<pid_t>());
  return pids;
}

class WorkerCrashTest : public ::testing::TestWithParam<std::string> {};

TEST_P(WorkerCrashTest, KilledWorkerFailsOnlyItsRequestAndIsReplaced) {
  ServerProcess server({"--executor", "processes", "--workers", "2", "--start", GetParam()});
  ASSERT_TRUE(server.ready()) << server.output();
  std::vector<pid_t> before = WorkerPids(server.port());
  ASSERT_EQ(before.size(), 2u);

  // Both workers busy with long sleeps; kill one of them. Which request it
  // runs is the dispatchers' choice: exactly one of the two must fail.
  HttpConnection first(server.port()), second(server.port());
  std::string body = R"({"mode":"sleep","ms":1500})";
  std::string req = "POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\n\r\n" + body;
  ASSERT_TRUE(first.SendRaw(req));
  ASSERT_TRUE(second.SendRaw(req));
  for (int i = 0; i < 500 && Get(server.port(), "/stats").json()["in_flight"] != 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(::kill(before[0], SIGKILL), 0);

  auto a = first.ReadResponse(std::chrono::seconds(10));
  auto b = second.ReadResponse(std::chrono::seconds(10));
  const auto& failed = a.status == 503 ? a : b;
  const auto& survived = a.status == 503 ? b : a;
  EXPECT_EQ(failed.status, 503) << a.body << " / " << b.body;
  EXPECT_NE(failed.body.find("died"), std::string::npos) << failed.body;
  EXPECT_EQ(survived.status, 200) << survived.body;

  // The pool is whole again, with a new process in place of the dead one.
  std::vector<pid_t> after;
  for (int i = 0; i < 200; ++i) {
    after = WorkerPids(server.port());
    if (after.size() == 2 && std::find(after.begin(), after.end(), before[0]) == after.end()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(std::find(after.begin(), after.end(), before[0]), after.end());
  EXPECT_EQ(Get(server.port(), "/stats").json()["executor"]["worker_restarts"], 1);
  for (int i = 0; i < 6; ++i) {
    auto r = Post(server.port(), "/score", R"({"mode":"cpu","iters":1000})");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["result"], "0dc9b0e0900f0ce71f36c359cbcf968d6366f2762f5699a2f5ea5fdccb70f0c8");
  }
  EXPECT_EQ(server.Stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(StartMethods, WorkerCrashTest, ::testing::Values("fork", "forkserver", "spawn"));

class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.File("token")) << "s3cret-token\n";
  }
  testing::TempDir dir_;
};

TEST_F(AdminTest, AdminRoutesAreRefusedWithoutAToken) {
  ServerProcess server({"--executor", "threads"});
  ASSERT_TRUE(server.ready());
  auto r = Post(server.port(), "/admin/config", R"({"workers":1})", {"Authorization: Bearer anything"});
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.json()["error"].get<std::string>().find("--admin-token-file"), std::string::npos);
}

TEST_F(AdminTest, WrongOrMissingTokenIs403AndBadConfigIs400) {
  ServerProcess server({"--executor", "threads", "--admin-token-file", dir_.File("token")});
  ASSERT_TRUE(server.ready()) << server.output();
  EXPECT_EQ(Post(server.port(), "/admin/config", R"({"workers":1})").status, 403);
  EXPECT_EQ(Post(server.port(), "/admin/config", R"({"workers":1})", {"Authorization: Bearer nope"}).status, 403);
  std::vector<std::string> auth = {"Authorization: Bearer s3cret-token"};
  auto bad = [&](const std::string& body, const std::string& mention) {
    auto r = Post(server.port(), "/admin/config", body, auth);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
    EXPECT_NE(r.body.find(mention), std::string::npos) << r.body;
  };
  bad(R"({"executor":"fibers"})", "unknown executor");
  bad(R"({"workers":0})", "workers");
  bad(R"({"workers":"two"})", "must be an integer");
  bad(R"({"wrokers":2})", "unknown field 'wrokers'");
  bad(R"({"executor":"processes","start":"vfork"})", "unknown start method");
  bad("{nope", "malformed JSON");
  EXPECT_EQ(Get(server.port(), "/stats").json()["config"]["executor"], "threads");
  EXPECT_EQ(Get(server.port(), "/stats").json()["reconfigurations"], 0);
}

TEST_F(AdminTest, ReconfigurationUnderLoadAnswersEveryRequestExactlyOnce) {
  testing::TempDir dbdir;
  std::string db = dbdir.File("kv.db");
  ASSERT_TRUE(GenerateKvDatabase(db, 500).ok());
  ServerProcess server({"--executor", "threads", "--workers", "2", "--db", db, "--admin-token-file",
                        dir_.File("token")});
  ASSERT_TRUE(server.ready()) << server.output();

  std::atomic<bool> stop{false};
  std::atomic<int> sent{0}, correct{0}, wrong{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      HttpConnection conn(server.port());
      Sha256Chain chain;
      for (int i = 0; !stop.load(); ++i) {
        std::string data = std::to_string(c) + ":" + std::to_string(i);
        std::string body;
        std::string expected;
        if (i % 4 == 3) {
          body = R"({"mode":"io","key":)" + std::to_string(i % 500) + "}";
          expected = KvValueForKey(i % 500);
        } else if (i % 4 == 2) {
          body = R"({"mode":"sleep","ms":5})";
        } else {
          body = R"({"mode":"cpu","iters":200,"data":")" + data + "\"}";
          expected = chain.ComputeHex(data, 200);
        }
        ++sent;
        auto r = conn.Request("POST", "/score", body);
        bool ok = r.status == 200 && (i % 4 == 2 ? r.json()["result"] == 5 : r.json()["result"] == expected);
        ++(ok ? correct : wrong);
        if (!ok) ADD_FAILURE() << "request " << body << " -> " << r.status << " " << r.body;
      }
    });
  }
  std::vector<std::string> cycle = {
      R"({"executor":"async","workers":1})",
      R"({"executor":"processes","workers":2,"start":"forkserver","ipc":"shm"})",
      R"({"executor":"threads","workers":3})",
      R"({"executor":"processes","workers":1,"start":"spawn","ipc":"pipe"})",
      R"({"executor":"async","workers":2,"offload":1})",
      R"({"executor":"processes","workers":2,"start":"fork","ipc":"shm"})",
      R"({"executor":"threads","workers":2})",
  };
  std::vector<std::string> auth = {"Authorization: Bearer s3cret-token"};
  for (const auto& config : cycle) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    auto r = Post(server.port(), "/admin/config", config, auth);
    if (r.status != 200) {
      ADD_FAILURE() << config << " -> " << r.status << " " << r.body;
      break;  // still join the clients below
    }
    auto want = nlohmann::json::parse(config);
    EXPECT_EQ(r.json()["config"]["executor"], want["executor"]);
    EXPECT_EQ(Get(server.port(), "/stats").json()["config"]["executor"], want["executor"]);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(wrong.load(), 0) << server.output();
  EXPECT_EQ(correct.load(), sent.load());
  EXPECT_GT(sent.load(), 50);
  auto stats = Get(server.port(), "/stats").json();
  EXPECT_EQ(stats["reconfigurations"], static_cast<int>(cycle.size()));
  EXPECT_EQ(stats["score"]["by_status"]["200"].get<int>(), sent.load());
  EXPECT_EQ(server.Stop(), 0);
}

// A switch moves the backlog the old configuration queued to the new one:
// one thread worker busy with a sleep and five queued behind it; after the
// switch to async the five run there (moved_jobs), and every one of the six
// is answered once, correctly.
TEST_F(AdminTest, ASwitchMovesTheQueuedBacklogToTheNewConfiguration) {
  ServerProcess server({"--executor", "threads", "--workers", "1", "--admin-token-file", dir_.File("token")});
  ASSERT_TRUE(server.ready()) << server.output();
  std::vector<std::unique_ptr<HttpConnection>> clients;
  std::string body = R"({"mode":"sleep","ms":400})";
  std::string req = "POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\n\r\n" + body;
  for (int i = 0; i < 6; ++i) {
    clients.push_back(std::make_unique<HttpConnection>(server.port()));
    ASSERT_TRUE(clients.back()->SendRaw(req));
  }
  for (int i = 0; i < 500 && Get(server.port(), "/stats").json()["queue_length"] != 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(Get(server.port(), "/stats").json()["queue_length"], 5);
  auto r = Post(server.port(), "/admin/config", R"({"executor":"async"})",
                {"Authorization: Bearer s3cret-token"});
  ASSERT_EQ(r.status, 200) << r.body;
  for (auto& c : clients) {
    auto reply = c->ReadResponse(std::chrono::seconds(10));
    EXPECT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.json()["result"], 400) << reply.body;
  }
  auto stats = Get(server.port(), "/stats").json();
  EXPECT_EQ(stats["moved_jobs"], 5);
  EXPECT_EQ(stats["score"]["by_status"]["200"], 6);
  EXPECT_EQ(server.Stop(), 0);
}

TEST(ShutdownTest, SigtermFinishesInFlightRequestsThenExitsZero) {
  ServerProcess server({"--executor", "processes", "--workers", "2"});
  ASSERT_TRUE(server.ready()) << server.output();
  std::vector<pid_t> workers = WorkerPids(server.port());
  HttpConnection a(server.port()), b(server.port());
  std::string body = R"({"mode":"sleep","ms":500})";
  std::string req = "POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\n\r\n" + body;
  ASSERT_TRUE(a.SendRaw(req));
  ASSERT_TRUE(b.SendRaw(req));
  for (int i = 0; i < 500 && Get(server.port(), "/stats").json()["in_flight"] != 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(server.pid(), SIGTERM);
  EXPECT_EQ(a.ReadResponse(std::chrono::seconds(10)).status, 200);
  EXPECT_EQ(b.ReadResponse(std::chrono::seconds(10)).status, 200);
  auto code = server.WaitExit(std::chrono::seconds(15));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << server.output();
  for (pid_t w : workers) {
    for (int i = 0; i < 100 && testing::ProcessAlive(w); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_FALSE(testing::ProcessAlive(w)) << "worker " << w << " outlived the server";
  }
}

TEST(ShutdownTest, NoWorkerSurvivesTheParentKilledWithSigkill) {
  for (std::string start : {"fork", "forkserver", "spawn"}) {
    ServerProcess server({"--executor", "processes", "--workers", "2", "--start", start});
    ASSERT_TRUE(server.ready()) << server.output();
    std::vector<pid_t> pids = WorkerPids(server.port());
    std::vector<pid_t> children = testing::ChildrenOf(server.pid());  // includes the zygote
    pids.insert(pids.end(), children.begin(), children.end());
    ASSERT_GE(pids.size(), 3u);
    EXPECT_EQ(server.Stop(SIGKILL), 128 + SIGKILL);
    for (pid_t p : pids) {
      for (int i = 0; i < 150 && testing::ProcessAlive(p); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      EXPECT_FALSE(testing::ProcessAlive(p)) << start << ": process " << p << " survived SIGKILL of its server";
    }
  }
}

TEST(CliTest, RejectsBadFlagsWithAMessage) {
  auto expect_refused = [](const std::vector<std::string>& args, const std::string& mention) {
    auto r = testing::RunSwitchyard(args);
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find(mention), std::string::npos) << r.output;
  };
  expect_refused({"serve", "--workers", "0"}, "--workers");
  expect_refused({"serve", "--executor", "fibers"}, "--executor");
  expect_refused({"serve", "--db", "/no/such/file.db"}, "--db");
  expect_refused({"serve", "--start", "vfork"}, "--start");
  expect_refused({"serve", "--bogus-flag"}, "bogus");
  expect_refused({"gen-db", "--rows", "0", "--out", "/tmp/x.db"}, "--rows");
  expect_refused({"gen-db", "--rows", "10", "--out", "/no/such/dir/x.db"}, "/no/such/dir");
  expect_refused({}, "subcommand");
}

TEST(CliTest, RejectsAPortInUse) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto r = testing::RunSwitchyard({"serve", "--port", std::to_string(ntohs(addr.sin_port))});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("in use"), std::string::npos) << r.output;
  ::close(fd);
}

TEST(CliTest, RejectsAForeignDatabaseFileAndEmptyToken) {
  testing::TempDir dir;
  std::ofstream(dir.File("junk.db")) << "not a database, just some text that is long enough to look like one";
  auto r = testing::RunSwitchyard({"serve", "--db", dir.File("junk.db")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("junk.db"), std::string::npos) << r.output;
  std::ofstream(dir.File("empty-token")) << "\n";
  r = testing::RunSwitchyard({"serve", "--admin-token-file", dir.File("empty-token")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("empty"), std::string::npos) << r.output;
}

TEST(CliTest, GenDbWritesTheDatabaseAndHelpExplains) {
  testing::TempDir dir;
  auto r = testing::RunSwitchyard({"gen-db", "--rows", "300", "--out", dir.File("kv.db")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto reader = KvReader::Open(dir.File("kv.db"));
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->row_count(), 300);
  auto help = testing::RunSwitchyard({"serve", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* flag : {"--executor", "--workers", "--start", "--ipc", "--offload", "--max-queue",
                           "--max-iters", "--admin-token-file", "--max-connections"}) {
    EXPECT_NE(help.output.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace switchyard
