// Writing result files so that an interrupted run never leaves half a record.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace switchyard {

// Writes `content` to a temporary file beside `path`, flushes it to disk and
// renames it over `path`: readers see the old file or the whole new one.
// Thread-safe for distinct paths.
Status WriteFileAtomically(const std::string& path, std::string_view content);

// Appends `line` (which must end in '\n') to `path` with one write(2) on an
// O_APPEND descriptor, then fsync: a record is on disk whole or not at all
// (a crash can at worst leave a final line without its '\n', which readers
// skip). Creates the file if needed.
Status AppendLine(const std::string& path, std::string_view line);

// The whole file, or NotFound / Internal.
Result<std::string> ReadFile(const std::string& path);

}  // namespace switchyard
