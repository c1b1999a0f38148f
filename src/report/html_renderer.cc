#include "report/html_renderer.h"

#include <fmt/format.h>

#include "report/svg_chart.h"

namespace switchyard::report {
namespace {

constexpr const char* kCss = R"css(
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1100px;
       padding: 1.5em; color: #222; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
h3 { margin-top: 1.5em; }
.meta { color: #444; }
.meta dt { font-weight: 600; float: left; clear: left; width: 7em; }
.meta dd { margin-left: 7.5em; }
nav a { margin-right: 1em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #d0d0d0; padding: 0.25em 0.6em; }
th { background: #f3f3f3; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.best td { font-weight: 600; background: #eef6ee; }
tbody.group tr:first-child td { border-top: 2px solid #aaa; }
figure { margin: 1em 0 2em; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.85em; color: #555; }
.statements li { margin: 0.3em 0; }
.note { color: #555; font-size: 0.9em; }
.wrap { overflow-x: auto; }
footer { margin-top: 3em; color: #777; font-size: 0.85em; }
)css";

std::string Html(std::string_view s) { return EscapeXml(s); }

bool OnPage(Formats f) { return f != Formats::kMarkdownOnly; }

// The head row(s): one row of titles; with column groups, a row of the
// groups (spanning their columns) over the rest (spanning both rows) and a
// row of the grouped columns' titles.
void AppendHead(std::string& h, const std::vector<Column>& columns) {
  bool grouped = false;
  for (const Column& c : columns) grouped = grouped || !c.group.empty();
  if (!grouped) {
    h += "<thead><tr>";
    for (const Column& c : columns) h += "<th>" + Html(c.title) + "</th>";
    h += "</tr></thead>\n";
    return;
  }
  h += "<thead><tr>";
  for (size_t i = 0; i < columns.size();) {
    if (columns[i].group.empty()) {
      h += "<th rowspan=\"2\">" + Html(columns[i].title) + "</th>";
      ++i;
      continue;
    }
    size_t span = 1;
    while (i + span < columns.size() && columns[i + span].group == columns[i].group) ++span;
    h += fmt::format("<th colspan=\"{}\">", span) + Html(columns[i].group) + "</th>";
    i += span;
  }
  h += "</tr>\n<tr>";
  for (const Column& c : columns) {
    if (!c.group.empty()) h += "<th>" + Html(c.title) + "</th>";
  }
  h += "</tr>\n</thead>\n";
}

void AppendRow(std::string& h, const Table& t, const Row& row) {
  h += row.best ? "<tr class=\"best\">" : "<tr>";
  for (size_t j = 0; j < row.cells.size(); ++j) {
    const bool numeric = j < t.columns.size() && t.columns[j].numeric;
    h += numeric ? "<td class=\"num\">" : "<td>";
    h += Html(row.cells[j]) + "</td>";
  }
  h += "</tr>\n";
}

void AppendTable(std::string& h, const Table& t) {
  h += fmt::format("<div class=\"wrap\"><table class=\"{}\">\n", t.css_class);
  AppendHead(h, t.columns);
  if (t.bands.empty()) {
    h += "<tbody>\n";
    for (const Row& row : t.rows) AppendRow(h, t, row);
    h += "</tbody></table></div>\n";
    return;
  }
  size_t next = 0;
  for (size_t band : t.bands) {
    h += "<tbody class=\"group\">\n";
    for (size_t i = 0; i < band && next < t.rows.size(); ++i) AppendRow(h, t, t.rows[next++]);
    h += "</tbody>\n";
  }
  h += "</table></div>\n";
}

void AppendChart(std::string& h, const Document& doc, const Chart& chart) {
  const ChartFile& c = doc.charts.at(chart.index);
  const std::string note = chart.caption_note.empty() ? "" : chart.caption_note + "; ";
  h += "<figure>\n" + c.svg_inline + "<figcaption>" + Html(c.title) + " (" + Html(note) +
       "<a href=\"charts/" + Html(c.file_name) + "\">charts/" + Html(c.file_name) +
       "</a>)</figcaption>\n</figure>\n";
}

void AppendBlock(std::string& h, const Document& doc, const Block& block) {
  if (const auto* p = std::get_if<Paragraph>(&block.content)) {
    h += (p->note ? "<p class=\"note\">" : "<p>") + (p->literal_html ? p->text : Html(p->text)) + "</p>\n";
  } else if (const auto* list = std::get_if<StatementList>(&block.content)) {
    h += "<ul class=\"statements\">\n";
    for (const auto& s : list->items) h += "<li>" + Html(s) + "</li>\n";
    h += "</ul>\n";
  } else if (const auto* table = std::get_if<Table>(&block.content)) {
    AppendTable(h, *table);
  } else if (const auto* chart = std::get_if<Chart>(&block.content)) {
    AppendChart(h, doc, *chart);
  }
}

void AppendSection(std::string& h, const Document& doc, const Section& s) {
  const std::string id = s.id.empty() ? "" : " id=\"" + s.id + "\"";
  h += fmt::format("<h{}{}>", s.level, id) + Html(s.title) + fmt::format("</h{}>\n", s.level);
  for (const Block& b : s.blocks) {
    if (OnPage(b.formats)) AppendBlock(h, doc, b);
  }
}

}  // namespace

std::string RenderHtml(const Document& doc) {
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  h +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
      "img-src data:\">\n";
  h += "<title>" + Html(doc.title) + "</title>\n<style>" + kCss + "</style>\n</head>\n<body>\n";
  h += "<h1>" + Html(doc.title) + "</h1>\n";
  h += "<dl class=\"meta\">\n";
  for (const MetaItem& m : doc.meta) {
    if (OnPage(m.formats)) h += "<dt>" + Html(m.term) + "</dt><dd>" + Html(m.text) + "</dd>\n";
  }
  h += "</dl>\n";
  h += "<nav>";
  for (const Section& s : doc.sections) {
    if (OnPage(s.formats) && !s.nav.empty()) h += "<a href=\"#" + s.id + "\">" + Html(s.nav) + "</a>";
  }
  h += "</nav>\n";
  for (const Section& s : doc.sections) {
    if (OnPage(s.formats)) AppendSection(h, doc, s);
  }
  h += "<footer>Generated by <code>switchyard report</code>";
  if (!doc.source.empty()) h += " from <code>" + Html(doc.source) + "</code>";
  h += ".</footer>\n</body>\n</html>\n";
  return h;
}

}  // namespace switchyard::report
