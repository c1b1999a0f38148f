// The load generator's inputs: durations, request mixes, arrival schedules,
// phases files and target URLs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <numeric>

#include "loadgen/arrival_schedule.h"
#include "core/duration.h"
#include "loadgen/load_phase.h"
#include "loadgen/request_mix.h"
#include "loadgen/target_url.h"
#include "server_harness.h"

namespace switchyard {
namespace {

TEST(DurationTest, ParsesEveryUnitAndFractions) {
  EXPECT_EQ(*ParseDurationUs("10s"), 10'000'000);
  EXPECT_EQ(*ParseDurationUs("500ms"), 500'000);
  EXPECT_EQ(*ParseDurationUs("2m"), 120'000'000);
  EXPECT_EQ(*ParseDurationUs("1h"), 3'600'000'000);
  EXPECT_EQ(*ParseDurationUs("250us"), 250);
  EXPECT_EQ(*ParseDurationUs("1.5s"), 1'500'000);
  EXPECT_EQ(*ParseDurationUs("0s"), 0);
}

TEST(DurationTest, RejectsWhatIsNotADuration) {
  for (const char* bad : {"", "10", "s", "-1s", "10 s", "10sec", "1e3ms", "ten s", "5d"}) {
    auto r = ParseDurationUs(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("10s, 500ms"), std::string::npos) << r.status().message();
    }
  }
}

TEST(DurationTest, FormatsTheShortestExactForm) {
  EXPECT_EQ(FormatDuration(20'000'000), "20s");
  EXPECT_EQ(FormatDuration(120'000'000), "2m");
  EXPECT_EQ(FormatDuration(500'000), "500ms");
  EXPECT_EQ(FormatDuration(1'500'000), "1500ms");
  EXPECT_EQ(FormatDuration(7), "7us");
}

TEST(RequestMixTest, ParsesKindsParametersAndWeights) {
  auto mix = RequestMix::Parse("cpu:iters=100000:3, io:1 ,sleep:ms=20:1,get,io:key=7:0.5");
  ASSERT_TRUE(mix.ok()) << mix.status().ToString();
  const auto& e = mix->entries();
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].kind, RequestKind::kCpu);
  EXPECT_EQ(e[0].iters, 100000u);
  EXPECT_EQ(e[0].weight, 3);
  EXPECT_EQ(e[1].kind, RequestKind::kIo);
  EXPECT_EQ(e[1].weight, 1);
  EXPECT_EQ(e[2].sleep_ms, 20u);
  EXPECT_EQ(e[3].kind, RequestKind::kGet);
  EXPECT_EQ(e[4].key, 7);
  EXPECT_EQ(mix->ToString(), "cpu:iters=100000:3,io:keys=100000:1,sleep:ms=20:1,get:1,io:key=7:0.5");
}

TEST(RequestMixTest, BodiesAreTheScoreRequests) {
  auto mix = RequestMix::Parse("cpu:iters=5:data=ab,sleep:ms=3,io:key=9,io:keys=10,get");
  ASSERT_TRUE(mix.ok());
  std::mt19937_64 rng(1);
  EXPECT_EQ(nlohmann::json::parse(mix->Body(0, rng)), (nlohmann::json{{"mode", "cpu"}, {"iters", 5}, {"data", "ab"}}));
  EXPECT_EQ(nlohmann::json::parse(mix->Body(1, rng)), (nlohmann::json{{"mode", "sleep"}, {"ms", 3}}));
  EXPECT_EQ(nlohmann::json::parse(mix->Body(2, rng)), (nlohmann::json{{"mode", "io"}, {"key", 9}}));
  for (int i = 0; i < 100; ++i) {
    auto body = nlohmann::json::parse(mix->Body(3, rng));
    EXPECT_GE(body["key"].get<int>(), 0);
    EXPECT_LT(body["key"].get<int>(), 10);
  }
  EXPECT_TRUE(mix->IsGet(4));
  EXPECT_EQ(mix->Body(4, rng), "");
}

TEST(RequestMixTest, InferSendsAV2RequestOfTheShapeToTheModelsRoute) {
  auto mix = RequestMix::Parse("infer:model=mobilenet_v2:shape=1x3x4x4:2,infer:model=bert:version=3:shape=2x5:datatype=INT64:max=7");
  ASSERT_TRUE(mix.ok()) << mix.status().ToString();
  EXPECT_EQ(mix->Path(0), "/v2/models/mobilenet_v2/infer");
  EXPECT_EQ(mix->Path(1), "/v2/models/bert/versions/3/infer");
  std::mt19937_64 rng(1);
  auto body = nlohmann::json::parse(mix->Body(0, rng));
  const auto& in = body["inputs"][0];
  EXPECT_EQ(in["name"], "INPUT__0");
  EXPECT_EQ(in["datatype"], "FP32");
  EXPECT_EQ(in["shape"], nlohmann::json({1, 3, 4, 4}));
  ASSERT_EQ(in["data"].size(), 48u);
  for (const auto& v : in["data"]) {
    EXPECT_GE(v.get<double>(), -1.0);
    EXPECT_LT(v.get<double>(), 1.0);
  }
  EXPECT_EQ(mix->Body(0, rng), mix->Body(0, rng)) << "the same bytes every time";
  auto ints = nlohmann::json::parse(mix->Body(1, rng))["inputs"][0];
  EXPECT_EQ(ints["datatype"], "INT64");
  ASSERT_EQ(ints["data"].size(), 10u);
  for (const auto& v : ints["data"]) {
    EXPECT_TRUE(v.is_number_integer());
    EXPECT_LT(v.get<int>(), 7);
  }
  EXPECT_EQ(mix->ToString(),
            "infer:model=mobilenet_v2:shape=1x3x4x4:datatype=FP32:2,"
            "infer:model=bert:version=3:shape=2x5:datatype=INT64:max=7:1");
  EXPECT_EQ(RequestMix::Parse(mix->ToString())->ToString(), mix->ToString());
  EXPECT_EQ(mix->Path(0).empty(), false);
  EXPECT_EQ(RequestMix::Parse("cpu")->Path(0), "");
}

TEST(RequestMixTest, InferNamesItsInputAndMaySendOneValueEverywhere) {
  auto mix = RequestMix::Parse("infer:model=py_chain:input=n:shape=1:datatype=INT64:value=20000,"
                               "infer:model=py_numpy:input=scale:shape=2:value=0.5");
  ASSERT_TRUE(mix.ok()) << mix.status().ToString();
  std::mt19937_64 rng(1);
  auto chain = nlohmann::json::parse(mix->Body(0, rng))["inputs"][0];
  EXPECT_EQ(chain["name"], "n");
  EXPECT_EQ(chain["data"], nlohmann::json({20000}));
  auto numpy = nlohmann::json::parse(mix->Body(1, rng))["inputs"][0];
  EXPECT_EQ(numpy["name"], "scale");
  EXPECT_EQ(numpy["data"], nlohmann::json({0.5, 0.5}));
  EXPECT_EQ(mix->ToString(),
            "infer:model=py_chain:shape=1:datatype=INT64:value=20000:input=n:1,"
            "infer:model=py_numpy:shape=2:datatype=FP32:value=0.5:input=scale:1");
  EXPECT_EQ(RequestMix::Parse(mix->ToString())->ToString(), mix->ToString());
  for (const char* bad : {"infer:model=m:input=", "infer:model=m:input=a b", "infer:model=m:value=x",
                          "infer:model=m:value=inf", "infer:model=m:datatype=INT32:value=1.5"}) {
    EXPECT_FALSE(RequestMix::Parse(bad).ok()) << bad;
  }
  EXPECT_NE(RequestMix::Parse("infer:model=m:datatype=INT32:value=1.5").status().message().find("not an integer"),
            std::string::npos);
}

TEST(RequestMixTest, InferWithBinarySendsTheSameValuesAsBinaryTensorData) {
  auto mix = RequestMix::Parse("infer:model=m:shape=2x3,infer:model=m:shape=2x3:binary=1,"
                               "infer:model=b:shape=4:datatype=INT32:max=9:binary=1:client=c1");
  ASSERT_TRUE(mix.ok()) << mix.status().ToString();
  std::mt19937_64 rng(1);
  const auto json_values = nlohmann::json::parse(mix->Body(0, rng))["inputs"][0]["data"].get<std::vector<float>>();
  EXPECT_EQ(mix->ContentType(0), "application/json");
  EXPECT_EQ(mix->Headers(0), "");

  // The JSON header, its length in Inference-Header-Content-Length, then the
  // input's bytes; the outputs are asked for in binary.
  const std::string body = mix->Body(1, rng);
  EXPECT_EQ(mix->ContentType(1), "application/octet-stream");
  const std::string& headers = mix->Headers(1);
  const std::string prefix = "Inference-Header-Content-Length: ";
  ASSERT_EQ(headers.rfind(prefix, 0), 0u) << headers;
  ASSERT_EQ(headers.substr(headers.size() - 2), "\r\n");
  const size_t json_length = std::stoul(headers.substr(prefix.size()));
  ASSERT_EQ(json_length + 6 * sizeof(float), body.size());
  auto header = nlohmann::json::parse(body.substr(0, json_length));
  EXPECT_EQ(header["inputs"][0]["parameters"]["binary_data_size"], 24);
  EXPECT_EQ(header["inputs"][0].count("data"), 0u);
  EXPECT_EQ(header["parameters"]["binary_data_output"], true);
  std::vector<float> binary_values(6);
  std::memcpy(binary_values.data(), body.data() + json_length, 24);
  EXPECT_EQ(binary_values, json_values) << "the same values as the JSON form";

  const std::string ints = mix->Body(2, rng);
  EXPECT_NE(mix->Headers(2).find("X-Client-Id: c1\r\n"), std::string::npos) << mix->Headers(2);
  EXPECT_NE(mix->Headers(2).find(prefix), std::string::npos) << mix->Headers(2);
  const size_t ints_json = std::stoul(mix->Headers(2).substr(mix->Headers(2).find(prefix) + prefix.size()));
  ASSERT_EQ(ints.size(), ints_json + 4 * sizeof(int32_t));
  for (size_t i = 0; i < 4; ++i) {
    int32_t v;
    std::memcpy(&v, ints.data() + ints_json + i * sizeof v, sizeof v);
    EXPECT_GE(v, 0);
    EXPECT_LT(v, 9);
  }
  EXPECT_EQ(mix->EntryText(1), "infer:model=m:shape=2x3:datatype=FP32:binary=1");
  EXPECT_EQ(RequestMix::Parse(mix->ToString())->ToString(), mix->ToString());
  auto bad = RequestMix::Parse("infer:model=m:binary=yes");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("must be 0 or 1"), std::string::npos) << bad.status().message();
}

TEST(RequestMixTest, PicksInProportionToTheWeights) {
  auto mix = RequestMix::Parse("cpu:3,io:1");
  ASSERT_TRUE(mix.ok());
  std::mt19937_64 rng(42);
  int counts[2] = {0, 0};
  for (int i = 0; i < 40000; ++i) ++counts[mix->Pick(rng)];
  EXPECT_NEAR(counts[0] / 40000.0, 0.75, 0.02);
}

TEST(RequestMixTest, RejectsBadSpecsNamingTheEntry) {
  for (const char* bad : {"", "cpu,,io", "gpu", "cpu:iters=-1", "cpu:iters=x", "cpu:0", "cpu:-2", "io:keys=0",
                          "sleep:ms=5:2:3", "cpu:foo=1", "io:key=-3", "get:ms=3", "infer",
                          "infer:shape=1x3", "infer:model=m:shape=1x0", "infer:model=m:shape=1xx2",
                          "infer:model=m:shape=100000x100000x100", "infer:model=a/b", "infer:model=m:datatype=FP16",
                          "infer:model=m:version=0", "cpu:model=m"}) {
    EXPECT_FALSE(RequestMix::Parse(bad).ok()) << bad;
  }
  auto r = RequestMix::Parse("cpu:1,gpu:2");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("gpu"), std::string::npos);
}

TEST(RequestMixTest, ReadsAFileWithCommentsAndNewlines) {
  testing::TempDir dir;
  std::ofstream(dir.File("mix")) << "# the mixed workload\ncpu:iters=10:2\n\nio:1  # lookups\n";
  auto mix = RequestMix::Parse("@" + dir.File("mix"));
  ASSERT_TRUE(mix.ok()) << mix.status().ToString();
  EXPECT_EQ(mix->entries().size(), 2u);
  EXPECT_FALSE(RequestMix::Parse("@" + dir.File("missing")).ok());
}

TEST(RequestMixTest, ParsesClientPriorityTimeoutAndLabel) {
  auto mix = RequestMix::Parse(
      "cpu:iters=10:client=a:priority=2:timeout_us=5000:3,io:keys=10:client=b.x-1_:timeout_us=7,"
      "sleep:ms=1:label=nap,get:client=a,infer:model=m:client=b.x-1_:label=Inf.2");
  ASSERT_TRUE(mix.ok()) << mix.status().ToString();
  const auto& e = mix->entries();
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].client, "a");
  EXPECT_EQ(e[0].priority, 2);
  EXPECT_EQ(e[0].timeout_us, 5000);
  EXPECT_EQ(e[0].weight, 3);
  EXPECT_EQ(e[1].client, "b.x-1_");
  EXPECT_FALSE(e[1].priority.has_value());
  EXPECT_EQ(e[1].timeout_us, 7);
  EXPECT_EQ(e[2].client, "");
  EXPECT_FALSE(e[2].timeout_us.has_value());

  // Labels: given, or the entry's own text without its weight.
  EXPECT_EQ(mix->Label(0), "cpu:iters=10:client=a:priority=2:timeout_us=5000");
  EXPECT_EQ(mix->Label(1), "io:keys=10:client=b.x-1_:timeout_us=7");
  EXPECT_EQ(mix->Label(2), "nap");
  EXPECT_EQ(mix->Label(3), "get:client=a");
  EXPECT_EQ(mix->Label(4), "Inf.2");
  // Clients in order of first appearance, "" for the entries that name none.
  EXPECT_EQ(mix->clients(), (std::vector<std::string>{"a", "b.x-1_", ""}));
  EXPECT_EQ(mix->Headers(0), "X-Client-Id: a\r\n");
  EXPECT_EQ(mix->Headers(2), "");
  EXPECT_EQ(mix->Headers(4), "X-Client-Id: b.x-1_\r\n");

  // The body fields, in fixed bodies and in those drawn per request.
  std::mt19937_64 rng(1);
  auto cpu = nlohmann::json::parse(mix->Body(0, rng));
  EXPECT_EQ(cpu, (nlohmann::json{{"mode", "cpu"}, {"iters", 10}, {"data", ""}, {"priority", 2}, {"timeout_us", 5000}}));
  for (int i = 0; i < 20; ++i) {
    auto io = nlohmann::json::parse(mix->Body(1, rng));
    EXPECT_EQ(io["mode"], "io");
    EXPECT_LT(io["key"].get<int>(), 10);
    EXPECT_EQ(io["timeout_us"], 7);
    EXPECT_FALSE(io.contains("priority"));
  }
  EXPECT_EQ(nlohmann::json::parse(mix->Body(2, rng)), (nlohmann::json{{"mode", "sleep"}, {"ms", 1}}));

  const std::string canonical =
      "cpu:iters=10:client=a:priority=2:timeout_us=5000:3,io:keys=10:client=b.x-1_:timeout_us=7:1,"
      "sleep:ms=1:label=nap:1,get:client=a:1,infer:model=m:shape=1:datatype=FP32:client=b.x-1_:label=Inf.2:1";
  EXPECT_EQ(mix->ToString(), canonical);
  EXPECT_EQ(RequestMix::Parse(canonical)->ToString(), canonical);
  EXPECT_EQ(mix->EntryText(2), "sleep:ms=1");
  // A 64-character name is the longest allowed.
  EXPECT_TRUE(RequestMix::Parse("cpu:client=" + std::string(64, 'c')).ok());
  // Without client=, the one client is "".
  EXPECT_EQ(RequestMix::Parse("cpu,io")->clients(), std::vector<std::string>{""});
}

