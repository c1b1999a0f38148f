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

double ValueOr0(const std::optional<results::Number>& n) { return n ? n->value() : 0.0; }

}  // namespace

results::PipelineCellSettings PipelineSettingsOf(const PipelineCellConfig& cell) {
  results::PipelineCellSettings config;
  config.loader = cell.loader;
  config.workers = cell.workers;
  config.matrix_size = cell.matrix_size;
  config.batch = cell.batch;
  config.prefetch = cell.prefetch;
  config.consumer_ms = cell.consumer_ms;
  config.epochs = cell.epochs;
  if (!cell.args.empty()) config.args = cell.args;
  return config;
}

results::RunRecord RunPipelineCell(const PipelineRunSetup& setup, const PipelineCellConfig& cell,
                                   results::RunRecord record) {
  auto* existing = std::get_if<results::PipelineBody>(&record.body);
  results::PipelineBody& body = existing ? *existing : record.body.emplace<results::PipelineBody>();
  body.config = PipelineSettingsOf(cell);
  auto fail = [&](const std::string& why) {
    record.status = results::RunStatus::kFailed;
    record.error = why;
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
  body.exit_status = outcome->exit_status;
  body.run_wall_s = outcome->wall_s;

  // The summary, when the child wrote one (also with exit status 1: files
  // that could not be read are counted in it).
  if (auto text = ReadFile(json_path); text.ok()) {
    json summary = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (summary.is_object()) {
      summary.erase("timeline");
      auto typed = results::PartFromJson<results::LoadSummary>(summary);
      if (!typed.ok()) {
        return fail("switchyard load wrote a summary the results record cannot hold (`pipeline`): " +
                    typed.status().message());
      }
      body.pipeline = std::move(*typed);
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
  if (!body.pipeline) {
    return fail("switchyard load exited 0 but wrote no JSON summary: " + outcome->output_tail);
  }
  record.status = results::RunStatus::kOk;
  return record;
}

std::string PipelineProgressLine(const results::PipelineBody& body) {
  const results::LoadSummary p = body.pipeline.value_or(results::LoadSummary{});
  const std::optional<results::Number> none;
  return fmt::format(
      "{:.1f} items/s, {:.1f} MB/s, starvation {:.2f}, batch wait p99 {:.1f} ms, {:.2f} cores, PSS {:.0f} "
      "MB, "
      "cache {}",
      ValueOr0(p.items_per_s), ValueOr0(p.mb_per_s), ValueOr0(p.starvation),
      ValueOr0(p.batch_wait_ms ? p.batch_wait_ms->p99 : none), ValueOr0(p.cpu ? p.cpu->utilisation : none),
      ValueOr0(p.pss_bytes) / 1e6, p.cache && p.cache->state ? *p.cache->state : "?");
}

}  // namespace switchyard
