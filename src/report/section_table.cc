#include "report/section_table.h"

#include <fmt/format.h>

#include "report/markdown.h"
#include "report/svg_chart.h"

namespace switchyard::report {
namespace {

bool Bold(const SectionTable& t, size_t row) { return row < t.bold.size() && t.bold[row]; }
bool Numeric(const SectionTable& t, size_t column) { return t.numeric && t.numeric(column); }

}  // namespace

void AppendHtmlTable(std::string& html, const char* css_class, const SectionTable& t) {
  html += fmt::format("<div class=\"wrap\"><table class=\"{}\">\n<thead><tr>", css_class);
  for (const auto& h : t.headers) html += "<th>" + EscapeXml(h) + "</th>";
  html += "</tr></thead>\n<tbody>\n";
  for (size_t i = 0; i < t.rows.size(); ++i) {
    html += Bold(t, i) ? "<tr class=\"best\">" : "<tr>";
    for (size_t j = 0; j < t.rows[i].size(); ++j) {
      html += Numeric(t, j) ? "<td class=\"num\">" : "<td>";
      html += EscapeXml(t.rows[i][j]) + "</td>";
    }
    html += "</tr>\n";
  }
  html += "</tbody></table></div>\n";
}

void AppendMarkdownTable(std::string& md, const SectionTable& t) {
  md += "|";
  for (const auto& h : t.headers) md += " " + EscapeMarkdown(h) + " |";
  md += "\n|";
  for (size_t j = 0; j < t.headers.size(); ++j) md += Numeric(t, j) ? " ---: |" : " --- |";
  md += "\n";
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const bool bold = Bold(t, i);
    md += "|";
    for (const auto& v : t.rows[i])
      md += " " + (bold && !v.empty() ? "**" + EscapeMarkdown(v) + "**" : EscapeMarkdown(v)) + " |";
    md += "\n";
  }
  md += "\n";
}

}  // namespace switchyard::report
