#include "report/svg_chart.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "report/format.h"
#include "xml_check.h"

namespace switchyard::report {
namespace {

using switchyard::testing::XmlProblem;

bool Has(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

int Count(const std::string& s, const std::string& needle) {
  int n = 0;
  for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}

LineChartSpec TwoSeries() {
  LineChartSpec spec;
  spec.title = "cpu: throughput against p99 latency";
  spec.x.label = "p99 latency (ms)";
  spec.y.label = "throughput (req/s)";
  spec.y.from_zero = true;
  spec.series.push_back({"threads w2", {{2, 1000}, {4, 1800}, {9, 2000}}, false, -1});
  spec.series.push_back({"async w2", {{3, 900}, {5, 1700}, {12, 2100}}, true, -1});
  return spec;
}

TEST(SvgChartTest, LineChartIsAWellFormedStandaloneDocument) {
  std::string svg = RenderLineChart(TwoSeries(), SvgMode::kStandalone);
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_TRUE(Has(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_EQ(XmlProblem(svg), "");
  EXPECT_EQ(Count(svg, "<polyline"), 2);      // one line per series
  EXPECT_EQ(Count(svg, "<circle"), 6 + 2);    // a marker per point, one per legend entry
  EXPECT_TRUE(Has(svg, "stroke-dasharray"));  // the dashed series
}

TEST(SvgChartTest, InlineChartHasNoDeclarationOrNamespace) {
  std::string svg = RenderLineChart(TwoSeries(), SvgMode::kInline);
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  EXPECT_FALSE(Has(svg, "<?xml"));
  EXPECT_FALSE(Has(svg, "http"));
  EXPECT_EQ(XmlProblem(svg), "");
}

TEST(SvgChartTest, HasTitleAxisLabelsAndLegend) {
  std::string svg = RenderLineChart(TwoSeries(), SvgMode::kInline);
  EXPECT_TRUE(Has(svg, ">cpu: throughput against p99 latency</text>"));
  EXPECT_TRUE(Has(svg, ">p99 latency (ms)</text>"));
  EXPECT_TRUE(Has(svg, ">throughput (req/s)</text>"));
  EXPECT_TRUE(Has(svg, "class=\"legend\""));
  EXPECT_TRUE(Has(svg, ">threads w2</text>"));
  EXPECT_TRUE(Has(svg, ">async w2</text>"));
}

TEST(SvgChartTest, LinearTicksAreRoundNumbersFromZero) {
  std::string svg = RenderLineChart(TwoSeries(), SvgMode::kInline);
  // y from 0 to 2100: steps of 500.
  for (const char* tick : {">0</text>", ">500</text>", ">1000</text>", ">1500</text>", ">2000</text>"}) {
    EXPECT_TRUE(Has(svg, tick)) << tick;
  }
}

TEST(SvgChartTest, LogScaleWhenValuesSpanMoreThanTwoDecades) {
  LineChartSpec spec;
  spec.title = "latency";
  spec.x.label = "offered load (connections)";
  spec.y.label = "latency (ms)";
  spec.y.from_zero = true;  // ignored on a log axis
  spec.series.push_back({"threads w2", {{1, 0.2}, {16, 5}, {256, 350}}, false, -1});
  std::string svg = RenderLineChart(spec, SvgMode::kInline);
  // Decades as ticks: 0.1 1 10 100 1000.
  for (const char* tick : {">0.1</text>", ">1</text>", ">10</text>", ">100</text>", ">1000</text>"}) {
    EXPECT_TRUE(Has(svg, tick)) << tick;
  }
  EXPECT_FALSE(Has(svg, ">0</text>"));   // no zero on a log axis (x is log too: 1 to 256)
  EXPECT_TRUE(Has(svg, ">200</text>"));  // three decades or fewer: 1-2-5 ticks
}

TEST(SvgChartTest, LinearScaleWithinTwoDecades) {
  LineChartSpec spec;
  spec.x.label = "x";
  spec.y.label = "y";
  spec.series.push_back({"s", {{1, 10}, {2, 500}}, false, -1});
  std::string svg = RenderLineChart(spec, SvgMode::kInline);
  EXPECT_TRUE(Has(svg, ">100</text>"));
  EXPECT_TRUE(Has(svg, ">200</text>"));  // evenly spaced, not 1-2-5 per decade with 1000
  EXPECT_FALSE(Has(svg, ">1000</text>"));
}

TEST(SvgChartTest, LargeTicksUseThousandsSuffix) {
  LineChartSpec spec;
  spec.x.label = "x";
  spec.y.label = "y";
  spec.y.from_zero = true;
  spec.series.push_back({"s", {{1, 12000}, {2, 24000}}, false, -1});
  std::string svg = RenderLineChart(spec, SvgMode::kInline);
  EXPECT_TRUE(Has(svg, ">25k</text>"));
  EXPECT_TRUE(Has(svg, ">5k</text>"));
}

TEST(SvgChartTest, EscapesEveryPieceOfText) {
  LineChartSpec spec;
  spec.title = "t <&\"'>";
  spec.x.label = "x <b>";
  spec.y.label = "y & z";
  spec.series.push_back({"<script>alert(\"x\")</script> & co", {{1, 1}, {2, 2}}, false, -1});
  std::string svg = RenderLineChart(spec, SvgMode::kStandalone);
  EXPECT_EQ(XmlProblem(svg), "");
  EXPECT_FALSE(Has(svg, "<script"));
  EXPECT_FALSE(Has(svg, "<b>"));
  EXPECT_TRUE(Has(svg, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"));
  EXPECT_TRUE(Has(svg, "t &lt;&amp;&quot;&#39;&gt;"));

  BarChartSpec bars;
  bars.title = "a<b";
  bars.category_label = "c&d";
  bars.categories = {"<x>"};
  bars.series.push_back({"\"q\"", {1.0}, -1});
  std::string bsvg = RenderBarChart(bars, SvgMode::kStandalone);
  EXPECT_EQ(XmlProblem(bsvg), "");
  EXPECT_TRUE(Has(bsvg, "&lt;x&gt;"));
  EXPECT_TRUE(Has(bsvg, "&quot;q&quot;"));
}

TEST(SvgChartTest, EscapeXmlDropsControlCharacters) {
  EXPECT_EQ(EscapeXml(std::string("a\x01"
                                  "b\tc\x7f")),
            "ab\tc");
  EXPECT_EQ(EscapeXml("<&>\"'"), "&lt;&amp;&gt;&quot;&#39;");
  EXPECT_EQ(EscapeXml("µs ✓"), "µs ✓");  // UTF-8 passes through
}

TEST(SvgChartTest, GroupedBarsHaveOneBarPerValueAndNaForMissing) {
  BarChartSpec spec;
  spec.title = "cpu: CPU time per request";
  spec.category_label = "offered load (connections)";
  spec.categories = {"4", "16", "64"};
  spec.y.label = "CPU time per request (ms)";
  spec.series.push_back({"threads w2", {4.0, 4.1, 4.3}, -1});
  spec.series.push_back({"async w2", {3.9, std::nullopt, 4.0}, -1});
  std::string svg = RenderBarChart(spec, SvgMode::kStandalone);
  EXPECT_EQ(XmlProblem(svg), "");
  // 5 bars with hover titles + 2 legend swatches + the background.
  EXPECT_EQ(Count(svg, "<rect"), 5 + 2 + 1);
  EXPECT_EQ(Count(svg, ">n/a<"), 1);
  EXPECT_TRUE(Has(svg, ">offered load (connections)</text>"));
  EXPECT_TRUE(Has(svg, ">CPU time per request (ms)</text>"));
  EXPECT_TRUE(Has(svg, ">0</text>"));  // bars start at zero
}

TEST(SvgChartTest, LongCategoryLabelsAreSlanted) {
  BarChartSpec spec;
  spec.category_label = "configuration";
  spec.y.label = "PSS (MiB)";
  for (int i = 0; i < 8; ++i)
    spec.categories.push_back("processes w" + std::to_string(i) + " shm forkserver");
  spec.series.push_back({"PSS", std::vector<std::optional<double>>(8, 50.0), -1});
  std::string svg = RenderBarChart(spec, SvgMode::kInline);
  EXPECT_TRUE(Has(svg, "rotate(-30"));
  EXPECT_EQ(XmlProblem(svg), "");
}

TEST(SvgChartTest, EmptyChartsSayNoData) {
  LineChartSpec line;
  line.title = "nothing";
  std::string svg = RenderLineChart(line, SvgMode::kStandalone);
  EXPECT_TRUE(Has(svg, ">no data</text>"));
  EXPECT_EQ(XmlProblem(svg), "");
  BarChartSpec bars;
  bars.categories = {"1"};
  bars.series.push_back({"s", {std::nullopt}, -1});
  std::string bsvg = RenderBarChart(bars, SvgMode::kStandalone);
  EXPECT_TRUE(Has(bsvg, ">no data</text>"));
  EXPECT_EQ(XmlProblem(bsvg), "");
}

TEST(SvgChartTest, NonFiniteAndSingleValuesDoNotBreakTheChart) {
  LineChartSpec spec;
  spec.x.label = "x";
  spec.y.label = "y";
  double nan = std::numeric_limits<double>::quiet_NaN();
  double inf = std::numeric_limits<double>::infinity();
  spec.series.push_back({"s", {{1, 5}, {nan, 3}, {2, inf}}, false, -1});
  std::string svg = RenderLineChart(spec, SvgMode::kInline);
  EXPECT_EQ(XmlProblem(svg), "");
  EXPECT_FALSE(Has(svg, "nan"));
  EXPECT_FALSE(Has(svg, "inf"));
  EXPECT_EQ(Count(svg, "<circle"), 1 + 1);  // the one finite point and the legend marker
}

TEST(SvgChartTest, FormatCompactIsShortAndReadable) {
  EXPECT_EQ(FormatCompact(0), "0");
  EXPECT_EQ(FormatCompact(0.25), "0.25");
  EXPECT_EQ(FormatCompact(3), "3");
  EXPECT_EQ(FormatCompact(1234), "1234");
  EXPECT_EQ(FormatCompact(12500), "12.5k");
  EXPECT_EQ(FormatCompact(1500000), "1.5M");
  EXPECT_EQ(FormatCompact(std::nan("")), "n/a");
}

}  // namespace
}  // namespace switchyard::report
