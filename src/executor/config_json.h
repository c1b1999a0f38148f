// The executor configuration as JSON: the POST /admin/config patch and the
// "config" object of /stats and of the admin reply. Both go through the knob
// table (executor/config_keys.h), dialect kAdminDialect.
//
// Pure functions: thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "executor/executor.h"

namespace switchyard {

// Applies every field of `patch` (a JSON object of admin knobs, e.g.
// {"executor":"processes","workers":4}) to `config`, then validates the
// whole. InvalidArgument naming the field and the problem: not an object,
// an unknown field (the known ones listed), a wrong type, a value out of
// range. `config` may be partly changed on failure: patch a copy.
Status ApplyConfigPatch(const nlohmann::json& patch, ExecutorConfig& config);

// {"executor":"threads","workers":2,"policy":"fifo",...,"policy_options":{...}}:
// the admin knobs that mean something for config.kind.
nlohmann::json ConfigJson(const ExecutorConfig& config);

}  // namespace switchyard
