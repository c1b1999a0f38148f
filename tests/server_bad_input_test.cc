// The bad-input table: each row gets a clear JSON error with the right status,
// and the server keeps serving everyone else.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <thread>

#include "server_harness.h"

namespace switchyard {
namespace {

using testing::Get;
using testing::HttpConnection;
using testing::HttpResponse;
using testing::Post;
using testing::ServerProcess;

class BadInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess({"--executor", "threads", "--workers", "2", "--max-iters", "1000",
                                 "--max-body", "4096", "--read-timeout-ms", "400",
                                 "--max-connections", "6"});
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(server_->ready()) << server_->output(); }
  void TearDown() override {
    // Whatever the row did, the server still answers a good request correctly.
    auto r = Post(port(), "/score", R"({"mode":"cpu","iters":0})");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["result"], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }
  static uint16_t port() { return server_->port(); }

  static void ExpectError(const HttpResponse& r, int status, const std::string& mention) {
    EXPECT_EQ(r.status, status) << r.body;
    auto j = r.json();
    ASSERT_TRUE(j.is_object()) << r.body;
    ASSERT_TRUE(j.contains("error")) << r.body;
    EXPECT_NE(j["error"].get<std::string>().find(mention), std::string::npos) << r.body;
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
  }

  static ServerProcess* server_;
};

ServerProcess* BadInputTest::server_ = nullptr;

TEST_F(BadInputTest, MalformedJsonIs400) {
  ExpectError(Post(port(), "/score", R"({"mode":"cpu",)"), 400, "malformed JSON");
  ExpectError(Post(port(), "/score", "not json at all"), 400, "malformed JSON");
  ExpectError(Post(port(), "/score", ""), 400, "malformed JSON");
}

TEST_F(BadInputTest, WrongFieldTypesAre400) {
  ExpectError(Post(port(), "/score", R"({"mode":"cpu","iters":"100"})"), 400, "'iters' must be an integer");
  ExpectError(Post(port(), "/score", R"({"mode":["cpu"]})"), 400, "'mode' must be a string");
  ExpectError(Post(port(), "/score", R"({"mode":"cpu","iters":1,"data":{}})"), 400, "'data' must be a string");
  ExpectError(Post(port(), "/score", R"([{"mode":"cpu"}])"), 400, "JSON object");
}

TEST_F(BadInputTest, UnknownModeIs400) {
  ExpectError(Post(port(), "/score", R"({"mode":"gpu","iters":1})"), 400, "unknown mode 'gpu'");
}

TEST_F(BadInputTest, MissingFieldsAre400) {
  ExpectError(Post(port(), "/score", R"({})"), 400, "missing field 'mode'");
  ExpectError(Post(port(), "/score", R"({"mode":"cpu"})"), 400, "missing field 'iters'");
  ExpectError(Post(port(), "/score", R"({"mode":"io"})"), 400, "missing field 'key'");
  ExpectError(Post(port(), "/score", R"({"mode":"sleep"})"), 400, "missing field 'ms'");
}

TEST_F(BadInputTest, NegativeNumbersAre400) {
  ExpectError(Post(port(), "/score", R"({"mode":"cpu","iters":-5})"), 400, "must not be negative");
  ExpectError(Post(port(), "/score", R"({"mode":"io","key":-1})"), 400, "must not be negative");
  ExpectError(Post(port(), "/score", R"({"mode":"sleep","ms":-1})"), 400, "must not be negative");
}

TEST_F(BadInputTest, ItersAboveTheLimitIs400) {
  ExpectError(Post(port(), "/score", R"({"mode":"cpu","iters":1001})"), 400, "--max-iters");
  EXPECT_EQ(Post(port(), "/score", R"({"mode":"cpu","iters":1000})").status, 200);
}

TEST_F(BadInputTest, BodyOverTheLimitIs413) {
  std::string big = R"({"mode":"cpu","iters":1,"data":")" + std::string(8000, 'a') + "\"}";
  ExpectError(Post(port(), "/score", big), 413, "--max-body");
}

TEST_F(BadInputTest, UnknownPathIs404) {
  ExpectError(Get(port(), "/nope"), 404, "/nope");
  ExpectError(Post(port(), "/scores", "{}"), 404, "/scores");
}

TEST_F(BadInputTest, WrongMethodIs405) {
  auto r = Get(port(), "/score");
  ExpectError(r, 405, "GET");
  EXPECT_EQ(r.headers["allow"], "POST");
  ExpectError(Post(port(), "/stats", "{}"), 405, "POST");
  HttpConnection c(port());
  ExpectError(c.Request("DELETE", "/healthz"), 405, "DELETE");
}

TEST_F(BadInputTest, IoWithoutDatabaseIs501) {
  ExpectError(Post(port(), "/score", R"({"mode":"io","key":1})"), 501, "--db");
}

