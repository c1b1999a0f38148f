// The report as a document: sections holding paragraphs, statement lists,
// tables and charts, built once by the sections of each study kind
// (report/server_section.h, pipeline_section.h, adaptive_section.h) and
// rendered twice — to the self-contained HTML page (report/html_renderer.h)
// and to the Markdown summary (report/markdown_renderer.h). Text is plain:
// each renderer escapes it for its format.
//
// The page and the summary say the same things, with a few differences a
// block or a section states with its `formats`: the page places the charts
// right after the summary tables and the summary, read as text, after the
// statements; some notes are worded for one of them.
//
// Thread-safety: plain values.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace switchyard::report {

// Where a block or a section appears.
enum class Formats { kBoth, kHtmlOnly, kMarkdownOnly };

// A chart of the report: the SVG file written to charts/ and the same chart
// inlined into the page.
struct ChartFile {
  std::string file_name;  // inside charts/, e.g. "cpu-throughput-vs-p99.svg"
  std::string title;
  std::string workload;
  std::string svg;         // the standalone document
  std::string svg_inline;  // the same chart as an <svg> element for the page
};

struct Paragraph {
  std::string text;
  bool note = false;  // an explanation of the figures around it (set in smaller, grey type on the page)
  // The page takes the text as it stands, unescaped: the summary's note,
  // fixed text of the report's own that the page has always carried so (its
  // apostrophes unescaped).
  bool literal_html = false;
};

// Statements, one per item (crossover points, targets, best loaders).
struct StatementList {
  std::vector<std::string> items;
};

struct Column {
  std::string title;
  bool numeric = false;  // right-aligned
  // The title of the group of columns this one belongs to ("" none): the
  // page heads consecutive columns of a group with one spanning cell, the
  // summary writes "group title" over each.
  std::string group;
};

struct Row {
  std::vector<std::string> cells;
  bool best = false;  // highlighted: the best configuration, loader, candidate
};

struct Table {
  std::string css_class;  // the page's class: "summary", "entries", "config", ...
  std::vector<Column> columns;
  std::vector<Row> rows;
  // The rows in bands, by size (the page rules a line between bands: one per
  // load point); empty: one band.
  std::vector<size_t> bands;
  // In the summary a best row is bold in this column only (the
  // configuration's name); without one, in every non-empty cell.
  std::optional<size_t> key_column;
  // The server configuration table, last in summary.md, has always ended
  // the file without a blank line after it.
  bool blank_line_after_in_markdown = true;
};

// A chart of Document::charts in place.
struct Chart {
  size_t index = 0;
  std::string caption_note;  // the page's caption says it before the file's link
};

struct Block {
  std::variant<Paragraph, StatementList, Table, Chart> content;
  Formats formats = Formats::kBoth;
};

// A heading and what follows it up to the next heading. Sections are listed
// flat, in order; their levels nest them.
struct Section {
  Section() = default;
  Section(int level_of_heading, std::string anchor, std::string heading, std::string nav_label = "",
          Formats formats_of_section = Formats::kBoth)
      : level(level_of_heading),
        id(std::move(anchor)),
        title(std::move(heading)),
        nav(std::move(nav_label)),
        formats(formats_of_section) {}

  int level = 2;   // 2 to 4: <h2> / "##" ...
  std::string id;  // the page's anchor ("" none)
  std::string title;
  std::string nav;  // a top-level section's link text in the page's navigation ("" none)
  Formats formats = Formats::kBoth;
  std::vector<Block> blocks;

  Section& Text(std::string text, Formats formats_of_block = Formats::kBoth);
  Section& Note(std::string text, Formats formats_of_block = Formats::kBoth);
  // A note the page carries as literal HTML (Paragraph::literal_html).
  Section& LiteralHtmlNote(std::string html);
  Section& Statements(std::vector<std::string> items);
  Section& Add(Table table);
  Section& Add(Chart chart);
};

// An entry of the head of the report (study, date, machine, ...).
struct MetaItem {
  std::string term;
  std::string text;
  Formats formats = Formats::kBoth;
};

struct Document {
  std::string title;
  std::vector<MetaItem> meta;
  std::vector<Section> sections;
  std::vector<ChartFile> charts;  // every chart, in the order the files are listed
  std::string source;             // the results file, named in the page's footer ("" none)

  // Appends `c` to the charts; the block that places it.
  Chart AddChart(ChartFile c, std::string caption_note = "");
};

}  // namespace switchyard::report
