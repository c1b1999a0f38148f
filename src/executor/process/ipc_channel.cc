// CreateChannel / OpenWorkerChannel: pick the implementation for an IpcKind.
#include "executor/process/ipc_channel.h"

namespace switchyard {

Result<ChannelEnds> CreateChannel(IpcKind kind, const ChannelOptions& options) {
  return kind == IpcKind::kShm ? CreateShmChannel(options) : CreatePipeChannel(options);
}

Result<std::unique_ptr<WorkerChannel>> OpenWorkerChannel(IpcKind kind, std::vector<UniqueFd> fds,
                                                         const ChannelOptions& options) {
  if (fds.size() != WorkerFdCount(kind)) {
    return InvalidArgument("ipc " + std::string(IpcKindName(kind)) + " needs " +
                           std::to_string(WorkerFdCount(kind)) + " descriptors, got " +
                           std::to_string(fds.size()));
  }
  return kind == IpcKind::kShm ? OpenShmWorkerChannel(std::move(fds), options)
                               : OpenPipeWorkerChannel(std::move(fds), options);
}

size_t WorkerFdCount(IpcKind kind) { return kind == IpcKind::kShm ? 4 : 2; }

}  // namespace switchyard
