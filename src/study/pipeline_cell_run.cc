#include "study/pipeline_cell_run.h"

#include <fmt/format.h>
#include <unistd.h>

#include "core/file_util.h"
#include "study/child_run.h"

namespace switchyard {
namespace {

using nlohmann::json;

std::string MinutesSeconds(int64_t us) {
  const int64_t s = (us + 500'000) / 1'000'000;
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

double NumberAt(const json& j, const json::json_pointer& at) {
  return j.contains(at) && j.at(at).is_number() ? j.at(at).get<double>() : 0.0;
}

}  // namespace

json PipelineConfigJson(const PipelineCellConfig& cell) {
  json config = {{"loader", cell.loader}, {"workers", cell.workers},   {"matrix_size", cell.matrix_size},
                 {"batch", cell.batch},   {"prefetch", cell.prefetch}, {"consumer_ms", cell.consumer_ms},
                 {"epochs", cell.epochs}};
  if (!cell.args.empty()) config["args"] = cell.args;
  return config;
}

json RunPipelineCell(const PipelineRunSetup& setup, const PipelineCellConfig& cell, json record) {
  record["config"] = PipelineConfigJson(cell);
  auto fail = [&](const std::string& why) {
    record["status"] = "failed";
    record["error"] = why;
    return record;
  };

  const std::string json_path = setup.scratch_dir + "/load.json";
  const std::string log_path = setup.scratch_dir + "/load.log";
  ::unlink(json_path.c_str());  // a summary left by an earlier run must not pass for this one's
  std::vector<std::string> argv = {setup.binary, "load", "--data", setup.data_dir};
  const std::vector<std::string> flags = cell.LoadArgs();
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.insert(argv.end(), {"--json", json_path, "--quiet"});

  auto outcome = RunChild(argv, log_path, setup.timeout_us);
  if (!outcome.ok()) return fail("cannot start switchyard load: " + outcome.status().message());
  record["exit_status"] = outcome->exit_status;
  record["run_wall_s"] = outcome->wall_s;

  // The summary, when the child wrote one (also with exit status 1: files
  // that could not be read are counted in it).
  if (auto text = ReadFile(json_path); text.ok()) {
    json summary = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (summary.is_object()) {
      summary.erase("timeline");
      record["pipeline"] = std::move(summary);
    }
  }
  if (outcome->timed_out) {
    return fail(fmt::format("switchyard load timed out after {} and was killed: {}",
                            MinutesSeconds(setup.timeout_us), outcome->output_tail));
  }
  if (outcome->exit_status != 0) {
    return fail(
        fmt::format("switchyard load exited with status {}: {}", outcome->exit_status, outcome->output_tail));
  }
  if (!record.contains("pipeline")) {
    return fail("switchyard load exited 0 but wrote no JSON summary: " + outcome->output_tail);
  }
  record["status"] = "ok";
  return record;
}

std::string PipelineProgressLine(const json& record) {
  const json p = record.value("pipeline", json::object());
  using P = json::json_pointer;
  return fmt::format(
      "{:.1f} items/s, {:.1f} MB/s, starvation {:.2f}, batch wait p99 {:.1f} ms, {:.2f} cores, PSS {:.0f} "
      "MB, "
      "cache {}",
      NumberAt(p, P("/items_per_s")), NumberAt(p, P("/mb_per_s")), NumberAt(p, P("/starvation")),
      NumberAt(p, P("/batch_wait_ms/p99")), NumberAt(p, P("/cpu/utilisation")),
      NumberAt(p, P("/pss_bytes")) / 1e6,
      p.contains(P("/cache/state")) && p.at(P("/cache/state")).is_string()
          ? p.at(P("/cache/state")).get<std::string>()
          : "?");
}

}  // namespace switchyard
