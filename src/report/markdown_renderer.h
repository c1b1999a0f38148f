// The report's document (report/document.h) as the Markdown summary
// (summary.md): headings, paragraphs, "- " statements, pipe tables, and the
// charts as links to charts/*.svg. Every block is followed by a blank line.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "report/document.h"

namespace switchyard::report {

std::string RenderMarkdown(const Document& doc);

// User-supplied text (study, workload and cell names, errors) escaped so it
// neither formats nor breaks a table: backslash-escapes `\`*_[]<>&|~#!`,
// turns newlines and tabs into spaces and drops other control characters,
// so no raw HTML gets through.
std::string EscapeMarkdown(std::string_view s);

}  // namespace switchyard::report
