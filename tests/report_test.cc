#include "report/report.h"

#include <gtest/gtest.h>
#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/report_command.h"
#include "report/crossover.h"
#include "report/pipeline_section.h"
#include "report/results.h"
#include "report_fixture.h"
#include "xml_check.h"

namespace switchyard::report {
namespace {

namespace fs = std::filesystem;
using fixture::FixtureRun;
using fixture::Group;
using switchyard::testing::XmlProblem;

bool Has(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A fresh directory under the test temp dir, removed at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::path(::testing::TempDir()) / "report_test.XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path Write(const std::string& name, const std::string& content) const {
    fs::path p = path_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

 private:
  fs::path path_;
};

int Report(const fs::path& results, const fs::path& out) {
  ReportFlags flags;
  flags.results = results.string();
  flags.out = out.string();
  return RunReport(flags);
}

Study Parse(const std::string& jsonl) {
  std::istringstream in(jsonl);
  auto records = results::ReadRecords(in, "test.jsonl");
  EXPECT_TRUE(records.ok()) << records.status().message();
  return Aggregate(*records);
}

Status ParseError(const std::string& jsonl) {
  std::istringstream in(jsonl);
  auto records = results::ReadRecords(in, "test.jsonl");
  return records.ok() ? Status::Ok() : records.status();
}

// ---- the tiny study end to end -------------------------------------------------

class TinyReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    results_ = dir_.Write("results.jsonl", fixture::ToJsonl(fixture::TinyStudy()));
    out_ = dir_.path() / "report";
    ASSERT_EQ(Report(results_, out_), 0);
    html_ = Slurp(out_ / "index.html");
    md_ = Slurp(out_ / "summary.md");
  }

  ScratchDir dir_;
  fs::path results_, out_;
  std::string html_, md_;
};

const char* const kChartKinds[] = {"throughput-vs-p99", "latency-vs-load", "cpu-per-request",
                                   "ctxsw-per-request", "pss"};

TEST_F(TinyReportTest, PageHasEverySection) {
  EXPECT_TRUE(Has(html_, "<h1>switchyard report: fixture study</h1>"));
  for (const char* h : {">Summary</h2>", ">Charts</h2>", ">Crossover points</h2>", ">Failed cells</h2>",
                        ">Configuration of each cell</h2>"}) {
    EXPECT_TRUE(Has(html_, h)) << h;
  }
  EXPECT_TRUE(Has(html_, "2026-11-25T10:00:00Z to 2026-11-25T10:30:00Z"));
  EXPECT_TRUE(Has(html_, "2 cores, AMD EPYC 7B13, kernel 6.1.0-27-amd64"));
  EXPECT_TRUE(Has(html_, "<h3>cpu</h3>"));
  EXPECT_TRUE(Has(html_, "<h3>io</h3>"));
}

TEST_F(TinyReportTest, EveryChartIsInlinedAndWrittenAsAWellFormedFile) {
  int inline_svgs = 0;
  for (size_t p = html_.find("<svg "); p != std::string::npos; p = html_.find("<svg ", p + 1)) ++inline_svgs;
  EXPECT_EQ(inline_svgs, 2 * 5);  // 2 workloads x 5 charts
  for (const char* workload : {"cpu", "io"}) {
    for (const char* kind : kChartKinds) {
      std::string name = std::string(workload) + "-" + kind + ".svg";
      fs::path file = out_ / "charts" / name;
      ASSERT_TRUE(fs::exists(file)) << file;
      std::string svg = Slurp(file);
      EXPECT_EQ(svg.rfind("<?xml", 0), 0u) << name;
      EXPECT_TRUE(Has(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"")) << name;
      EXPECT_EQ(XmlProblem(svg), "") << name;
      EXPECT_TRUE(Has(html_, "href=\"charts/" + name + "\"")) << name;
      EXPECT_TRUE(Has(md_, "](charts/" + name + ")")) << name;
    }
  }
  // Inline charts are well-formed too.
  size_t start = html_.find("<svg ");
  size_t end = html_.find("</svg>", start);
  EXPECT_EQ(XmlProblem(html_.substr(start, end + 6 - start)), "");
}

TEST_F(TinyReportTest, ChartsHaveALegendEntryPerConfiguration) {
  std::string svg = Slurp(out_ / "charts" / "cpu-throughput-vs-p99.svg");
  for (const char* s : {">threads w2</text>", ">processes w2 shm</text>", ">async w2</text>"}) {
    EXPECT_TRUE(Has(svg, s)) << s;
  }
  std::string lat = Slurp(out_ / "charts" / "io-latency-vs-load.svg");
  EXPECT_TRUE(Has(lat, ">threads w2 p50</text>"));
  EXPECT_TRUE(Has(lat, ">threads w2 p99</text>"));
  EXPECT_TRUE(Has(lat, ">offered load (req/s)</text>"));
}

TEST_F(TinyReportTest, TableShowsMediansAcrossRepetitions) {
  // cpu, threads w2, 16 connections: repetitions at 0.9x and 1.1x the model.
  FixtureRun model = fixture::TinyModel("cpu", 0, 1);
  ASSERT_EQ(model.goodput, 240);
  ASSERT_EQ(model.p99_ms, 16);
  // Medians: goodput 240 req/s (throughput 240.3 with errors), p50 4 ms, p95 8 ms, p99 16 ms,
  // errors 3 (2 and 4), CPU 0.004 s, ctx switches 3, PSS 31 MiB; the best at 16 connections in bold.
  std::string md_row =
      "| 16 | **threads w2** | 240 | 240 | 4.00 | 8.00 | 16.0 | 0.150 | 0.900 | 3 | 0.004 | 3 | 31.0 | 2 |";
  EXPECT_TRUE(Has(md_, md_row)) << md_;
  EXPECT_TRUE(Has(html_,
                  "<tr class=\"best\"><td class=\"num\">16</td><td>threads w2</td><td class=\"num\">240</td>"
                  "<td class=\"num\">240</td><td class=\"num\">4.00</td><td class=\"num\">8.00</td>"
                  "<td class=\"num\">16.0</td><td class=\"num\">0.150</td><td class=\"num\">0.900</td>"
                  "<td class=\"num\">3</td>"));
  // A cell with one successful repetition (the other failed) shows that one.
  EXPECT_TRUE(Has(md_, "| 2000 | **async w2** | 1,800 | 1,800 |"));
}

TEST_F(TinyReportTest, FailedRecordIsListedNotCharted) {
  EXPECT_TRUE(Has(html_, "<td>async.w2.fifo.io.r2000</td><td class=\"num\">1</td>"));
  EXPECT_TRUE(Has(html_, "server died: worker exited with signal 9 (SIGKILL)"));
  EXPECT_TRUE(Has(
      md_,
      "| async.w2.fifo.io.r2000 | 1 | io | async w2 | server died: worker exited with signal 9 (SIGKILL) |"));
  EXPECT_TRUE(Has(html_, "36 records: 35 successful runs, 1 failed"));
}