TEST_F(BadInputTest, GarbageInsteadOfHttpIs400AndClosed) {
  HttpConnection c(port());
  ASSERT_TRUE(c.SendRaw("HELLO THERE\r\n\r\n"));
  auto r = c.ReadResponse(std::chrono::seconds(5));
  ExpectError(r, 400, "malformed HTTP request");
  EXPECT_TRUE(c.WaitForClose(std::chrono::seconds(5)));
}

TEST_F(BadInputTest, SlowHeadersAreClosedAfterTheReadTimeout) {
  HttpConnection slow(port());
  ASSERT_TRUE(slow.SendRaw("POST /score HTTP/1.1\r\nHost: x\r\n"));  // ...and never finishes
  // Meanwhile others are served.
  EXPECT_EQ(Post(port(), "/score", R"({"mode":"cpu","iters":1})").status, 200);
  EXPECT_TRUE(slow.WaitForClose(std::chrono::seconds(5)));
  auto stats = Get(port(), "/stats").json();
  EXPECT_GE(stats["connections"]["timed_out"].get<int>(), 1);
}

TEST_F(BadInputTest, ConnectionsBeyondTheCapAreRefusedCleanly) {
  // Wait for connections of earlier rows to be gone.
  for (int i = 0; i < 100 && Get(port(), "/stats").json()["connections"]["active"] != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::vector<std::unique_ptr<HttpConnection>> held;
  for (int i = 0; i < 6; ++i) {
    held.push_back(std::make_unique<HttpConnection>(port()));
    ASSERT_EQ(held.back()->Request("GET", "/healthz").status, 200);  // each is now counted
  }
  HttpConnection extra(port());
  ASSERT_TRUE(extra.connected());
  auto r = extra.ReadResponse(std::chrono::seconds(5));  // refused without asking
  ExpectError(r, 503, "--max-connections");
  EXPECT_TRUE(extra.WaitForClose(std::chrono::seconds(5)));
  // The held connections still work.
  EXPECT_EQ(held[0]->Request("POST", "/score", R"({"mode":"cpu","iters":1})").status, 200);
  held.clear();
  for (int i = 0; i < 100 && Get(port(), "/stats").json()["connections"]["active"] != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GE(Get(port(), "/stats").json()["connections"]["refused"].get<int>(), 1);
}

TEST_F(BadInputTest, ClientThatDisconnectsMidRequestLeaksNothing) {
  {
    HttpConnection half(port());
    ASSERT_TRUE(half.SendRaw("POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"mode\""));
  }  // closed with the body half sent
  {
    HttpConnection gone(port());
    ASSERT_TRUE(gone.SendRaw("POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: 26\r\n\r\n"
                             "{\"mode\":\"sleep\",\"ms\":200}\n"));
  }  // closed while its request runs
  bool settled = false;
  for (int i = 0; i < 200 && !settled; ++i) {
    auto stats = Get(port(), "/stats").json();
    settled = stats["connections"]["active"] == 1 && stats["requests_in_progress"] == 1 &&
              stats["in_flight"] == 0 && stats["queue_length"] == 0;
    if (!settled) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(settled) << Get(port(), "/stats").body;
}

TEST_F(BadInputTest, PipelinedRequestsAreAnsweredInOrder) {
  HttpConnection c(port());
  std::string one = "POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: 27\r\n\r\n{\"mode\":\"cpu\",\"iters\":0}   ";
  std::string two = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_TRUE(c.SendRaw(one + two));
  EXPECT_EQ(c.ReadResponse().status, 200);
  auto second = c.ReadResponse();
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.json()["status"], "ok");
}

TEST(QueueBoundTest, FullQueueAnswers503WithRetryAfterAtOnce) {
  ServerProcess server({"--executor", "threads", "--workers", "1", "--max-queue", "2"});
  ASSERT_TRUE(server.ready()) << server.output();
  std::vector<std::unique_ptr<HttpConnection>> conns;
  auto wait_for = [&](const char* field, int value) {
    for (int i = 0; i < 250 && testing::Get(server.port(), "/stats").json()[field] != value; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(testing::Get(server.port(), "/stats").json()[field], value)
        << testing::Get(server.port(), "/stats").body;
  };
  for (int i = 0; i < 3; ++i) {  // the first runs, then two wait
    conns.push_back(std::make_unique<HttpConnection>(server.port()));
    std::string body = R"({"mode":"sleep","ms":3000})";
    ASSERT_TRUE(conns.back()->SendRaw("POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                      std::to_string(body.size()) + "\r\n\r\n" + body));
    if (i == 0) wait_for("in_flight", 1);
  }
  wait_for("queue_length", 2);
  auto r = Post(server.port(), "/score", R"({"mode":"cpu","iters":0})");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.headers["retry-after"], "1");
  EXPECT_NE(r.json()["error"].get<std::string>().find("queue full"), std::string::npos);
  for (auto& c : conns) EXPECT_EQ(c->ReadResponse().status, 200);  // the admitted ones all finish
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace switchyard
