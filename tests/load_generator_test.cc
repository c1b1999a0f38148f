// The load generator end to end against a scripted HTTP server: counts,
// statuses, phases, timeouts, and the coordinated-omission correction (a
// stall must show in open-loop latency in full).
#include "loadgen/load_generator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "loadgen/bench_summary.h"
#include "server_harness.h"

namespace switchyard {
namespace {

// A tiny blocking HTTP/1.1 server on loopback, one thread per connection.
// `respond` sees each request (its head, up to the blank line, and its body;
// and the request count so far) and returns the status to answer; it may
// sleep to stall.
class ScriptedServer {
 public:
  using Respond = std::function<int(const std::string& head, const std::string& body, int n)>;

  // `idle_close_ms` > 0: a connection that waits that long for its next
  // request is closed by the server, as servers with a read timeout do.
  explicit ScriptedServer(Respond respond, int idle_close_ms = 0)
      : respond_(std::move(respond)), idle_close_ms_(idle_close_ms) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_fd_, 128);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~ScriptedServer() {
    stop_ = true;
    acceptor_.join();
    ::close(listen_fd_);
    std::lock_guard lock(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    for (auto& t : handlers_) t.join();
  }

  uint16_t port() const { return port_; }
  int requests() const { return count_.load(); }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }
  std::vector<std::string> heads() {
    std::lock_guard lock(mu_);
    return heads_;
  }

 private:
  void AcceptLoop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::lock_guard lock(mu_);
      fds_.push_back(fd);
      handlers_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  void Serve(int fd) {
    std::string buf;
    char chunk[4096];
    for (;;) {
      size_t header_end;
      while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (idle_close_ms_ > 0 && buf.empty()) {
          pollfd p{fd, POLLIN, 0};
          if (::poll(&p, 1, idle_close_ms_) == 0) {
            ::shutdown(fd, SHUT_RDWR);  // the client sees EOF; the destructor closes
            return;
          }
        }
        ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0) return;
        buf.append(chunk, static_cast<size_t>(n));
      }
      size_t length = 0;
      size_t cl = buf.find("Content-Length: ");
      if (cl != std::string::npos && cl < header_end) length = std::stoul(buf.substr(cl + 16));
      while (buf.size() < header_end + 4 + length) {
        ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0) return;
        buf.append(chunk, static_cast<size_t>(n));
      }
      std::string head = buf.substr(0, header_end + 2);
      std::string body = buf.substr(header_end + 4, length);
      buf.erase(0, header_end + 4 + length);
      int n = ++count_;
      {
        std::lock_guard lock(mu_);
        heads_.push_back(head);
        bodies_.push_back(body);
      }
      int status = respond_(head, body, n);
      if (status == 0) continue;  // never answer this one
      std::string reply = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 2\r\n\r\nok";
      if (::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL) < 0) return;
    }
  }

  Respond respond_;
  const int idle_close_ms_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> count_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> handlers_;
  std::vector<std::string> heads_;
  std::vector<std::string> bodies_;
};

LoadOptions Options(uint16_t port, const std::string& mix = "cpu:iters=1") {
  LoadOptions o;
  o.target = *TargetUrl::Parse("http://127.0.0.1:" + std::to_string(port) + "/score");
  LoadPhase p;
  p.name = "run";
  p.mix = *RequestMix::Parse(mix);
  o.phases.push_back(p);
  return o;
}