TEST_F(TinyReportTest, SummaryHasTablesAndCrossoverStatements) {
  EXPECT_TRUE(Has(md_, "## Summary"));
  EXPECT_TRUE(Has(md_,
                  "| Load (connections) | Executor | Throughput (req/s) | Goodput (req/s) | p50 (ms) | "
                  "p95 (ms) | p99 (ms) | Queue mean (ms) | Queue p99 (ms) | Errors | CPU s/request | "
                  "Ctx switches/request | PSS (MiB) |"));
  EXPECT_TRUE(Has(md_, "| Load (req/s) |"));
  EXPECT_TRUE(Has(md_, "## Crossover points"));
  EXPECT_TRUE(Has(md_, "- cpu: threads w2 is best at every load point measured"));
  EXPECT_TRUE(Has(md_, "- io: threads w2 is best up to 1000 req/s"));
  EXPECT_TRUE(Has(md_, "async w2 is best from 2000 req/s"));
  EXPECT_TRUE(Has(html_, "<li>io: threads w2 is best up to 1000 req/s"));
  EXPECT_TRUE(Has(md_, "## Failed cells"));
  EXPECT_TRUE(Has(md_, "## Configuration of each cell"));
}

TEST_F(TinyReportTest, ConfigurationOfEachCellIsListed) {
  EXPECT_TRUE(Has(html_,
                  "<td>processes.w2.fifo.forkserver.shm.cpu.c64</td><td>cpu</td><td>cpu:iters=100000:1</td>"
                  "<td>64 connections</td><td>processes</td><td>2</td><td>fifo</td><td>forkserver</td>"
                  "<td>shm</td><td>0</td><td>0</td><td>n/a</td><td>2</td>"));
}

TEST_F(TinyReportTest, PageMakesNoNetworkReference) {
  // The results name the bench URL; the page must not, nor load anything.
  EXPECT_FALSE(Has(html_, "http://"));
  EXPECT_FALSE(Has(html_, "https://"));
  EXPECT_FALSE(Has(html_, "<script"));
  EXPECT_FALSE(Has(html_, " src="));
  EXPECT_FALSE(Has(html_, "<link"));
  EXPECT_FALSE(Has(html_, "@import"));
  EXPECT_FALSE(Has(html_, "url("));
  std::regex href("href=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(html_.begin(), html_.end(), href); it != std::sregex_iterator(); ++it) {
    std::string target = (*it)[1];
    EXPECT_TRUE(target.rfind("#", 0) == 0 || target.rfind("charts/", 0) == 0) << target;
  }
}

TEST_F(TinyReportTest, RerunReplacesReportFilesAndKeepsOthers) {
  fs::path stale = out_ / "charts" / "old-workload-pss.svg";
  std::ofstream(stale) << "<svg/>";
  std::ofstream(out_ / "notes.txt") << "mine";
  std::ofstream(out_ / "index.html") << "old";
  ASSERT_EQ(Report(results_, out_), 0);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(out_ / "charts" / "cpu-pss.svg"));
  EXPECT_EQ(Slurp(out_ / "notes.txt"), "mine");
  EXPECT_EQ(Slurp(out_ / "index.html"), html_);
  // No temporary directory is left beside the report.
  for (const auto& e : fs::directory_iterator(dir_.path())) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }
}

// ---- crossover ------------------------------------------------------------------

std::vector<FixtureRun> TwoConfigs(const std::vector<double>& threads_goodput,
                                   const std::vector<double>& async_goodput) {
  std::vector<FixtureRun> runs;
  const double xs[] = {1, 4, 16, 64, 256};
  for (size_t i = 0; i < threads_goodput.size(); ++i) {
    FixtureRun t;
    t.config = {"threads", 2, "shm", 0};
    t.x = xs[i];
    t.goodput = threads_goodput[i];
    t.p99_ms = 10;
    FixtureRun a = t;
    a.config = {"async", 2, "shm", 0};
    a.goodput = async_goodput[i];
    a.p99_ms = 12;
    runs.push_back(t);
    runs.push_back(a);
  }
  return runs;
}

std::string Statement(const std::vector<FixtureRun>& runs) {
  Study s = Parse(fixture::ToJsonl(runs));
  EXPECT_EQ(s.workloads.size(), 1u);
  const Workload& w = s.workloads.at(0);
  return CrossoverStatement(w, BestPerLoadPoint(w));
}

TEST(ReportCrossoverTest, AsyncOvertakingThreadsAtTheThirdLoadPointIsStated) {
  EXPECT_EQ(Statement(TwoConfigs({100, 400, 800, 900}, {90, 300, 1000, 1200})),
            "cpu: threads w2 is best up to 4 connections; async w2 is best from 16 connections");
}

TEST(ReportCrossoverTest, NoChangeIsBestAtEveryLoadPoint) {
  EXPECT_EQ(Statement(TwoConfigs({100, 400, 800}, {90, 300, 700})),
            "cpu: threads w2 is best at every load point measured");
}

TEST(ReportCrossoverTest, GoodputsWithinFivePercentAreTiedAndLowerP99Wins) {
  // async has 4% more goodput at 16 connections but a higher p99: threads stays best.
  // The statement says that the claim rested on p99.
  EXPECT_EQ(Statement(TwoConfigs({100, 400, 1000}, {90, 300, 1040})),
            "cpu: threads w2 is best at every load point measured (goodput within 5% of: async w2)");
  // 6% more is not a tie.
  EXPECT_EQ(Statement(TwoConfigs({100, 400, 1000}, {90, 300, 1060})),
            "cpu: threads w2 is best up to 4 connections; async w2 is best from 16 connections");
}

TEST(ReportCrossoverTest, EveryChangeIsStated) {
  EXPECT_EQ(Statement(TwoConfigs({100, 50, 50, 400, 100}, {90, 300, 300, 100, 300})),
            "cpu: threads w2 is best up to 1 connection; async w2 is best from 4 to 16 connections; "
            "threads w2 is best at 64 connections; async w2 is best from 256 connections");
}

TEST(ReportCrossoverTest, OneLoadPointIsSaid) {
  EXPECT_EQ(Statement(TwoConfigs({100}, {90})),
            "cpu: one load point only (1 connection): threads w2 is best");
}

TEST(ReportCrossoverTest, OpenLoopUsesRates) {
  auto runs = TwoConfigs({100, 400, 800}, {90, 300, 1000});
  for (auto& r : runs) {
    r.open_loop = true;
    r.x *= 100;
  }
  EXPECT_EQ(Statement(runs), "cpu: threads w2 is best up to 400 req/s; async w2 is best from 1600 req/s");
}

