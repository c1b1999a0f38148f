// The scheduling-policy flags `serve` and `simulate` share: --policy and each
// policy's options, with one wording and one set of checks.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "policy/policy.h"

namespace switchyard {

// Adds --policy, --priority-levels, --aging-ms, --mlfq-quanta-ms and
// --drr-quantum-ms, writing into `policy` and `options`. Bad values are
// refused by CLI11 with the flag named (exit 2 through the caller's parse).
void AddPolicyFlags(CLI::App& app, std::string& policy, PolicyOptions& options);

// "2,10,50" (ms, decimals allowed) -> {2000, 10000, 50000} µs; InvalidArgument
// naming the item that is not a positive number.
Result<std::vector<int64_t>> ParseQuantaMs(const std::string& text);

}  // namespace switchyard
