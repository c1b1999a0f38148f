// Markdown text for the report's summary.md: user-supplied text (study,
// workload and cell names, errors) escaped so it neither formats nor breaks
// a table.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace switchyard::report {

// Backslash-escapes what would format or break a table (`\`*_[]<>&|~#!`),
// turns newlines and tabs into spaces and drops other control characters:
// no raw HTML gets through.
std::string EscapeMarkdown(std::string_view s);

}  // namespace switchyard::report
