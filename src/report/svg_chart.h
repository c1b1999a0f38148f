// SVG charts written in C++: a line/scatter chart and a grouped bar chart,
// each with axes, ticks, axis labels, a legend and a title.
//
// The output is plain SVG 1.1 text with no scripts, no external references
// and no fonts beyond the generic `sans-serif`, so it can be inlined into an
// HTML page or saved as a standalone .svg file. Every piece of text (titles,
// labels, series names: they come from user files) is XML-escaped.
//
// Thread-safety: the specs are plain values; the Render* functions are pure
// (no shared state) and may be called from any number of threads at once.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchyard::report {

// How an axis maps values to positions. kAuto picks kLog when every value is
// positive and they span more than two decades (max / min > 100), else kLinear.
enum class Scale { kAuto, kLinear, kLog };

struct AxisSpec {
  std::string label;  // with its unit, e.g. "p99 latency (ms)"
  Scale scale = Scale::kAuto;
  bool from_zero = false;      // a linear axis starts at 0 even when every value is larger
  bool whole_numbers = false;  // a linear axis ticks whole numbers only (counts, e.g. workers)
};

// kStandalone: a complete SVG document (XML declaration and xmlns), for a
// .svg file. kInline: an <svg> element for an HTML5 page (which needs no
// namespace declaration).
enum class SvgMode { kStandalone, kInline };

// One series of a line chart: points drawn and connected in the given order
// (not sorted by x), each with a marker that has a hover title.
struct XYSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y); non-finite values are skipped
  bool dashed = false;                            // dashed line and hollow markers
  int color = -1;                                 // palette index; -1: the series' position in the chart
};

struct LineChartSpec {
  std::string title;
  AxisSpec x;
  AxisSpec y;
  std::vector<XYSeries> series;
};

// One series of a bar chart: one value per category; a missing value is drawn
// as "n/a" instead of a bar.
struct BarSeries {
  std::string name;
  std::vector<std::optional<double>> values;
  int color = -1;
};

// Grouped bars: for each category a group with one bar per series.
struct BarChartSpec {
  std::string title;
  std::string category_label;  // the x axis, e.g. "offered load (connections)"
  std::vector<std::string> categories;
  AxisSpec y;
  std::vector<BarSeries> series;
};

std::string RenderLineChart(const LineChartSpec& spec, SvgMode mode);
std::string RenderBarChart(const BarChartSpec& spec, SvgMode mode);

// `text` with & < > " ' replaced by entities and the characters XML 1.0 does
// not allow (C0 controls other than tab, newline, return) dropped. Good for
// both XML/SVG and HTML text and attribute values.
std::string EscapeXml(std::string_view text);

}  // namespace switchyard::report