// ---- bad input ------------------------------------------------------------------

TEST(ReportInputTest, MalformedLineFailsWithItsNumberAndLeavesNoOutput) {
  ScratchDir dir;
  std::string good = fixture::ToJsonl(fixture::TinyStudy());
  // Line 3 is cut short in the middle of the file.
  std::vector<std::string> lines;
  std::istringstream in(good);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  lines[2] = lines[2].substr(0, lines[2].size() / 2);
  std::string bad;
  for (const auto& l : lines) bad += l + "\n";
  fs::path results = dir.Write("bad.jsonl", bad);

  auto study = LoadStudy(results.string());
  ASSERT_FALSE(study.ok());
  EXPECT_TRUE(Has(study.status().message(), results.string() + ":3: not valid JSON"))
      << study.status().message();

  fs::path out = dir.path() / "report";
  EXPECT_EQ(Report(results, out), 1);
  EXPECT_FALSE(fs::exists(out));
  for (const auto& e : fs::directory_iterator(dir.path())) {
    EXPECT_NE(e.path().filename(), "report");
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }
}

TEST(ReportInputTest, EmptyFileFailsClearly) {
  ScratchDir dir;
  for (const char* content : {"", "\n  \n"}) {
    fs::path results = dir.Write("empty.jsonl", content);
    auto study = LoadStudy(results.string());
    ASSERT_FALSE(study.ok());
    EXPECT_TRUE(Has(study.status().message(), "no results: the file is empty")) << study.status().message();
    EXPECT_EQ(Report(results, dir.path() / "report"), 1);
    EXPECT_FALSE(fs::exists(dir.path() / "report"));
  }
}

TEST(ReportInputTest, MissingFileFails) {
  ScratchDir dir;
  EXPECT_EQ(Report(dir.path() / "nope.jsonl", dir.path() / "report"), 1);
  EXPECT_FALSE(fs::exists(dir.path() / "report"));
}

TEST(ReportInputTest, WrongTypesAndMissingFieldsNameTheLineAndField) {
  auto rec = fixture::MakeRecord(FixtureRun{});
  auto line = [](const nlohmann::json& j) { return j.dump() + "\n"; };

  auto wrong = rec;
  wrong["client"]["goodput_rps"] = "fast";
  Status s = ParseError(line(rec) + line(wrong));
  EXPECT_TRUE(Has(s.message(), "test.jsonl:2: field `client.goodput_rps` must be a number, not string"))
      << s.message();

  auto no_cell = rec;
  no_cell.erase("cell");
  s = ParseError(line(no_cell));
  EXPECT_TRUE(Has(s.message(), "test.jsonl:1: missing field `cell`")) << s.message();

  auto bad_status = rec;
  bad_status["status"] = "maybe";
  EXPECT_TRUE(Has(ParseError(line(bad_status)).message(), "`status` must be \"ok\" or \"failed\""));

  s = ParseError("[1,2]\n");
  EXPECT_TRUE(Has(s.message(), "test.jsonl:1: a record must be a JSON object, not array")) << s.message();

  auto no_load = rec;
  no_load.erase("load");
  EXPECT_TRUE(Has(ParseError(line(no_load)).message(), "load.x"));
}

TEST(ReportInputTest, UnknownFieldsAreIgnored) {
  auto rec = fixture::MakeRecord(FixtureRun{});
  rec["new_top_level"] = {{"a", 1}};
  rec["client"]["new_figure"] = "x";
  rec["config"]["affinity"] = {0, 1};
  rec["schema"] = 2;  // later versions only add fields
  EXPECT_TRUE(ParseError(rec.dump() + "\n").ok());
}

TEST(ReportInputTest, AnUnfinishedLastLineIsSkippedWithAWarning) {
  ScratchDir dir;
  std::string text = fixture::ToJsonl({FixtureRun{}});
  std::string partial = fixture::MakeRecord(FixtureRun{}).dump();
  text += partial.substr(0, 40);  // an interrupted append: no '\n'
  fs::path results = dir.Write("r.jsonl", text);
  auto study = LoadStudy(results.string());
  ASSERT_TRUE(study.ok()) << study.status().message();
  EXPECT_EQ(study->records, 1);
  ASSERT_EQ(study->warnings.size(), 1u);
  EXPECT_TRUE(Has(study->warnings[0], ":2: skipped an unfinished last line"));
}

TEST(ReportInputTest, ALaterSuccessReplacesAFailureOfTheSameRepetition) {
  FixtureRun failed;
  failed.failed = true;
  failed.error = "bench could not connect";
  FixtureRun ok;
  Study s = Parse(fixture::ToJsonl({failed, ok}));
  EXPECT_TRUE(s.failed.empty());
  EXPECT_EQ(s.superseded_failures, 1);
  EXPECT_EQ(s.ok_records, 1);
}

// ---- missing figures and escaping ---------------------------------------------

TEST(ReportRenderTest, MissingFiguresShowNaNeverZero) {
  FixtureRun r;
  r.cpu_s_per_request.reset();
  r.ctxt_per_request.reset();
  r.pss_mib.reset();
  Study s = Parse(fixture::ToJsonl({r}));
  const Cell& c = s.workloads.at(0).cells.at(0);
  EXPECT_FALSE(c.median.cpu_s_per_request.has_value());
  EXPECT_FALSE(c.median.pss_bytes.has_value());
  RenderedReport rep = RenderReport(s);
  EXPECT_TRUE(Has(rep.summary_md, "| 3.00 | 0.150 | 0.900 | 0 | n/a | n/a | n/a | 1 |")) << rep.summary_md;
  // The bar charts draw "n/a" where a bar would be.
  for (const auto& chart : rep.charts) {
    if (chart.file_name == "cpu-pss.svg") {
      EXPECT_TRUE(Has(chart.svg, ">n/a<"));
    }
  }
}

TEST(ReportRenderTest, MediansOfThreeRepetitions) {
  std::vector<FixtureRun> runs;
  for (int rep = 0; rep < 3; ++rep) {
    FixtureRun r;
    r.repetition = rep;
    r.goodput = rep == 0 ? 100 : rep == 1 ? 300 : 200;
    r.p99_ms = rep == 0 ? 9 : rep == 1 ? 1 : 5;
    runs.push_back(r);
  }
  Study s = Parse(fixture::ToJsonl(runs));
  const Cell& c = s.workloads.at(0).cells.at(0);
  EXPECT_EQ(c.repetitions, 3);
  EXPECT_DOUBLE_EQ(*c.median.goodput_rps, 200);
  EXPECT_DOUBLE_EQ(*c.median.p99_us, 5000);
}

