#include "server/score_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "server/json_reply.h"

namespace switchyard {
namespace {

ScoreLimits Limits() {
  ScoreLimits l;
  l.max_iters = 1000;
  l.max_sleep_ms = 500;
  return l;
}

TEST(ScoreApiTest, ParsesEachMode) {
  auto cpu = ParseScoreRequest(R"({"mode":"cpu","iters":7,"data":"abc"})", Limits());
  ASSERT_TRUE(cpu.ok()) << cpu.status().ToString();
  EXPECT_EQ(cpu->mode, ScoreMode::kCpu);
  EXPECT_EQ(cpu->iters, 7u);
  EXPECT_EQ(cpu->data, "abc");

  auto io = ParseScoreRequest(R"({"mode":"io","key":12})", Limits());
  ASSERT_TRUE(io.ok());
  EXPECT_EQ(io->mode, ScoreMode::kIo);
  EXPECT_EQ(io->key, 12);

  auto sleep = ParseScoreRequest(R"({"mode":"sleep","ms":20})", Limits());
  ASSERT_TRUE(sleep.ok());
  EXPECT_EQ(sleep->mode, ScoreMode::kSleep);
  EXPECT_EQ(sleep->sleep_ms, 20u);
}

TEST(ScoreApiTest, DataDefaultsToEmptyAndKeepsNulAndUnicode) {
  auto r = ParseScoreRequest(R"({"mode":"cpu","iters":0})", Limits());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->data, "");
  auto u = ParseScoreRequest(R"({"mode":"cpu","iters":0,"data":"a\u0000b\u00e9"})", Limits());
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->data, std::string("a\0b\xc3\xa9", 5));
}

TEST(ScoreApiTest, IgnoresUnknownFields) {
  EXPECT_TRUE(ParseScoreRequest(R"({"mode":"cpu","iters":1,"priority":3})", Limits()).ok());
}

struct BadCase {
  const char* body;
  const char* must_mention;
};

TEST(ScoreApiTest, RejectsBadBodiesNamingTheProblem) {
  const BadCase cases[] = {
      {"{", "malformed JSON"},
      {"", "malformed JSON"},
      {"[1,2]", "JSON object"},
      {"42", "JSON object"},
      {R"({"iters":5})", "missing field 'mode'"},
      {R"({"mode":5})", "'mode' must be a string"},
      {R"({"mode":"gpu"})", "unknown mode 'gpu'"},
      {R"({"mode":"cpu"})", "missing field 'iters'"},
      {R"({"mode":"cpu","iters":"5"})", "'iters' must be an integer"},
      {R"({"mode":"cpu","iters":1.5})", "'iters' must be an integer"},
      {R"({"mode":"cpu","iters":true})", "'iters' must be an integer"},
      {R"({"mode":"cpu","iters":-1})", "'iters' must not be negative"},
      {R"({"mode":"cpu","iters":1001})", "above the limit of 1000"},
      {R"({"mode":"cpu","iters":1e30})", "'iters' must be an integer"},
      {R"({"mode":"cpu","iters":1,"data":5})", "'data' must be a string"},
      {R"({"mode":"io"})", "missing field 'key'"},
      {R"({"mode":"io","key":-3})", "'key' must not be negative"},
      {R"({"mode":"io","key":null})", "'key' must be an integer"},
      {R"({"mode":"sleep"})", "missing field 'ms'"},
      {R"({"mode":"sleep","ms":501})", "above the limit of 500"},
      {R"({"mode":"sleep","ms":-10})", "'ms' must not be negative"},
  };
  for (const auto& c : cases) {
    auto r = ParseScoreRequest(c.body, Limits());
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.body;
    EXPECT_NE(r.status().message().find(c.must_mention), std::string::npos)
        << c.body << " -> " << r.status().message();
  }
}

TEST(ScoreApiTest, PriorityIsOptionalAndANonNegativeInteger) {
  ScoreLimits limits;
  ScoreScheduling scheduling;
  scheduling.priority = -1;
  ASSERT_TRUE(ParseScoreRequest(R"({"mode":"sleep","ms":1})", limits, &scheduling).ok());
  EXPECT_EQ(scheduling.priority, -1) << "left alone when absent";
  ASSERT_TRUE(ParseScoreRequest(R"({"mode":"cpu","iters":1,"priority":2})", limits, &scheduling).ok());
  EXPECT_EQ(scheduling.priority, 2);
  for (const char* bad :
       {R"({"mode":"cpu","iters":1,"priority":-1})", R"({"mode":"cpu","iters":1,"priority":"high"})",
        R"({"mode":"cpu","iters":1,"priority":1.5})"}) {
    auto r = ParseScoreRequest(bad, limits, &scheduling);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("priority"), std::string::npos) << r.status().message();
  }
}

TEST(ScoreApiTest, TimeoutAndClientAreOptionalAndChecked) {
  ScoreLimits limits;
  ScoreScheduling scheduling;
  ASSERT_TRUE(ParseScoreRequest(R"({"mode":"sleep","ms":1,"timeout_us":2500,"client":"tenant-a.1"})", limits,
                                &scheduling)
                  .ok());
  EXPECT_EQ(scheduling.timeout_us, 2500);
  EXPECT_EQ(scheduling.client, "tenant-a.1");
  const std::vector<std::pair<const char*, const char*>> bad = {
      {R"({"mode":"cpu","iters":1,"timeout_us":0})", "timeout_us"},
      {R"({"mode":"cpu","iters":1,"timeout_us":-5})", "timeout_us"},
      {R"({"mode":"cpu","iters":1,"timeout_us":"soon"})", "timeout_us"},
      {R"({"mode":"cpu","iters":1,"client":7})", "client"},
      {R"({"mode":"cpu","iters":1,"client":""})", "client"},
      {R"({"mode":"cpu","iters":1,"client":"a b"})", "client"},
  };
  for (const auto& [body, field] : bad) {
    auto r = ParseScoreRequest(body, limits, &scheduling);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_NE(r.status().message().find(field), std::string::npos) << r.status().message();
  }
  EXPECT_TRUE(ValidateClientId(std::string(64, 'x'), "id").ok());
  EXPECT_FALSE(ValidateClientId(std::string(65, 'x'), "id").ok());
}

TEST(ScoreApiTest, RendersReplyAndErrorsAsValidJson) {
  ScoreOutcome o;
  o.result = "\"abc\"";
  o.queue_us = 12;
  o.service_us = 34;
  auto reply = nlohmann::json::parse(RenderScoreReply(o));
  EXPECT_EQ(reply["ok"], true);
  EXPECT_EQ(reply["result"], "abc");
  EXPECT_EQ(reply["timing"]["queue_us"], 12);
  EXPECT_EQ(reply["timing"]["service_us"], 34);

  auto err = nlohmann::json::parse(RenderError("bad \"thing\"\n\xff"));
  EXPECT_EQ(err["error"], "bad \"thing\"\n?");
}

}  // namespace
}  // namespace switchyard