TEST(LoadGeneratorTest, OpenLoopLatencyIncludesAServerStallInFull) {
  // One connection, 200 requests/s for 2 s; the server stalls 500 ms once,
  // 500 ms in. Requests scheduled during the stall wait for it: measured from
  // their scheduled time, they carry up to the whole stall.
  constexpr int64_t kStallUs = 500'000;
  std::atomic<int64_t> stall_at{0};
  ScriptedServer server([&](const std::string&, const std::string&, int) {
    int64_t at = stall_at.load();
    if (at > 0 && SteadyClock::Now() >= at && stall_at.compare_exchange_strong(at, -1)) {
      std::this_thread::sleep_for(std::chrono::microseconds(kStallUs));
    }
    return 200;
  });
  LoadOptions o = Options(server.port());
  o.phases[0].rate = 200;
  o.phases[0].arrivals = Arrivals::kConstant;
  o.phases[0].connections = 1;
  o.phases[0].duration_us = 2'000'000;
  stall_at = SteadyClock::Now() + 20'000 + 500'000;  // the run starts ~20 ms from now
  auto r = RunLoad(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const PhaseStats total = r->stats.Total();
  EXPECT_EQ(stall_at.load(), -1) << "the server never stalled";
  EXPECT_EQ(total.errors.size(), 0u);
  EXPECT_GE(total.requests, 390u);
  EXPECT_LE(total.requests, 401u);
  // About 100 requests were scheduled inside the stall: their latencies spread
  // from 0 to 500 ms, so the top 1% carries nearly all of it.
  EXPECT_GE(total.latency->max(), kStallUs * 9 / 10);
  EXPECT_GE(total.latency->Percentile(0.99), kStallUs * 8 / 10);
  EXPECT_GE(total.latency->Percentile(0.90), kStallUs / 4);
  // They went out late because the only connection was busy, not because
  // the generator fell behind.
  EXPECT_GE(total.late, 50u);
  EXPECT_LT(total.late_generator, total.late);
}

TEST(LoadGeneratorTest, ClosedLoopStopsAtTheRequestCountAndCountsStatuses) {
  ScriptedServer server([](const std::string&, const std::string&, int n) { return n % 4 == 0 ? 503 : 200; });
  LoadOptions o = Options(server.port());
  o.phases[0].connections = 4;
  o.phases[0].duration_us = 30'000'000;
  o.max_requests = 200;
  o.threads = 2;
  auto r = RunLoad(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const PhaseStats total = r->stats.Total();
  EXPECT_TRUE(r->stopped_by_count);
  EXPECT_EQ(total.sent, 200u);
  EXPECT_EQ(total.requests, 200u);
  EXPECT_EQ(server.requests(), 200);
  EXPECT_EQ(total.ok, 150u);
  ASSERT_EQ(total.errors.count("503"), 1u);
  EXPECT_EQ(total.errors.at("503"), 50u);
  EXPECT_LT(r->measured_us, 30'000'000);
}

TEST(LoadGeneratorTest, WarmupIsNotCountedAndPhasesKeepTheirOwnFigures) {
  ScriptedServer server([](const std::string&, const std::string&, int) { return 200; });
  LoadOptions o = Options(server.port(), "cpu:iters=1");
  o.warmup_us = 300'000;
  o.phases[0].connections = 2;
  o.phases[0].duration_us = 400'000;
  LoadPhase second;
  second.name = "sleepy";
  second.rate = 100;
  second.arrivals = Arrivals::kConstant;
  second.duration_us = 500'000;
  second.mix = *RequestMix::Parse("sleep:ms=1");
  o.phases.push_back(second);
  auto r = RunLoad(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& phases = r->stats.phases();
  ASSERT_EQ(phases.size(), 2u);
  EXPECT_GT(phases[0].requests, 0u);
  EXPECT_EQ(phases[0].by_kind[static_cast<size_t>(RequestKind::kSleep)]->count(), 0u);
  EXPECT_EQ(phases[1].by_kind[static_cast<size_t>(RequestKind::kCpu)]->count(), 0u);
  EXPECT_NEAR(static_cast<double>(phases[1].requests), 50, 2);  // 100/s for 0.5 s, constant gaps
  // The server saw the warm-up too; the figures did not.
  EXPECT_GT(static_cast<uint64_t>(server.requests()), phases[0].requests + phases[1].requests);
  EXPECT_EQ(r->measured_us, 900'000);

  RunDescription run;
  run.url = o.target.ToString();
  run.phases = o.phases;
  run.warmup_us = o.warmup_us;
  nlohmann::json j = SummaryJson(run, *r);
  ASSERT_EQ(j["phases"].size(), 2u);
  EXPECT_EQ(j["phases"][1]["name"], "sleepy");
  EXPECT_EQ(j["requests"].get<uint64_t>(), phases[0].requests + phases[1].requests);
  for (const char* key : {"p50", "p90", "p95", "p99", "p999", "max"}) EXPECT_TRUE(j["latency_us"].contains(key)) << key;
  EXPECT_FALSE(j["timeseries"].empty());
  std::string csv = TimeseriesCsv(*r);
  EXPECT_EQ(csv.rfind("t_s,phase,sent,requests,errors,p50_us,p99_us,max_us\n", 0), 0u);
}

// Between phases connections wait in the pool; a server may close one that
// waited past its read timeout. Taking it up again must reconnect, not count
// the server's orderly close as a failed request.
TEST(LoadGeneratorTest, ConnectionsTheServerClosedWhileIdleAreReopened) {
  // 20 ms answers: the warm-up's requests are in flight when phase 1 starts,
  // so phase 1 opens connections of its own.
  ScriptedServer server(
      [](const std::string&, const std::string&, int) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return 200;
      },
      /*idle_close_ms=*/100);
  LoadOptions o = Options(server.port(), "cpu:iters=1");
  o.warmup_us = 200'000;  // its 2 connections go idle when phase 1 starts on 2 new ones
  o.phases[0].connections = 2;
  o.phases[0].duration_us = 500'000;
  LoadPhase wider = o.phases[0];
  wider.name = "wider";
  wider.connections = 4;  // takes the 2 idle ones, closed by the server by now
  wider.duration_us = 300'000;
  o.phases.push_back(wider);
  auto r = RunLoad(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const PhaseStats total = r->stats.Total();
  EXPECT_GT(total.ok, 0u);
  EXPECT_TRUE(total.errors.empty()) << "errors: " << total.errors.begin()->first << " x " << total.errors.begin()->second;
  EXPECT_EQ(total.ok, total.requests);
}

TEST(LoadGeneratorTest, UnansweredRequestsTimeOut) {
  ScriptedServer server([](const std::string&, const std::string&, int) { return 0; });  // never answers
  LoadOptions o = Options(server.port());
  o.phases[0].connections = 2;
  o.phases[0].duration_us = 300'000;
  o.timeout_us = 100'000;
  auto r = RunLoad(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const PhaseStats total = r->stats.Total();
  EXPECT_EQ(total.ok, 0u);
  ASSERT_EQ(total.errors.count("timeout"), 1u);
  EXPECT_GE(total.errors.at("timeout"), 2u);
  EXPECT_GE(total.latency->min(), 100'000);
}

// The value of header `name` in a request head, or "" when it has none.
std::string HeaderOf(const std::string& head, const std::string& name) {
  const std::string key = "\r\n" + name + ": ";
  size_t at = head.find(key);
  if (at == std::string::npos) return "";
  size_t from = at + key.size();
  return head.substr(from, head.find("\r\n", from) - from);
}

TEST(LoadGeneratorTest, RequestsCarryTheClientHeaderAndBodyFields) {
  ScriptedServer server([](const std::string&, const std::string&, int) { return 200; });
  LoadOptions o = Options(server.port(),
                          "cpu:iters=1:client=alpha:priority=3:timeout_us=2500,io:keys=5:client=beta:timeout_us=9,"
                          "get:client=alpha,sleep:ms=1");
  o.phases[0].connections = 2;
  o.phases[0].duration_us = 30'000'000;
  o.max_requests = 200;
  auto r = RunLoad(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::vector<std::string> heads = server.heads();
  const std::vector<std::string> bodies = server.bodies();
  ASSERT_EQ(heads.size(), bodies.size());
  std::map<std::string, int> seen;  // by kind
  for (size_t i = 0; i < heads.size(); ++i) {
    const std::string client = HeaderOf(heads[i], "X-Client-Id");
    if (bodies[i].empty()) {
      EXPECT_EQ(heads[i].rfind("GET /score HTTP/1.1\r\n", 0), 0u) << heads[i];
      EXPECT_EQ(client, "alpha") << heads[i];
      ++seen["get"];
      continue;
    }
    auto body = nlohmann::json::parse(bodies[i]);
    const std::string mode = body["mode"];
    ++seen[mode];
    if (mode == "cpu") {
      EXPECT_EQ(client, "alpha") << heads[i];
      EXPECT_EQ(body["priority"], 3) << bodies[i];
      EXPECT_EQ(body["timeout_us"], 2500) << bodies[i];
    } else if (mode == "io") {
      EXPECT_EQ(client, "beta") << heads[i];
      EXPECT_EQ(body["timeout_us"], 9) << bodies[i];
      EXPECT_FALSE(body.contains("priority")) << bodies[i];
    } else {
      EXPECT_EQ(mode, "sleep");
      EXPECT_EQ(heads[i].find("X-Client-Id"), std::string::npos) << heads[i];
      EXPECT_FALSE(body.contains("priority")) << bodies[i];
      EXPECT_FALSE(body.contains("timeout_us")) << bodies[i];
    }
  }
  // 200 picks of four equally weighted entries: each kind went out.
  for (const char* kind : {"cpu", "io", "get", "sleep"}) EXPECT_GT(seen[kind], 0) << kind;
}

TEST(LoadGeneratorTest, CountsPerClientAndPerEntryWith504Apart) {
  // Client a: every 4th of its requests expires (504). Client b: always
  // refused (503). No client: always 200.
  std::atomic<int> a_seen{0}, b_seen{0}, none_seen{0};
  ScriptedServer server([&](const std::string& head, const std::string&, int) {
    const std::string client = HeaderOf(head, "X-Client-Id");
    if (client == "a") return ++a_seen % 4 == 0 ? 504 : 200;
    if (client == "b") {
      ++b_seen;
      return 503;
    }
    ++none_seen;
    return 200;
  });
  LoadOptions o = Options(server.port(), "cpu:iters=1:client=a:label=fast,cpu:iters=2:client=b,sleep:ms=1");
  o.phases[0].connections = 4;
  o.phases[0].duration_us = 30'000'000;
  o.max_requests = 300;
  o.threads = 2;
  auto r = RunLoad(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const PhaseStats total = r->stats.Total();
  ASSERT_EQ(total.requests, 300u);
  const uint64_t a = static_cast<uint64_t>(a_seen.load());
  const uint64_t b = static_cast<uint64_t>(b_seen.load());
  const uint64_t none = static_cast<uint64_t>(none_seen.load());
  ASSERT_EQ(a + b + none, 300u);
  ASSERT_GT(a, 0u);
  ASSERT_GT(b, 0u);

  ASSERT_EQ(total.entries.size(), 3u);
  const std::vector<GroupStats> clients = total.Clients();
  ASSERT_EQ(clients.size(), 3u);
  const GroupStats& fast = total.entries[0];
  EXPECT_EQ(fast.name, "fast");
  EXPECT_EQ(fast.requests, a);
  EXPECT_EQ(fast.errors_of("504"), a / 4);
  EXPECT_EQ(fast.errors_of("503"), 0u);
  EXPECT_EQ(fast.ok, a - a / 4);
  EXPECT_EQ(fast.ok_latency->count(), fast.ok);
  EXPECT_EQ(total.entries[1].name, "cpu:iters=2:client=b");
  EXPECT_EQ(total.entries[1].errors_of("503"), b);
  EXPECT_EQ(total.entries[1].ok, 0u);
  EXPECT_EQ(total.entries[2].name, "sleep:ms=1");
  EXPECT_EQ(total.entries[2].ok, none);
  EXPECT_EQ(clients[0].name, "a");
  EXPECT_EQ(clients[0].requests, a);
  EXPECT_EQ(clients[1].name, "b");
  EXPECT_EQ(clients[1].requests, b);
  EXPECT_EQ(clients[2].name, "");
  EXPECT_EQ(clients[2].requests, none);

  RunDescription run;
  run.url = o.target.ToString();
  run.phases = o.phases;
  nlohmann::json j = SummaryJson(run, *r);
  EXPECT_EQ(j["entries"]["fast"]["expired_504"], a / 4);
  EXPECT_EQ(j["entries"]["fast"]["rejected_503"], 0);
  EXPECT_EQ(j["entries"]["fast"]["errors_by_status"]["504"], a / 4);
  EXPECT_EQ(j["entries"]["fast"]["client"], "a");
  EXPECT_EQ(j["entries"]["fast"]["spec"], "cpu:iters=1:client=a");
  EXPECT_EQ(j["entries"]["fast"]["ok_latency_us"]["count"], a - a / 4);
  EXPECT_EQ(j["clients"]["b"]["rejected_503"], b);
  EXPECT_EQ(j["clients"]["b"]["goodput_rps"], 0.0);
  EXPECT_EQ(j["clients"][""]["ok"], none);
  EXPECT_EQ(j["errors_by_status"]["503"], b);
  EXPECT_EQ(j["errors_by_status"]["504"], a / 4);
  // Of the two named clients one got nothing through: Jain's index is 1/2,
  // the client without a name left out.
  ASSERT_TRUE(j["jain_index"].is_number()) << j["jain_index"];
  EXPECT_DOUBLE_EQ(j["jain_index"].get<double>(), 0.5);
  const std::string table = HumanSummary(run, j);
  EXPECT_NE(table.find("per entry"), std::string::npos) << table;
  EXPECT_NE(table.find("per client"), std::string::npos) << table;
  EXPECT_NE(table.find("(none)"), std::string::npos) << table;
  EXPECT_NE(table.find("Jain's fairness index of ok/s across clients: 0.5000"), std::string::npos) << table;
}

TEST(LoadGeneratorTest, ARefusedConnectionIsUnavailableBeforeAnythingRuns) {
  LoadOptions o = Options(testing::UnusedLoopbackPort());
  auto r = RunLoad(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("cannot connect"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace switchyard
