// Study files and the study runner: the matrix, the bad-input table, and a
// tiny real study end to end (complete records, resume, a failing cell).
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "core/file_util.h"
#include "server_harness.h"
#include "study/study_runner.h"
#include "study/study_spec.h"

namespace switchyard {
namespace {

using nlohmann::json;

constexpr const char* kMatrix = R"(
name = "m"
duration = "2s"
repetitions = 2

[server]
executors = ["threads", "processes", "async"]
workers = [1, 2]
start = ["fork", "spawn"]
ipc = ["shm", "pipe"]
offload = [0, 2]

[[workload]]
name = "cpu"
mix = "cpu:iters=100"
connections = [1, 8]

[[workload]]
name = "paced"
mix = "io:keys=10,sleep:ms=1"
rate = [50.5]
arrivals = "constant"
)";

TEST(StudySpecTest, ExpandsTheMatrixWithStableIds) {
  auto spec = ParseStudy(kMatrix, "m.toml");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  // threads 2 + processes 2x2x2 + async 2x2 = 14 server configurations.
  EXPECT_EQ(spec->servers.size(), 14u);
  auto cells = spec->Cells();
  EXPECT_EQ(cells.size(), 14u * 3u);
  std::set<std::string> ids;
  for (const StudyCell& c : cells) ids.insert(c.id);
  EXPECT_EQ(ids.size(), cells.size());
  EXPECT_EQ(ids.count("threads.w1.fifo.cpu.c8"), 1u);
  EXPECT_EQ(ids.count("processes.w2.fifo.spawn.pipe.cpu.c1"), 1u);
  EXPECT_EQ(ids.count("async.w2.fifo.off2.paced.r50.5"), 1u);
  EXPECT_TRUE(spec->UsesDb());
  EXPECT_EQ(spec->repetitions, 2);
  EXPECT_EQ(spec->duration_us, 2'000'000);
  const StudyCell& paced = cells[2];
  EXPECT_TRUE(paced.workload->open_loop);
  EXPECT_EQ(paced.workload->arrivals, Arrivals::kConstant);
  std::vector<std::string> args = cells.back().server.ServeArgs();
  EXPECT_NE(std::find(args.begin(), args.end(), "--offload"), args.end());
}

TEST(StudySpecTest, ModelsAndIntraOpThreadsBecomeServeFlagsAndAnAxis) {
  auto spec = ParseStudy(R"(
name = "models"
[server]
executors = ["threads"]
models = "some/models"
intra_op_threads = [1, 2]
[[workload]]
name = "mobilenet"
mix = "infer:model=mobilenet_v2:shape=1x3x32x32"
connections = [2]
)", "m.toml");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  auto cells = spec->Cells();
  ASSERT_EQ(cells.size(), 2u);
  EXPECT_EQ(cells[0].id, "threads.w2.fifo.intra1.mobilenet.c2");
  EXPECT_EQ(cells[1].id, "threads.w2.fifo.intra2.mobilenet.c2");
  std::vector<std::string> args = cells[1].server.ServeArgs();
  auto at = std::find(args.begin(), args.end(), "--models");
  ASSERT_NE(at, args.end());
  EXPECT_EQ(*(at + 1), "some/models");
  at = std::find(args.begin(), args.end(), "--intra-op-threads");
  ASSERT_NE(at, args.end());
  EXPECT_EQ(*(at + 1), "2");
  EXPECT_FALSE(spec->UsesDb());
}

struct BadStudy {
  std::string text;
  std::string mentions;
};

TEST(StudySpecTest, RejectsBadFilesBeforeAnythingRunsNamingFileLineAndKey) {
  const std::string workload = "\n[[workload]]\nname = \"w\"\nmix = \"cpu\"\nconnections = [2]\n";
  const BadStudy cases[] = {
      {"name = \"x\"\nspeed = 1\n[server]\n" + workload, "s.toml:2: top level: unknown key 'speed'"},
      {"name = \"x\"\n[server]\nworkers = [0]\n" + workload, "s.toml:3: server: key 'workers'"},
      {"name = \"x\"\n[server]\nworkers = \"two\"\n" + workload, "key 'workers': must be an integer"},
      {"name = \"x\"\n[server]\nexecutors = [\"fibers\"]\n" + workload, "key 'executors'"},
      {"name = \"x\"\n[server]\npolicies = [\"random\"]\n" + workload, "key 'policies'"},
      {"name = \"x\"\n[server]\nargs = [\"--port\", \"80\"]\n" + workload, "--port is set by the study"},
      {"name = \"x\"\n[server]\n[[workload]]\nname = \"w\"\nmix = \"cpu\"\nrate = [-5]\n", "s.toml:6: workload 1: key 'rate'"},
      {"name = \"x\"\n[server]\n[[workload]]\nname = \"w\"\nmix = \"cpu\"\nrate = 5\nconnections = 2\n", "not both"},
      {"name = \"x\"\n[server]\n[[workload]]\nname = \"w\"\nmix = \"cpu\"\n", "key 'connections': missing"},
      {"name = \"x\"\n[server]\n[[workload]]\nname = \"w\"\nmix = \"gpu\"\nconnections = 1\n", "key 'mix'"},
      {"name = \"x\"\n[server]\n[[workload]]\nname = \"w\"\nmix = \"cpu\"\nconnections = []\n", "the list is empty"},
      {"name = \"x\"\nduration = \"0s\"\n[server]\n" + workload, "key 'duration'"},
      {"name = \"x\"\nrepetitions = 0\n[server]\n" + workload, "key 'repetitions'"},
      {"[server]\n" + workload, "key 'name': missing"},
      {"name = \"x\"\n" + workload, "key 'server': missing"},
      {"name = \"x\"\n[server]\n", "key 'workload': missing"},
      {"name = \"x\"\n[server]\n" + workload + workload, "names two workloads"},
      {"name = \"x\"\n[server\n", "s.toml:2:"},
      {"name = \"x\"\n[server]\nintra_op_threads = [2]\n" + workload, "applies only with models"},
      {"name = \"x\"\n[server]\nmodels = \"m\"\nintra_op_threads = [0]\n" + workload, "key 'intra_op_threads'"},
      {"name = \"x\"\n[server]\nargs = [\"--models\", \"m\"]\n" + workload, "--models is set by the study"},
  };
  for (const BadStudy& c : cases) {
    auto r = ParseStudy(c.text, "s.toml");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.status().message().find(c.mentions), std::string::npos)
        << "for:\n" << c.text << "\ngot: " << r.status().message();
  }
}