TEST(ReportRenderTest, UserTextIsEscapedInHtmlSvgAndMarkdown) {
  FixtureRun r;
  r.workload = "w<&\"x";
  r.config.executor = "<script>alert(1)</script>";
  r.cell_override = "cell<&\">";
  FixtureRun f = r;
  f.repetition = 1;
  f.failed = true;
  f.error = "died <b>&\"";
  ScratchDir dir;
  fs::path results = dir.Write("r.jsonl", fixture::ToJsonl({r, f}));
  fs::path out = dir.path() / "report";
  ASSERT_EQ(Report(results, out), 0);
  std::string html = Slurp(out / "index.html");
  EXPECT_FALSE(Has(html, "<script"));
  EXPECT_FALSE(Has(html, "<b>"));
  EXPECT_FALSE(Has(html, "w<&"));
  EXPECT_TRUE(Has(html, "w&lt;&amp;&quot;x"));
  EXPECT_TRUE(Has(html, "cell&lt;&amp;&quot;&gt;"));
  EXPECT_TRUE(Has(html, "&lt;script&gt;alert(1)&lt;/script&gt; w2"));
  EXPECT_TRUE(Has(html, "died &lt;b&gt;&amp;&quot;"));
  // The chart files get a safe name and escaped text.
  fs::path chart = out / "charts" / "w-x-throughput-vs-p99.svg";
  ASSERT_TRUE(fs::exists(chart));
  std::string svg = Slurp(chart);
  EXPECT_EQ(XmlProblem(svg), "");
  EXPECT_FALSE(Has(svg, "<script"));
  EXPECT_TRUE(Has(svg, "w&lt;&amp;&quot;x: throughput against p99 latency"));
  std::string md = Slurp(out / "summary.md");
  EXPECT_TRUE(Has(md, "\\<script\\>"));
  for (size_t p = md.find('<'); p != std::string::npos; p = md.find('<', p + 1)) {
    EXPECT_TRUE(p > 0 && md[p - 1] == '\\') << "raw '<' in summary.md at " << p;
  }
}

TEST(ReportRenderTest, ConfigurationsAreToldApartInLabels) {
  std::vector<FixtureRun> runs;
  FixtureRun shm;
  shm.config = {"processes", 2, "shm", 0};
  FixtureRun pipe = shm;
  pipe.config.ipc = "pipe";
  FixtureRun offload;
  offload.config = {"async", 2, "shm", 2};
  FixtureRun w4;
  w4.config = {"threads", 4, "shm", 0};
  Study s = Parse(fixture::ToJsonl({shm, pipe, offload, w4}));
  const auto& series = s.workloads.at(0).series;
  EXPECT_EQ(series, (std::vector<std::string>{"processes w2 shm", "processes w2 pipe", "async w2 offload2",
                                              "threads w4"}));
}

TEST(ReportRenderTest, AStudyWhereEveryCellFailedStillReports) {
  FixtureRun f;
  f.failed = true;
  f.error = "server did not start";
  Study s = Parse(fixture::ToJsonl({f}));
  RenderedReport rep = RenderReport(s);
  EXPECT_TRUE(Has(rep.index_html, "No cell ran successfully."));
  EXPECT_TRUE(Has(rep.index_html, "server did not start"));
  EXPECT_TRUE(rep.charts.empty());
}

TEST(ReportRenderTest, WorkloadWithClosedAndOpenLoopIsSplit) {
  FixtureRun closed;
  FixtureRun open;
  open.open_loop = true;
  open.x = 500;
  Study s = Parse(fixture::ToJsonl({closed, open}));
  ASSERT_EQ(s.workloads.size(), 2u);
  EXPECT_EQ(s.workloads[0].name, "cpu (closed loop)");
  EXPECT_EQ(s.workloads[1].name, "cpu (open loop)");
  RenderedReport rep = RenderReport(s);
  std::set<std::string> names;
  for (const auto& c : rep.charts) EXPECT_TRUE(names.insert(c.file_name).second) << c.file_name;
}

// ---- scheduling: queue wait, policies, entries, clients, workers -----------------

// The open-loop mixed workload of studies/scheduling.toml at one cell.
FixtureRun Mixed(const std::string& policy, int workers, int repetition = 0) {
  FixtureRun r;
  r.workload = "mixed";
  r.mix = "cpu:iters=5000:label=fast:6,cpu:iters=100000:label=slow:1";
  r.open_loop = true;
  r.x = 400;
  r.config = {"threads", workers, "shm", 0, policy};
  r.repetition = repetition;
  return r;
}

TEST(ReportSchedulingTest, QueueWaitIsAColumnWithMediansAcrossRepetitions) {
  std::vector<FixtureRun> runs;
  const double means[] = {4000, 6000, 5000};
  for (int rep = 0; rep < 3; ++rep) {
    FixtureRun r = Mixed("fifo", 2, rep);
    r.queue_mean_us = means[rep];
    r.queue_p99_us = 10 * means[rep];
    runs.push_back(r);
  }
  RenderedReport rep = RenderReport(Parse(fixture::ToJsonl(runs)));
  EXPECT_TRUE(Has(rep.summary_md, "| p99 (ms) | Queue mean (ms) | Queue p99 (ms) | Errors |"))
      << rep.summary_md;
  EXPECT_TRUE(Has(rep.summary_md, "| 3.00 | 5.00 | 50.0 | 0 |")) << rep.summary_md;
  EXPECT_TRUE(Has(rep.index_html, "<th>Queue mean (ms)</th><th>Queue p99 (ms)</th>"));
  EXPECT_TRUE(Has(rep.index_html, "<td class=\"num\">5.00</td><td class=\"num\">50.0</td>"));
  EXPECT_TRUE(Has(rep.summary_md, "server.latency\\_us.queue"));
}

TEST(ReportSchedulingTest, EachPolicyQueueWaitIsComparedWithFifos) {
  std::vector<FixtureRun> runs;
  for (int workers : {1, 2}) {
    for (const char* policy : {"fifo", "sjf", "mlfq"}) {
      FixtureRun r = Mixed(policy, workers);
      bool fifo = r.config.policy == "fifo";
      r.queue_mean_us = fifo ? 5000 : r.config.policy == "sjf" ? 3000 : 5500;
      r.entries = {Group("fast", 300, 1, fifo ? 8 : 2), Group("slow", 50, 12, fifo ? 30 : 48)};
      runs.push_back(r);
    }
  }
  Study s = Parse(fixture::ToJsonl(runs));
  RenderedReport rep = RenderReport(s);
  const std::string sjf_vs_fifo =
      "mixed, 2 workers: sjf mean queue wait 3.00 ms vs fifo 5.00 ms (\u221240%), slow entry p99 latency "
      "48.0 ms vs 30.0 ms (+60%); mlfq mean queue wait 5.50 ms vs fifo 5.00 ms (+10%), slow entry p99 "
      "latency 48.0 ms vs 30.0 ms (+60%)";
  EXPECT_TRUE(Has(rep.summary_md, "## Scheduling policies")) << rep.summary_md;
  EXPECT_TRUE(Has(rep.summary_md, "- " + sjf_vs_fifo + "\n")) << rep.summary_md;
  EXPECT_TRUE(
      Has(rep.summary_md, "- mixed, 1 worker: sjf mean queue wait 3.00 ms vs fifo 5.00 ms (\u221240%)"));
  EXPECT_TRUE(Has(rep.index_html, "<h2 id=\"policies\">Scheduling policies</h2>"));
  EXPECT_TRUE(Has(rep.index_html, "<li>" + sjf_vs_fifo + "</li>"));
  EXPECT_TRUE(Has(rep.index_html, "<a href=\"#policies\">"));
}

