// The results record (results/run_record.h, results/results_file.h): what
// the study writes is what the report reads, and a record read and written
// back is the same JSON — on the committed results files, on the report's
// fixtures and on hand-made records with absent, null and unknown fields.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "report_fixture.h"
#include "results/results_file.h"
#include "results/run_record.h"

namespace switchyard::results {
namespace {

bool Has(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

// `j` read and written back, as text (nlohmann writes keys sorted, numbers
// as they were parsed: the text is the strictest comparison there is).
void ExpectRoundTrip(const Json& j, const std::string& where) {
  auto rec = FromJson(j);
  ASSERT_TRUE(rec.ok()) << where << ": " << rec.status().message();
  EXPECT_EQ(ToJson(*rec).dump(), j.dump()) << where;
  EXPECT_EQ(RecordLine(*rec), j.dump() + "\n") << where;
}

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

Status Error(const Json& j) {
  auto rec = FromJson(j);
  return rec.ok() ? Status::Ok() : rec.status();
}

// A server record as the study writes it, small.
Json ServerRecord() {
  return Json::parse(R"({
    "schema": 1, "study": "s", "cell": "threads.w2.fifo.cpu.c4", "repetition": 0, "status": "ok",
    "started_at": "2026-11-24T16:13:15Z",
    "machine": {"cores": 2, "cpu": "AMD EPYC", "hostname": "vm", "kernel": "6.1", "memory_gib": 23.5},
    "config": {"executor": "threads", "policy": "fifo", "workers": 2},
    "workload": {"mix": "cpu:iters=80000:1", "name": "cpu"},
    "load": {"connections": 4, "mode": "closed", "x": 4.0},
    "warmup_s": 1.0, "duration_s": 4.0,
    "client": {"duration_s": 4.0, "errors": 0, "errors_by_status": {}, "goodput_rps": 275.75,
               "jain_index": null, "latency_us": {"count": 1103, "mean": 14538.89936536718, "p50": 14495,
               "p99": 17727}, "ok": 1103, "requests": 1103, "throughput_rps": 275.75,
               "url": "http://127.0.0.1:36185/score"},
    "server": {"exit_status": 0, "latency_us": {"queue": {"count": 1103, "mean": 7096.4968268359025,
               "p99": 7951}}, "process_tree": {"cpu_system_s": 0.06, "cpu_user_s": 7.8999999999999995,
               "involuntary_ctxt_switches": 3160.0, "pss_bytes": 4093952,
               "perf": {"cycles": null, "task_clock": 12.5}, "perf_unavailable": {"cycles": "no PMU"}}},
    "derived": {"cpu_s_per_request": 0.007216681776971894, "ctxt_switches_per_request": 5.233907524932004}
  })");
}

Json AdaptiveRecord() {
  return Json::parse(R"({
    "schema": 1, "kind": "adaptive", "study": "a", "cell": "controller.ucb", "repetition": 1, "status": "ok",
    "config": {"role": "controller", "controller": "ucb", "window_s": 1.0, "io_threads": 2,
               "candidates": ["threads/16/fifo", "async/fifo"], "first_candidate": "threads/16/fifo",
               "serve_args": ["--controller", "ucb"]},
    "decisions_file": "/w/decisions-ucb-r1.jsonl", "measure_start_monotonic_s": 1411.548445,
    "phases": [{"name": "cpu", "index": 0, "start_s": 0.0, "duration_s": 20.0, "ok_rps": 2025.45,
                "p99_ms": 27.327, "phase_reward": 71.5, "reward": null, "reward_seconds": 0,
                "load": {"connections": 16, "mode": "closed"}, "errors_by_status": {"503": 2}}],
    "timeseries": [{"t_s": 0, "phase": 0, "reward": 23.4}, {"t_s": 1, "phase": null, "reward": 0.0}],
    "decisions": [{"window": 1, "at_s": -0.5, "serving": "threads/16/fifo", "switched": false,
                   "reason": "explore", "reward": 10.0}],
    "switches": 0, "sent": 90345, "lost": 0
  })");
}

// ---- round trips ---------------------------------------------------------------

TEST(ResultsRecordTest, CommittedResultsFilesRoundTrip) {
  for (const char* file : {"docs/reports/quick/results.jsonl", "docs/reports/adaptive/results.jsonl"}) {
    const std::vector<std::string> lines = Lines(std::string(SWITCHYARD_SOURCE_DIR) + "/" + file);
    ASSERT_FALSE(lines.empty()) << file;
    for (size_t i = 0; i < lines.size(); ++i) {
      ExpectRoundTrip(Json::parse(lines[i]), std::string(file) + ":" + std::to_string(i + 1));
    }
  }
}

TEST(ResultsRecordTest, TheReportFixturesRoundTrip) {
  using report::fixture::FixtureRun;
  std::vector<FixtureRun> runs = report::fixture::TinyStudy();
  FixtureRun fair;
  fair.entries = {report::fixture::Group("a", 100, 1, 3, "alice"), report::fixture::Group("b", 50, 2, 6, "")};
  fair.clients = {report::fixture::Group("alice", 100, 1, 3), report::fixture::Group("", 50, 2, 6)};
  runs.push_back(fair);  // jain_index null: one named client
  fair.clients.push_back(report::fixture::Group("bob", 70, 1, 4));
  fair.jain_index = 0.97;
  runs.push_back(fair);
  FixtureRun open;
  open.open_loop = true;
  open.x = 250;
  open.cpu_s_per_request.reset();  // derived figures null
  open.queue_mean_us.reset();
  runs.push_back(open);
  for (const auto& r : runs) ExpectRoundTrip(report::fixture::MakeRecord(r), report::fixture::CellId(r));
  for (const auto& r : report::fixture::PipelineStudy()) {
    ExpectRoundTrip(report::fixture::MakePipelineRecord(r), report::fixture::PipelineCellId(r));
  }
  report::fixture::PipelineFixtureRun failed;
  failed.failed = true;
  failed.summary = false;
  failed.error = "timed out";
  ExpectRoundTrip(report::fixture::MakePipelineRecord(failed), "failed pipeline run");
}

TEST(ResultsRecordTest, AbsentAndNullFiguresStayApartAndReadAsNone) {
  Json j = ServerRecord();
  j["client"]["errors"] = nullptr;  // null where the schema allows none: kept as written
  j["server"]["process_tree"] = nullptr;
  j["derived"].erase("cpu_s_per_request");
  ExpectRoundTrip(j, "nulls");
  auto rec = FromJson(j);
  ASSERT_TRUE(rec.ok()) << rec.status().message();
  const auto& body = std::get<ServerBody>(rec->body);
  EXPECT_TRUE(body.client->jain_index.is_null());
  EXPECT_FALSE(body.client->jain_index.value());
  EXPECT_FALSE(body.client->errors);
  EXPECT_TRUE(body.server->process_tree.is_null());
  EXPECT_FALSE(body.derived->cpu_s_per_request);
  EXPECT_FALSE(body.client->latency_us->p95);  // absent

  j["client"].erase("jain_index");
  rec = FromJson(j);
  ASSERT_TRUE(rec.ok());
  EXPECT_FALSE(std::get<ServerBody>(rec->body).client->jain_index.written());
  ExpectRoundTrip(j, "jain_index absent");

  Json a = AdaptiveRecord();
  ExpectRoundTrip(a, "adaptive");
  rec = FromJson(a);
  ASSERT_TRUE(rec.ok()) << rec.status().message();
  const auto& adaptive = std::get<AdaptiveBody>(rec->body);
  EXPECT_TRUE((*adaptive.phases)[0].reward.is_null());
  EXPECT_EQ(*(*adaptive.timeseries)[0].phase, 0);
  EXPECT_TRUE((*adaptive.timeseries)[1].phase.is_null());
  a["phases"][0].erase("reward");
  a["timeseries"][1].erase("phase");
  ExpectRoundTrip(a, "adaptive, absent");
}

TEST(ResultsRecordTest, FieldsTheSchemaDoesNotNameAreKeptAsWritten) {
  Json j = ServerRecord();
  j["resumed"] = false;
  j["new_top_level"] = {{"a", {1, 2.5, nullptr}}};
  j["client"]["new_figure"] = "x";
  j["config"]["affinity"] = {0, 1};
  j["load"]["mode"] = "";  // an empty name reads as absent
  j["kind"] = "server";
  j["schema"] = 2;  // later versions only add fields
  ExpectRoundTrip(j, "unknown fields");
  auto rec = FromJson(j);
  ASSERT_TRUE(rec.ok()) << rec.status().message();
  EXPECT_EQ(rec->kind(), RecordKind::kServer);
  EXPECT_EQ(rec->extra["resumed"], false);
  EXPECT_FALSE(std::get<ServerBody>(rec->body).load->mode);
}

TEST(ResultsRecordTest, NumbersKeepTheirForm) {
  auto rec = FromJson(ServerRecord());
  ASSERT_TRUE(rec.ok());
  const auto& body = std::get<ServerBody>(rec->body);
  EXPECT_TRUE(body.client->latency_us->p99->is_integer());
  EXPECT_EQ(body.client->latency_us->p99->value(), 17727);
  EXPECT_FALSE(body.load->x->is_integer());
  EXPECT_EQ(body.load->Point(), 4.0);
  EXPECT_EQ(Number(4.0).ToJson().dump(), "4.0");
  EXPECT_EQ(Number(int64_t{4}).ToJson().dump(), "4");
  EXPECT_EQ(Number(uint64_t{18446744073709551615u}).ToJson().dump(), "18446744073709551615");

  // An integer field written as a whole float reads as the integer.
  Json j = ServerRecord();
  j["config"]["workers"] = 2.0;
  rec = FromJson(j);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(std::get<ServerBody>(rec->body).config->workers, 2);
}

TEST(ResultsRecordTest, MalformedElementsOlderReadersSkippedAreKeptAndSkipped) {
  Json j = AdaptiveRecord();
  j["timeseries"].push_back(5);
  j["timeseries"].insert(j["timeseries"].begin(), nullptr);
  j["decisions"][0]["switched"] = "yes";
  j["decisions"].push_back("junk");
  j["config"]["candidates"] = 7;
  ExpectRoundTrip(j, "placeholders");
  auto rec = FromJson(j);
  ASSERT_TRUE(rec.ok()) << rec.status().message();
  const auto& a = std::get<AdaptiveBody>(rec->body);
  ASSERT_EQ(a.timeseries->size(), 4u);
  EXPECT_TRUE((*a.timeseries)[0].extra.is_null());
  EXPECT_TRUE((*a.timeseries)[1].extra.is_object());
  EXPECT_FALSE((*a.decisions)[0].switched);
  EXPECT_FALSE(a.config->candidates);

  Json s = ServerRecord();
  s["client"]["entries"] = {{"fast", {{"goodput_rps", 10}}}, {"slow", nullptr}};
  ExpectRoundTrip(s, "a null entry");
}

TEST(ResultsRecordTest, WrongTypesAndMissingFieldsNameTheField) {
  auto expect = [](const Json& j, const std::string& message) {
    Status s = Error(j);
    EXPECT_TRUE(Has(s.message(), message)) << s.message() << "\nexpected: " << message;
  };
  Json j = ServerRecord();
  j["client"]["goodput_rps"] = "fast";
  expect(j, "field `client.goodput_rps` must be a number, not string");
  j = ServerRecord();
  j["client"]["entries"] = {{"slow", 7}};
  expect(j, "field `client.entries.slow` must be an object, not number");
  j = ServerRecord();
  j.erase("cell");
  expect(j, "missing field `cell` (is this a `switchyard study` results file?)");
  j = ServerRecord();
  j["status"] = "maybe";
  expect(j, "field `status` must be \"ok\" or \"failed\", not \"maybe\"");
  j = ServerRecord();
  j.erase("load");
  expect(j, "an ok record needs its load point (`load.x`)");
  j = ServerRecord();
  j["schema"] = 0;
  expect(j, "unknown schema 0");
  expect(Json::array({1, 2}), "a record must be a JSON object, not array");
  j = ServerRecord();
  j["kind"] = "training";
  expect(j, "field `kind` must be \"pipeline\", \"adaptive\" (or absent: a server cell), not \"training\"");

  Json a = AdaptiveRecord();
  a["phases"][0] = "x";
  expect(a, "field `phases[0]` must be an object, not string");
  a = AdaptiveRecord();
  a["timeseries"][1]["t_s"] = "x";
  expect(a, "field `timeseries[].t_s` must be a number, not string");
  a = AdaptiveRecord();
  a["config"]["role"] = "boss";
  expect(a, "field `config.role` must be \"static\" or \"controller\", not \"boss\"");
  a = AdaptiveRecord();
  a["config"]["serve_args"] = {"--x", 3};
  expect(a, "field `config.serve_args` must hold strings, not number");
}

TEST(ResultsRecordTest, ARecordBuiltInCodeWritesTheSchemasJson) {
  RunRecord rec;
  rec.study = "s";
  rec.cell = "sync.m0.b8.pf2.c0.e1";
  rec.status = RunStatus::kOk;
  PipelineBody body;
  body.config = PipelineCellSettings{};
  body.config->loader = "sync";
  body.config->workers = 1;
  body.config->consumer_ms = 0.0;
  body.exit_status = 0;
  body.run_wall_s = 0.5;
  body.pipeline = LoadSummary{};
  body.pipeline->items_per_s = 812.5;
  body.pipeline->skipped = uint64_t{0};
  rec.body = body;
  EXPECT_EQ(
      ToJson(rec).dump(),
      R"({"cell":"sync.m0.b8.pf2.c0.e1","config":{"consumer_ms":0.0,"loader":"sync","workers":1},)"
      R"("exit_status":0,"kind":"pipeline","pipeline":{"items_per_s":812.5,"skipped":0},"repetition":0,)"
      R"("run_wall_s":0.5,"schema":1,"status":"ok","study":"s"})");
  auto back = FromJson(ToJson(rec));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->kind(), RecordKind::kPipeline);
}

