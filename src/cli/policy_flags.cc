#include "cli/policy_flags.h"

#include <cmath>
#include <cstdlib>

namespace switchyard {

Result<std::vector<int64_t>> ParseQuantaMs(const std::string& text) {
  std::vector<int64_t> quanta;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    char* rest = nullptr;
    const double ms = std::strtod(item.c_str(), &rest);
    if (item.empty() || rest == item.c_str() || *rest != '\0' || !std::isfinite(ms) || ms <= 0 || ms > 3.6e6) {
      return InvalidArgument("quantum '" + item + "' must be a positive number of milliseconds (e.g. 2,10,50)");
    }
    quanta.push_back(std::max<int64_t>(1, std::llround(ms * 1000)));
    start = end + 1;
  }
  return quanta;
}

void AddPolicyFlags(CLI::App& app, std::string& policy, PolicyOptions& options) {
  app.add_option("--policy", policy,
                 "Scheduling policy of the queue: fifo (arrival order), lifo (newest first), priority "
                 "(classes from the request's priority, FIFO within a class; --priority-levels, --aging-ms), "
                 "sjf (shortest predicted service first), mlfq (multi-level feedback queue; --mlfq-quanta-ms), "
                 "drr (deficit round robin across clients, X-Client-Id; --drr-quantum-ms)")
      ->check(CLI::IsMember(PolicyNames()))
      ->capture_default_str();
  app.add_option("--priority-levels", options.priority_levels,
                 "priority: classes 1 (most urgent) .. L; a request's priority 0 or none is class L, one "
                 "above L is refused (400)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option_function<double>(
         "--aging-ms", [&options](double ms) { options.aging_us = static_cast<int64_t>(ms * 1000); },
         "priority: a queued request moves up one class per this many ms waited, so no class starves "
         "(default 0: no aging)")
      ->check(CLI::Range(0.0, 3.6e6));
  app.add_option_function<std::string>(
         "--mlfq-quanta-ms",
         [&options](const std::string& text) {
           auto quanta = ParseQuantaMs(text);
           if (!quanta.ok()) throw CLI::ValidationError("--mlfq-quanta-ms", quanta.status().message());
           options.mlfq_quanta_us = std::move(quanta).value();
         },
         "mlfq: one quantum per level, top level first (default 2,10,50). Sliceable work (cpu chain, sleep) "
         "is preempted after its level's quantum and demoted; a model inference is placed by its predicted "
         "time")
      ->check([](const std::string& text) {
        auto quanta = ParseQuantaMs(text);
        if (!quanta.ok()) return quanta.status().message();
        if (quanta->size() > 16) return std::string("at most 16 levels");
        return std::string();
      });
  app.add_option_function<double>(
         "--mlfq-boost-ms", [&options](double ms) { options.mlfq_boost_us = std::llround(ms * 1000); },
         "mlfq: every this many ms all waiting work returns to the top level, so long requests cannot starve "
         "behind a stream of short ones (default 100; 0: never)")
      ->check(CLI::Range(0.0, 3.6e6));
  app.add_option_function<double>(
         "--drr-quantum-ms", [&options](double ms) { options.drr_quantum_us = std::llround(ms * 1000); },
         "drr: service (predicted) credited to each waiting client per round (default 1)")
      ->check(CLI::Range(0.001, 3.6e6));
}

}  // namespace switchyard
