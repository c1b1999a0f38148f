#include "report/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "report/format.h"

namespace switchyard::report {
namespace {

// Colour-blind-friendly enough, distinct on white (Tableau 10).
constexpr const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                    "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
constexpr int kPaletteSize = static_cast<int>(sizeof(kPalette) / sizeof(kPalette[0]));

constexpr double kWidth = 760;
constexpr double kPlotHeight = 320;
constexpr double kPlotTop = 48;
constexpr double kRightMargin = 24;
constexpr double kFontSize = 12;
constexpr double kCharWidth = 7;  // average advance of a 12px sans-serif glyph, rounded up
constexpr double kLegendRow = 20;

const char* Color(int index) {
  if (index < 0) index = 0;
  return kPalette[index % kPaletteSize];
}

// Pixel coordinates with one decimal: short and exact enough.
std::string Px(double v) { return fmt::format("{:.1f}", v); }

double TextWidth(std::string_view s) {
  // Count code points, not bytes (names may be UTF-8).
  double n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) n += 1;
  }
  return n * kCharWidth;
}

// A resolved axis: the value range, its ticks, and the pixel range it maps to.
struct Axis {
  bool log = false;
  double lo = 0, hi = 1;  // values at the pixel ends
  std::vector<double> ticks;
  std::vector<std::string> tick_labels;
  double p0 = 0, p1 = 1;  // pixels of lo and hi

  double Map(double v) const {
    double t;
    if (log) {
      v = std::max(v, lo);
      t = (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
    } else {
      t = (v - lo) / (hi - lo);
    }
    return p0 + t * (p1 - p0);
  }
};

double NiceStep(double raw) {
  if (!(raw > 0) || !std::isfinite(raw)) return 1;
  double e = std::floor(std::log10(raw));
  double base = std::pow(10.0, e);
  double f = raw / base;
  double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return nice * base;
}

// Labels for a set of ticks, with one suffix for the whole axis (2.5k 5k 7.5k).
std::vector<std::string> TickLabels(const std::vector<double>& ticks) {
  double max_abs = 0;
  for (double t : ticks) max_abs = std::max(max_abs, std::fabs(t));
  double div = 1;
  const char* suffix = "";
  if (max_abs >= 1e6) {
    div = 1e6;
    suffix = "M";
  } else if (max_abs >= 1e4) {
    div = 1e3;
    suffix = "k";
  }
  std::vector<std::string> out;
  for (double t : ticks) {
    if (std::fabs(t) < 1e-12 * std::max(1.0, max_abs)) {
      out.push_back("0");
    } else {
      out.push_back(SignificantDigits(t / div, 4) + suffix);
    }
  }
  return out;
}

Axis ResolveAxis(const std::vector<double>& values, const AxisSpec& spec) {
  Axis a;
  double mn = std::numeric_limits<double>::infinity();
  double mx = -mn;
  bool all_positive = true;
  for (double v : values) {
    mn = std::min(mn, v);
    mx = std::max(mx, v);
    if (!(v > 0)) all_positive = false;
  }
  bool have = !values.empty();
  a.log =
      spec.scale == Scale::kLog || (spec.scale == Scale::kAuto && have && all_positive && mx / mn > 100.0);
  if (a.log) {
    double lo_v = mn, hi_v = mx;
    if (!have || !(lo_v > 0)) {
      // An explicit log axis without positive data: one decade.
      lo_v = 1;
      hi_v = 10;
    }
    a.lo = std::pow(10.0, std::floor(std::log10(lo_v)));
    a.hi = std::pow(10.0, std::ceil(std::log10(hi_v)));
    if (a.hi <= a.lo) a.hi = a.lo * 10;
    double decades = std::round(std::log10(a.hi / a.lo));
    for (double d = a.lo; d <= a.hi * 1.0001; d *= 10) {
      a.ticks.push_back(d);
      if (decades <= 3 && d * 2 < a.hi) {
        a.ticks.push_back(d * 2);
        a.ticks.push_back(d * 5);
      }
    }
    for (double t : a.ticks) a.tick_labels.push_back(FormatCompact(t));
    return a;
  }
  if (!have) {
    mn = 0;
    mx = 1;
  }
  if (spec.from_zero) {
    mn = std::min(mn, 0.0);
    mx = std::max(mx, 0.0);
  }
  if (mx == mn) {
    if (mx == 0) {
      mx = 1;
    } else {
      double pad = std::fabs(mx) * 0.5;
      mn -= pad;
      mx += pad;
      if (spec.from_zero && mn < 0 && mx > 0 && mx - pad > 0) mn = 0;
    }
  }
  double step = NiceStep((mx - mn) / 5);
  if (spec.whole_numbers && step < 1) step = 1;
  if (spec.whole_numbers && step == 2.5) step = 2;
  a.lo = std::floor(mn / step + 1e-9) * step;
  a.hi = std::ceil(mx / step - 1e-9) * step;
  if (a.hi <= a.lo) a.hi = a.lo + step;
  int n = static_cast<int>(std::llround((a.hi - a.lo) / step));
  for (int i = 0; i <= n; ++i) a.ticks.push_back(a.lo + step * i);
  a.tick_labels = TickLabels(a.ticks);
  return a;
}

// Where the pieces of a chart go.
struct Frame {
  double left = 0, right = 0, top = kPlotTop, bottom = kPlotTop + kPlotHeight;
};

double YLabelsWidth(const Axis& y) {
  double w = 0;
  for (const auto& l : y.tick_labels) w = std::max(w, TextWidth(l));
  return w;
}

std::string Open(SvgMode mode, double height, std::string_view title) {
  std::string s;
  if (mode == SvgMode::kStandalone) {
    s += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  }
  s += "<svg";
  if (mode == SvgMode::kStandalone) s += " xmlns=\"http://www.w3.org/2000/svg\"";
  s += fmt::format(
      " class=\"chart\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" role=\"img\" "
      "font-family=\"sans-serif\" font-size=\"{2}\">\n",
      Px(kWidth), Px(height), static_cast<int>(kFontSize));
  s += "<title>" + EscapeXml(title) + "</title>\n";
  s += fmt::format("<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n", Px(kWidth),
                   Px(height));
  s += fmt::format(
      "<text x=\"{}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{}</text>\n",
      Px(kWidth / 2), EscapeXml(title));
  return s;
}

// Horizontal grid lines, the y axis with its ticks and label.
std::string DrawYAxis(const Axis& y, const Frame& f, std::string_view label) {
  std::string s = "<g class=\"y-axis\">\n";
  for (size_t i = 0; i < y.ticks.size(); ++i) {
    double py = y.Map(y.ticks[i]);
    s += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#e3e3e3\"/>\n", Px(f.left),
                     Px(py), Px(f.right));
    s += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#333333\"/>\n",
                     Px(f.left - 5), Px(py), Px(f.left));
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", Px(f.left - 8), Px(py + 4),
                     EscapeXml(y.tick_labels[i]));
  }
  s += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#333333\"/>\n", Px(f.left),
                   Px(f.top), Px(f.bottom));
  double cy = (f.top + f.bottom) / 2;
  s += fmt::format(
      "<text x=\"16\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {0})\">{1}</text>\n", Px(cy),
      EscapeXml(label));
  s += "</g>\n";
  return s;
}

