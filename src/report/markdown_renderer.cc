#include "report/markdown_renderer.h"

namespace switchyard::report {
namespace {

std::string Md(std::string_view s) { return EscapeMarkdown(s); }

bool InSummary(Formats f) { return f != Formats::kHtmlOnly; }

void AppendTable(std::string& m, const Table& t) {
  m += "|";
  for (const Column& c : t.columns) m += " " + Md(c.group.empty() ? c.title : c.group + " " + c.title) + " |";
  m += "\n|";
  for (const Column& c : t.columns) m += c.numeric ? " ---: |" : " --- |";
  m += "\n";
  for (const Row& row : t.rows) {
    m += "|";
    for (size_t j = 0; j < row.cells.size(); ++j) {
      const std::string& v = row.cells[j];
      const bool bold = row.best && !v.empty() && (!t.key_column || *t.key_column == j);
      m += " " + (bold ? "**" + Md(v) + "**" : Md(v)) + " |";
    }
    m += "\n";
  }
  if (t.blank_line_after_in_markdown) m += "\n";
}

void AppendBlock(std::string& m, const Document& doc, const Block& block) {
  if (const auto* p = std::get_if<Paragraph>(&block.content)) {
    m += Md(p->text) + "\n\n";
  } else if (const auto* list = std::get_if<StatementList>(&block.content)) {
    for (const auto& s : list->items) m += "- " + Md(s) + "\n";
    m += "\n";
  } else if (const auto* table = std::get_if<Table>(&block.content)) {
    AppendTable(m, *table);
  } else if (const auto* chart = std::get_if<Chart>(&block.content)) {
    const ChartFile& c = doc.charts.at(chart->index);
    m += "![" + Md(c.title) + "](charts/" + c.file_name + ")\n\n";
  }
}

}  // namespace

std::string RenderMarkdown(const Document& doc) {
  std::string m = "# " + Md(doc.title) + "\n\n";
  for (const MetaItem& item : doc.meta) {
    if (InSummary(item.formats)) m += "- " + item.term + ": " + Md(item.text) + "\n";
  }
  m += "\n";
  for (const Section& s : doc.sections) {
    if (!InSummary(s.formats)) continue;
    m += std::string(static_cast<size_t>(s.level), '#') + " " + Md(s.title) + "\n\n";
    for (const Block& b : s.blocks) {
      if (InSummary(b.formats)) AppendBlock(m, doc, b);
    }
  }
  return m;
}

std::string EscapeMarkdown(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20) continue;
    if (std::string_view("\\`*_[]<>&|~#!").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace switchyard::report