// A mix that must be refused, and what the message must name.
struct BadMix {
  std::string spec;
  const char* mentions;
};

TEST(RequestMixTest, RejectsBadClientPriorityTimeoutAndLabelNamingThem) {
  const BadMix cases[] = {
      {"cpu:client=", "client ''"},
      {"cpu:client=a b", "client 'a b'"},
      {"cpu:client=a/b", "client 'a/b'"},
      {"cpu:client=\xc3\xa4", "client"},
      {"cpu:client=" + std::string(65, 'c'), "1 to 64"},
      {"cpu:label=", "label ''"},
      {"cpu:label=a=b", "label 'a=b'"},
      {"cpu:label=x:y", "'y'"},
      {"cpu:priority=-1", "priority '-1'"},
      {"cpu:priority=x", "priority 'x'"},
      {"sleep:priority=1.5", "priority '1.5'"},
      {"cpu:timeout_us=0", "timeout_us '0'"},
      {"io:timeout_us=-5", "timeout_us '-5'"},
      {"io:timeout_us=5ms", "timeout_us '5ms'"},
      {"get:priority=1", "unknown parameter 'priority' for get"},
      {"get:timeout_us=5", "unknown parameter 'timeout_us' for get"},
      {"infer:model=m:priority=1", "unknown parameter 'priority' for infer"},
  };
  for (const BadMix& c : cases) {
    auto r = RequestMix::Parse(c.spec);
    ASSERT_FALSE(r.ok()) << c.spec;
    EXPECT_NE(r.status().message().find(c.mentions), std::string::npos)
        << "for " << c.spec << " got: " << r.status().message();
  }
}