TEST(ReportSchedulingTest, PolicyStatementWithoutEntriesOrQueueFiguresSaysNa) {
  FixtureRun fifo = Mixed("fifo", 2);
  FixtureRun sjf = Mixed("sjf", 2);
  sjf.queue_mean_us.reset();
  RenderedReport rep = RenderReport(Parse(fixture::ToJsonl({fifo, sjf})));
  EXPECT_TRUE(Has(rep.summary_md, "- mixed, 2 workers: sjf mean queue wait n/a vs fifo 0.150 ms\n"))
      << rep.summary_md;
}

TEST(ReportSchedulingTest, PerEntryTableNamesEveryLabelInMixOrder) {
  std::vector<FixtureRun> runs;
  for (const char* policy : {"fifo", "sjf"}) {
    for (int rep = 0; rep < 3; ++rep) {
      FixtureRun r = Mixed(policy, 2, rep);
      r.mix = "cpu:iters=100000:label=slow:1,cpu:iters=5000:label=fast:6";  // slow named first
      double f = rep == 0 ? 0.5 : rep == 1 ? 1.5 : 1;                       // the median is rep 2
      r.entries = {Group("fast", 300 * f, 1.5 * f, 4 * f), Group("slow", 50 * f, 12 * f, 30 * f)};
      runs.push_back(r);
    }
  }
  RenderedReport rep = RenderReport(Parse(fixture::ToJsonl(runs)));
  EXPECT_TRUE(Has(rep.summary_md, "#### mixed: per mix entry")) << rep.summary_md;
  EXPECT_TRUE(Has(rep.summary_md,
                  "| Load (req/s) | Executor | slow goodput (req/s) | slow ok p50 (ms) | slow ok p99 (ms) | "
                  "fast goodput (req/s) | fast ok p50 (ms) | fast ok p99 (ms) |"))
      << rep.summary_md;
  EXPECT_TRUE(Has(rep.summary_md, "| 400 | threads w2 fifo | 50.0 | 12.0 | 30.0 | 300 | 1.50 | 4.00 |"))
      << rep.summary_md;
  EXPECT_TRUE(Has(rep.summary_md, "| 400 | threads w2 sjf | 50.0 | 12.0 | 30.0 | 300 | 1.50 | 4.00 |"));
  EXPECT_TRUE(Has(rep.index_html, "<h4>mixed: per mix entry</h4>"));
  EXPECT_TRUE(Has(rep.index_html, "<th colspan=\"3\">slow</th><th colspan=\"3\">fast</th>"));
  EXPECT_TRUE(Has(rep.index_html, "<td>threads w2 fifo</td><td class=\"num\">50.0</td>"));
  size_t table = rep.index_html.find("<table class=\"entries\">");
  size_t table_end = rep.index_html.find("</table>", table) + 8;
  EXPECT_EQ(XmlProblem(rep.index_html.substr(table, table_end - table)), "");
}

TEST(ReportSchedulingTest, EntryRefusalsAreShownWhereAnyEntryHadOne) {
  FixtureRun r = Mixed("fifo", 2);
  r.entries = {Group("fast", 300, 1, 4), Group("slow", 50, 12, 30)};
  r.entries[1].rejected_503 = 7;
  r.entries[1].expired_504 = 2;
  RenderedReport rep = RenderReport(Parse(fixture::ToJsonl({r})));
  EXPECT_TRUE(Has(rep.summary_md, "| fast ok p99 (ms) | fast 503 / 504 | slow goodput (req/s) |"))
      << rep.summary_md;
  EXPECT_TRUE(Has(rep.summary_md, "| 4.00 | 0 / 0 | 50.0 | 12.0 | 30.0 | 7 / 2 |")) << rep.summary_md;
  // Without refusals the column is left out.
  r.entries[1].rejected_503 = 0;
  r.entries[1].expired_504 = 0;
  rep = RenderReport(Parse(fixture::ToJsonl({r})));
  EXPECT_FALSE(Has(rep.summary_md, "fast 503 / 504")) << rep.summary_md;
  EXPECT_TRUE(Has(rep.summary_md, "| 4.00 | 50.0 | 12.0 | 30.0 |")) << rep.summary_md;
}

TEST(ReportSchedulingTest, ASingleEntryOrASingleNamedClientGetsNoTable) {
  FixtureRun r = Mixed("fifo", 2);
  r.entries = {Group("all", 300, 1, 4, "a")};
  r.clients = {Group("a", 300, 1, 4), Group("", 0, 0, 0)};
  RenderedReport rep = RenderReport(Parse(fixture::ToJsonl({r})));
  EXPECT_FALSE(Has(rep.summary_md, "per mix entry"));
  EXPECT_FALSE(Has(rep.summary_md, "per client"));
  EXPECT_FALSE(Has(rep.summary_md, "Jain"));
}

TEST(ReportSchedulingTest, ClientsTableShowsGoodputAndJainIndex) {
  std::vector<FixtureRun> runs;
  for (int rep = 0; rep < 3; ++rep) {
    FixtureRun r = Mixed("fifo", 2, rep);
    r.mix = "cpu:iters=5000:client=alice:label=a:1,cpu:iters=5000:client=bob:label=b:1";
    r.entries = {Group("a", 200, 1, 4, "alice"), Group("b", 100, 1, 9, "bob")};
    r.clients = {Group("alice", 200, 1, 4), Group("bob", 100, 1, 9)};
    r.jain_index = rep == 0 ? 0.8 : rep == 1 ? 0.95 : 0.9;
    runs.push_back(r);
  }
  RenderedReport rep = RenderReport(Parse(fixture::ToJsonl(runs)));
  EXPECT_TRUE(Has(rep.summary_md, "#### mixed: per client")) << rep.summary_md;
  EXPECT_TRUE(
      Has(rep.summary_md,
          "| Load (req/s) | Executor | alice goodput (req/s) | alice ok p99 (ms) | bob goodput (req/s) | "
          "bob ok p99 (ms) | Jain's index |"))
      << rep.summary_md;
  EXPECT_TRUE(Has(rep.summary_md, "| 400 | threads w2 | 200 | 4.00 | 100 | 9.00 | 0.900 |"))
      << rep.summary_md;
  EXPECT_TRUE(Has(rep.index_html, "<h4>mixed: per client</h4>"));
  EXPECT_TRUE(Has(rep.index_html, "<th rowspan=\"2\">Jain&#39;s index</th>"));
  EXPECT_TRUE(Has(rep.index_html, "<td class=\"num\">0.900</td>"));
  // Entries with the clients' labels are a table too.
  EXPECT_TRUE(Has(rep.summary_md, "#### mixed: per mix entry"));
}

