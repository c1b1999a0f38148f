// Triton's naming convention for PyTorch models, which have no tensor names
// of their own: a tensor named <name>__<index> is forward()'s index-th
// argument (an input) or its index-th result (an output), whatever <name>
// is — INPUT__0, input__0 and x__0 all name the first. switchyard follows it
// for a model without a config.toml; a config's names are the model's names.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace switchyard {

// The index a name carries under the convention: the decimal digits after
// its last "__" (at most 9 of them). nullopt when it carries none (no "__",
// nothing after it, anything but digits after it). Thread-safe (pure).
std::optional<size_t> ConventionIndex(std::string_view name);

}  // namespace switchyard