std::vector<json> Records(const std::string& path) {
  std::vector<json> out;
  std::istringstream in(*ReadFile(path));
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

constexpr const char* kTiny = R"(
name = "tiny"
duration = "400ms"
warmup = "100ms"

[server]
executors = ["threads", "async"]
workers = [1]

[[workload]]
name = "cpu"
mix = "cpu:iters=100"
connections = [2]

[[workload]]
name = "io"
mix = "io:keys=50"
rate = [200]
)";

TEST(StudyRunnerTest, RunsEveryCellWithCompleteRecordsAndResumes) {
  testing::TempDir dir;
  auto spec = ParseStudy(kTiny, "tiny.toml");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  spec->db_rows = 100;
  StudyOptions options;
  options.binary = SWITCHYARD_BINARY;
  options.results_path = dir.File("r.jsonl");
  options.work_dir = dir.File("work");
  auto tally = RunStudy(*spec, options);
  ASSERT_TRUE(tally.ok()) << tally.status().ToString();
  EXPECT_EQ(tally->runs, 4);
  EXPECT_EQ(tally->ok, 4);
  EXPECT_EQ(tally->failed, 0);

  std::vector<json> records = Records(options.results_path);
  ASSERT_EQ(records.size(), 4u);
  for (const json& r : records) {
    EXPECT_EQ(r["schema"], 1);
    EXPECT_EQ(r["study"], "tiny");
    EXPECT_EQ(r["status"], "ok") << r.dump();
    for (const char* key : {"cell", "repetition", "started_at", "machine", "config", "workload", "load", "client",
                            "server", "derived", "duration_s", "warmup_s"}) {
      EXPECT_TRUE(r.contains(key)) << key;
    }
    EXPECT_GT(r["machine"]["cores"].get<int>(), 0);
    EXPECT_GT(r["client"]["requests"].get<int>(), 0);
    EXPECT_EQ(r["client"]["errors"], 0) << r["client"].dump();
    EXPECT_FALSE(r["client"].contains("timeseries"));
    // The server's window starts after the warm-up: it counted what the client sent, no more.
    EXPECT_EQ(r["server"]["latency_us"]["total"]["count"].get<uint64_t>(), r["client"]["requests"].get<uint64_t>());
    EXPECT_GE(r["server"]["process_tree"]["processes"].get<int>(), 1);
    EXPECT_TRUE(r["derived"].contains("cpu_s_per_request"));
  }
  EXPECT_EQ(records[1]["load"]["mode"], "open");
  EXPECT_EQ(records[1]["load"]["x"], 200);

  // Again: nothing left to do, nothing appended.
  std::string before = *ReadFile(options.results_path);
  auto again = RunStudy(*spec, options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->skipped, 4);
  EXPECT_EQ(again->ok, 0);
  EXPECT_EQ(*ReadFile(options.results_path), before);

  // An interrupted append (half a last line) is cut off; the lost run and a
  // removed one are run again.
  std::string lines = before.substr(0, before.find('\n') + 1);  // keep only the first record
  ASSERT_TRUE(WriteFileAtomically(options.results_path, lines + "{\"schema\":1,\"stu").ok());
  auto resumed = RunStudy(*spec, options);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(resumed->skipped, 1);
  EXPECT_EQ(resumed->ok, 3);
  records = Records(options.results_path);  // every line parses
  EXPECT_EQ(records.size(), 4u);
}

