#include "core/duration.h"

#include <cctype>
#include <charconv>
#include <cmath>

namespace switchyard {

Result<int64_t> ParseDurationUs(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument("bad duration '" + std::string(text) + "': " + std::string(why) +
                           " (write it like 10s, 500ms, 2m, 1h or 250us)");
  };
  size_t unit_at = 0;
  while (unit_at < text.size() && (std::isdigit(static_cast<unsigned char>(text[unit_at])) || text[unit_at] == '.')) {
    ++unit_at;
  }
  if (unit_at == 0) return bad(text.empty() ? "empty" : "it must start with a number");
  std::string_view number = text.substr(0, unit_at);
  std::string_view unit = text.substr(unit_at);
  double value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || end != number.data() + number.size()) return bad("not a number");
  double scale;
  if (unit == "us") {
    scale = 1;
  } else if (unit == "ms") {
    scale = 1e3;
  } else if (unit == "s") {
    scale = 1e6;
  } else if (unit == "m") {
    scale = 60e6;
  } else if (unit == "h") {
    scale = 3600e6;
  } else if (unit.empty()) {
    return bad("the unit is missing");
  } else {
    return bad("unknown unit '" + std::string(unit) + "'");
  }
  double us = value * scale;
  if (!std::isfinite(us) || us > 9e15) return bad("too long");
  return static_cast<int64_t>(std::llround(us));
}

std::string FormatDuration(int64_t us) {
  if (us != 0 && us % 3'600'000'000 == 0) return std::to_string(us / 3'600'000'000) + "h";
  if (us != 0 && us % 60'000'000 == 0) return std::to_string(us / 60'000'000) + "m";
  if (us % 1'000'000 == 0) return std::to_string(us / 1'000'000) + "s";
  if (us % 1'000 == 0) return std::to_string(us / 1'000) + "ms";
  return std::to_string(us) + "us";
}

}  // namespace switchyard