// Legend entries flow left to right in rows below the chart; returns the
// markup and advances `y` past it.
struct LegendEntry {
  std::string name;
  int color;
  bool dashed;
  bool bar;
};

std::string DrawLegend(const std::vector<LegendEntry>& entries, double left, double& y) {
  if (entries.empty()) return {};
  std::string s = "<g class=\"legend\">\n";
  double x = left;
  double max_x = kWidth - kRightMargin;
  y += kLegendRow / 2;
  for (const auto& e : entries) {
    double w = 30 + TextWidth(e.name) + 18;
    if (x > left && x + w > max_x) {
      x = left;
      y += kLegendRow;
    }
    if (e.bar) {
      s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"18\" height=\"11\" fill=\"{}\"/>\n", Px(x + 4),
                       Px(y - 6), Color(e.color));
    } else {
      s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"2\"{}/>\n",
                       Px(x), Px(y), Px(x + 24), Px(y), Color(e.color),
                       e.dashed ? " stroke-dasharray=\"5 3\"" : "");
      s += fmt::format(
          "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{}\" stroke=\"{}\" stroke-width=\"1.5\"/>\n",
          Px(x + 12), Px(y), e.dashed ? "#ffffff" : Color(e.color), Color(e.color));
    }
    s += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", Px(x + 30), Px(y + 4), EscapeXml(e.name));
    x += w;
  }
  y += kLegendRow / 2;
  s += "</g>\n";
  return s;
}