TEST(RequestMixTest, RefusesDuplicateLabelsSayingHowToFixThem) {
  const BadMix cases[] = {
      {"cpu:label=x,io:label=x", "entries 1 and 2 have the same label 'x'"},
      {"cpu,cpu:2", "entries 1 and 2 have the same label 'cpu:iters=1000'"},
      {"get,io,cpu:label=get", "entries 1 and 3 have the same label 'get'"},
      {"sleep:client=a,sleep:ms=10:client=a", "label 'sleep:ms=10:client=a'"},
  };
  for (const BadMix& c : cases) {
    auto r = RequestMix::Parse(c.spec);
    ASSERT_FALSE(r.ok()) << c.spec;
    EXPECT_NE(r.status().message().find(c.mentions), std::string::npos)
        << "for " << c.spec << " got: " << r.status().message();
    EXPECT_NE(r.status().message().find("label=NAME"), std::string::npos) << r.status().message();
  }
  // The same request for two clients, or twice under two labels, is fine.
  EXPECT_TRUE(RequestMix::Parse("cpu:client=a,cpu:client=b").ok());
  EXPECT_TRUE(RequestMix::Parse("cpu:label=first,cpu:label=second").ok());
  EXPECT_TRUE(RequestMix::Parse("cpu,cpu:label=again").ok());
}

