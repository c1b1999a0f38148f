#include "workload/workload_runner.h"

#include <chrono>
#include <cstdio>
#include <thread>

namespace switchyard {

Result<std::unique_ptr<WorkloadRunner>> WorkloadRunner::Create(const WorkloadConfig& config) {
  std::unique_ptr<WorkloadRunner> runner(new WorkloadRunner());
  if (!config.db_path.empty()) {
    auto kv = KvReader::Open(config.db_path);
    if (!kv.ok()) return kv.status();
    runner->kv_ = std::move(kv).value();
  }
  return runner;
}

ScoreOutcome RunCpuScore(Sha256Chain& sha, const ScoreRequest& request) {
  ScoreOutcome out;
  out.result_json = JsonQuote(sha.ComputeHex(request.data, request.iters));
  return out;
}

ScoreOutcome WorkloadRunner::RunCpu(const ScoreRequest& request) { return RunCpuScore(sha_, request); }

ScoreOutcome WorkloadRunner::RunIo(const ScoreRequest& request) {
  ScoreOutcome out;
  if (kv_ == nullptr) {
    out.status = Status(StatusCode::kNotImplemented,
                        "mode io is unavailable: the server was started without --db");
    return out;
  }
  auto value = kv_->Get(request.key);
  if (!value.ok()) {
    out.status = value.status();
  } else {
    out.result_json = JsonQuote(value.value());
  }
  return out;
}

ScoreOutcome WorkloadRunner::Run(const ScoreRequest& request) {
  switch (request.mode) {
    case ScoreMode::kCpu: return RunCpu(request);
    case ScoreMode::kIo: return RunIo(request);
    case ScoreMode::kSleep: {
      std::this_thread::sleep_for(std::chrono::milliseconds(request.sleep_ms));
      ScoreOutcome out;
      out.result_json = std::to_string(request.sleep_ms);
      return out;
    }
  }
  ScoreOutcome out;
  out.status = Internal("unknown mode");
  return out;
}

std::string JsonQuote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace switchyard
