#include "report/document.h"

#include <utility>

namespace switchyard::report {

Section& Section::Text(std::string text, Formats formats_of_block) {
  blocks.push_back({Paragraph{std::move(text), false, false}, formats_of_block});
  return *this;
}

Section& Section::Note(std::string text, Formats formats_of_block) {
  blocks.push_back({Paragraph{std::move(text), true, false}, formats_of_block});
  return *this;
}

Section& Section::LiteralHtmlNote(std::string html) {
  blocks.push_back({Paragraph{std::move(html), true, true}, Formats::kHtmlOnly});
  return *this;
}

Section& Section::Statements(std::vector<std::string> items) {
  blocks.push_back({StatementList{std::move(items)}, Formats::kBoth});
  return *this;
}

Section& Section::Add(Table table) {
  blocks.push_back({std::move(table), Formats::kBoth});
  return *this;
}

Section& Section::Add(Chart chart) {
  blocks.push_back({std::move(chart), Formats::kBoth});
  return *this;
}

Chart Document::AddChart(ChartFile c, std::string caption_note) {
  charts.push_back(std::move(c));
  return Chart{charts.size() - 1, std::move(caption_note)};
}

}  // namespace switchyard::report