bool Finite(double v) { return std::isfinite(v); }

}  // namespace

std::string EscapeXml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default: {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 && c != '\t' && c != '\n' && c != '\r') break;  // not allowed in XML 1.0
        if (u == 0x7F) break;
        out += c;
      }
    }
  }
  return out;
}

std::string RenderLineChart(const LineChartSpec& spec, SvgMode mode) {
  std::vector<double> xs, ys;
  for (const auto& se : spec.series) {
    for (auto [x, y] : se.points) {
      if (!Finite(x) || !Finite(y)) continue;
      xs.push_back(x);
      ys.push_back(y);
    }
  }
  Axis ax = ResolveAxis(xs, spec.x);
  Axis ay = ResolveAxis(ys, spec.y);
  // On a log axis a non-positive value has no place: such points are left out.
  auto drawable = [&](double x, double y) {
    return Finite(x) && Finite(y) && (!ax.log || x > 0) && (!ay.log || y > 0);
  };

  Frame f;
  f.left = std::max(64.0, 34 + YLabelsWidth(ay) + 10);
  f.right = kWidth - kRightMargin;
  ax.p0 = f.left;
  ax.p1 = f.right;
  ay.p0 = f.bottom;
  ay.p1 = f.top;

  std::vector<LegendEntry> legend;
  for (size_t i = 0; i < spec.series.size(); ++i) {
    const auto& se = spec.series[i];
    legend.push_back({se.name, se.color >= 0 ? se.color : static_cast<int>(i), se.dashed, false});
  }
  // Height: plot, x tick labels, x label, legend.
  double y_after = f.bottom + 44;
  std::string legend_svg = DrawLegend(legend, f.left, y_after);
  double height = y_after + 12;

  std::string s = Open(mode, height, spec.title);
  s += DrawYAxis(ay, f, spec.y.label);

  s += "<g class=\"x-axis\">\n";
  for (size_t i = 0; i < ax.ticks.size(); ++i) {
    double px = ax.Map(ax.ticks[i]);
    s += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#e3e3e3\"/>\n", Px(px),
                     Px(f.top), Px(f.bottom));
    s += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#333333\"/>\n", Px(px),
                     Px(f.bottom), Px(f.bottom + 5));
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", Px(px), Px(f.bottom + 18),
                     EscapeXml(ax.tick_labels[i]));
  }
  s += fmt::format("<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"#333333\"/>\n", Px(f.left),
                   Px(f.right), Px(f.bottom));
  s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", Px((f.left + f.right) / 2),
                   Px(f.bottom + 38), EscapeXml(spec.x.label));
  s += "</g>\n";

  if (xs.empty()) {
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#777777\">no data</text>\n",
                     Px((f.left + f.right) / 2), Px((f.top + f.bottom) / 2));
  }

  for (size_t i = 0; i < spec.series.size(); ++i) {
    const auto& se = spec.series[i];
    const char* color = Color(se.color >= 0 ? se.color : static_cast<int>(i));
    s += "<g class=\"series\">\n";
    std::string pts;
    int n = 0;
    for (auto [x, y] : se.points) {
      if (!drawable(x, y)) continue;
      if (!pts.empty()) pts += ' ';
      pts += Px(ax.Map(x)) + "," + Px(ay.Map(y));
      ++n;
    }
    if (n > 1) {
      s += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{}/>\n", pts,
                       color, se.dashed ? " stroke-dasharray=\"6 4\"" : "");
    }
    for (auto [x, y] : se.points) {
      if (!drawable(x, y)) continue;
      s += fmt::format(
          "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{}\" stroke=\"{}\" "
          "stroke-width=\"1.5\"><title>{}</title></circle>\n",
          Px(ax.Map(x)), Px(ay.Map(y)), se.dashed ? "#ffffff" : color, color,
          EscapeXml(se.name + ": " + spec.x.label + " " + FormatCompact(x) + ", " + spec.y.label + " " +
                    FormatCompact(y)));
    }
    s += "</g>\n";
  }
  s += legend_svg;
  s += "</svg>\n";
  return s;
}