TEST(ReportSchedulingTest, WorkersChartHasASeriesPerPolicy) {
  std::vector<FixtureRun> runs;
  for (int workers : {1, 2, 4, 8}) {
    for (const char* policy : {"fifo", "sjf"}) {
      FixtureRun r = Mixed(policy, workers);
      r.goodput = 100.0 * workers;
      r.p99_ms = 40.0 / workers;
      runs.push_back(r);
    }
  }
  RenderedReport rep = RenderReport(Parse(fixture::ToJsonl(runs)));
  std::set<std::string> files;
  for (const auto& c : rep.charts) files.insert(c.file_name);
  ASSERT_TRUE(files.count("mixed-throughput-vs-workers.svg")) << rep.summary_md;
  ASSERT_TRUE(files.count("mixed-p99-vs-workers.svg"));
  for (const auto& c : rep.charts) {
    if (c.file_name.find("-vs-workers") == std::string::npos) continue;
    EXPECT_EQ(XmlProblem(c.svg), "") << c.file_name;
    EXPECT_TRUE(Has(c.svg, ">workers</text>")) << c.file_name;
    EXPECT_TRUE(Has(c.svg, ">fifo</text>")) << c.file_name;
    EXPECT_TRUE(Has(c.svg, ">sjf</text>")) << c.file_name;
    EXPECT_TRUE(Has(rep.summary_md, "](charts/" + c.file_name + ")"));
  }
  const ChartFile& tp = *std::find_if(rep.charts.begin(), rep.charts.end(), [](const ChartFile& c) {
    return c.file_name == "mixed-throughput-vs-workers.svg";
  });
  EXPECT_TRUE(Has(tp.title, "throughput against workers"));
  for (const char* point : {"<title>fifo: workers 1, throughput (req/s) 100</title>",
                            "<title>sjf: workers 8, throughput (req/s) 800</title>"}) {
    EXPECT_TRUE(Has(tp.svg, point)) << point;
  }
  // The worker axis ticks whole numbers only.
  EXPECT_FALSE(Has(tp.svg, ">0.5</text>"));
  EXPECT_FALSE(Has(tp.svg, ">2.5</text>"));
  EXPECT_TRUE(Has(tp.svg, ">8</text>"));
}

TEST(ReportSchedulingTest, OlderRecordsGetNoNewSections) {
  // Records without queue figures, entries, clients or Jain's index, at one
  // worker count and one policy: the report of before.
  std::vector<FixtureRun> runs = fixture::TinyStudy();
  for (auto& r : runs) {
    r.queue_mean_us.reset();
    r.queue_p99_us.reset();
  }
  RenderedReport rep = RenderReport(Parse(fixture::ToJsonl(runs)));
  EXPECT_FALSE(Has(rep.summary_md, "Queue mean"));
  EXPECT_FALSE(Has(rep.summary_md, "per mix entry"));
  EXPECT_FALSE(Has(rep.summary_md, "per client"));
  EXPECT_FALSE(Has(rep.summary_md, "Scheduling policies"));
  EXPECT_FALSE(Has(rep.index_html, "Scheduling policies"));
  EXPECT_FALSE(Has(rep.index_html, "Jain"));
  EXPECT_TRUE(Has(rep.summary_md, "| 16.0 | 3 | 0.004 |")) << rep.summary_md;  // p99, then errors
  for (const auto& c : rep.charts) EXPECT_EQ(c.file_name.find("workers"), std::string::npos) << c.file_name;
}

TEST(ReportSchedulingTest, MalformedEntriesNameTheField) {
  FixtureRun r = Mixed("fifo", 2);
  r.entries = {Group("fast", 300, 1, 4), Group("slow", 50, 12, 30)};
  auto rec = fixture::MakeRecord(r);
  rec["client"]["entries"]["slow"] = 7;
  Status st = ParseError(rec.dump() + "\n");
  EXPECT_TRUE(Has(st.message(), "field `client.entries.slow` must be an object, not number")) << st.message();
  rec = fixture::MakeRecord(r);
  rec["client"]["entries"]["fast"]["goodput_rps"] = "lots";
  st = ParseError(rec.dump() + "\n");
  EXPECT_TRUE(Has(st.message(), "field `client.entries.fast.goodput_rps` must be a number")) << st.message();
}

// ---- pipeline records ------------------------------------------------------

using fixture::PipelineFixtureRun;

const ChartFile* FindChart(const RenderedReport& rep, const std::string& file_name) {
  for (const auto& c : rep.charts) {
    if (c.file_name == file_name) return &c;
  }
  return nullptr;
}

TEST(ReportPipelineTest, RecordsBecomeOneGroupPerMatrixSizeWithMediansAcrossRepetitions) {
  Study s = Parse(fixture::PipelineJsonl(fixture::PipelineStudy()));
  EXPECT_EQ(s.pipeline_records, 60);
  EXPECT_EQ(s.server_records, 0);
  EXPECT_TRUE(s.workloads.empty());
  ASSERT_EQ(s.pipeline_groups.size(), 2u);
  const PipelineGroup& m0 = s.pipeline_groups[0];
  EXPECT_EQ(m0.title, "matrix 0");
  EXPECT_EQ(s.pipeline_groups[1].title, "matrix 200");
  EXPECT_EQ(m0.loaders, (std::vector<std::string>{"sync", "threads", "processes", "async"}));
  EXPECT_EQ(m0.worker_counts, (std::vector<int64_t>{1, 2, 4}));
  EXPECT_EQ(m0.cells.size(), 10u);  // sync once, the others at 1, 2 and 4 workers
  const PipelineCell* async4 = m0.Find("async", 4);
  ASSERT_NE(async4, nullptr);
  EXPECT_EQ(async4->repetitions, 3);
  EXPECT_DOUBLE_EQ(*async4->median.items_per_s, 1400);
  EXPECT_DOUBLE_EQ(*async4->median.mb_per_s, 1400 * 5.5);
  EXPECT_DOUBLE_EQ(*async4->median.batch_wait_p99_ms, 2.0 + 3 + 2);
  EXPECT_DOUBLE_EQ(*async4->median.pss_bytes, (100.0 + 150 + 20) * 1e6);
  EXPECT_EQ(async4->median.cache_state, "warm");
  // The failed repetition is left out of its cell's medians and listed.
  const PipelineCell* failed_cell = s.pipeline_groups[1].Find("async", 4);
  ASSERT_NE(failed_cell, nullptr);
  EXPECT_EQ(failed_cell->repetitions, 2);
  ASSERT_EQ(s.failed.size(), 1u);
  EXPECT_EQ(s.failed[0].cell, "async.w4.m200.b8.pf2.c0.e1");
  EXPECT_EQ(s.failed[0].series, "async w4, matrix 200");
  ASSERT_TRUE(s.pipeline_data.has_value());
  EXPECT_EQ(s.pipeline_data->files, 200);
}