TEST(StudyRunnerTest, AServerThatDiesFailsItsCellAndTheStudyGoesOn) {
  testing::TempDir dir;
  // A "switchyard" that kills its server 300 ms in when it has 3 workers.
  const std::string script = dir.File("flaky-switchyard");
  // The server it keeps is exec()ed, so the study's SIGTERM (and the
  // parent-death signal) reach the server itself, not a shell that would
  // leave it running.
  std::ofstream(script) << "#!/bin/sh\n"
                           "case \"$*\" in *\"--workers 3\"*) ;; *) exec \"" SWITCHYARD_BINARY "\" \"$@\" ;; esac\n"
                           "\"" SWITCHYARD_BINARY "\" \"$@\" &\n"
                           "pid=$!\n"
                           "sleep 0.3; kill -9 $pid\n"
                           "wait $pid\n";
  ::chmod(script.c_str(), 0755);
  auto spec = ParseStudy(R"(
name = "flaky"
duration = "1s"
warmup = "0s"
[server]
executors = ["threads"]
workers = [1, 3]
[[workload]]
name = "cpu"
mix = "cpu:iters=10"
connections = [1]
)",
                         "flaky.toml");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  StudyOptions options;
  options.binary = script;
  options.results_path = dir.File("r.jsonl");
  options.work_dir = dir.File("work");
  auto tally = RunStudy(*spec, options);
  ASSERT_TRUE(tally.ok()) << tally.status().ToString();
  EXPECT_EQ(tally->ok, 1);
  EXPECT_EQ(tally->failed, 1);
  std::vector<json> records = Records(options.results_path);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["status"], "ok");
  EXPECT_EQ(records[1]["status"], "failed");
  EXPECT_NE(records[1]["error"].get<std::string>().find("exited"), std::string::npos) << records[1].dump();
}

TEST(StudyRunnerTest, RefusesAResultsFileOfAnotherStudy) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteFileAtomically(dir.File("r.jsonl"), "{\"schema\":1,\"study\":\"other\",\"status\":\"ok\"}\n").ok());
  auto spec = ParseStudy(kTiny, "tiny.toml");
  ASSERT_TRUE(spec.ok());
  StudyOptions options;
  options.binary = SWITCHYARD_BINARY;
  options.results_path = dir.File("r.jsonl");
  options.work_dir = dir.File("work");
  auto r = RunStudy(*spec, options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("study 'other'"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace switchyard
