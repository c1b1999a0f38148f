// The executor configuration's command-line flags, generated from the knob
// table (executor/config_keys.h): `serve` takes every knob of the flag
// dialect (--executor, --workers, --policy, ...), `simulate` the policy's.
// A bad value is refused by CLI11 with the flag named and the table's
// reason (exit 2 through the caller's parse).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "executor/config_keys.h"
#include "executor/executor.h"

namespace switchyard {

// Adds a flag for every knob of kFlagDialect that `which` accepts (every
// one when `which` is empty), writing into `config`, which must outlive the
// parse. Defaults shown in --help are `config`'s values now.
void AddConfigFlags(CLI::App& app, ExecutorConfig& config,
                    const std::function<bool(const ConfigKey&)>& which = nullptr);

// The scheduling policy's knobs: --policy and the policies' options.
bool IsPolicyKey(const ConfigKey& key);

}  // namespace switchyard