TEST(ReportPipelineTest, TablePerMatrixSizeShowsLoaderByWorkersWithEveryFigure) {
  RenderedReport rep = RenderReport(Parse(fixture::PipelineJsonl(fixture::PipelineStudy())));
  for (const std::string* doc : {&rep.summary_md, &rep.index_html}) {
    EXPECT_TRUE(Has(*doc, "matrix 0")) << *doc;
    EXPECT_TRUE(Has(*doc, "matrix 200"));
    for (const char* column : {"Loader", "Workers", "Items/s", "MB/s", "Starvation", "Batch wait p99 (ms)",
                               "CPU (cores)", "PSS (MB)", "Cache", "Repetitions"}) {
      EXPECT_TRUE(Has(*doc, column)) << column;
    }
  }
  // Medians: loader, workers, items/s, MB/s, starvation, wait p99, cores, PSS, cache, repetitions;
  // the fastest of the table in bold.
  EXPECT_TRUE(Has(rep.summary_md, "| threads | 2 | 1100 | 6050 | 0.210 | 4.00 | 1.00 | 160.0 | warm | 3 |"))
      << rep.summary_md;
  EXPECT_TRUE(Has(rep.summary_md, "| sync | 1 | 500 | 2750 | 0.100 | 2.00 | 0.50 | 100.0 | warm | 3 |"));
  EXPECT_TRUE(Has(rep.summary_md, "| **async** | **4** | **1400** | **7700** |"));
  EXPECT_TRUE(Has(rep.summary_md, "| **processes** | **4** | **700** |"));
  EXPECT_TRUE(Has(rep.index_html, "<tr class=\"best\"><td>async</td><td class=\"num\">4</td>"));
  // No column for figures that are zero everywhere.
  EXPECT_FALSE(Has(rep.summary_md, "| Skipped |"));
  EXPECT_TRUE(Has(rep.summary_md, "Data set: 200 files, 1071.8 MB (1 to 10 MB each, seed 1)."));
}

TEST(ReportPipelineTest, StatementNamesTheBestLoaderAndItsMarginOverTheNextAndOverSync) {
  RenderedReport rep = RenderReport(Parse(fixture::PipelineJsonl(fixture::PipelineStudy())));
  ASSERT_EQ(rep.pipeline_statements.size(), 2u);
  EXPECT_EQ(rep.pipeline_statements[0],
            "matrix 0: async w4 is best with 1400 items/s, 8% more than threads w4 (1300 items/s) and 2.80x sync "
            "(500 items/s)");
  EXPECT_EQ(rep.pipeline_statements[1],
            "matrix 200: processes w4 is best with 700 items/s, 17% more than threads w2 (600 items/s) and 3.50x "
            "sync (200 items/s)");
  for (const auto& st : rep.pipeline_statements) {
    EXPECT_TRUE(Has(rep.summary_md, "- " + st.substr(0, 20))) << st;
  }
  EXPECT_TRUE(Has(rep.index_html, "Best loader per matrix size"));
}

TEST(ReportPipelineTest, StatementSaysATieOneLoaderAndSyncAsTheNext) {
  PipelineGroup g;
  g.title = "matrix 16";
  auto cell = [](const std::string& loader, int64_t workers, double items) {
    PipelineCell c;
    c.config.loader = loader;
    c.config.workers = workers;
    c.median.items_per_s = items;
    return c;
  };
  g.loaders = {"threads"};
  g.cells = {cell("threads", 1, 300), cell("threads", 2, 500)};
  EXPECT_EQ(PipelineStatement(g, 0.05), "matrix 16: only threads was measured; best at 2 workers with 500 items/s");
  g.loaders = {"sync", "threads"};
  g.cells.insert(g.cells.begin(), cell("sync", 1, 490));
  EXPECT_EQ(PipelineStatement(g, 0.05),
            "matrix 16: threads w2 is best with 500 items/s, 2% more than sync (490 items/s) (within 5%: a tie)");
  g.cells[0].median.items_per_s = 100;
  EXPECT_EQ(PipelineStatement(g, 0.05), "matrix 16: threads w2 is best with 500 items/s, 5.00x sync (100 items/s)");
  g.cells = {cell("sync", 1, 100)};
  g.loaders = {"sync"};
  EXPECT_EQ(PipelineStatement(g, 0.05), "matrix 16: only sync was measured: 100 items/s");
}