// Gaps of a schedule, in microseconds.
std::vector<double> Gaps(ArrivalSchedule& s, int n) {
  std::vector<double> gaps;
  int64_t last = 0;
  for (int i = 0; i < n; ++i) {
    int64_t t = s.Next();
    gaps.push_back(static_cast<double>(t - last));
    last = t;
  }
  return gaps;
}

TEST(ArrivalScheduleTest, PoissonHasTheRateAndExponentialGaps) {
  ArrivalSchedule s(1000.0, Arrivals::kPoisson, 7);  // mean gap 1000 us
  std::vector<double> gaps = Gaps(s, 100000);
  double mean = std::accumulate(gaps.begin(), gaps.end(), 0.0) / gaps.size();
  double var = 0;
  for (double g : gaps) var += (g - mean) * (g - mean);
  double cv = std::sqrt(var / gaps.size()) / mean;
  EXPECT_NEAR(mean, 1000, 15);  // the rate within 1.5%
  EXPECT_NEAR(cv, 1.0, 0.03);   // exponential: standard deviation = mean
  // Exponential shape: P(gap > mean) = 1/e, P(gap > 3 mean) = e^-3.
  auto share_above = [&](double x) {
    return std::count_if(gaps.begin(), gaps.end(), [&](double g) { return g > x; }) / static_cast<double>(gaps.size());
  };
  EXPECT_NEAR(share_above(1000), std::exp(-1.0), 0.01);
  EXPECT_NEAR(share_above(3000), std::exp(-3.0), 0.005);
}

