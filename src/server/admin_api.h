// AdminApi: the routes that change or reset the server, behind a bearer
// token (--admin-token-file):
//   POST /admin/config       a JSON patch of the executor configuration
//                            (executor/config_json.h), switched to live
//   POST /admin/stats/reset  latency histograms and reply counters from zero
// Without a token every admin request is refused with 403.
//
// Thread-safety: the handlers are called from any event loop, concurrently.
// Lifetime: the slot, state and metrics outlive it.
#pragma once

#include <string>

#include "server/executor_slot.h"
#include "server/http_message.h"
#include "server/python_metrics.h"
#include "server/server_metrics.h"
#include "server/server_state.h"

namespace switchyard {

class AdminApi {
 public:
  // `token` empty: admin routes are disabled.
  AdminApi(std::string token, ExecutorSlot& slot, const ServerState& state, ServerMetrics& metrics,
           const PythonMetrics& python)
      : token_(std::move(token)), slot_(slot), state_(state), metrics_(metrics), python_(python) {}

  void HandleConfig(const HttpRequest& request, Responder respond);
  void HandleStatsReset(const HttpRequest& request, Responder respond);

 private:
  // False (and a 403 sent) unless the request carries the token.
  bool Allowed(const HttpRequest& request, const Responder& respond) const;

  const std::string token_;
  ExecutorSlot& slot_;
  const ServerState& state_;
  ServerMetrics& metrics_;
  const PythonMetrics& python_;
};

}  // namespace switchyard