TEST(ReportPipelineTest, ChartPerMatrixSizeHasALinePerLoaderAndSyncAsALevel) {
  RenderedReport rep = RenderReport(Parse(fixture::PipelineJsonl(fixture::PipelineStudy())));
  ASSERT_EQ(rep.charts.size(), 2u);  // no server charts
  for (const char* name : {"pipeline-m0-items-vs-workers.svg", "pipeline-m200-items-vs-workers.svg"}) {
    const ChartFile* c = FindChart(rep, name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_EQ(XmlProblem(c->svg), "") << name;
    EXPECT_TRUE(Has(c->svg, ">workers</text>"));
    EXPECT_TRUE(Has(c->svg, ">items/s</text>"));
    for (const char* series : {">threads</text>", ">processes</text>", ">async</text>", ">sync (no workers)</text>"}) {
      EXPECT_TRUE(Has(c->svg, series)) << name << series;
    }
    EXPECT_TRUE(Has(rep.summary_md, std::string("](charts/") + name + ")"));
    EXPECT_TRUE(Has(rep.index_html, std::string("charts/") + name));
  }
  const ChartFile* m0 = FindChart(rep, "pipeline-m0-items-vs-workers.svg");
  EXPECT_TRUE(Has(m0->svg, "<title>async: workers 4, items/s 1400</title>")) << m0->svg;
  // sync: the same level at the fewest and the most workers.
  EXPECT_TRUE(Has(m0->svg, "<title>sync (no workers): workers 1, items/s 500</title>"));
  EXPECT_TRUE(Has(m0->svg, "<title>sync (no workers): workers 4, items/s 500</title>"));
}

TEST(ReportPipelineTest, APipelineOnlyStudyHasNoServerSectionsAndTheFilesAreWritten) {
  ScratchDir dir;
  fs::path results = dir.Write("pipeline.jsonl", fixture::PipelineJsonl(fixture::PipelineStudy()));
  ASSERT_EQ(Report(results, dir.path() / "report"), 0);
  const std::string html = Slurp(dir.path() / "report" / "index.html");
  const std::string md = Slurp(dir.path() / "report" / "summary.md");
  EXPECT_TRUE(fs::exists(dir.path() / "report" / "charts" / "pipeline-m0-items-vs-workers.svg"));
  for (const std::string* doc : {&html, &md}) {
    EXPECT_TRUE(Has(*doc, "Pipeline")) << *doc;
    EXPECT_TRUE(Has(*doc, "Failed cells"));
    EXPECT_TRUE(Has(*doc, "Configuration of each pipeline cell"));
    EXPECT_TRUE(Has(*doc, "async.w4.m200.b8.pf2.c0.e1"));  // the failed run, and the cell's configuration
    EXPECT_TRUE(Has(*doc, "3 file(s) could not be read"));
    EXPECT_FALSE(Has(*doc, "Crossover points"));
    EXPECT_FALSE(Has(*doc, "Configuration of each cell"));
  }
  EXPECT_FALSE(Has(html, "href=\"#summary\""));
  EXPECT_TRUE(Has(html, "href=\"#pipeline\""));
}

TEST(ReportPipelineTest, AStudyWithServerAndPipelineRecordsShowsBoth) {
  std::string jsonl = fixture::ToJsonl(fixture::TinyStudy());
  PipelineFixtureRun p;
  p.study = "fixture study";
  jsonl += fixture::PipelineJsonl({p});
  Study s = Parse(jsonl);
  EXPECT_EQ(s.workloads.size(), 2u);  // the pipeline record is no workload
  ASSERT_EQ(s.pipeline_groups.size(), 1u);
  RenderedReport rep = RenderReport(s);
  EXPECT_TRUE(Has(rep.index_html, ">Summary</h2>"));
  EXPECT_TRUE(Has(rep.index_html, ">Crossover points</h2>"));
  EXPECT_TRUE(Has(rep.index_html, ">Pipeline</h2>"));
  EXPECT_TRUE(Has(rep.summary_md, "## Configuration of each cell"));
  EXPECT_TRUE(Has(rep.summary_md, "### Configuration of each pipeline cell"));
  EXPECT_EQ(rep.crossover_statements.size(), 2u);
  EXPECT_EQ(rep.pipeline_statements, (std::vector<std::string>{
                                         "matrix 0: only threads was measured; best at 2 workers with 1000 items/s"}));
  EXPECT_NE(FindChart(rep, "pipeline-m0-items-vs-workers.svg"), nullptr);
  EXPECT_NE(FindChart(rep, "cpu-throughput-vs-p99.svg"), nullptr);
}

TEST(ReportPipelineTest, SettingsThatVaryNameTheGroupBesideTheMatrixSize) {
  std::vector<PipelineFixtureRun> runs;
  for (int batch : {8, 32}) {
    PipelineFixtureRun r;
    r.batch = batch;
    runs.push_back(r);
  }
  RenderedReport rep = RenderReport(Parse(fixture::PipelineJsonl(runs)));
  EXPECT_NE(FindChart(rep, "pipeline-m0-b8-items-vs-workers.svg"), nullptr);
  EXPECT_NE(FindChart(rep, "pipeline-m0-b32-items-vs-workers.svg"), nullptr);
  EXPECT_TRUE(Has(rep.summary_md, "### matrix 0, batch 32"));
}

TEST(ReportPipelineTest, MissingFiguresShowNaAndSkippedFilesGetAColumn) {
  PipelineFixtureRun r;
  r.skipped = 4;
  auto rec = fixture::MakePipelineRecord(r);
  rec["pipeline"].erase("pss_bytes");
  rec["pipeline"]["starvation"] = nullptr;
  RenderedReport rep = RenderReport(Parse(rec.dump() + "\n"));
  EXPECT_TRUE(Has(rep.summary_md, "| Skipped |"));
  EXPECT_TRUE(Has(rep.summary_md, "| **threads** | **2** | **1000** | **5500** | **n/a** | **4.00** | **1.50** | "
                                  "**n/a** | **4** | **warm** | **1** |"))
      << rep.summary_md;
}

TEST(ReportPipelineTest, MalformedPipelineFieldsNameTheLineAndField) {
  PipelineFixtureRun r;
  auto rec = fixture::MakePipelineRecord(r);
  rec["pipeline"]["items_per_s"] = "fast";
  Status st = ParseError(rec.dump() + "\n");
  EXPECT_TRUE(Has(st.message(), "test.jsonl:1: field `pipeline.items_per_s` must be a number")) << st.message();
  rec = fixture::MakePipelineRecord(r);
  rec["config"]["args"] = {"--shuffle", 3};
  st = ParseError(rec.dump() + "\n");
  EXPECT_TRUE(Has(st.message(), "field `config.args` must hold strings")) << st.message();
  rec = fixture::MakePipelineRecord(r);
  rec["config"].erase("loader");
  st = ParseError(rec.dump() + "\n");
  EXPECT_TRUE(Has(st.message(), "an ok pipeline record needs `config.loader`")) << st.message();
  rec = fixture::MakePipelineRecord(r);
  rec.erase("pipeline");
  st = ParseError(rec.dump() + "\n");
  EXPECT_TRUE(Has(st.message(), "needs its `pipeline` figures")) << st.message();
  rec = fixture::MakePipelineRecord(r);
  rec["kind"] = "training";
  st = ParseError(rec.dump() + "\n");
  EXPECT_TRUE(Has(st.message(), "field `kind` must be \"pipeline\"")) << st.message();
  // A failed run without its summary is fine: it is listed.
  r.failed = true;
  r.summary = false;
  r.error = "switchyard load timed out after 10:00 and was killed: (no output)";
  Study s = Parse(fixture::PipelineJsonl({r}));
  ASSERT_EQ(s.failed.size(), 1u);
  EXPECT_TRUE(s.pipeline_groups.empty());
  RenderedReport rep = RenderReport(s);
  EXPECT_TRUE(Has(rep.summary_md, "No pipeline cell ran successfully."));
  EXPECT_TRUE(Has(rep.summary_md, "timed out after 10:00"));
}

}  // namespace
}  // namespace switchyard::report
