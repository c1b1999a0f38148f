// ServerState: where the server is in its life — starting, serving,
// draining — as every route and the live switch read it.
//
// Thread-safety: atomics; Server::Run writes them, anything reads them.
#pragma once

#include <atomic>

#include "core/status.h"

namespace switchyard {

struct ServerState {
  std::atomic<bool> ready{false};          // workers up, serving
  std::atomic<bool> shutting_down{false};  // draining: no new work

  // Unavailable (503) with the reason new work is refused now, or Ok.
  Status Admitting() const {
    if (shutting_down.load()) return Unavailable("server is shutting down");
    if (!ready.load()) return Unavailable("workers are starting");
    return Status::Ok();
  }
};

}  // namespace switchyard
