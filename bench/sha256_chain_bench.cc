// Micro-benchmarks of the cpu workload and the metrics hot path.
// serve_bench.py reads BM_Sha256Chain/100000 to get the in-process compute
// limit that the server's cpu throughput is compared against.
#include <benchmark/benchmark.h>

#include "metrics/latency_histogram.h"
#include "workload/sha256_chain.h"

namespace {

void BM_Sha256Chain(benchmark::State& state) {
  switchyard::Sha256Chain chain;
  const auto iters = static_cast<uint64_t>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(chain.Compute("", iters));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sha256Chain)->Arg(0)->Arg(1000)->Arg(100000)->Unit(benchmark::kMicrosecond);
// Two threads hashing at once: on an idle 2-core machine each should keep its
// single-thread rate; a lower rate means they share something (a lock, a
// reference count, a cache line).
BENCHMARK(BM_Sha256Chain)->Arg(100000)->Threads(2)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_HistogramRecord(benchmark::State& state) {
  static switchyard::LatencyHistogram histogram;
  int64_t v = 1;
  for (auto _ : state) {
    histogram.Record(v);
    v = (v * 1103515245 + 12345) & 0xfffff;
  }
}
BENCHMARK(BM_HistogramRecord)->Threads(1)->Threads(2);

}  // namespace

BENCHMARK_MAIN();
