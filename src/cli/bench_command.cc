#include "cli/bench_command.h"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "core/file_util.h"
#include "loadgen/bench_summary.h"
#include "core/duration.h"
#include "loadgen/load_generator.h"

namespace switchyard {
namespace {

int Fail(const std::string& message, int code = 2) {
  std::fprintf(stderr, "switchyard bench: %s\n", message.c_str());
  return code;
}

}  // namespace

void AddBenchFlags(CLI::App& app, BenchFlags& f) {
  app.add_option("--url", f.url, "Target, http://HOST:PORT/PATH on loopback (default http://127.0.0.1:8080/score)");
  app.add_option("--connections,-c", f.connections,
                 "Closed loop: clients, each sending when its last request is answered. Open loop (--rate): "
                 "the most connections to use (default 16; 256 with --rate)")
      ->check(CLI::Range(1, kMaxConnections));
  app.add_option("--rate,-r", f.rate,
                 "Open loop: requests per second on a precomputed schedule; latency counts from the scheduled "
                 "time, so a stalling server cannot hide its stall")
      ->check(CLI::PositiveNumber);
  app.add_option("--arrivals", f.arrivals, "Open loop: poisson (default) or constant gaps")
      ->check(CLI::IsMember({"poisson", "constant"}));
  app.add_option("--duration,-d", f.duration, "Measured time, like 10s, 500ms, 2m (default 10s)");
  app.add_option("--warmup", f.warmup, "Load before measuring, not counted (default 1s; 0s for none)");
  app.add_option("--requests,-n", f.requests, "Stop after this many measured requests (within --duration)")
      ->check(CLI::PositiveNumber);
  app.add_option("--mix,-m", f.mix,
                 "Request mix: KIND[:NAME=VALUE]...[:WEIGHT],... with kinds cpu (iters, data), io (key | keys), "
                 "sleep (ms), get, infer (model, version, shape, datatype, max, input, value, binary: a KServe v2 "
                 "request to /v2/models/MODEL/infer; binary=1 sends the tensor as binary data and asks for the "
                 "outputs in binary); e.g. cpu:iters=100000:3,io:1,sleep:ms=20:1 or "
                 "infer:model=mobilenet_v2:shape=1x3x32x32. Every kind also takes client=NAME (sent as the "
                 "header X-Client-Id: NAME; NAME is 1-64 of A-Z a-z 0-9 _ . -) and label=NAME (the entry's name "
                 "in reports; default its own text, e.g. cpu:iters=1000; unique within the mix); cpu, io and "
                 "sleep also priority=N (body field \"priority\", N >= 0) and timeout_us=N (body field "
                 "\"timeout_us\", the request's deadline; the server answers 504 when it passes while queued). "
                 "The report breaks results down per entry and per client, with Jain's fairness index across "
                 "named clients; e.g. cpu:iters=20000:client=a:3,cpu:iters=20000:client=b:timeout_us=50000:1. "
                 "@FILE reads it from FILE (default cpu:iters=1000)");
  app.add_option("--phases", f.phases_file,
                 "TOML file of [[phase]] tables (duration, rate or connections, mix, arrivals) run back to "
                 "back; replaces --duration, --rate, --connections and --mix")
      ->check(CLI::ExistingFile);
  app.add_option("--json", f.json_file, "Write the summary as JSON here (schema: docs/results-schema.md)");
  app.add_option("--csv", f.csv_file, "Write the per-second time series as CSV here");
  app.add_option("--threads,-t", f.threads, "Generator threads, each with its own connections (default 1)")
      ->check(CLI::Range(1, 64));
  app.add_option("--seed", f.seed, "Seed of the arrival schedule and the mix (default 1)");
  app.add_option("--timeout", f.timeout, "A request without an answer after this long is an error (default 10s)");
  app.add_option("--protocol", f.protocol,
                 "http (default), or grpc: send the mix's infer entries as KServe v2 gRPC ModelInfer calls "
                 "(the tensor as raw_input_contents) to the URL's host and port — the server's --grpc-port, "
                 "e.g. --url http://127.0.0.1:8001 --protocol grpc, or just --url grpc://127.0.0.1:8001; "
                 "every entry must be infer")
      ->check(CLI::IsMember({"http", "grpc"}));
  app.add_flag("--allow-errors", f.allow_errors, "Exit 0 even when some requests failed");
  app.add_flag("--quiet,-q", f.quiet, "No progress line on stderr");
  app.footer(
      "Exit status: 0 all requests succeeded; 1 the target could not be reached or nothing succeeded; "
      "2 bad flags or files; 3 some requests failed (see --allow-errors).");
}

int RunBench(const BenchFlags& f, const CLI::App& app) {
  LoadOptions options;
  // grpc://HOST:PORT is the gRPC service's address, as gRPC tools write it.
  std::string url = f.url;
  std::string protocol = f.protocol;
  if (url.rfind("grpc://", 0) == 0) {
    if (app.count("--protocol") > 0 && protocol != "grpc") {
      return Fail("--url " + url + " is a gRPC address, but --protocol says " + protocol);
    }
    protocol = "grpc";
    url = "http://" + url.substr(7);
  }
  auto target = TargetUrl::Parse(url);
  if (!target.ok()) return Fail(target.status().message());
  options.target = *target;
  auto warmup = ParseDurationUs(f.warmup);
  if (!warmup.ok()) return Fail("--warmup: " + warmup.status().message());
  options.warmup_us = *warmup;
  auto timeout = ParseDurationUs(f.timeout);
  if (!timeout.ok() || *timeout <= 0) return Fail("--timeout: " + (timeout.ok() ? "must be positive" : timeout.status().message()));
  options.timeout_us = *timeout;
  options.threads = f.threads;
  options.seed = f.seed;
  options.protocol = protocol == "grpc" ? LoadProtocol::kGrpc : LoadProtocol::kHttp;
  if (f.requests > 0) options.max_requests = f.requests;

  if (!f.phases_file.empty()) {
    for (const char* flag : {"--rate", "--connections", "--duration", "--mix", "--arrivals"}) {
      if (app.count(flag) > 0) return Fail(std::string(flag) + " cannot be combined with --phases (the file says it per phase)");
    }
    auto phases = LoadPhasesFile(f.phases_file);
    if (!phases.ok()) return Fail(phases.status().message());
    options.phases = std::move(phases).value();
  } else {
    LoadPhase phase;
    phase.name = "run";
    auto duration = ParseDurationUs(f.duration);
    if (!duration.ok() || *duration <= 0) {
      return Fail("--duration: " + (duration.ok() ? "must be longer than zero" : duration.status().message()));
    }
    phase.duration_us = *duration;
    auto mix = RequestMix::Parse(f.mix);
    if (!mix.ok()) return Fail("--mix: " + mix.status().message());
    phase.mix = std::move(mix).value();
    if (f.rate > 0) {
      phase.rate = f.rate;
      phase.connections = app.count("--connections") > 0 ? f.connections : kDefaultOpenLoopConnections;
      phase.arrivals = *ParseArrivals(f.arrivals);
    } else {
      if (app.count("--arrivals") > 0) return Fail("--arrivals needs --rate (open loop)");
      phase.connections = f.connections;
    }
    options.phases.push_back(std::move(phase));
  }
  if (!f.quiet) {
    options.progress = [](const LoadProgress& p) {
      if (p.warming_up) {
        std::fprintf(stderr, "\r  warming up  %5.1f / %.1f s        ", p.elapsed_s, p.total_s);
      } else {
        std::fprintf(stderr, "\r  phase %d  %5.1f / %.1f s  sent %llu  answered %llu  errors %llu   ", p.phase + 1,
                     p.elapsed_s, p.total_s, static_cast<unsigned long long>(p.sent),
                     static_cast<unsigned long long>(p.requests), static_cast<unsigned long long>(p.errors));
      }
      std::fflush(stderr);
    };
  }

  RunDescription run;
  run.url = options.protocol == LoadProtocol::kGrpc
                ? "grpc://" + options.target.host + ":" + std::to_string(options.target.port)
                : options.target.ToString();
  run.started_at = UtcNowRfc3339();
  run.warmup_us = options.warmup_us;
  run.phases = options.phases;
  auto result = RunLoad(options);
  if (!f.quiet) std::fprintf(stderr, "\r%80s\r", "");
  if (!result.ok()) return Fail(result.status().message(), result.status().code() == StatusCode::kUnavailable ? 1 : 2);

  nlohmann::json summary = SummaryJson(run, *result);
  std::fputs(HumanSummary(run, summary).c_str(), stdout);
  if (!f.json_file.empty()) {
    Status s = WriteFileAtomically(f.json_file, summary.dump(2) + "\n");
    if (!s.ok()) return Fail(s.message());
  }
  if (!f.csv_file.empty()) {
    Status s = WriteFileAtomically(f.csv_file, TimeseriesCsv(*result));
    if (!s.ok()) return Fail(s.message());
  }
  const uint64_t ok = summary["ok"].get<uint64_t>();
  const uint64_t errors = summary["errors"].get<uint64_t>();
  if (ok == 0) {
    return Fail(summary["requests"].get<uint64_t>() == 0 ? "no request was answered"
                                                          : "no request succeeded (every answer was an error)",
                1);
  }
  if (errors > 0 && !f.allow_errors) {
    std::fprintf(stderr, "switchyard bench: %llu of %llu requests failed (--allow-errors to exit 0)\n",
                 static_cast<unsigned long long>(errors),
                 static_cast<unsigned long long>(summary["requests"].get<uint64_t>()));
    return 3;
  }
  return 0;
}

}  // namespace switchyard
