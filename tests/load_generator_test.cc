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
// `respond` sees each request's body (and the request count so far) and
// returns the status to answer; it may sleep to stall.
class ScriptedServer {
 public:
  using Respond = std::function<int(const std::string& body, int n)>;

  explicit ScriptedServer(Respond respond) : respond_(std::move(respond)) {
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
      std::string body = buf.substr(header_end + 4, length);
      buf.erase(0, header_end + 4 + length);
      int n = ++count_;
      {
        std::lock_guard lock(mu_);
        bodies_.push_back(body);
      }
      int status = respond_(body, n);
      if (status == 0) continue;  // never answer this one
      std::string reply = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 2\r\n\r\nok";
      if (::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL) < 0) return;
    }
  }

  Respond respond_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> count_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> handlers_;
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
  ScriptedServer server([&](const std::string&, int) {
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
  ScriptedServer server([](const std::string&, int n) { return n % 4 == 0 ? 503 : 200; });
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
  ScriptedServer server([](const std::string&, int) { return 200; });
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

TEST(LoadGeneratorTest, UnansweredRequestsTimeOut) {
  ScriptedServer server([](const std::string&, int) { return 0; });  // never answers
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

TEST(LoadGeneratorTest, ARefusedConnectionIsUnavailableBeforeAnythingRuns) {
  LoadOptions o = Options(testing::UnusedLoopbackPort());
  auto r = RunLoad(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("cannot connect"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace switchyard
