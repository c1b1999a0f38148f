// SectionTable: one table of a report section, rendered twice — into the
// HTML page and into summary.md — from the same headers and cells.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace switchyard::report {

struct SectionTable {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;  // cells as displayed (escaped when rendered)
  std::vector<bool> bold;                      // per row; missing entries: not bold
  std::function<bool(size_t)> numeric;         // column j right-aligned; empty: none
};

// Appends `t` to `html` as a <table class="css_class"> (bold rows: class "best").
void AppendHtmlTable(std::string& html, const char* css_class, const SectionTable& t);
// Appends `t` to `md` as a Markdown table and a blank line (bold rows: each
// non-empty cell in **).
void AppendMarkdownTable(std::string& md, const SectionTable& t);

}  // namespace switchyard::report