std::string RenderBarChart(const BarChartSpec& spec, SvgMode mode) {
  std::vector<double> vals;
  for (const auto& se : spec.series) {
    for (const auto& v : se.values) {
      if (v && Finite(*v)) vals.push_back(*v);
    }
  }
  AxisSpec yspec = spec.y;
  yspec.from_zero = true;  // bars start at zero on a linear axis
  Axis ay = ResolveAxis(vals, yspec);

  Frame f;
  f.left = std::max(64.0, 34 + YLabelsWidth(ay) + 10);
  f.right = kWidth - kRightMargin;
  ay.p0 = f.bottom;
  ay.p1 = f.top;

  size_t ncat = std::max<size_t>(spec.categories.size(), 1);
  size_t nser = std::max<size_t>(spec.series.size(), 1);
  double group_w = (f.right - f.left) / static_cast<double>(ncat);
  double bar_w = group_w * 0.8 / static_cast<double>(nser);

  // Category labels that do not fit their group are slanted.
  double max_label = 0;
  for (const auto& c : spec.categories) max_label = std::max(max_label, TextWidth(c));
  bool slant = max_label > group_w - 6;
  double label_depth = slant ? max_label * 0.5 + 12 : 18;  // sin(30°) = 0.5

  std::vector<LegendEntry> legend;
  for (size_t i = 0; i < spec.series.size(); ++i) {
    const auto& se = spec.series[i];
    legend.push_back({se.name, se.color >= 0 ? se.color : static_cast<int>(i), false, true});
  }
  double x_label_y = f.bottom + label_depth + 20;
  double y_after = x_label_y + 6;
  std::string legend_svg = DrawLegend(legend, f.left, y_after);
  double height = y_after + 12;

  std::string s = Open(mode, height, spec.title);
  s += DrawYAxis(ay, f, spec.y.label);

  s += "<g class=\"x-axis\">\n";
  s += fmt::format("<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"#333333\"/>\n", Px(f.left),
                   Px(f.right), Px(f.bottom));
  for (size_t c = 0; c < spec.categories.size(); ++c) {
    double cx = f.left + group_w * (static_cast<double>(c) + 0.5);
    if (slant) {
      double ty = f.bottom + 14;
      s += fmt::format(
          "<text x=\"{0}\" y=\"{1}\" text-anchor=\"end\" transform=\"rotate(-30 {0} {1})\">{2}</text>\n",
          Px(cx + 4), Px(ty), EscapeXml(spec.categories[c]));
    } else {
      s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", Px(cx),
                       Px(f.bottom + 18), EscapeXml(spec.categories[c]));
    }
  }
  s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", Px((f.left + f.right) / 2),
                   Px(x_label_y), EscapeXml(spec.category_label));
  s += "</g>\n";

  if (vals.empty()) {
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#777777\">no data</text>\n",
                     Px((f.left + f.right) / 2), Px((f.top + f.bottom) / 2));
  }

  double base_v = ay.log ? ay.lo : std::clamp(0.0, ay.lo, ay.hi);
  double base_px = ay.Map(base_v);
  for (size_t i = 0; i < spec.series.size(); ++i) {
    const auto& se = spec.series[i];
    const char* color = Color(se.color >= 0 ? se.color : static_cast<int>(i));
    s += "<g class=\"series\">\n";
    for (size_t c = 0; c < spec.categories.size(); ++c) {
      double x0 = f.left + group_w * static_cast<double>(c) + group_w * 0.1 + bar_w * static_cast<double>(i);
      std::optional<double> v = c < se.values.size() ? se.values[c] : std::nullopt;
      std::string cat = spec.categories[c];
      if (!v || !Finite(*v)) {
        double tx = x0 + bar_w / 2;
        double ty = base_px - 4;
        s += fmt::format(
            "<text x=\"{0}\" y=\"{1}\" text-anchor=\"start\" font-size=\"10\" fill=\"#777777\" "
            "transform=\"rotate(-90 {0} {1})\">n/a<title>{2}</title></text>\n",
            Px(tx + 3), Px(ty), EscapeXml(se.name + ", " + cat + ": n/a"));
        continue;
      }
      double vy = ay.Map(std::clamp(*v, ay.lo, ay.hi));
      double top = std::min(vy, base_px);
      double h = std::fabs(base_px - vy);
      s += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>\n", Px(x0),
          Px(top), Px(std::max(bar_w - 1, 1.0)), Px(h), color,
          EscapeXml(se.name + ", " + cat + ": " + FormatCompact(*v) + " " + spec.y.label));
    }
    s += "</g>\n";
  }
  s += legend_svg;
  s += "</svg>\n";
  return s;
}

}  // namespace switchyard::report