TEST(ArrivalScheduleTest, ConstantIsEvenlySpacedWithoutDrift) {
  ArrivalSchedule s(3.0, Arrivals::kConstant, 1);  // 333333.33 us apart
  EXPECT_EQ(s.Next(), 0);
  int64_t t = 0;
  for (int k = 1; k <= 3000; ++k) t = s.Next();
  EXPECT_EQ(t, 1'000'000'000);  // the 3000th gap ends exactly at 1000 s
}

TEST(ArrivalScheduleTest, SameSeedSameScheduleOtherSeedOther) {
  ArrivalSchedule a(500, Arrivals::kPoisson, 3), b(500, Arrivals::kPoisson, 3), c(500, Arrivals::kPoisson, 4);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    int64_t x = a.Next();
    EXPECT_EQ(x, b.Next());
    differs = differs || x != c.Next();
  }
  EXPECT_TRUE(differs);
}

TEST(LoadPhaseTest, ParsesAPhasesFile) {
  auto phases = ParsePhases(R"(
[[phase]]
duration = "20s"
rate = 300
mix = "cpu:iters=20000:1"

[[phase]]
name = "burst"
duration = "500ms"
connections = 64
mix = "sleep:ms=50:3,io:1"

[[phase]]
duration = "1m"
rate = 50.5
arrivals = "constant"
connections = 8
mix = "get"
)",
                            "p.toml");
  ASSERT_TRUE(phases.ok()) << phases.status().ToString();
  ASSERT_EQ(phases->size(), 3u);
  const auto& p = *phases;
  EXPECT_EQ(p[0].name, "phase 1");
  EXPECT_EQ(p[0].duration_us, 20'000'000);
  EXPECT_TRUE(p[0].open_loop());
  EXPECT_EQ(*p[0].rate, 300);
  EXPECT_EQ(p[0].connections, kDefaultOpenLoopConnections);
  EXPECT_EQ(p[1].name, "burst");
  EXPECT_FALSE(p[1].open_loop());
  EXPECT_EQ(p[1].connections, 64);
  EXPECT_EQ(p[1].mix.entries().size(), 2u);
  EXPECT_EQ(p[2].arrivals, Arrivals::kConstant);
  EXPECT_EQ(p[2].connections, 8);
}

