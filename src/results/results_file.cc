#include "results/results_file.h"

#include <fmt/format.h>

#include <utility>

namespace switchyard::results {
namespace {

// nlohmann's message without its own "[json.exception...] parse error at
// line 1, column N:" prefix (every line is parsed on its own, so its line
// number is always 1), with the column kept.
std::string JsonErrorDetail(const Json::exception& e) {
  std::string what = e.what();
  size_t col = what.find("column ");
  size_t colon = col == std::string::npos ? std::string::npos : what.find(": ", col);
  if (colon == std::string::npos) return what;
  return what.substr(col, colon - col) + ": " + what.substr(colon + 2);
}

}  // namespace

Result<std::vector<NumberedRecord>> ReadRecords(std::istream& in, std::string_view source,
                                                std::vector<std::string>* warnings) {
  std::vector<NumberedRecord> records;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r\n") == std::string::npos) continue;
    Json j;
    try {
      j = Json::parse(line);
    } catch (const Json::exception& e) {
      if (in.eof()) {  // the last line, and it has no '\n': an interrupted append
        if (warnings != nullptr) {
          warnings->push_back(fmt::format(
              "{}:{}: skipped an unfinished last line (no newline, not valid JSON)", source, number));
        }
        break;
      }
      return InvalidArgument(fmt::format("{}:{}: not valid JSON: {}", source, number, JsonErrorDetail(e)));
    }
    auto record = FromJson(j);
    if (!record.ok())
      return InvalidArgument(fmt::format("{}:{}: {}", source, number, record.status().message()));
    records.push_back({number, std::move(*record)});
  }
  if (in.bad()) return Internal(fmt::format("{}: read error", source));
  if (records.empty()) {
    return InvalidArgument(
        fmt::format("{}: no results: the file is empty (a `switchyard study` writes one "
                    "JSON object per line)",
                    source));
  }
  return records;
}

std::string RecordLine(const RunRecord& record) { return ToJson(record).dump() + "\n"; }

}  // namespace switchyard::results
