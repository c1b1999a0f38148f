#include "report/format.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace switchyard::report {

std::string WithThousands(double v) {
  std::string digits = fmt::format("{:.0f}", std::fabs(v));
  std::string out;
  int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) out += ',';
    out += digits[static_cast<size_t>(i)];
  }
  return (v < 0 && digits != "0" ? "-" : "") + out;
}

std::string SignificantDigits(double v, int digits) {
  if (v == 0) return "0";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

std::string FormatCompact(double v) {
  if (!std::isfinite(v)) return kNa;
  double a = std::fabs(v);
  if (a >= 1e6) return SignificantDigits(v / 1e6, 4) + "M";
  if (a >= 1e4) return SignificantDigits(v / 1e3, 4) + "k";
  return SignificantDigits(v, 4);
}

std::string RateWithSeparators(const Figure& f) {
  if (!f) return kNa;
  if (std::fabs(*f) >= 100) return WithThousands(*f);
  return fmt::format("{:.1f}", *f);
}

std::string RateWithoutSeparators(const Figure& f) {
  if (!f) return kNa;
  return std::fabs(*f) >= 100 ? fmt::format("{:.0f}", *f) : fmt::format("{:.1f}", *f);
}

std::string CountWithSeparators(const Figure& f) {
  if (!f) return kNa;
  if (*f == std::floor(*f)) return WithThousands(*f);
  return fmt::format("{:.1f}", *f);
}

std::string CountShortest(const Figure& f) { return f ? fmt::format("{:g}", *f) : kNa; }

std::string MillisFromMicros(const Figure& us) {
  if (!us) return kNa;
  double ms = *us / 1000;
  if (ms < 1) return fmt::format("{:.3f}", ms);
  if (ms < 10) return fmt::format("{:.2f}", ms);
  if (ms < 100) return fmt::format("{:.1f}", ms);
  return WithThousands(ms);
}

std::string ThreeSignificant(const Figure& f) {
  if (!f) return kNa;
  if (*f == 0) return "0";
  return fmt::format("{:.3g}", *f);
}

std::string FixedDecimals(const Figure& f, int decimals) {
  return f ? fmt::format("{:.{}f}", *f, decimals) : kNa;
}

std::string MebibytesOneDecimal(const Figure& bytes) {
  if (!bytes) return kNa;
  return fmt::format("{:.1f}", *bytes / (1024.0 * 1024.0));
}

std::string MegabytesOneDecimal(const Figure& bytes) {
  return bytes ? fmt::format("{:.1f}", *bytes / 1e6) : kNa;
}

std::string IntegerOrNa(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : kNa; }

std::string PercentChange(const Figure& v, const Figure& base) {
  if (!v || !base || *base <= 0) return {};
  long pct = std::lround((*v - *base) / *base * 100);
  if (pct == 0) return "±0%";
  return fmt::format("{}{}%", pct < 0 ? "\u2212" : "+", std::labs(pct));
}

std::string_view LoadUnit(results::LoadMode mode) {
  return mode == results::LoadMode::kClosed ? "connections" : "req/s";
}

std::string FormatLoadValue(double x) {
  if (x == std::floor(x) && std::fabs(x) < 1e15) return fmt::format("{}", static_cast<int64_t>(x));
  return fmt::format("{:.4g}", x);
}

std::string FormatLoadPoint(double x, results::LoadMode mode) {
  std::string num = FormatLoadValue(x);
  if (mode == results::LoadMode::kClosed) return num + (x == 1 ? " connection" : " connections");
  return num + " req/s";
}

}  // namespace switchyard::report