// A phases text that must be refused, and what the message must name.
struct BadPhases {
  const char* text;
  const char* mentions;
};

TEST(LoadPhaseTest, RejectsBadFilesNamingFileLineAndKey) {
  const BadPhases cases[] = {
      {"[[phase]]\nduration = \"1s\"\nrate = 10\nmix = \"cpu\"\nspeed = 3\n", "p.toml:5: phase 1: unknown key 'speed'"},
      {"[[phase]]\nduration = \"1s\"\nrate = -5\nmix = \"cpu\"\n", "p.toml:3: phase 1: key 'rate'"},
      {"[[phase]]\nduration = \"1s\"\nconnections = 0\nmix = \"cpu\"\n", "p.toml:3: phase 1: key 'connections'"},
      {"[[phase]]\nduration = 5\nrate = 1\nmix = \"cpu\"\n", "key 'duration'"},
      {"[[phase]]\nrate = 1\nmix = \"cpu\"\n", "key 'duration': missing"},
      {"[[phase]]\nduration = \"1s\"\nmix = \"cpu\"\n", "give rate"},
      {"[[phase]]\nduration = \"1s\"\nrate = 1\nmix = \"gpu\"\n", "p.toml:4: phase 1: key 'mix'"},
      {"[[phase]]\nduration = \"1s\"\nconnections = 2\narrivals = \"constant\"\nmix = \"cpu\"\n", "key 'arrivals'"},
      {"[[phase]]\nduration = \"1s\"\nrate = \"fast\"\nmix = \"cpu\"\n", "must be a number"},
      {"[[phase]]\nduration = \"1s\"\nrate = 1\nmix = \"cpu\"\n[[phase]]\nduration = \"0s\"\nrate = 1\nmix = \"cpu\"\n",
       "p.toml:6: phase 2: key 'duration'"},
      {"phase = 3\n", "[[phase]]"},
      {"", "no [[phase]]"},
      {"[[phase]\n", "p.toml:1:"},
  };
  for (const BadPhases& c : cases) {
    auto r = ParsePhases(c.text, "p.toml");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.status().message().find(c.mentions), std::string::npos)
        << "for:\n" << c.text << "got: " << r.status().message();
  }
  auto missing = LoadPhasesFile("/no/such/phases.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/no/such/phases.toml"), std::string::npos);
}

TEST(TargetUrlTest, AcceptsLoopbackOnly) {
  auto t = TargetUrl::Parse("http://127.0.0.1:8080/score");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->address, "127.0.0.1");
  EXPECT_EQ(t->port, 8080);
  EXPECT_EQ(t->path, "/score");
  auto l = TargetUrl::Parse("http://localhost:9");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->path, "/");
  EXPECT_EQ(l->address, "127.0.0.1");
  EXPECT_TRUE(TargetUrl::Parse("http://[::1]:80/x").ok());
  EXPECT_TRUE(TargetUrl::Parse("http://127.9.9.9:80/x").ok());
  for (const char* bad : {"https://127.0.0.1/", "127.0.0.1:80", "http://10.0.0.1:80/", "http://example.com/",
                          "http://127.0.0.1:0/", "http://127.0.0.1:99999/", "http://:80/", "http://[::2]:80/"}) {
    EXPECT_FALSE(TargetUrl::Parse(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace switchyard
