// IPC round trip of the processes executor, without HTTP: the server end
// sends one empty request to a forked worker process that echoes it back,
// and waits for the reply. This is the per-request cost `--ipc shm|pipe` adds
// (twice a cross-process wake-up unless the waiting side busy-polls).
//
//   BM_RoundTrip/<ipc>/<spin_us>   ipc 0 = shm, 1 = pipe; spin_us only for shm
//
// The worker is a real child process (forked before the benchmark starts any
// thread of its own), so the figure includes what crossing address spaces
// costs, as in the server.
#include <benchmark/benchmark.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>

#include "executor/process/ipc_channel.h"

namespace {

using switchyard::IpcKind;

void BM_RoundTrip(benchmark::State& state) {
  const auto kind = state.range(0) == 0 ? IpcKind::kShm : IpcKind::kPipe;
  switchyard::ChannelOptions options;
  options.max_payload_bytes = 4096;
  options.spin_us = static_cast<int>(state.range(1));
  auto ends = switchyard::CreateChannel(kind, options);
  if (!ends.ok()) {
    state.SkipWithError(ends.status().ToString().c_str());
    return;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    state.SkipWithError("fork failed");
    return;
  }
  if (pid == 0) {
    ends->parent.reset();
    auto worker = switchyard::OpenWorkerChannel(kind, std::move(ends->worker_fds), options);
    if (!worker.ok() || !(*worker)->Send(switchyard::WorkerReply{}).ok()) ::_exit(1);
    switchyard::ScoreRequest request;
    switchyard::WorkerReply reply;
    while ((*worker)->Receive(request)) {
      if (!(*worker)->Send(reply).ok()) break;
    }
    ::_exit(0);
  }
  ends->worker_fds.clear();  // only the worker holds its end (the lifeline)
  auto& parent = *ends->parent;
  if (!parent.Receive(switchyard::kNoDeadline).ok()) {
    state.SkipWithError("the worker did not start");
  } else {
    switchyard::ScoreRequest request;
    for (auto _ : state) {
      if (!parent.Send(request).ok() || !parent.Receive(switchyard::kNoDeadline).ok()) {
        state.SkipWithError("the worker went away");
        break;
      }
    }
  }
  parent.RequestExit();
  ends->parent.reset();
  ::waitpid(pid, nullptr, 0);
}
BENCHMARK(BM_RoundTrip)
    ->ArgNames({"ipc", "spin_us"})
    ->Args({0, 0})
    ->Args({0, 50})
    ->Args({1, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a dead worker shows up as EPIPE
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
