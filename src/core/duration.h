// Durations as people write them on a command line or in a study file:
// "10s", "500ms", "2m", "1h", "250us", "1.5s".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace switchyard {

// Microseconds in `text`. A unit is required (us, ms, s, m, h); the number
// may have a fraction; negative, empty or unit-less text is InvalidArgument
// with a message that shows the accepted forms. Thread-safe (pure).
Result<int64_t> ParseDurationUs(std::string_view text);

// The shortest of those forms that states `us` exactly ("20s", "500ms").
std::string FormatDuration(int64_t us);

}  // namespace switchyard