// ---- the file ------------------------------------------------------------------

TEST(ResultsFileTest, RecordsCarryTheirLineNumbers) {
  std::istringstream in("\n" + ServerRecord().dump() + "\n  \n" + AdaptiveRecord().dump() + "\n");
  auto records = ReadRecords(in, "r.jsonl");
  ASSERT_TRUE(records.ok()) << records.status().message();
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].line, 2);
  EXPECT_EQ((*records)[1].line, 4);
  EXPECT_EQ((*records)[1].record.kind(), RecordKind::kAdaptive);
}

TEST(ResultsFileTest, AMalformedLineFailsWithItsNumber) {
  Json bad = ServerRecord();
  bad["client"]["goodput_rps"] = "fast";
  std::istringstream in(ServerRecord().dump() + "\n" + bad.dump() + "\n");
  auto records = ReadRecords(in, "r.jsonl");
  ASSERT_FALSE(records.ok());
  EXPECT_EQ(records.status().message(), "r.jsonl:2: field `client.goodput_rps` must be a number, not string");

  std::istringstream cut(ServerRecord().dump() + "\n{\"a\":\n" + ServerRecord().dump() + "\n");
  records = ReadRecords(cut, "r.jsonl");
  ASSERT_FALSE(records.ok());
  EXPECT_TRUE(Has(records.status().message(), "r.jsonl:2: not valid JSON: column 6"))
      << records.status().message();
}

TEST(ResultsFileTest, AnUnfinishedLastLineIsSkippedWithAWarningAndAnEmptyFileFails) {
  std::istringstream in(ServerRecord().dump() + "\n{\"schema\":1,\"ce");
  std::vector<std::string> warnings;
  auto records = ReadRecords(in, "r.jsonl", &warnings);
  ASSERT_TRUE(records.ok()) << records.status().message();
  EXPECT_EQ(records->size(), 1u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "r.jsonl:2: skipped an unfinished last line (no newline, not valid JSON)");

  std::istringstream empty("\n  \n");
  records = ReadRecords(empty, "r.jsonl");
  ASSERT_FALSE(records.ok());
  EXPECT_TRUE(Has(records.status().message(), "r.jsonl: no results: the file is empty"));
}

}  // namespace
}  // namespace switchyard::results
