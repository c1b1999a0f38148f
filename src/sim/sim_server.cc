#include "sim/sim_server.h"

#include <algorithm>
#include <cmath>

namespace switchyard {

namespace {

double NearestRank(std::vector<int64_t>& values, double q) {
  if (values.empty()) return 0;
  const double n = static_cast<double>(values.size());
  const size_t k = static_cast<size_t>(std::max(1.0, std::ceil(q * n))) - 1;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return static_cast<double>(values[k]);
}

}  // namespace

// The end of a switch's start cost: a wait on the machine.
class SimServer::Activation final : public TaskOwner {
 public:
  explicit Activation(SimServer& server) : server_(server) {}
  void OnTaskDone(uint64_t token, int64_t /*now_us*/) override { server_.Activate(token); }

 private:
  SimServer& server_;
};

// The front end's CPU work on a request: a CPU task on the machine.
class SimServer::FrontEnd final : public TaskOwner {
 public:
  explicit FrontEnd(SimServer& server) : server_(server) {}
  void OnTaskDone(uint64_t token, int64_t /*now_us*/) override { server_.Dispatch(token); }

 private:
  SimServer& server_;
};

SimServer::SimServer(const SimServerOptions& options)
    : options_(options), machine_(options.cores), predictor_(MakeEwmaPredictor()) {
  activation_ = std::make_unique<Activation>(*this);
  front_end_ = std::make_unique<FrontEnd>(*this);
}

SimServer::~SimServer() = default;

Result<std::unique_ptr<SimServer>> SimServer::Create(const SimServerOptions& options,
                                                     const Candidate& initial) {
  if (options.cores < 1)
    return InvalidArgument("cores must be at least 1, got " + std::to_string(options.cores));
  if (options.start_threads_us < 0 || options.start_processes_us < 0 || options.start_async_us < 0) {
    return InvalidArgument("a start cost must not be negative");
  }
  if (options.request_cpu_us < 0) return InvalidArgument("the per-request CPU cost must not be negative");
  std::unique_ptr<SimServer> server(new SimServer(options));
  auto first = server->Build(initial);
  if (!first.ok()) return first.status();
  server->current_ = std::move(first).value();
  server->serving_ = initial;
  return server;
}

Result<std::unique_ptr<ExecutorModel>> SimServer::Build(const Candidate& candidate) {
  return CreateExecutorModel(
      candidate, options_.executor, machine_,
      [this](const SimJob& job, int64_t start_us, int64_t now_us) { OnDone(job, start_us, now_us); });
}

uint64_t SimServer::Admit(const SimRequest& request) {
  SimJob job;
  job.id = next_id_++;
  job.cost_class = request.cost_class;
  job.kind = DemandKindOf(request.cost_class);
  job.demand_us = std::max<int64_t>(0, request.demand_us);
  job.arrival_us = machine_.now_us();
  job.connection = request.connection;
  job.client = request.client;
  job.priority = request.priority;
  PredictorFeatures f;
  f.cost_class = request.cost_class;
  f.in_system = static_cast<int64_t>(outstanding_.size());
  job.predicted_us =
      options_.oracle_prediction ? std::max<int64_t>(1, job.demand_us) : predictor_->PredictUs(f);
  const auto mix = static_cast<size_t>(job.cost_class.kind());
  ++window_admitted_.count[mix];
  window_admitted_.predicted_us[mix] += static_cast<double>(job.predicted_us);
  if (job.cost_class.kind() == CostKind::kSleep) window_sleep_us_ += static_cast<double>(job.demand_us);
  ++admitted_;
  outstanding_.insert(job.id);
  const uint64_t id = job.id;
  if (options_.request_cpu_us > 0) {
    reading_.emplace(id, std::move(job));
    machine_.StartCpu(front_end_.get(), id, options_.request_cpu_us);
  } else {
    current_->Admit(std::move(job));
  }
  return id;
}

void SimServer::Dispatch(uint64_t id) {
  auto it = reading_.find(id);
  SimJob job = std::move(it->second);
  reading_.erase(it);
  current_->Admit(std::move(job));
}

void SimServer::OnDone(const SimJob& job, int64_t start_us, int64_t now_us) {
  if (outstanding_.erase(job.id) == 0) {
    ++duplicates_;
    return;
  }
  ++completed_;
  window_latency_us_.push_back(now_us - job.arrival_us);
  if (!options_.oracle_prediction) {
    PredictorFeatures f;
    f.cost_class = job.cost_class;
    predictor_->Observe(f, now_us - start_us);
  }
  if (sink_ != nullptr) sink_->push_back({job.id, job.arrival_us, now_us});
}

void SimServer::RunUntil(int64_t t_us, std::vector<SimCompletion>& done) {
  sink_ = &done;
  machine_.RunUntil(t_us);
  sink_ = nullptr;
  ReapDrained();
}

void SimServer::ReapDrained() {
  std::erase_if(draining_, [](const std::unique_ptr<ExecutorModel>& e) { return e->in_system() == 0; });
}

Status SimServer::Apply(const Candidate& candidate, int64_t* start_us) {
  auto built = Build(candidate);
  if (!built.ok()) return built.status();
  if (starting_ != nullptr) {
    // A switch still starting is superseded: nothing was admitted to it.
    starting_.reset();
  }
  starting_ = std::move(built).value();
  starting_candidate_ = candidate;
  int64_t cost = options_.start_threads_us;
  if (candidate.executor() == ExecutorKind::kProcesses) cost = options_.start_processes_us;
  if (candidate.executor() == ExecutorKind::kAsync) cost = options_.start_async_us;
  if (start_us != nullptr) *start_us = cost;
  ++switches_;
  starting_token_ = static_cast<uint64_t>(switches_);
  if (cost == 0) {
    Activate(starting_token_);
  } else {
    machine_.StartWait(activation_.get(), starting_token_, cost);
  }
  return Status::Ok();
}

void SimServer::Activate(uint64_t token) {
  // A superseded switch's end of start: the later one activates on its own.
  if (starting_ == nullptr || token != starting_token_) return;
  draining_.push_back(std::move(current_));
  current_ = std::move(starting_);
  serving_ = starting_candidate_;
  ++activations_;
}

bool SimServer::Draining() const {
  if (starting_ != nullptr) return true;
  return std::any_of(draining_.begin(), draining_.end(),
                     [](const std::unique_ptr<ExecutorModel>& e) { return e->in_system() > 0; });
}

WindowStats SimServer::Observe() {
  ReapDrained();
  const int64_t now = machine_.now_us();
  WindowStats w;
  w.seconds = static_cast<double>(now - window_start_us_) / 1e6;
  const double secs = w.seconds > 0 ? w.seconds : 1;
  SetAdmitted(w, window_admitted_);
  w.wait_load =
      window_sleep_us_ / 1e6 / secs;  // the sleeps' own seconds per second, as the server counts them
  w.throughput = static_cast<double>(window_latency_us_.size()) / secs;
  if (options_.slo_ms > 0) {
    const auto within = std::count_if(window_latency_us_.begin(), window_latency_us_.end(), [&](int64_t l) {
      return static_cast<double>(l) <= options_.slo_ms * 1e3;
    });
    w.goodput = static_cast<double>(within) / secs;
  } else {
    w.goodput = w.throughput;
  }
  w.p95_ms = NearestRank(window_latency_us_, 0.95) / 1e3;
  w.p99_ms = NearestRank(window_latency_us_, 0.99) / 1e3;
  w.error_rate = 0;
  size_t queued = current_->queued() + (starting_ ? starting_->queued() : 0);
  for (const auto& e : draining_) queued += e->queued();
  w.queue_length = static_cast<double>(queued);
  w.in_system = static_cast<double>(outstanding_.size());
  const double span = static_cast<double>(now - window_start_us_) * static_cast<double>(options_.cores);
  w.cpu_utilisation = span > 0 ? std::min(1.0, (machine_.busy_core_us() - window_busy_start_) / span) : 0;

  window_start_us_ = now;
  window_busy_start_ = machine_.busy_core_us();
  window_admitted_ = {};
  window_sleep_us_ = 0;
  window_latency_us_.clear();
  return w;
}

}  // namespace switchyard
