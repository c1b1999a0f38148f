#include "report/report.h"

#include <fmt/format.h>

#include <utility>

#include "report/adaptive_section.h"
#include "report/format.h"
#include "report/html_renderer.h"
#include "report/markdown_renderer.h"
#include "report/pipeline_section.h"
#include "report/server_section.h"

namespace switchyard::report {
namespace {

std::string MachineText(const Study& s) {
  if (!s.machine) return kNa;
  const results::Machine& m = *s.machine;
  const std::string cpu = m.cpu.value_or(""), kernel = m.kernel.value_or(""), host = m.hostname.value_or("");
  std::vector<std::string> parts;
  parts.push_back(m.cores ? fmt::format("{} cores", *m.cores) : std::string("cores n/a"));
  parts.push_back(cpu.empty() ? std::string("CPU n/a") : cpu);
  parts.push_back(kernel.empty() ? std::string("kernel n/a") : "kernel " + kernel);
  if (Figure memory = FigureOf(m.memory_gib)) parts.push_back(fmt::format("{:.1f} GiB memory", *memory));
  if (!host.empty()) parts.push_back("host " + host);
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  if (s.several_machines) out += " (the results come from more than one machine; this is the first)";
  return out;
}

std::string DateText(const Study& s) {
  if (s.first_started_at.empty()) return kNa;
  if (s.last_started_at.empty() || s.last_started_at == s.first_started_at) return s.first_started_at;
  return s.first_started_at + " to " + s.last_started_at;
}

std::string RecordsText(const Study& s) {
  return fmt::format(
      "{} records: {} successful runs, {} failed{}", s.records, s.ok_records, s.failed.size(),
      s.superseded_failures > 0
          ? fmt::format(" ({} earlier failures were re-run successfully)", s.superseded_failures)
          : "");
}

// Study (the page only: the summary's title names it), date, machine,
// results, and the lines skipped while reading.
std::vector<MetaItem> MetaOf(const Study& study, const std::string& name) {
  std::vector<MetaItem> meta = {{"Study", name, Formats::kHtmlOnly},
                                {"Date", DateText(study), Formats::kBoth},
                                {"Machine", MachineText(study), Formats::kBoth},
                                {"Results", RecordsText(study), Formats::kBoth}};
  for (const auto& w : study.warnings) meta.push_back({"Warning", w, Formats::kBoth});
  return meta;
}

// Every failed run no later success replaced, of any kind.
Section FailedSection(const Study& study) {
  Section s{2, "failed", "Failed cells", "Failed cells"};
  if (study.failed.empty()) {
    s.Text("None: every cell ran.");
    return s;
  }
  Table t;
  t.css_class = "failed";
  t.columns = {{"Cell", false, ""},     {"Repetition", true, ""}, {"Workload", false, ""},
               {"Executor", false, ""}, {"Error", false, ""},     {"Line", true, ""}};
  for (const auto& f : study.failed) {
    t.rows.push_back({{f.cell, std::to_string(f.repetition), f.workload.empty() ? kNa : f.workload,
                       f.series.empty() ? kNa : f.series, f.error, std::to_string(f.line)},
                      false});
  }
  s.Add(std::move(t));
  return s;
}

}  // namespace

RenderedReport RenderReport(const Study& study, const ReportOptions& options) {
  const std::string name = study.name.empty() ? "(unnamed study)" : study.name;
  Document doc;
  doc.title = "switchyard report: " + name;
  doc.meta = MetaOf(study, name);
  doc.source = options.source;

  // The sections of each kind of record, in the order the page shows them;
  // each adds its charts to the document as it goes (server, pipeline,
  // adaptive: the order of the chart files too).
  ServerSections server = ServerSectionsOf(study, options.tie_fraction, doc);
  PipelineSections pipeline = PipelineSectionsOf(study, options.tie_fraction, doc);
  AdaptiveSections adaptive = AdaptiveSectionsOf(study, doc);
  // The server sections show unless every record is of another kind.
  const bool server_sections =
      study.server_records > 0 || (study.pipeline_records == 0 && study.adaptive_records == 0);
  if (server_sections) {
    for (Section& s : server.sections) doc.sections.push_back(std::move(s));
  }
  for (Section& s : pipeline.sections) doc.sections.push_back(std::move(s));
  for (Section& s : adaptive.sections) doc.sections.push_back(std::move(s));
  doc.sections.push_back(FailedSection(study));
  if (server_sections) doc.sections.push_back(std::move(server.configuration));

  RenderedReport out;
  out.index_html = RenderHtml(doc);
  out.summary_md = RenderMarkdown(doc);
  out.charts = std::move(doc.charts);
  out.crossover_statements = std::move(server.crossover_statements);
  out.pipeline_statements = std::move(pipeline.statements);
  out.adaptive_statements = std::move(adaptive.statements);
  return out;
}

}  // namespace switchyard::report
